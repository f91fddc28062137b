// RedisLocks: the LockStore shared by every node through Redis. State changes are the Lua scripts
// of lock-scripts.ts. A request that waits is pending on the node that holds its socket; the
// script that grants it (on whichever node released, or swept the expiry) publishes
// `{k:'l', …}` on the namespace channel, and that node settles the pending request. A sweeper
// frees expired locks promptly, and also catches a grant whose notification was lost.
import type { Redis } from 'ioredis';
import type { Lock, LockGrant } from '@switchboard/protocol';
import { byName, newLockToken } from '../locks.js';
import type { AcquireRequest, AcquireResult, LockStore, RenewResult } from '../locks.js';
import type { Keys } from './keys.js';
import { LOCK_SCRIPTS } from './lock-scripts.js';
import type { LockScripts } from './lock-scripts.js';

/** A grant for a waiter, on the namespace channel: token, name, fence, expiresAt. */
export interface LockGrantEnvelope {
  k: 'l';
  t: string;
  n: string;
  f: number;
  x: number;
}

export interface RedisLocksOptions {
  redis: Redis;
  keys: Keys;
  /** Wraps a Redis call so that an unreachable Redis becomes EngineUnavailableError. */
  call: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Namespaces where this node holds sessions: it sweeps their expired locks. */
  namespaces: () => Iterable<string>;
  report: (err: unknown, what: string) => void;
  /** How often expired locks are freed and handed on. @default 250 */
  sweepMs?: number;
}

/** The fence counter of a lock name: INCR on every grant, never expires (fenced memory writes read it). */
export function fenceKey(keys: Keys, ns: string, name: string): string {
  return `${keys.prefix}:{${ns}}:fence:${name}`;
}

/** The lock keys of a namespace (documented in server/README.md). */
export class LockKeys {
  constructor(private readonly keys: Keys) {}

  private base(ns: string): string {
    return `${this.keys.prefix}:{${ns}}:`;
  }
  lock(ns: string, name: string): string {
    return `${this.base(ns)}lock:${name}`;
  }
  fence(ns: string, name: string): string {
    return fenceKey(this.keys, ns, name);
  }
  queue(ns: string, name: string): string {
    return `${this.base(ns)}lockq:${name}`;
  }
  held(ns: string, sessionId: string): string {
    return `${this.base(ns)}lockh:${sessionId}`;
  }
  expiries(ns: string): string {
    return `${this.base(ns)}lockx`;
  }
  /** ARGV[1..6] of every lock script. */
  prefixes(ns: string): string[] {
    const base = this.base(ns);
    return [`${base}lock:`, `${base}fence:`, `${base}lockq:`, `${base}lockh:`, this.keys.sessionPrefix(ns), this.keys.nsChannel(ns)];
  }
}

interface Pending {
  ns: string;
  name: string;
  token: string;
  /** The queue entry, once the acquire script has queued it. */
  entry: string | null;
  done: boolean;
  settle(result: AcquireResult): void;
}

export class RedisLocks implements LockStore {
  readonly keys: LockKeys;
  private readonly redis: Redis & LockScripts;
  /** Waits pending on this node, by token. */
  private readonly pending = new Map<string, Pending>();
  private sweeper: NodeJS.Timeout | null = null;
  private sweeping = false;

  constructor(private readonly options: RedisLocksOptions) {
    this.keys = new LockKeys(options.keys);
    this.redis = options.redis as Redis & LockScripts;
    for (const [name, { numberOfKeys, lua }] of Object.entries(LOCK_SCRIPTS)) this.redis.defineCommand(name, { numberOfKeys, lua });
  }

  start(): void {
    this.sweeper = setInterval(() => void this.sweep(), this.options.sweepMs ?? 250);
    this.sweeper.unref();
  }

  /** Stops sweeping and ends every pending wait (`cancelled`). */
  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    for (const pending of [...this.pending.values()]) pending.settle({ outcome: 'cancelled' });
  }

  /** A grant published by a script: settles the wait if it is pending here. */
  granted(ns: string, envelope: LockGrantEnvelope): void {
    const pending = this.pending.get(envelope.t);
    if (!pending || pending.ns !== ns) return;
    pending.settle({ outcome: 'granted', lock: { name: envelope.n, token: envelope.t, fence: envelope.f, expiresAt: envelope.x } });
  }

  async acquire(ns: string, request: AcquireRequest, signal?: AbortSignal): Promise<AcquireResult> {
    const token = newLockToken();
    const args = [...this.lockArgs(ns, request.name), request.holder, token, request.ttlMs];
    const { waitMs } = request;
    if (waitMs === undefined) {
      const [status, fence, expiresAt] = await this.options.call(() => this.redis.sbLockAcquire(...args, -1));
      return status === 1 ? granted(request.name, token, fence, expiresAt) : { outcome: 'held' };
    }
    if (signal?.aborted) return { outcome: 'cancelled' };
    const finite = Number.isFinite(waitMs);
    return new Promise<AcquireResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => void this.endWait(pending, 'cancelled');
      const pending: Pending = {
        ns, name: request.name, token, entry: null, done: false,
        settle: (result) => {
          if (pending.done) return;
          pending.done = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.pending.delete(token);
          resolve(result);
        },
      };
      // Pending before the script runs: its grant may be published before the script's reply arrives.
      this.pending.set(token, pending);
      this.options.call(() => this.redis.sbLockAcquire(...args, finite ? Math.max(1, waitMs) : 0)).then(
        ([status, a, b]) => {
          if (status === 1) return pending.settle(granted(request.name, token, a, b));
          if (status !== 2) return pending.settle({ outcome: 'held' });
          pending.entry = String(a);
          if (pending.done) return;
          if (finite) timer = setTimeout(() => void this.endWait(pending, 'timeout'), waitMs);
          signal?.addEventListener('abort', onAbort, { once: true });
          if (signal?.aborted) onAbort();
        },
        (err: unknown) => {
          pending.done = true;
          this.pending.delete(token);
          reject(err);
        },
      );
    });
  }

  async renew(ns: string, name: string, token: string, ttlMs: number): Promise<RenewResult> {
    const [status, fence, expiresAt] = await this.options.call(() => this.redis.sbLockRenew(...this.lockArgs(ns, name), token, ttlMs));
    if (status === 1) return { outcome: 'renewed', lock: { name, token, fence: Number(fence), expiresAt: Number(expiresAt) } };
    return { outcome: status === 0 ? 'held' : 'not_held' };
  }

  async release(ns: string, name: string, token: string): Promise<boolean> {
    return (await this.options.call(() => this.redis.sbLockRelease(...this.lockArgs(ns, name), token))) === 1;
  }

  async list(ns: string, prefix: string): Promise<Lock[]> {
    const flat = await this.options.call(() => this.redis.sbLockList(this.keys.expiries(ns), ...this.keys.prefixes(ns), prefix));
    const locks: Lock[] = [];
    for (let i = 0; i + 4 < flat.length; i += 5) {
      locks.push({ name: String(flat[i]), holder: String(flat[i + 1]), fence: Number(flat[i + 2]), expiresAt: Number(flat[i + 3]), waiters: Number(flat[i + 4]) });
    }
    return locks.sort(byName);
  }

  async releaseSession(ns: string, sessionId: string): Promise<void> {
    await this.options.call(() => this.redis.sbLockReleaseSession(this.keys.expiries(ns), this.keys.held(ns, sessionId), ...this.keys.prefixes(ns), sessionId));
  }

  /** KEYS and the common ARGV of a script about one lock. */
  private lockArgs(ns: string, name: string): string[] {
    const k = this.keys;
    return [k.expiries(ns), k.lock(ns, name), k.fence(ns, name), k.queue(ns, name), ...k.prefixes(ns), name];
  }

  /** Takes a wait out of the queue, unless it was granted meanwhile (then it is answered with the grant). */
  private async endWait(pending: Pending, reason: 'timeout' | 'cancelled'): Promise<void> {
    if (pending.done || pending.entry === null) return;
    try {
      const [status, fence, expiresAt] = await this.options.call(() =>
        this.redis.sbLockCancel(...this.lockArgs(pending.ns, pending.name), pending.token, pending.entry!),
      );
      pending.settle(status === 1 ? granted(pending.name, pending.token, fence, expiresAt) : { outcome: reason });
    } catch (err) {
      this.options.report(err, 'end lock wait');
      pending.settle({ outcome: reason });
    }
  }

  /** Frees expired locks of the namespaces served here, then looks for grants whose notification was lost. */
  private async sweep(): Promise<void> {
    if (this.sweeping || this.redis.status !== 'ready') return;
    this.sweeping = true;
    try {
      const namespaces = new Set(this.options.namespaces());
      for (const pending of this.pending.values()) namespaces.add(pending.ns);
      for (const ns of namespaces) await this.redis.sbLockSweep(this.keys.expiries(ns), ...this.keys.prefixes(ns));
      const waits = [...this.pending.values()].filter((p) => p.entry !== null);
      if (waits.length === 0) return;
      const pipeline = this.redis.pipeline();
      for (const p of waits) pipeline.hget(this.keys.lock(p.ns, p.name), 'token');
      const rows = (await pipeline.exec()) ?? [];
      waits.forEach((p, i) => {
        if (rows[i]?.[1] === p.token) void this.endWait(p, 'timeout');
      });
    } catch (err) {
      this.options.report(err, 'lock sweep');
    } finally {
      this.sweeping = false;
    }
  }
}

function granted(name: string, token: string, fence: unknown, expiresAt: unknown): AcquireResult {
  const lock: LockGrant = { name, token, fence: Number(fence), expiresAt: Number(expiresAt) };
  return { outcome: 'granted', lock };
}
