// One WebSocket to the hub: the hello → welcome handshake, the single decode of inbound frames,
// a liveness check, and one report of how the socket ended.
import { ServerFrame } from '@switchboard/protocol';
import type { ClientFrame, Hello, Welcome } from '@switchboard/protocol';
import { HubError, errorFromClose } from './errors.js';

// Method syntax makes the parameter bivariant, so both the DOM WebSocket and `ws` (whose event
// types differ) satisfy this interface without casts.
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** The part of the standard WebSocket API the SDK uses; the browser's and `ws`'s both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface CloseInfo {
  code: number;
  reason: string;
  /** Whether the hub had answered hello with welcome on this socket. */
  welcomed: boolean;
  /** What the close means, as the error a caller would see. */
  error: HubError;
}

export interface ConnectionHandlers {
  welcome(frame: Welcome): void;
  /** Every valid frame after welcome. */
  frame(frame: ServerFrame): void;
  /** An inbound frame that is not valid JSON or not a known frame; it is dropped. */
  invalid(error: HubError): void;
  /** Called exactly once. */
  close(info: CloseInfo): void;
}

export interface ConnectionOptions {
  WebSocket: WebSocketConstructor;
  url: string;
  hello: Hello;
  /** How long to wait from opening the socket to welcome. */
  welcomeTimeoutMs: number;
}

const OPEN = 1;

export class Connection {
  /** Settles (never rejects) when the socket has ended, however it ended. */
  readonly closed: Promise<CloseInfo>;
  #resolveClosed!: (info: CloseInfo) => void;
  readonly #handlers: ConnectionHandlers;
  #socket: WebSocketLike | null = null;
  #welcome: Welcome | null = null;
  #ended = false;
  #refusal: string | undefined;
  #socketError: unknown;
  #lastInbound = Date.now();
  #pingSentAt: number | null = null;
  #lastCheck = 0;
  readonly #welcomeTimer: ReturnType<typeof setTimeout>;
  #liveness: ReturnType<typeof setInterval> | undefined;

  constructor(options: ConnectionOptions, handlers: ConnectionHandlers) {
    this.#handlers = handlers;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#welcomeTimer = setTimeout(
      () => this.#end(1000, 'no welcome in time', new HubError('timeout', `no welcome within ${options.welcomeTimeoutMs} ms`)),
      options.welcomeTimeoutMs,
    );
    let socket: WebSocketLike;
    try {
      socket = new options.WebSocket(options.url);
    } catch (err) {
      // Reported like any other failed attempt, but after the caller holds this object.
      queueMicrotask(() => this.#end(1006, '', new HubError('unavailable', `cannot open a WebSocket to ${options.url}`, { cause: err })));
      return;
    }
    this.#socket = socket;
    const helloText = JSON.stringify(options.hello);
    socket.onopen = () => {
      if (!this.#ended) this.#trySend(helloText);
    };
    socket.onmessage = (event) => {
      if (!this.#ended) this.#receive(event.data);
    };
    // Kept for the whole life of the socket: `ws` throws on an 'error' nobody listens to.
    socket.onerror = (event) => {
      this.#socketError = event;
    };
    socket.onclose = (event) => this.#end(event.code, event.reason ?? '');
  }

  get welcome(): Welcome | null {
    return this.#welcome;
  }

  /** Writes a frame; false when the socket is not open (the frame is not sent). */
  send(frame: ClientFrame): boolean {
    return !this.#ended && this.#welcome !== null && this.#trySend(JSON.stringify(frame));
  }

  /** Closes the socket and reports the close now, without waiting for the hub's close handshake. */
  close(code = 1000, reason = '', error?: HubError): void {
    this.#end(code, reason, error ?? new HubError('unavailable', reason || 'connection closed by the client'));
  }

  #trySend(text: string): boolean {
    if (this.#socket?.readyState !== OPEN) return false;
    try {
      this.#socket.send(text);
      return true;
    } catch {
      return false;
    }
  }

  #receive(data: unknown): void {
    this.#lastInbound = Date.now();
    const frame = decode(data);
    if (frame instanceof HubError) return this.#handlers.invalid(frame);
    if (this.#welcome) return this.#handlers.frame(frame);
    if (frame.type === 'welcome') return this.#welcomed(frame);
    // A hub that refuses hello says why in an error frame before it closes.
    if (frame.type === 'error') this.#refusal = frame.message;
  }

  #welcomed(welcome: Welcome): void {
    this.#welcome = welcome;
    clearTimeout(this.#welcomeTimer);
    this.#lastCheck = Date.now();
    if (welcome.heartbeatMs > 0) this.#liveness = setInterval(() => this.#checkLiveness(welcome.heartbeatMs), welcome.heartbeatMs);
    this.#handlers.welcome(welcome);
  }

  // The hub's WebSocket pings are invisible to the browser API, so a half-open socket would look
  // healthy forever: after a quiet heartbeat we ask for a pong, and if nothing at all has come
  // back by the next check, we give up on the socket. A check that runs late (a busy event loop,
  // a throttled background tab) passes no verdict: the answer may be waiting to be read.
  #checkLiveness(heartbeatMs: number): void {
    const now = Date.now();
    const late = now - this.#lastCheck > 1.5 * heartbeatMs;
    this.#lastCheck = now;
    if (this.#pingSentAt !== null) {
      if (this.#lastInbound < this.#pingSentAt && !late) {
        this.close(1000, 'hub silent', new HubError('unavailable', `the hub did not answer a ping within ${now - this.#pingSentAt} ms`));
        return;
      }
      this.#pingSentAt = null;
    }
    if (now - this.#lastInbound >= heartbeatMs && this.#trySend(JSON.stringify({ type: 'ping' }))) this.#pingSentAt = now;
  }

  #end(code: number, reason: string, error?: HubError): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#welcomeTimer);
    clearInterval(this.#liveness);
    // Browsers only let a client send 1000 or 3000-4999.
    const sendable = code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000;
    try {
      this.#socket?.close(sendable, reason.slice(0, 120));
    } catch {
      // Already closing or closed.
    }
    const info: CloseInfo = {
      code,
      reason,
      welcomed: this.#welcome !== null,
      error: error ?? errorFromClose(code, reason || this.#refusal || socketErrorMessage(this.#socketError), this.#socketError),
    };
    this.#resolveClosed(info);
    this.#handlers.close(info);
  }
}

/** The one decode path for hub frames: a typed frame, or the HubError saying why not. */
export function decode(data: unknown): ServerFrame | HubError {
  if (typeof data !== 'string') return new HubError('internal', 'the hub sent a binary frame');
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch (err) {
    return new HubError('internal', 'the hub sent a frame that is not JSON', { cause: err });
  }
  const parsed = ServerFrame.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  return new HubError('internal', `the hub sent an invalid frame: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(), {
    cause: parsed.error,
  });
}

function socketErrorMessage(event: unknown): string {
  const message = (event as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : '';
}
