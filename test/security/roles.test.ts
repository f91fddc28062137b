// Roles from the token: observers only read and watch, agents also write and send (and delete only
// what they wrote), admins also kick sessions and delete any entry. On the embedded engine and on
// two Redis nodes (a kick crosses nodes there).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '@switchboard/protocol';
import type { ClientFrameType } from '@switchboard/protocol';
import { memoryCluster, redisCluster } from '../helpers/cluster.js';
import type { Cluster, ClusterFactory } from '../helpers/cluster.js';
import { RawClient } from '../helpers/raw-client.js';
import { REQUIRE_REDIS, HAS_REDIS } from '../helpers/redis-server.js';
import { SECRET, token } from '../hub/support.js';
import { useRedisNodes } from '../helpers/redis-nodes.js';

/** One well-formed frame of every type that needs role `agent`: each must be refused to an observer. */
function agentFrames(other: string): Array<Record<string, unknown> & { type: ClientFrameType }> {
  return [
    { type: 'update', status: 'working' },
    { type: 'send', to: other, body: 'hi' },
    { type: 'broadcast', body: 'all' },
    { type: 'memory.set', key: 'obs/k', value: 1 },
    { type: 'memory.delete', key: 'shared/plan' },
    { type: 'lock.acquire', name: 'obs-lock', ttlMs: 5000 },
    { type: 'lock.renew', name: 'obs-lock', token: 'x', ttlMs: 5000 },
    { type: 'lock.release', name: 'obs-lock', token: 'x' },
    { type: 'handoff', to: other, task: { title: 't' } },
    { type: 'task.accept', taskId: 'nope' },
    { type: 'task.complete', taskId: 'nope' },
    { type: 'task.fail', taskId: 'nope', error: 'x' },
    { type: 'task.cancel', taskId: 'nope' },
    { type: 'session.kick', sessionId: other },
  ];
}

const engines: Array<[string, ClusterFactory, boolean]> = [
  ['embedded engine', memoryCluster, true],
  ['2 Redis nodes', redisCluster(2), HAS_REDIS || REQUIRE_REDIS],
];

for (const [name, factory, available] of engines) {
  describe.runIf(available)(`roles (${name})`, () => {
    let cluster: Cluster;
    const clients: RawClient[] = [];
    beforeAll(async () => {
      cluster = await factory({ secret: SECRET, resumeWindowMs: 30_000 });
    }, 30_000);
    afterAll(async () => {
      clients.forEach((c) => c.close());
      await cluster?.close();
    });

    async function join(node: number, role: string, session: Record<string, unknown> & { name: string }, extra: Record<string, unknown> = {}) {
      const { client, welcome } = await RawClient.join(cluster.url(node), session, { token: await token({ ns: 'team', role, ...extra }) });
      clients.push(client);
      return { client, welcome };
    }

    it('an observer reads and watches, and every frame that writes or sends is refused with forbidden and does nothing', async () => {
      const { client: agent } = await join(0, 'agent', { name: 'writer' });
      await agent.ok({ type: 'memory.set', key: 'shared/plan', value: { v: 1 } });
      const { client: observer, welcome } = await join(1, 'observer', { name: 'watcher' });
      expect(welcome).toMatchObject({ ns: 'team', role: 'observer' });

      // Reads and watches work.
      expect((await observer.ok<{ entry: { value: unknown } }>({ type: 'memory.get', key: 'shared/plan' })).entry.value).toEqual({ v: 1 });
      expect((await observer.ok<{ entries: unknown[] }>({ type: 'memory.search', prefix: 'shared/' })).entries).toHaveLength(1);
      await observer.ok({ type: 'memory.watch', prefix: 'shared/' });
      const sessions = (await observer.ok<{ sessions: Array<{ id: string }> }>({ type: 'presence.watch' })).sessions;
      expect(sessions.map((s) => s.id)).toContain(agent.id);
      await observer.ok({ type: 'sessions.list' });
      await observer.ok({ type: 'tasks.list', role: 'assigned' });
      await observer.ok({ type: 'tasks.watch' });
      await observer.ok({ type: 'lock.list' });

      // Everything that writes or sends is refused.
      for (const frame of agentFrames(agent.id)) {
        const answer = await observer.request(frame);
        expect(answer, frame.type).toMatchObject({ type: 'error', code: 'forbidden' });
      }
      // …and none of it happened.
      expect((await agent.ok<{ entry: unknown }>({ type: 'memory.get', key: 'obs/k' })).entry).toBeNull();
      expect((await agent.ok<{ entry: unknown }>({ type: 'memory.get', key: 'shared/plan' })).entry).not.toBeNull();
      await agent.none((f) => f.type === 'message' || f.type === 'task.offer');
      expect((await agent.ok<{ locks: unknown[] }>({ type: 'lock.list' })).locks).toEqual([]);
      const listed = (await agent.ok<{ sessions: Array<{ id: string; status: string }> }>({ type: 'sessions.list' })).sessions;
      expect(listed.find((s) => s.id === observer.id)?.status).not.toBe('working');

      // The observer's watch still sees the agent's writes.
      await agent.ok({ type: 'memory.set', key: 'shared/plan', value: { v: 2 } });
      await observer.nextOf('memory.changed', (f) => f.key === 'shared/plan' && f.op === 'set');
    });

    it('hello may ask for a lower role, never a higher one (4403)', async () => {
      const { client: lowered, welcome } = await join(0, 'admin', { name: 'dash' }, {});
      expect(welcome.role).toBe('admin');
      lowered.close();
      const raw = await RawClient.open(cluster.url(0));
      clients.push(raw);
      raw.send({ type: 'hello', protocol: 1, role: 'observer', token: await token({ ns: 'team', role: 'agent' }), session: { name: 'dash2' } });
      expect(await raw.nextOf('welcome')).toMatchObject({ role: 'observer' });
      expect(await raw.request({ type: 'memory.set', key: 'x', value: 1 })).toMatchObject({ code: 'forbidden' });

      const climber = await RawClient.open(cluster.url(1));
      clients.push(climber);
      climber.send({ type: 'hello', protocol: 1, role: 'admin', token: await token({ ns: 'team', role: 'agent' }), session: { name: 'climber' } });
      expect(await climber.nextOf('error')).toMatchObject({ code: 'forbidden' });
      expect((await climber.closed).code).toBe(CloseCode.forbidden);
    });

    it('an agent deletes only entries it wrote last (this session, or another session of its token subject); an admin deletes any', async () => {
      const { client: alice1 } = await join(0, 'agent', { name: 'alice-1' }, { sub: 'alice' });
      const { client: alice2 } = await join(1, 'agent', { name: 'alice-2' }, { sub: 'alice' });
      const { client: bob } = await join(1, 'agent', { name: 'bob' }, { sub: 'bob' });
      await alice1.ok({ type: 'memory.set', key: 'del/alice', value: 1 });
      expect(await bob.request({ type: 'memory.delete', key: 'del/alice' })).toMatchObject({ type: 'error', code: 'forbidden' });
      expect((await alice2.ok<{ deleted: boolean }>({ type: 'memory.delete', key: 'del/alice' })).deleted).toBe(true);
      // The right follows the last write: once bob overwrites it, it is bob's.
      await alice1.ok({ type: 'memory.set', key: 'del/taken', value: 1 });
      await bob.ok({ type: 'memory.set', key: 'del/taken', value: 2 });
      expect(await alice2.request({ type: 'memory.delete', key: 'del/taken' })).toMatchObject({ type: 'error', code: 'forbidden' });
      expect((await bob.ok<{ deleted: boolean }>({ type: 'memory.delete', key: 'del/taken' })).deleted).toBe(true);
    });

    it('without a sub claim, only the session that wrote an entry last may delete it; an admin deletes any', async () => {
      const { client: a } = await join(0, 'agent', { name: 'author' });
      const { client: b } = await join(1, 'agent', { name: 'other' });
      const { client: admin } = await join(1, 'admin', { name: 'root' });
      await a.ok({ type: 'memory.set', key: 'del/a', value: 1 });
      expect(await b.request({ type: 'memory.delete', key: 'del/a' })).toMatchObject({ type: 'error', code: 'forbidden' });
      expect((await b.ok<{ entry: { version: number } }>({ type: 'memory.get', key: 'del/a' })).entry.version).toBe(1);
      expect((await a.ok<{ deleted: boolean }>({ type: 'memory.delete', key: 'del/a' })).deleted).toBe(true);

      await a.ok({ type: 'memory.set', key: 'del/b', value: 1 });
      expect((await admin.ok<{ deleted: boolean }>({ type: 'memory.delete', key: 'del/b' })).deleted).toBe(true);
      expect((await a.ok<{ entry: unknown }>({ type: 'memory.get', key: 'del/b' })).entry).toBeNull();
      // A delete of nothing is not a permission question.
      expect((await b.ok<{ deleted: boolean }>({ type: 'memory.delete', key: 'del/none' })).deleted).toBe(false);
    });

    it('an admin kicks a session on another node: it is closed 4403 and leaves with reason kicked; agents may not kick', async () => {
      const { client: admin } = await join(0, 'admin', { name: 'root' });
      const { client: watcher } = await join(0, 'observer', { name: 'eyes' });
      await watcher.ok({ type: 'presence.watch' });
      const { client: victim } = await join(1, 'agent', { name: 'victim' });
      const { client: agent } = await join(1, 'agent', { name: 'peer' });
      expect(await agent.request({ type: 'session.kick', sessionId: victim.id })).toMatchObject({ code: 'forbidden' });

      await admin.ok({ type: 'session.kick', sessionId: victim.id });
      expect((await victim.closed).code).toBe(CloseCode.forbidden);
      await watcher.nextOf('presence', (f) => f.event === 'leave' && f.session.id === victim.id && f.reason === 'kicked');
      const listed = (await admin.ok<{ sessions: Array<{ id: string }> }>({ type: 'sessions.list' })).sessions.map((s) => s.id);
      expect(listed).not.toContain(victim.id);
      expect(await admin.request({ type: 'session.kick', sessionId: victim.id })).toMatchObject({ code: 'not_found' });
    });

    it('a kicked away session cannot resume', async () => {
      const { client: admin } = await join(0, 'admin', { name: 'root2' });
      const { client: dropped, welcome } = await join(1, 'agent', { name: 'dropper' });
      dropped.close();
      const watcher = (await join(0, 'observer', { name: 'eyes2' })).client;
      await waitForStatus(watcher, dropped.id, 'away');
      await admin.ok({ type: 'session.kick', sessionId: dropped.id });
      const again = await RawClient.open(cluster.url(1));
      clients.push(again);
      again.send({ type: 'hello', protocol: 1, token: await token({ ns: 'team', role: 'agent' }), session: { name: 'dropper' }, resume: { sessionId: dropped.id, secret: welcome.resumeSecret, lastSeq: 0 } });
      expect(await again.nextOf('welcome')).toMatchObject({ resumed: false, reason: 'expired' });
    });
  });
}

async function waitForStatus(client: RawClient, id: string, status: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const sessions = (await client.ok<{ sessions: Array<{ id: string; status: string }> }>({ type: 'sessions.list' })).sessions;
    if (sessions.find((s) => s.id === id)?.status === status) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`session ${id} never became ${status}`);
}

describe.runIf(HAS_REDIS || REQUIRE_REDIS)('kick of a session whose node crashed (Redis)', () => {
  const nodes = useRedisNodes(2, { secret: SECRET, 'heartbeat-ms': 300, 'resume-window-ms': 30_000 }, 'kc');
  const clients: RawClient[] = [];
  afterAll(() => clients.forEach((c) => c.close()));

  it('is not_found while the dead node is not yet swept (nobody could close it), then ends the away session', async () => {
    const join = async (i: number, role: string, name: string) => {
      const { client } = await RawClient.join(nodes.node(i).url, { name }, { token: await token({ ns: 'crash', role }) });
      clients.push(client);
      return client;
    };
    const admin = await join(0, 'admin', 'root');
    await admin.ok({ type: 'presence.watch' });
    const victim = await join(1, 'agent', 'on-doomed-node');
    await nodes.node(1).kill('SIGKILL');
    // Right after the crash the session still names node 1, which no longer listens.
    expect(await admin.request({ type: 'session.kick', sessionId: victim.id })).toMatchObject({ type: 'error', code: 'not_found' });
    await admin.nextOf('presence', (f) => f.session.id === victim.id && f.session.status === 'away', 10_000);
    await admin.ok({ type: 'session.kick', sessionId: victim.id });
    await admin.nextOf('presence', (f) => f.event === 'leave' && f.session.id === victim.id && f.reason === 'kicked');
  });
});
