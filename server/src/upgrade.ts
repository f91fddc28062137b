// The HTTP upgrade to a WebSocket: what is checked before a socket exists. A refused upgrade is
// an HTTP answer (404 path, 403 origin, 503 full, 401 token) and the TCP socket is closed.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WS_PATH } from '@switchboard/protocol';
import type { Principal } from './auth.js';

/** The subprotocol a browser offers next to its token; the hub selects it. */
export const SUBPROTOCOL = 'switchboard.v1';
/** A token sent as a subprotocol: `switchboard.token.<jwt>` (browsers cannot set headers). */
export const TOKEN_SUBPROTOCOL_PREFIX = 'switchboard.token.';

export type Admission = { ok: true; principal: Principal | null } | { ok: false; status: number; code: string; message: string };

export interface UpgradeGate {
  verify(token: string): Promise<{ ok: true; principal: Principal } | { ok: false; message: string }>;
  allowedOrigins: ReadonlySet<string> | null;
  /** Sockets open or being upgraded now (this one included), and the most allowed. */
  load(): { open: number; max: number };
}

/** Decides whether an upgrade request may become a WebSocket, and as whom (null: the token comes in hello). */
export async function admit(gate: UpgradeGate, req: IncomingMessage): Promise<Admission> {
  const url = new URL(req.url ?? '/', 'http://hub');
  if (url.pathname !== WS_PATH) return refuse(404, 'not_found', `no WebSocket endpoint at ${url.pathname}; use ${WS_PATH}`);
  const origin = req.headers.origin;
  if (gate.allowedOrigins && origin !== undefined && !gate.allowedOrigins.has(origin)) {
    return refuse(403, 'forbidden', `origin ${origin.slice(0, 200)} is not allowed`);
  }
  const { open, max } = gate.load();
  if (open > max) return refuse(503, 'unavailable', `the hub is at its limit of ${max} connections; retry later`);
  const token = tokenOf(req, url);
  if (token === undefined) return { ok: true, principal: null };
  const auth = await gate.verify(token);
  return auth.ok ? { ok: true, principal: auth.principal } : refuse(401, 'unauthorized', auth.message);
}

/** A token from the query (`?token=`) or the subprotocol list; undefined if neither carries one. */
function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  for (const protocol of offeredProtocols(req)) {
    if (protocol.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) return protocol.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
  }
  return undefined;
}

function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  return header ? header.split(',').map((p) => p.trim()) : [];
}

/** Which offered subprotocol the hub answers with: `switchboard.v1`, never a token. */
export function selectProtocol(protocols: Set<string>): string | false {
  return protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false;
}

/** Answers a refused upgrade with a small JSON body and closes the socket. */
export function reject(socket: Duplex, admission: Extract<Admission, { ok: false }>): void {
  const body = JSON.stringify({ code: admission.code, message: admission.message });
  const reason = STATUS_TEXT[admission.status] ?? 'Error';
  const head = `HTTP/1.1 ${admission.status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  socket.end(head + body, () => socket.destroy());
}

function refuse(status: number, code: string, message: string): Admission {
  return { ok: false, status, code, message };
}

const STATUS_TEXT: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' };
