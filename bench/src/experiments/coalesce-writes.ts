// Experiment, not a change to the server: `switchboard serve` exactly as shipped, except that every
// TCP socket in the process (client WebSockets and Redis) holds its writes until the end of the
// event-loop turn and sends them in one syscall (cork on first write, uncork in setImmediate).
// Run by the `whatif` scenario to size what batching socket writes per turn would save.
import { Socket } from 'node:net';

const write = Socket.prototype.write;
Socket.prototype.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
  if (this.writableCorked === 0) {
    this.cork();
    setImmediate(() => this.uncork());
  }
  return write.apply(this, args);
} as Socket['write'];
await import('../../../server/src/cli.js');
