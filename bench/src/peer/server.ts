// The peer: Socket.IO 4 as its users would build the same router. WebSocket transport only; with
// --redis, @socket.io/redis-adapter (ioredis) so nodes form one hub, else the in-memory adapter.
// Each socket joins a room named by its id, so a direct message is `io.to(id).emit(…)`.
//
//   emit('dm', to, body)   → the socket of `to` gets ('dm', from, body)
//   emit('b', body)        → every other socket gets ('b', from, body)
//   auth {id, watch: true} → the socket joins room 'watchers', which gets ('p', 'join'|'leave', id)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const { values: args } = parseArgs({ options: { port: { type: 'string', default: '0' }, redis: { type: 'string' }, 'node-id': { type: 'string', default: 'peer' }, 'ping-ms': { type: 'string', default: '5000' } } });

const http = createServer();
const io = new Server(http, {
  transports: ['websocket'],
  serveClient: false,
  pingInterval: Number(args['ping-ms']),
  ...(args.redis && { adapter: createAdapter(new Redis(args.redis), new Redis(args.redis)) }),
});

io.on('connection', (socket) => {
  const { id, watch } = socket.handshake.auth as { id: string; watch?: boolean };
  void socket.join(id);
  if (watch) void socket.join('watchers');
  io.to('watchers').emit('p', 'join', id);
  socket.on('dm', (to: string, body: unknown) => io.to(to).emit('dm', id, body));
  socket.on('b', (body: unknown) => socket.broadcast.emit('b', id, body));
  socket.on('disconnect', () => io.to('watchers').emit('p', 'leave', id));
});

http.listen(Number(args.port), '127.0.0.1', () => {
  const { port } = http.address() as AddressInfo;
  console.log(JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${port}`, node: args['node-id'] }));
});
process.once('SIGTERM', () => process.exit(0));
