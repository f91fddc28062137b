// The "done when" of the core: two Node agents using the SDK against a real hub see each other
// join, exchange a request/response, share a memory entry with CAS, and see each other leave.
// The same story runs on the embedded engine and on two Redis-backed nodes.
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connect, HubError } from '@switchboard/client/node';
import type { Hub, Presence } from '@switchboard/client/node';
import { memoryCluster, redisCluster } from '../helpers/cluster.js';
import type { Cluster, ClusterFactory } from '../helpers/cluster.js';
import { HAS_REDIS, REQUIRE_REDIS } from '../helpers/redis-server.js';

const engines: Array<[string, ClusterFactory, boolean]> = [
  ['embedded engine', memoryCluster, true],
  ['two Redis nodes', redisCluster(2), HAS_REDIS || REQUIRE_REDIS],
];

for (const [name, makeCluster, enabled] of engines) {
  describe.skipIf(!enabled)(`two SDK agents on ${name}`, () => {
    const open: Array<Hub | Cluster> = [];
    afterEach(async () => {
      for (const x of open.splice(0).reverse()) await x.close();
    });

    it('see each other join, ask and answer, share memory with CAS, and see each other leave', async () => {
      const cluster = await makeCluster();
      open.push(cluster);
      const alice = await connect({ url: cluster.url(0), session: { name: 'alice', agentType: 'planner', capabilities: ['plan'] } });
      open.push(alice);
      const seenByAlice: Presence[] = [];
      const snapshot: string[] = [];
      await alice.watchPresence((p) => seenByAlice.push(p), { onSnapshot: (s) => snapshot.push(...s.map((x) => x.name)) });
      expect(snapshot).toEqual(['alice']);

      const bob = await connect({ url: cluster.url(1), session: { name: 'bob', agentType: 'coder', capabilities: ['code'] } });
      open.push(bob);
      await until(() => seenByAlice.some((p) => p.event === 'join' && p.session.id === bob.id));
      expect((await bob.sessions({ capability: 'plan' })).map((s) => s.id)).toEqual([alice.id]);

      // Bob answers questions typed by a schema; Alice asks with a typed response.
      const Question = z.object({ question: z.string() });
      bob.onMessage(Question, async (body, message) => {
        if (message.kind === 'request') await bob.reply(message, { answer: body.question.length });
      });
      const reply = await alice.request(bob.id, { question: 'how long is this?' }, { timeoutMs: 5000, schema: z.object({ answer: z.number() }) });
      expect(reply.body.answer).toBe('how long is this?'.length);
      expect(reply.from).toBe(bob.id);

      // A request to nobody fails with a typed error.
      await expect(alice.request('nobody-here', {}, { timeoutMs: 2000 })).rejects.toMatchObject({ code: 'not_found' });

      // Shared memory with compare-and-set: Bob's stale write loses, and he sees Alice's.
      const changes: string[] = [];
      await bob.memory.watch('plan/', (c) => changes.push(`${c.op}:${c.key}:${c.version}`));
      const v1 = await alice.memory.set('plan/current', { steps: ['design'] }, { kind: 'decision', ifVersion: 0 });
      const seen = await bob.memory.get('plan/current');
      expect(seen?.value).toEqual({ steps: ['design'] });
      await alice.memory.set('plan/current', { steps: ['design', 'build'] }, { ifVersion: v1.version });
      const stale = await bob.memory.set('plan/current', { steps: ['oops'] }, { ifVersion: v1.version }).catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(HubError);
      expect(stale).toMatchObject({ code: 'conflict', version: 2, retryable: false });
      expect((await bob.memory.get('plan/current'))?.value).toEqual({ steps: ['design', 'build'] });
      await until(() => changes.length >= 2);
      expect(changes).toEqual(['set:plan/current:1', 'set:plan/current:2']);

      // Status updates reach the watcher.
      await bob.update({ status: 'working', task: 'building' });
      await until(() => seenByAlice.some((p) => p.event === 'update' && p.session.status === 'working' && p.session.task === 'building'));

      await bob.close();
      await until(() => seenByAlice.some((p) => p.event === 'leave' && p.session.id === bob.id));
      expect(seenByAlice.find((p) => p.event === 'leave')?.reason).toBe('bye');
      expect(bob.state).toBe('closed');
    });
  });
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
