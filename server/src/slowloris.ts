// Connections that hold a socket without ever becoming a request: Node's HTTP server times out a
// request whose headers dribble in (headersTimeout) but not a TCP connection that sends nothing at
// all. Both get the hello timeout: a new connection has that long to become a session.
import type { Server, ServerOptions } from 'node:http';

/** HTTP server options: the request line and headers must arrive within `ms`. */
export function requestTimeouts(ms: number): ServerOptions {
  return { headersTimeout: ms, requestTimeout: ms, connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(ms / 4))) };
}

/**
 * A connection silent for `ms` before its first request is destroyed (the server's own timeout
 * handler does it). A request lifts the timer; a WebSocket upgrade lifts it too (ws clears it).
 */
export function dropSilentConnections(server: Server, ms: number): void {
  server.on('connection', (socket) => socket.setTimeout(ms));
  server.on('request', (req) => req.socket.setTimeout(0));
}
