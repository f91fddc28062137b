// Locks on the Redis engine beyond the conformance cases: a node that dies (SIGKILL) gives up its
// sessions' locks to the next waiter on another node, a waiter queued on the dead node is skipped,
// the fence counter outlives every lock, and Redis keeps no lock state once nothing is held.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lock, LockGrant } from '@switchboard/protocol';
import { HubProcess } from '../helpers/hub-process.js';
import { RawClient } from '../helpers/raw-client.js';
import { HAS_REDIS, REQUIRE_REDIS, RedisServer } from '../helpers/redis-server.js';
import { until } from '../helpers/wait.js';

const HEARTBEAT_MS = 300;

describe.skipIf(!HAS_REDIS && !REQUIRE_REDIS)('locks on the Redis engine', () => {
  let redis: RedisServer;
  let nodes: HubProcess[] = [];
  const clients: RawClient[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    nodes = await Promise.all([0, 1, 2].map((i) => HubProcess.start({ redis: redis.url, 'heartbeat-ms': HEARTBEAT_MS, 'resume-window-ms': 0, 'node-id': `locks${i}` })));
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await Promise.all(nodes.map((n) => n.kill('SIGTERM')));
    await redis.stop();
  });

  async function join(node: number, id: string) {
    const { client } = await RawClient.join(nodes[node]!.url, { id, name: id });
    clients.push(client);
    return client;
  }

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

    await nodes[2]!.kill('SIGKILL');
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
    const direct = redis.client();
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
