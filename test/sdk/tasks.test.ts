// hub.handoff / hub.on('task') / hub.tasks / hub.task against a real hub: a handle follows its
// task to the end (done resolves with every terminal state), offers are accepted and completed,
// declined or failed, and an offer replayed after a resume reaches the listeners once. On the
// embedded engine and on two Redis-backed nodes.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connect } from '@switchboard/client/node';
import type { Hub, OfferedTask, Task, Welcome } from '@switchboard/client/node';
import { startHub } from '@switchboard/server';
import { memoryCluster, redisCluster } from '../helpers/cluster.js';
import type { Cluster, ClusterFactory } from '../helpers/cluster.js';
import { HAS_REDIS, REQUIRE_REDIS } from '../helpers/redis-server.js';
import { until } from '../helpers/wait.js';

const engines: Array<[string, ClusterFactory, boolean]> = [
  ['embedded engine', memoryCluster, true],
  ['two Redis nodes', redisCluster(2), HAS_REDIS || REQUIRE_REDIS],
];

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});
let agentSet = 0;

for (const [name, makeCluster, enabled] of engines) {
  describe.skipIf(!enabled)(`SDK tasks on ${name}`, () => {
    // One cluster for the cases of an engine; each case has sessions (and capabilities) of its own.
    let started: Promise<Cluster> | undefined;
    afterAll(async () => (await started)?.close());

    async function agents(): Promise<[Hub, Hub, Hub]> {
      const cluster = await (started ??= makeCluster());
      const n = ++agentSet;
      // Ids sort in join order, so bob (older) is offered before carol even if they joined in the same millisecond.
      const alice = await connect({ url: cluster.url(0), session: { id: `a${n}-alice`, name: 'alice', capabilities: ['plan'] } });
      open.push(alice);
      const bob = await connect({ url: cluster.url(1), session: { id: `b${n}-bob`, name: 'bob', capabilities: [`review${n}`] } });
      open.push(bob);
      const carol = await connect({ url: cluster.url(0), session: { id: `c${n}-carol`, name: 'carol', capabilities: [`review${n}`] } });
      open.push(carol);
      return [alice, bob, carol];
    }

    it('handoff: the handle settles on completion; the offer is accepted and completed', async () => {
      const [alice, bob, carol] = await agents();
      const offers: OfferedTask[] = [];
      bob.on('task', async (offer) => {
        offers.push(offer);
        expect(offer.task).toMatchObject({ title: 'Review PR 42', state: 'offered', offeredTo: bob.id });
        const accepted = await offer.accept();
        expect(accepted).toMatchObject({ state: 'accepted', assignee: bob.id });
        await offer.complete({ approved: true });
      });
      carol.on('task', () => expect.fail('carol is younger than bob: the offer goes to bob'));

      const handle = await alice.handoff({ title: 'Review PR 42', body: { pr: 42 } }, { capability: `review${agentSet}` });
      expect(handle.id).toBe(handle.task.id);
      expect(handle.task).toMatchObject({ from: alice.id, capability: `review${agentSet}`, body: { pr: 42 } });
      const updates: Task[] = [];
      handle.on('update', (task) => updates.push(task));
      const done = await handle.done;
      expect(done).toMatchObject({ state: 'completed', assignee: bob.id, result: { approved: true } });
      expect(done.history.map((h) => h.state)).toEqual(['offered', 'accepted', 'completed']);
      expect(handle.task).toEqual(done);
      expect(updates.at(-1)).toEqual(done);
      expect(offers).toHaveLength(1);
      await until(() => offers[0]!.task.state === 'completed', 5000, 'the offer sees its own completion');

      expect(await alice.tasks({ role: 'created' })).toEqual([done]);
      expect(await bob.tasks({ role: 'assigned', state: 'completed' })).toEqual([done]);
      expect(await bob.tasks({ role: 'assigned', state: 'offered' })).toEqual([]);
      expect(await carol.task(handle.id)).toEqual(done);
      expect(await carol.task('no-such-task')).toBeNull();
    });

    it('done resolves with the terminal state: declined, failed, expired, canceled', async () => {
      const [alice, bob, carol] = await agents();
      carol.on('task', (offer) => void offer.decline('busy'));
      bob.on('task', async (offer) => {
        await offer.accept();
        await offer.fail('no network');
      });

      const declined = await (await alice.handoff({ title: 'to carol' }, { to: carol.id })).done;
      expect(declined).toMatchObject({ state: 'declined' });
      expect(declined.history.at(-1)).toMatchObject({ by: carol.id, reason: 'busy' });

      const failed = await (await alice.handoff({ title: 'to bob' }, { to: bob.id })).done;
      expect(failed).toMatchObject({ state: 'failed', error: 'no network', assignee: bob.id });

      const nobody = await alice.handoff({ title: 'nobody' }, { capability: 'nobody-has-it' });
      expect(nobody.task.state).toBe('expired');
      expect(await nobody.done).toMatchObject({ state: 'expired' });

      // Alice has no task listener: the offer stands until bob cancels it.
      const waiting = await bob.handoff({ title: 'to alice' }, { to: alice.id }, { acceptMs: 60_000 });
      expect((await alice.tasks({ role: 'assigned', state: 'offered' })).map((t) => t.id)).toEqual([waiting.id]);
      expect(await waiting.cancel()).toMatchObject({ state: 'canceled' });
      expect(await waiting.done).toMatchObject({ state: 'canceled' });
      await expect(waiting.cancel()).rejects.toMatchObject({ code: 'conflict' });

      await expect(alice.handoff({ title: 'bad' }, { to: 'no-such-session' })).rejects.toMatchObject({ code: 'not_found' });
      const first = await bob.handoff({ title: 'once' }, { to: alice.id }, { idempotencyKey: 'k' });
      const again = await bob.handoff({ title: 'once' }, { to: alice.id }, { idempotencyKey: 'k' });
      expect(again.id).toBe(first.id);
    });
  });
}

describe('SDK tasks and resume (embedded engine)', () => {
  it('hands an offer replayed after a resume to the listeners once; the offer still works', async () => {
    const hub = await startHub({ port: 0, logLevel: 'silent', heartbeatMs: 500, resumeWindowMs: 5000 });
    open.push(hub);
    const alice = await connect({ url: hub.url, session: { name: 'alice' } });
    open.push(alice);
    // Manual acks: the unacknowledged message before the offer holds every ack back, so the
    // resume replays both, and the SDK must drop the offer it has already handled.
    const bob = await connect({ url: hub.url, session: { name: 'bob' }, ack: 'manual', reconnect: { baseMs: 20, maxMs: 50 } });
    open.push(bob);
    const offers: OfferedTask[] = [];
    bob.on('task', (offer) => offers.push(offer));
    const messages: unknown[] = [];
    bob.on('message', (m) => messages.push(m.body));
    const welcomes: Welcome[] = [];
    bob.on('welcome', (w) => welcomes.push(w));

    await alice.send(bob.id, 'not acked');
    const handle = await alice.handoff({ title: 'replayed' }, { to: bob.id }, { acceptMs: 30_000 });
    await until(() => offers.length === 1 && messages.length === 1, 5000, 'message and offer');

    const conn = hub.connections.find((c) => c.session?.id === bob.id);
    conn!.ws.terminate();
    await until(() => welcomes.length === 1, 5000, 'resumed welcome');
    expect(welcomes[0]).toMatchObject({ resumed: true, replayed: 2 });
    await alice.send(bob.id, 'marker');
    await until(() => messages.includes('marker'), 5000, 'marker after the replay');
    expect(messages).toEqual(['not acked', 'marker']);
    expect(offers).toHaveLength(1);

    await offers[0]!.accept();
    await offers[0]!.complete('done');
    expect(await handle.done).toMatchObject({ state: 'completed', result: 'done', assignee: bob.id });
  });

  it('acknowledges task frames once dispatched, so the hub can forget them', async () => {
    const hub = await startHub({ port: 0, logLevel: 'silent', resumeWindowMs: 5000 });
    open.push(hub);
    const alice = await connect({ url: hub.url, session: { name: 'alice' } });
    open.push(alice);
    const bob = await connect({ url: hub.url, session: { name: 'bob' } });
    open.push(bob);
    bob.on('task', (offer) => void offer.accept());
    const handle = await alice.handoff({ title: 'ack me' }, { to: bob.id });
    await until(() => handle.task.state === 'accepted', 5000, 'accepted');
    // bob received the offer and the accepted update; alice the accepted update.
    await until(async () => (await hub.engine.inbox('default', bob.id, 0)).length === 0, 5000, "bob's inbox acknowledged");
    await until(async () => (await hub.engine.inbox('default', alice.id, 0)).length === 0, 5000, "alice's inbox acknowledged");
  });
});
