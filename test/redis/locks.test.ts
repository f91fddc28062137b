// Locks on the Redis engine beyond the conformance cases: a node that dies (SIGKILL) gives up its
// sessions' locks to the next waiter on another node, a waiter queued on the dead node is skipped,
// the fence counter outlives every lock, and Redis keeps no lock state once nothing is held.
import { describe, expect, it } from 'vitest';
import type { Lock, LockGrant } from '@switchboard/protocol';
import { HAS_REDIS, REQUIRE_REDIS } from '../helpers/redis-server.js';
import { useRedisNodes } from '../helpers/redis-nodes.js';
import { until } from '../helpers/wait.js';

const HEARTBEAT_MS = 300;

describe.skipIf(!HAS_REDIS && !REQUIRE_REDIS)('locks on the Redis engine', () => {
  const hub = useRedisNodes(3, { 'heartbeat-ms': HEARTBEAT_MS, 'resume-window-ms': 0 }, 'locks');

  const join = (node: number, id: string) => hub.join(node, { id });

  it('hands a crashed node’s locks to the next live waiter, and leaves no lock state behind', async () => {
    const holder = await join(2, 'holder');
    const doomedWaiter = await join(2, 'doomed');
    const survivor = await join(1, 'survivor');
    const observer = await join(0, 'observer');
    const lockOf = async (name: string) => (await observer.ok<{ locks: Lock[] }>({ type: 'lock.list', prefix: name })).locks[0];

    const g = await holder.ok<LockGrant>({ type: 'lock.acquire', name: 'crash/job', ttlMs: 60_000 });
    void doomedWaiter.request({ type: 'lock.acquire', name: 'crash/job', ttlMs: 60_000, wait: true }, 10_000).catch(() => {});
    await until(async () => (await lockOf('crash/job'))?.waiters === 1, 3000, 'the doomed waiter queued');
    const next = survivor.ok<LockGrant>({ type: 'lock.acquire', name: 'crash/job', ttlMs: 5000, wait: true }, 10_000);
    await until(async () => (await lockOf('crash/job'))?.waiters === 2, 3000, 'the survivor queued');

    await hub.node(2).kill('SIGKILL');
    const crashedAt = Date.now();
    const granted = await next;
    console.log(`lock of a crashed node handed over ${Date.now() - crashedAt} ms after SIGKILL (heartbeat ${HEARTBEAT_MS} ms)`);
    // The holder's TTL was a minute: only the node_down leave can have freed it this soon.
    expect(Date.now() - crashedAt).toBeLessThan(3000);
    // The sweep ends the dead node's sessions one by one: if the holder goes first, the doomed
    // waiter (still registered for that instant) is granted and freed again, spending one fence.
    expect([g.fence + 1, g.fence + 2]).toContain(granted.fence);
    expect(await lockOf('crash/job')).toMatchObject({ holder: 'survivor', waiters: 0 });

    await survivor.ok({ type: 'lock.release', name: granted.name, token: granted.token });
    const direct = hub.redis.client();
    try {
      // Lock hash, queue, held sets and expiry index are all gone; only the fence counter stays.
      for (const pattern of ['sb:{default}:lock:*', 'sb:{default}:lockq:*', 'sb:{default}:lockh:*', 'sb:{default}:lockx']) {
        expect(await direct.keys(pattern)).toEqual([]);
      }
      const fences = await direct.keys('sb:*:fence:*');
      expect(fences).toEqual(['sb:{default}:fence:crash/job']);
      expect(await direct.get(fences[0]!)).toBe(String(granted.fence));
    } finally {
      direct.disconnect();
    }
    // The fence goes on from where it was.
    expect((await observer.ok<LockGrant>({ type: 'lock.acquire', name: 'crash/job', ttlMs: 1000 })).fence).toBe(granted.fence + 1);
  });
});
