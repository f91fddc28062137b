// Named locks with fencing tokens: lock_acquire, lock_renew, lock_release, list_locks. The bridge
// keeps each held lock's token (the private proof of ownership) and hands the MCP client the name
// and the fence, which is what it needs for fenced memory writes.
import { z } from 'zod';
import type { HeldLock } from '@switchboard/client/node';
import type { Bridge } from '../bridge.js';
import { defineTool } from '../results.js';
import { LockShape } from '../shapes.js';
import { MAX_WAIT_MS } from './messages.js';

const LockName = z.string().min(1).max(256).describe('lock name: 1-256 chars of A-Z a-z 0-9 . _ : / -');
const Ttl = z.number().int().min(1).max(24 * 3600 * 1000);
const Grant = { name: z.string(), fence: z.number(), expiresAt: z.number() };

const grantOf = (lock: HeldLock) => ({ name: lock.name, fence: lock.fence, expiresAt: lock.expiresAt });

export function registerLockTools(bridge: Bridge): void {
  const { server, hub, heldLocks } = bridge;

  defineTool(server, 'lock_acquire', {
    title: 'Acquire a lock',
    description:
      'Takes a named lock shared by every session, for ttlMs (release it with lock_release; it also ends when ttlMs passes or this session leaves). ' +
      'If another session holds it: fails at once with code "conflict", or with wait, queues until granted (code "timeout" when the wait ends). ' +
      'The fence goes up with every grant: pass {name, value: fence} as memory_set\'s fence so a stale holder cannot overwrite its successor.',
    input: {
      name: LockName,
      ttlMs: Ttl.describe('how long the lock is held unless renewed or released (ms)'),
      wait: z.union([z.boolean(), z.number().int().min(0).max(MAX_WAIT_MS)]).optional()
        .describe(`false (default): fail at once if held; a number: wait at most that many ms; true: wait up to ${MAX_WAIT_MS} ms`),
    },
    output: Grant,
    annotations: { openWorldHint: false },
    async run({ name, ttlMs, wait }) {
      const lock = await hub.lock(name, { ttlMs, wait: wait === true ? MAX_WAIT_MS : (wait ?? false) });
      heldLocks.set(name, lock);
      return { result: grantOf(lock), summary: `Holding ${name} (fence ${lock.fence}) until ${new Date(lock.expiresAt).toISOString()}.` };
    },
  });

  defineTool(server, 'lock_renew', {
    title: 'Renew a lock',
    description: 'Extends a lock this session holds to now + ttlMs (default: the ttlMs it was taken with). Fails with "conflict" or "not_found" if the lock was lost.',
    input: { name: LockName, ttlMs: Ttl.optional() },
    output: Grant,
    annotations: { idempotentHint: true, openWorldHint: false },
    async run({ name, ttlMs }) {
      const lock = heldLocks.get(name);
      if (!lock) throw bridge.error('not_found', `this session does not hold lock "${name}" (take it with lock_acquire)`);
      await lock.renew(ttlMs);
      return { result: grantOf(lock), summary: `Renewed ${name} until ${new Date(lock.expiresAt).toISOString()}.` };
    },
  });

  defineTool(server, 'lock_release', {
    title: 'Release a lock',
    description: 'Frees a lock this session holds. released is false if it was no longer held (it expired, or was never taken through this bridge).',
    input: { name: LockName },
    output: { released: z.boolean() },
    annotations: { idempotentHint: true, openWorldHint: false },
    async run({ name }) {
      const lock = heldLocks.get(name);
      const released = lock ? await lock.release() : false;
      heldLocks.delete(name);
      return { result: { released }, summary: released ? `Released ${name}.` : `${name} was not held by this session.` };
    },
  });

  defineTool(server, 'list_locks', {
    title: 'List locks',
    description: 'The locks held now (holder session id, fence, expiry, waiters), optionally only names that start with prefix.',
    input: { prefix: z.string().max(256).optional() },
    output: { locks: z.array(LockShape) },
    annotations: { readOnlyHint: true, openWorldHint: false },
    async run({ prefix }) {
      const locks = await hub.locks(prefix);
      return { result: { locks }, summary: `${locks.length} lock(s) held${locks.length ? `: ${locks.map((l) => `${l.name} by ${l.holder}`).join(', ')}` : ''}.` };
    },
  });
}
