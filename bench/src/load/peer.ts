// A Socket.IO client as its users write one: WebSocket transport only, one connection per agent.
import { io } from 'socket.io-client';
import type { Agent, ConnectOptions, Handlers } from './agent.js';

export async function connectPeer(url: string, id: string, handlers: Handlers, options: ConnectOptions = {}): Promise<Agent> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { id, watch: !!options.watch } });
  socket.on('dm', (_from: string, body: string) => handlers.direct?.(body));
  socket.on('b', (_from: string, body: string) => handlers.broadcast?.(body));
  socket.on('p', (event: 'join' | 'leave', who: string) => handlers.presence?.(event, who));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return {
    id,
    send: (to, body) => void socket.emit('dm', to, body),
    broadcast: (body) => void socket.emit('b', body),
    leave: async () => void socket.disconnect(),
  };
}
