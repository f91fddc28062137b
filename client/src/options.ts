// Connect options: their defaults, and the one place they are checked and merged.
import { HelloSession, WS_PATH } from '@switchboard/protocol';
import type { Role } from '@switchboard/protocol';
import { DEFAULT_BACKOFF } from './backoff.js';
import type { BackoffOptions } from './backoff.js';
import type { WebSocketConstructor } from './connection.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './requests.js';

export interface ConnectOptions {
  /** ws:// or wss:// address of the hub; an address without a path gets /v1. */
  url: string;
  /** Sent in every hello. */
  token?: string;
  /** Join with a lower role than the token grants (e.g. 'observer' for a read-only view). @default the token's role */
  role?: Role;
  /** Who this session is; `id` is optional (the hub assigns one and reconnects reuse it). */
  session: HelloSession;
  /** WebSocket constructor. @default globalThis.WebSocket (Node 20: import from '@switchboard/client/node') */
  WebSocket?: WebSocketConstructor;
  /** @default 10000 */
  requestTimeoutMs?: number;
  /** How long connect() keeps trying before it rejects; also bounds each hello → welcome. @default 10000 */
  connectTimeoutMs?: number;
  /** How long close() waits for the hub to close the socket after bye. @default 2000 */
  closeTimeoutMs?: number;
  /** Reconnect backoff, or false to end the session when the socket drops. @default { baseMs: 250, maxMs: 10000 } */
  reconnect?: Partial<BackoffOptions> | false;
  /**
   * 'auto': direct messages are acknowledged once every handler has returned (async handlers of
   * onMessage: settled). 'manual': call hub.ack(message) yourself. @default 'auto'
   */
  ack?: 'auto' | 'manual';
}

export const DEFAULTS = {
  requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  connectTimeoutMs: 10_000,
  closeTimeoutMs: 2_000,
  reconnect: DEFAULT_BACKOFF,
  ack: 'auto',
} as const;

export interface Settings {
  url: string;
  token: string | undefined;
  role: Role | undefined;
  WebSocket: WebSocketConstructor;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  closeTimeoutMs: number;
  reconnect: BackoffOptions | false;
  ack: 'auto' | 'manual';
}

/** Defaults merged with the caller's options; contradictions fail here, with a TypeError. */
export function resolveOptions(options: ConnectOptions): Settings {
  const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!WebSocketImpl) {
    throw new TypeError(
      "no WebSocket implementation: this runtime has no global WebSocket. On Node 20, import { connect } from '@switchboard/client/node', or pass the WebSocket option",
    );
  }
  const session = HelloSession.safeParse(options.session);
  if (!session.success) {
    const issue = session.error.issues[0];
    throw new TypeError(`invalid session: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
  }
  const reconnect = options.reconnect === false ? false : { ...DEFAULTS.reconnect, ...options.reconnect };
  if (reconnect && !(reconnect.baseMs > 0 && reconnect.maxMs >= reconnect.baseMs)) {
    throw new TypeError('reconnect needs 0 < baseMs <= maxMs');
  }
  const settings: Settings = {
    url: hubUrl(options.url),
    token: options.token,
    role: options.role,
    WebSocket: WebSocketImpl,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    closeTimeoutMs: options.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs,
    reconnect,
    ack: options.ack ?? DEFAULTS.ack,
  };
  for (const name of ['requestTimeoutMs', 'connectTimeoutMs', 'closeTimeoutMs'] as const) {
    if (!(settings[name] > 0)) throw new TypeError(`${name} must be a positive number of milliseconds`);
  }
  return settings;
}

function hubUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`url "${url}" is not a valid URL`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new TypeError(`url "${url}" must start with ws:// or wss://`);
  }
  if (parsed.pathname === '/') parsed.pathname = WS_PATH;
  return parsed.toString();
}
