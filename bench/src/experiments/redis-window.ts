// Experiment, not a change to the server: `switchboard serve` exactly as shipped, except that writes
// to Redis are held for up to 1 ms and sent together (the Redis sockets are corked on their first
// write and uncorked by a 1 ms timer). Run by the `whatif` scenario: unlike per-turn batching, a time
// window also batches commands issued in different event-loop turns.
import { Socket } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ args: process.argv.slice(3), options: { redis: { type: 'string' } }, strict: false });
const redisPort = Number(new URL(String(values.redis ?? process.env.REDIS_URL)).port || 6379);

const write = Socket.prototype.write;
Socket.prototype.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
  if (this.remotePort === redisPort && this.writableCorked === 0) {
    this.cork();
    setTimeout(() => this.uncork(), 1);
  }
  return write.apply(this, args);
} as Socket['write'];
await import('../../../server/src/cli.js');
