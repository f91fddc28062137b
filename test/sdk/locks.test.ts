// hub.lock / hub.withLock / hub.locks against a real hub: two SDK agents contend for locks, one
// queues behind the other, fenced writes keep a stale holder out, and critical sections run by
// withLock never overlap. On the embedded engine and on two Redis-backed nodes.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, HubError } from '@switchboard/client/node';
import type { Hub } from '@switchboard/client/node';
import { memoryCluster, redisCluster } from '../helpers/cluster.js';
import type { Cluster, ClusterFactory } from '../helpers/cluster.js';
import { HAS_REDIS, REQUIRE_REDIS } from '../helpers/redis-server.js';
import { until } from '../helpers/wait.js';

const engines: Array<[string, ClusterFactory, boolean]> = [
  ['embedded engine', memoryCluster, true],
  ['two Redis nodes', redisCluster(2), HAS_REDIS || REQUIRE_REDIS],
];

for (const [name, makeCluster, enabled] of engines) {
  describe.skipIf(!enabled)(`SDK locks on ${name}`, () => {
    const open: Array<Hub | Cluster> = [];
    afterEach(async () => {
      for (const x of open.splice(0).reverse()) await x.close();
    });

    async function agents(): Promise<[Hub, Hub]> {
      const cluster = await makeCluster();
      open.push(cluster);
      const alice = await connect({ url: cluster.url(0), session: { name: 'alice' } });
      open.push(alice);
      const bob = await connect({ url: cluster.url(1), session: { name: 'bob' } });
      open.push(bob);
      return [alice, bob];
    }

    it('lock: grants, refuses, times out, renews, queues, releases; fenced writes refuse the stale holder', async () => {
      const [alice, bob] = await agents();
      const lock = await alice.lock('deploy', { ttlMs: 5000 });
      expect(lock).toMatchObject({ name: 'deploy', fence: 1 });
      expect(lock.token.length).toBeGreaterThanOrEqual(20);

      const refused = await bob.lock('deploy', { ttlMs: 5000 }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(HubError);
      expect(refused).toMatchObject({ code: 'conflict', retryable: false });
      const timedOut = await bob.lock('deploy', { ttlMs: 5000, wait: 150 }).catch((e: unknown) => e);
      expect(timedOut).toMatchObject({ code: 'timeout', retryable: true });

      const firstExpiry = lock.expiresAt;
      await lock.renew(20_000);
      expect(lock.expiresAt).toBeGreaterThan(firstExpiry + 10_000);
      expect(await bob.locks('dep')).toEqual([{ name: 'deploy', holder: alice.id, fence: 1, expiresAt: lock.expiresAt, waiters: 0 }]);

      const queued = bob.lock('deploy', { ttlMs: 5000, wait: true });
      await until(async () => (await alice.locks('deploy'))[0]?.waiters === 1, 3000, 'bob queued');
      expect(await lock.release()).toBe(true);
      const bobs = await queued;
      expect(bobs.fence).toBe(2);
      expect(await lock.release()).toBe(false);
      await expect(lock.renew()).rejects.toMatchObject({ code: 'conflict' });

      await bob.memory.set('deploy/state', 'bob', { fence: { name: 'deploy', value: bobs.fence } });
      const stale = await alice.memory.set('deploy/state', 'alice', { fence: { name: 'deploy', value: lock.fence } }).catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(HubError);
      expect(stale).toMatchObject({ code: 'conflict', fence: bobs.fence });
      expect((await alice.memory.get('deploy/state'))?.value).toBe('bob');

      // Closing the hub (bye) hands bob's lock to the next waiter.
      const aliceNext = alice.lock('deploy', { ttlMs: 5000, wait: 5000 });
      await until(async () => (await alice.locks('deploy'))[0]?.waiters === 1, 3000, 'alice queued');
      await bob.close();
      expect((await aliceNext).fence).toBe(3);
    });

    it('withLock: critical sections never overlap, and the lock is released after each, also when fn throws', async () => {
      const [alice, bob] = await agents();
      let inside = 0;
      let most = 0;
      const section = (hub: Hub) =>
        hub.withLock('section', { ttlMs: 5000, wait: 5000 }, async (lock) => {
          most = Math.max(most, ++inside);
          // A round trip to the hub while inside, so an overlapping grant would have time to land.
          expect(await hub.locks('section')).toMatchObject([{ holder: hub.id, fence: lock.fence }]);
          inside--;
          return lock.fence;
        });
      const fences = await Promise.all([section(alice), section(bob), section(alice), section(bob)]);
      expect(most).toBe(1);
      expect([...fences].sort((a, b) => a - b)).toEqual([1, 2, 3, 4]);
      expect(await alice.locks()).toEqual([]);

      const boom = await bob.withLock('section', { ttlMs: 5000 }, async () => {
        throw new Error('boom');
      }).catch((e: unknown) => e);
      expect((boom as Error).message).toBe('boom');
      expect(await alice.locks()).toEqual([]);
      expect((await alice.lock('section', { ttlMs: 1000 })).fence).toBe(6);
    });
  });
}
