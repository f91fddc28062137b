// MemoryLocks: the LockStore of the embedded engine. Everything runs on one event loop, so each
// method is atomic by construction; a timer per held lock frees it at its TTL and grants the
// next waiter.
import type { Lock, LockGrant } from '@switchboard/protocol';
import { byName, newLockToken } from './locks.js';
import type { AcquireRequest, AcquireResult, LockStore, RenewResult } from './locks.js';

interface Held {
  holder: string;
  token: string;
  fence: number;
  expiresAt: number;
  timer: NodeJS.Timeout | undefined;
}

interface Waiter {
  holder: string;
  token: string;
  ttlMs: number;
  /** null: waits until granted. */
  deadline: number | null;
  settle(result: AcquireResult): void;
}

interface Space {
  held: Map<string, Held>;
  /** The fence of the latest grant of each name; kept after the lock is gone, so it never goes back. */
  fences: Map<string, number>;
  queues: Map<string, Waiter[]>;
}

export class MemoryLocks implements LockStore {
  private readonly spaces = new Map<string, Space>();

  /** `isLive` says whether a session is still registered (a waiter whose session is gone is skipped). */
  constructor(private readonly isLive: (ns: string, id: string) => boolean) {}

  async acquire(ns: string, request: AcquireRequest, signal?: AbortSignal): Promise<AcquireResult> {
    const space = this.space(ns);
    const now = Date.now();
    this.settle(ns, space, request.name, now);
    if (!space.held.has(request.name)) {
      return { outcome: 'granted', lock: this.grant(ns, space, request.name, request.holder, newLockToken(), request.ttlMs, now) };
    }
    if (request.waitMs === undefined) return { outcome: 'held' };
    if (signal?.aborted) return { outcome: 'cancelled' };
    return this.enqueue(space, request, now, signal);
  }

  async renew(ns: string, name: string, token: string, ttlMs: number): Promise<RenewResult> {
    const space = this.space(ns);
    const now = Date.now();
    this.settle(ns, space, name, now);
    const held = space.held.get(name);
    if (!held) return { outcome: 'not_held' };
    if (held.token !== token) return { outcome: 'held' };
    held.expiresAt = now + ttlMs;
    this.arm(ns, name, held);
    return { outcome: 'renewed', lock: grantOf(name, held) };
  }

  async release(ns: string, name: string, token: string): Promise<boolean> {
    const space = this.space(ns);
    const now = Date.now();
    this.settle(ns, space, name, now);
    if (space.held.get(name)?.token !== token) return false;
    this.free(space, name);
    this.grantNext(ns, space, name, now);
    return true;
  }

  async list(ns: string, prefix: string): Promise<Lock[]> {
    const space = this.spaces.get(ns);
    if (!space) return [];
    const now = Date.now();
    const locks: Lock[] = [];
    for (const [name, held] of space.held) {
      if (!name.startsWith(prefix) || held.expiresAt <= now) continue;
      const waiters = (space.queues.get(name) ?? []).filter((w) => this.waiting(ns, w, now)).length;
      locks.push({ name, holder: held.holder, fence: held.fence, expiresAt: held.expiresAt, waiters });
    }
    return locks.sort(byName);
  }

  async releaseSession(ns: string, sessionId: string): Promise<void> {
    const space = this.spaces.get(ns);
    if (!space) return;
    const now = Date.now();
    for (const [name, queue] of space.queues) {
      for (const waiter of queue.filter((w) => w.holder === sessionId)) waiter.settle({ outcome: 'cancelled' });
      if (queue.length === 0) space.queues.delete(name);
    }
    for (const [name, held] of [...space.held]) {
      if (held.holder !== sessionId) continue;
      this.free(space, name);
      this.grantNext(ns, space, name, now);
    }
  }

  /** The fence of the latest grant of `name` (0 if never granted), for fenced memory writes. */
  currentFence(ns: string, name: string): number {
    return this.spaces.get(ns)?.fences.get(name) ?? 0;
  }

  /** Stops every timer and ends every wait (`cancelled`). */
  stop(): void {
    for (const space of this.spaces.values()) {
      for (const held of space.held.values()) clearTimeout(held.timer);
      for (const queue of space.queues.values()) for (const waiter of [...queue]) waiter.settle({ outcome: 'cancelled' });
    }
    this.spaces.clear();
  }

  private enqueue(space: Space, request: AcquireRequest, now: number, signal: AbortSignal | undefined): Promise<AcquireResult> {
    const { name, holder, ttlMs, waitMs = 0 } = request;
    const finite = Number.isFinite(waitMs);
    return new Promise<AcquireResult>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => waiter.settle({ outcome: 'cancelled' });
      const waiter: Waiter = {
        holder,
        token: newLockToken(),
        ttlMs,
        deadline: finite ? now + waitMs : null,
        // Settles once; also takes the waiter out of the queue if it is still there.
        settle: (result) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          const queue = space.queues.get(name);
          const at = queue?.indexOf(waiter) ?? -1;
          if (at >= 0) queue!.splice(at, 1);
          if (queue?.length === 0) space.queues.delete(name);
          resolve(result);
        },
      };
      if (finite) {
        timer = setTimeout(() => waiter.settle({ outcome: 'timeout' }), waitMs);
        timer.unref();
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      let queue = space.queues.get(name);
      if (!queue) space.queues.set(name, (queue = []));
      queue.push(waiter);
    });
  }

  private grant(ns: string, space: Space, name: string, holder: string, token: string, ttlMs: number, now: number): LockGrant {
    const fence = (space.fences.get(name) ?? 0) + 1;
    space.fences.set(name, fence);
    const held: Held = { holder, token, fence, expiresAt: now + ttlMs, timer: undefined };
    space.held.set(name, held);
    this.arm(ns, name, held);
    return grantOf(name, held);
  }

  /** (Re)starts the timer that frees `held` at its expiresAt. */
  private arm(ns: string, name: string, held: Held): void {
    clearTimeout(held.timer);
    held.timer = setTimeout(() => {
      const space = this.spaces.get(ns);
      if (space?.held.get(name) === held) this.settle(ns, space, name, Date.now());
      // A timer may fire a millisecond early; settle left the lock alone then, so look again.
      if (space?.held.get(name) === held) this.arm(ns, name, held);
    }, Math.max(1, held.expiresAt - Date.now()));
    held.timer.unref();
  }

  /** Frees the lock if its time is up, and hands a free lock to the next waiter. */
  private settle(ns: string, space: Space, name: string, now: number): void {
    const held = space.held.get(name);
    if (held && held.expiresAt > now) return;
    if (held) this.free(space, name);
    this.grantNext(ns, space, name, now);
  }

  private free(space: Space, name: string): void {
    clearTimeout(space.held.get(name)?.timer);
    space.held.delete(name);
  }

  /** FIFO: the first waiter still waiting gets the lock; the others ahead of it are dropped. */
  private grantNext(ns: string, space: Space, name: string, now: number): void {
    const queue = space.queues.get(name);
    while (queue && queue.length > 0) {
      const waiter = queue[0]!;
      if (!this.waiting(ns, waiter, now)) {
        waiter.settle({ outcome: waiter.deadline !== null && waiter.deadline <= now ? 'timeout' : 'cancelled' });
        continue;
      }
      const lock = this.grant(ns, space, name, waiter.holder, waiter.token, waiter.ttlMs, now);
      waiter.settle({ outcome: 'granted', lock });
      return;
    }
  }

  private waiting(ns: string, waiter: Waiter, now: number): boolean {
    return (waiter.deadline === null || waiter.deadline > now) && this.isLive(ns, waiter.holder);
  }

  private space(ns: string): Space {
    let space = this.spaces.get(ns);
    if (!space) this.spaces.set(ns, (space = { held: new Map(), fences: new Map(), queues: new Map() }));
    return space;
  }
}

function grantOf(name: string, held: Held): LockGrant {
  return { name, token: held.token, fence: held.fence, expiresAt: held.expiresAt };
}
