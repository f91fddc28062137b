// The floor: the least a router built from Switchboard's building blocks must do, and nothing else.
// ws for sockets; with --redis, ioredis pub/sub with one channel per node plus one shared channel.
// JSON frames, no validation, no presence state, no durability, no acks.
//
//   client → {"to":id,"body":…}          direct message      → {"from":id,"body":…}
//   client → {"b":…}                     broadcast           → {"from":id,"body":…,"b":1} to every other socket
//   ws://host:port/?id=X[&watch=1]       a socket; watchers get {"p":"join"|"leave","id":…} as others come and go
//
// Which node holds which id is replicated to every node over the shared channel, so routing a
// message costs one local lookup and, for another node, one PUBLISH.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';

const { values: args } = parseArgs({ options: { port: { type: 'string', default: '0' }, redis: { type: 'string' }, 'node-id': { type: 'string', default: 'floor' }, 'ping-ms': { type: 'string', default: '5000' } } });
const nodeId = args['node-id']!;
const ALL = 'floor:all';
const nodeChannel = (node: string) => `floor:node:${node}`;

const sockets = new Map<string, WebSocket>();
const watchers = new Set<WebSocket>();
/** id → node, for ids held by other nodes. */
const directory = new Map<string, string>();
/** Sockets pinged since their last pong. */
const silent = new Set<WebSocket>();

const pub = args.redis ? new Redis(args.redis) : null;
const sub = args.redis ? new Redis(args.redis) : null;

/** Sends a frame to every node (this one included): through Redis, or straight to this node. */
function toAll(frame: object): void {
  const text = JSON.stringify(frame);
  if (pub) void pub.publish(ALL, text);
  else onAll(text);
}

function onAll(text: string): void {
  const frame = JSON.parse(text) as { j?: string; l?: string; n: string; from?: string; body?: unknown };
  if (frame.j !== undefined || frame.l !== undefined) {
    if (frame.n !== nodeId) frame.j !== undefined ? directory.set(frame.j, frame.n) : directory.delete(frame.l!);
    const out = JSON.stringify({ p: frame.j !== undefined ? 'join' : 'leave', id: frame.j ?? frame.l });
    for (const ws of watchers) ws.send(out);
    return;
  }
  const out = JSON.stringify({ from: frame.from, body: frame.body, b: 1 });
  for (const [id, ws] of sockets) if (id !== frame.from) ws.send(out);
}

function direct(from: string, to: string, body: unknown): void {
  const local = sockets.get(to);
  if (local) return local.send(JSON.stringify({ from, body }));
  const node = directory.get(to);
  if (node && pub) void pub.publish(nodeChannel(node), JSON.stringify({ to, from, body }));
}

const http = createServer();
const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
wss.on('connection', (ws, req) => {
  const query = new URL(req.url ?? '/', 'http://x').searchParams;
  const id = query.get('id') ?? '';
  sockets.set(id, ws);
  if (query.get('watch')) watchers.add(ws);
  ws.on('pong', () => silent.delete(ws));
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as { to?: string; b?: unknown; body?: unknown };
    if (frame.to !== undefined) direct(id, frame.to, frame.body);
    else toAll({ n: nodeId, from: id, body: frame.b });
  });
  ws.on('close', () => {
    silent.delete(ws);
    if (sockets.get(id) === ws) sockets.delete(id);
    watchers.delete(ws);
    toAll({ n: nodeId, l: id });
  });
  toAll({ n: nodeId, j: id });
  ws.send('{"ready":1}');
});

// The ws README's liveness check: ping everyone each interval, drop those that did not pong.
setInterval(() => {
  for (const ws of wss.clients) {
    if (silent.has(ws)) {
      ws.terminate();
      continue;
    }
    silent.add(ws);
    ws.ping();
  }
}, Number(args['ping-ms']));

if (sub) {
  sub.on('message', (channel: string, text: string) => {
    if (channel === ALL) return onAll(text);
    const { to, from, body } = JSON.parse(text) as { to: string; from: string; body: unknown };
    sockets.get(to)?.send(JSON.stringify({ from, body }));
  });
  await sub.subscribe(ALL, nodeChannel(nodeId));
}
http.listen(Number(args.port), '127.0.0.1', () => {
  const { port } = http.address() as AddressInfo;
  console.log(JSON.stringify({ msg: 'listening', url: `ws://127.0.0.1:${port}/` }));
});
process.once('SIGTERM', () => process.exit(0));
