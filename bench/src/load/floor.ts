// A floor client: a bare ws socket with its id in the URL; the router's frames are in floor/server.ts.
import WebSocket from 'ws';
import type { Agent, ConnectOptions, Handlers } from './agent.js';

interface Frame {
  ready?: 1;
  from?: string;
  body?: string;
  b?: 1;
  p?: 'join' | 'leave';
  id?: string;
}

export async function connectFloor(url: string, id: string, handlers: Handlers, options: ConnectOptions = {}): Promise<Agent> {
  const ws = new WebSocket(`${url}?id=${encodeURIComponent(id)}${options.watch ? '&watch=1' : ''}`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      if (frame.ready) return resolve();
      if (frame.p) return handlers.presence?.(frame.p, frame.id!);
      if (frame.b) return handlers.broadcast?.(frame.body!);
      handlers.direct?.(frame.body!);
    });
  });
  return {
    id,
    send: (to, body) => ws.send(JSON.stringify({ to, body })),
    broadcast: (body) => ws.send(JSON.stringify({ b: body })),
    leave: () =>
      new Promise((resolve) => {
        ws.once('close', () => resolve());
        ws.close();
      }),
  };
}
