// Pending requests by rid: each gets exactly one answer (ok, error or its own timeout), and a
// request made while no socket is up waits for the next one instead of failing.
import type { ClientFrame, ClientFrameOf, ErrorFrame, Ok, Pong, RequestType, Results } from '@switchboard/protocol';
import { HubError, errorFromFrame } from './errors.js';

export type RequestFields<T extends RequestType> = Omit<ClientFrameOf<T>, 'type' | 'rid'>;

export interface RequestOptions {
  /** @default the manager's default (10 s) */
  timeoutMs?: number;
  /** Called when the frame is written to a socket (again, if it is re-sent after a reconnect). */
  onWrite?: () => void;
}

/** How the rest of the SDK issues requests. */
export type RequestFn = <T extends RequestType>(
  type: T,
  fields: RequestFields<T>,
  options?: RequestOptions,
) => Promise<Results[T]>;

/**
 * Requests that are safe to send twice: after a disconnect they are re-sent on the next socket.
 * Every other request that was already written is rejected with `unavailable`, because it may or
 * may not have taken effect and only the caller can decide whether to repeat it.
 */
export const IDEMPOTENT_REQUESTS: ReadonlySet<RequestType> = new Set<RequestType>([
  'ping', 'update', 'sessions.list', 'presence.watch', 'presence.unwatch',
  'memory.get', 'memory.search', 'memory.watch', 'memory.unwatch',
  // Guarded by the lock's token, so a repeat cannot take effect twice.
  'lock.renew', 'lock.release', 'lock.list',
  'task.get', 'tasks.list', 'tasks.watch', 'tasks.unwatch',
]);

/** A send or handoff with an idempotencyKey is answered with the first result if repeated: safe to re-send. */
function hasIdempotencyKey(frame: ClientFrame): boolean {
  return (frame.type === 'send' || frame.type === 'handoff') && frame.idempotencyKey !== undefined;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

interface Pending {
  type: RequestType;
  frame: ClientFrame;
  written: boolean;
  timer: ReturnType<typeof setTimeout>;
  onWrite: (() => void) | undefined;
  resolve(result: object): void;
  reject(error: HubError): void;
}

/** Writes one frame; false when there is no open socket to write to. */
export type WriteFn = (frame: ClientFrame) => boolean;

export class RequestManager {
  // Map order is issue order, which is the order queued requests are flushed in.
  readonly #pending = new Map<string, Pending>();
  #seq = 0;
  #write: WriteFn | null = null;
  #closed: HubError | null = null;

  constructor(readonly defaultTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS) {}

  get size(): number {
    return this.#pending.size;
  }

  readonly request: RequestFn = <T extends RequestType>(
    type: T,
    fields: RequestFields<T>,
    options: RequestOptions = {},
  ): Promise<Results[T]> => {
    if (this.#closed) return Promise.reject(this.#closed);
    const rid = (++this.#seq).toString(36);
    const frame = { ...fields, type, rid } as ClientFrame;
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise<Results[T]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(rid);
        reject(new HubError('timeout', `${type} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const pending: Pending = {
        type, frame, timer, written: false, onWrite: options.onWrite,
        resolve: resolve as (result: object) => void, reject,
      };
      this.#pending.set(rid, pending);
      if (this.#write) this.#writeOne(pending);
    });
  };

  /** A socket is ready: write everything that waits, in issue order, and later requests at once. */
  attach(write: WriteFn): void {
    this.#write = write;
    for (const pending of this.#pending.values()) {
      if (!pending.written) this.#writeOne(pending);
    }
  }

  /** The socket is gone: idempotent requests wait for the next one, the others fail. */
  detach(): void {
    this.#write = null;
    for (const [rid, pending] of this.#pending) {
      if (!pending.written) continue;
      if (IDEMPOTENT_REQUESTS.has(pending.type) || hasIdempotencyKey(pending.frame)) {
        pending.written = false;
        continue;
      }
      this.#settle(rid, pending, () =>
        pending.reject(new HubError('unavailable', `connection lost before ${pending.type} was answered; it may or may not have taken effect`)),
      );
    }
  }

  /** Settles the request an `ok`, `pong` or `error` frame answers; false when no request has its rid. */
  answer(frame: Ok | Pong | ErrorFrame): boolean {
    if (frame.rid === undefined) return false;
    const pending = this.#pending.get(frame.rid);
    if (!pending) return false;
    this.#settle(frame.rid, pending, () => {
      if (frame.type === 'error') return pending.reject(errorFromFrame(frame));
      const { type: _type, rid: _rid, ...result } = frame;
      pending.resolve(result);
    });
    return true;
  }

  /** No more sockets will come: every pending and future request fails with `error`. */
  close(error: HubError): void {
    this.#closed = error;
    this.#write = null;
    for (const [rid, pending] of this.#pending) this.#settle(rid, pending, () => pending.reject(error));
  }

  #writeOne(pending: Pending): void {
    if (!this.#write?.(pending.frame)) return;
    pending.written = true;
    pending.onWrite?.();
  }

  #settle(rid: string, pending: Pending, settle: () => void): void {
    clearTimeout(pending.timer);
    this.#pending.delete(rid);
    settle();
  }
}
