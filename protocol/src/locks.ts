// Distributed locks with fencing tokens: the lock.* request frames, what their `ok` carries, and
// the `fence` a memory write may carry so a stale holder cannot overwrite its successor.
import { z } from 'zod';
import { Rid } from './shapes.js';

/** The longest a lock may be held without renewal, and the longest an acquire may wait. */
export const MAX_LOCK_TTL_MS = 24 * 3600 * 1000;

export const LockName = z.string().regex(/^[A-Za-z0-9._:/-]{1,256}$/, 'lock name must be 1-256 chars of [A-Za-z0-9._:/-]');
export const LockPrefix = z.string().regex(/^[A-Za-z0-9._:/-]{0,256}$/, 'prefix must be 0-256 chars of [A-Za-z0-9._:/-]');
export const LockTtl = z.number().int().min(1).max(MAX_LOCK_TTL_MS);
export const LockToken = z.string().min(1).max(128);
/** A fence value: the `fence` of some grant of a lock (grants count from 1). */
export const FenceValue = z.number().int().min(1);

/** `true`: wait until granted (or the session ends); a number: wait at most that many ms; 0/false: answer at once. */
export const LockWait = z.union([z.boolean(), z.number().int().min(0).max(MAX_LOCK_TTL_MS)]);

export const LockAcquire = z.object({
  type: z.literal('lock.acquire'),
  rid: Rid,
  name: LockName,
  ttlMs: LockTtl,
  wait: LockWait.optional(),
});
export type LockAcquire = z.infer<typeof LockAcquire>;

export const LockRenew = z.object({
  type: z.literal('lock.renew'),
  rid: Rid,
  name: LockName,
  token: LockToken,
  ttlMs: LockTtl,
});
export type LockRenew = z.infer<typeof LockRenew>;

export const LockRelease = z.object({ type: z.literal('lock.release'), rid: Rid, name: LockName, token: LockToken });
export type LockRelease = z.infer<typeof LockRelease>;

export const LockList = z.object({ type: z.literal('lock.list'), rid: Rid, prefix: LockPrefix.optional() });
export type LockList = z.infer<typeof LockList>;

/** On `memory.set`: write only if no grant of lock `name` newer than `value` exists. */
export const WriteFence = z.object({ name: LockName, value: FenceValue });
export type WriteFence = z.infer<typeof WriteFence>;

/** What a granted (or renewed) lock answers with. `token` proves ownership; keep it private. */
export const LockGrant = z.object({
  name: z.string(),
  token: z.string(),
  /** +1 on every grant of this name, never reused: pass it as a memory write's `fence`. */
  fence: z.number(),
  expiresAt: z.number(),
});
export type LockGrant = z.infer<typeof LockGrant>;

/** A held lock as lock.list shows it (no token). */
export const Lock = z.object({
  name: z.string(),
  /** Session id of the holder. */
  holder: z.string(),
  fence: z.number(),
  expiresAt: z.number(),
  /** Acquires queued behind the holder that are still waiting. */
  waiters: z.number(),
});
export type Lock = z.infer<typeof Lock>;

/** What `ok` carries for each lock request (merged into Results). */
export interface LockResults {
  'lock.acquire': LockGrant;
  'lock.renew': LockGrant;
  'lock.release': { released: boolean };
  'lock.list': { locks: Lock[] };
}
