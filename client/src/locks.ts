// hub.lock / hub.withLock / hub.locks: distributed locks with fencing tokens. A HeldLock carries
// the token (the private proof of ownership that renew and release need) and the fence to pass
// to fenced memory writes, so that a holder whose lock expired cannot overwrite its successor.
import type { Lock, LockGrant } from '@switchboard/protocol';
import type { HubError } from './errors.js';
import type { RequestFn } from './requests.js';

export interface LockOptions {
  /** How long the lock is held unless renewed or released: 1 ms … 24 h. */
  ttlMs: number;
  /**
   * `false` (default): reject with HubError 'conflict' at once if the lock is held. `true`: wait
   * until granted. A number: wait at most that many ms, then reject with 'timeout'. Waiters are
   * granted in the order they asked.
   */
  wait?: boolean | number;
}

export interface HeldLock {
  readonly name: string;
  /** Proves ownership to the hub; keep it private. */
  readonly token: string;
  /** +1 on every grant of this name: pass `{ name, value: fence }` as a memory write's `fence`. */
  readonly fence: number;
  /** When the lock expires unless renewed (hub clock); renew() moves it. */
  readonly expiresAt: number;
  /** Frees the lock; false if it was no longer held with this token (expired, or its session left). */
  release(): Promise<boolean>;
  /** Extends the lock to now + ttlMs (default: the ttlMs it was taken with); HubError 'conflict'/'not_found' if it is lost. */
  renew(ttlMs?: number): Promise<void>;
}

export interface LocksDeps {
  request: RequestFn;
  /** The default request timeout: the margin a bounded wait gets for its answer. */
  requestTimeoutMs: number;
  /** Where failures nobody awaits go (the hub's `error` event). */
  report(error: HubError): void;
}

/** The longest timer setTimeout can hold: the client-side bound of `wait: true`. */
const FOREVER_MS = 2_147_483_647;

export class Locks {
  readonly #deps: LocksDeps;

  constructor(deps: LocksDeps) {
    this.#deps = deps;
  }

  async acquire(name: string, options: LockOptions): Promise<HeldLock> {
    const { ttlMs, wait = false } = options;
    const waits = wait === true || (typeof wait === 'number' && wait > 0);
    // A waiting request is answered when granted or when the hub ends the wait; only then time out here.
    const timeoutMs = !waits ? undefined : wait === true ? FOREVER_MS : Math.min(FOREVER_MS, Number(wait) + this.#deps.requestTimeoutMs);
    const grant = await this.#deps.request('lock.acquire', waits ? { name, ttlMs, wait } : { name, ttlMs }, { timeoutMs });
    return new Held(grant, ttlMs, this.#deps.request);
  }

  async with<T>(name: string, options: LockOptions, fn: (lock: HeldLock) => Promise<T>): Promise<T> {
    const lock = await this.acquire(name, options);
    try {
      return await fn(lock);
    } finally {
      // A failed release must not hide fn's outcome; the lock then ends at its TTL or with the session.
      await lock.release().catch((err: HubError) => this.#deps.report(err));
    }
  }

  async list(prefix?: string): Promise<Lock[]> {
    return (await this.#deps.request('lock.list', prefix === undefined ? {} : { prefix })).locks;
  }
}

class Held implements HeldLock {
  readonly name: string;
  readonly token: string;
  readonly fence: number;
  #expiresAt: number;
  #ttlMs: number;
  readonly #request: RequestFn;

  constructor(grant: LockGrant, ttlMs: number, request: RequestFn) {
    this.name = grant.name;
    this.token = grant.token;
    this.fence = grant.fence;
    this.#expiresAt = grant.expiresAt;
    this.#ttlMs = ttlMs;
    this.#request = request;
  }

  get expiresAt(): number {
    return this.#expiresAt;
  }

  async release(): Promise<boolean> {
    return (await this.#request('lock.release', { name: this.name, token: this.token })).released;
  }

  async renew(ttlMs: number = this.#ttlMs): Promise<void> {
    const grant = await this.#request('lock.renew', { name: this.name, token: this.token, ttlMs });
    this.#expiresAt = grant.expiresAt;
    this.#ttlMs = ttlMs;
  }
}
