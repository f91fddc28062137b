// The LockStore interface: distributed locks with fencing tokens, one per engine. MemoryLocks
// runs it in process, RedisLocks across nodes; both pass the lock cases of the conformance suite.
// Rules every store keeps:
// - `fence` is +1 on every grant of a name and never goes back (not after release, not after expiry);
// - waiters are granted in FIFO order, atomically with the release or expiry that frees the lock;
//   a waiter whose wait ended or whose session is gone is skipped;
// - a lock is freed when its TTL passes or when its holder's session ends (releaseSession).
import { randomBytes } from 'node:crypto';
import type { Lock, LockGrant } from '@switchboard/protocol';

export interface AcquireRequest {
  name: string;
  /** Session id of the requester, who becomes the holder. */
  holder: string;
  ttlMs: number;
  /** Absent: answer at once. A number: wait at most that long. Infinity: until granted. */
  waitMs?: number;
}

/**
 * `held`: someone else holds it and the request did not wait. `timeout`: the wait ended.
 * `cancelled`: the wait was aborted (its socket closed) or the store stopped.
 */
export type AcquireResult =
  | { outcome: 'granted'; lock: LockGrant }
  | { outcome: 'held' }
  | { outcome: 'timeout' }
  | { outcome: 'cancelled' };

/** `held`: another token holds the lock now. `not_held`: nobody does. */
export type RenewResult = { outcome: 'renewed'; lock: LockGrant } | { outcome: 'held' } | { outcome: 'not_held' };

export interface LockStore {
  /** Grants the lock, or queues the request when `waitMs` is set; `signal` aborts a wait. */
  acquire(ns: string, request: AcquireRequest, signal?: AbortSignal): Promise<AcquireResult>;
  /** Extends a lock `token` still holds to now + ttlMs; the fence stays. */
  renew(ns: string, name: string, token: string, ttlMs: number): Promise<RenewResult>;
  /** Frees the lock if `token` holds it (and grants the next waiter); false otherwise. */
  release(ns: string, name: string, token: string): Promise<boolean>;
  /** Held locks whose name starts with `prefix`, by name. */
  list(ns: string, prefix: string): Promise<Lock[]>;
  /** Frees every lock the session holds; called once when the session really ends. */
  releaseSession(ns: string, sessionId: string): Promise<void>;
}

/** An unguessable lock token (24 base64url characters, 144 random bits). */
export function newLockToken(): string {
  return randomBytes(18).toString('base64url');
}

/** Sorts by name, the order lock.list answers in. */
export function byName(a: Lock, b: Lock): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
