// The behaviour every engine must share. Each engine's test file calls conformanceSuite with a
// factory for its cluster; clients are spread across the cluster's nodes (url(0), url(1), …),
// so a multi-node cluster runs every case across nodes.
import { SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import type { Entry, ServerFrame, Session } from '@switchboard/protocol';
import type { Cluster, ClusterFactory, ClusterOptions } from '../helpers/cluster.js';
import { useCleanup } from '../helpers/cluster.js';
import { RawClient } from '../helpers/raw-client.js';
import { lockCases } from './locks.js';
import { resumeCases } from './resume.js';
import { taskCases } from './tasks.js';

const SECRET = 'conformance-secret-0123456789';
let namespaceCounter = 0;

type Scoped = Cluster & { ns: string };

/** Every session of the suite acts for one subject, so any of them may delete what another wrote (roles.test.ts tests who may not). */
function tokenFor(ns: string): Promise<string> {
  return new SignJWT({ ns, sub: 'conformance' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));
}

export function conformanceSuite(name: string, makeCluster: ClusterFactory): void {
  describe(`conformance: ${name}`, () => {
    const cleanup = useCleanup();
    // Clusters are costly to start (Redis, child processes), so one per option set serves the
    // whole suite; every test gets a namespace of its own through its token, which isolates it.
    const clusters = new Map<string, Promise<Cluster>>();
    afterAll(async () => {
      for (const c of clusters.values()) await (await c).close();
    });

    async function cluster(options: Omit<ClusterOptions, 'secret'> = {}): Promise<Scoped> {
      const key = JSON.stringify(options);
      if (!clusters.has(key)) clusters.set(key, makeCluster({ ...options, secret: SECRET }));
      const c = await clusters.get(key)!;
      return { ...c, nodes: c.nodes, url: c.url, ns: `t${++namespaceCounter}-${Date.now().toString(36)}` };
    }

    async function join(c: Scoped, node: number, session: Record<string, unknown> & { name: string }, token?: string) {
      const { client, welcome } = await RawClient.join(c.url(node), session, { token: token ?? (await tokenFor(c.ns)) });
      cleanup(() => client.close());
      return Object.assign(client, { welcome });
    }

    async function open(c: Scoped, node: number) {
      const client = await RawClient.open(c.url(node));
      cleanup(() => client.close());
      return client;
    }

    describe('hello and sessions', () => {
      it('assigns a ULID when no id is proposed and keeps a proposed one', async () => {
        const c = await cluster();
        const a = await join(c, 0, { name: 'alpha' });
        expect(a.welcome.sessionId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
        expect(a.welcome.resumeSecret.length).toBeGreaterThanOrEqual(16);
        expect(a.welcome.heartbeatMs).toBeGreaterThan(0);
        expect(a.welcome.limits).toMatchObject({ maxFrameBytes: expect.any(Number), maxValueBytes: expect.any(Number), rateFrames: expect.any(Number), maxPending: expect.any(Number), maxWatches: expect.any(Number), maxKeys: expect.any(Number), maxTags: 32 });
        const b = await join(c, 1, { id: 'agent.b-1', name: 'beta', agentType: 'claude', capabilities: ['review'], task: 't', meta: { x: 1 } });
        expect(b.welcome.sessionId).toBe('agent.b-1');
        expect(b.welcome.session).toMatchObject({ id: 'agent.b-1', name: 'beta', agentType: 'claude', capabilities: ['review'], status: 'active', task: 't', meta: { x: 1 }, user: null, location: null });
      });

      it('refuses an id a live session holds (4409) and the holder keeps working', async () => {
        const c = await cluster();
        const a = await join(c, 0, { id: 'taken', name: 'first' });
        const intruder = await open(c, 1);
        intruder.send({ type: 'hello', protocol: 1, token: await tokenFor(c.ns), session: { id: 'taken', name: 'second' } });
        expect((await intruder.closed).code).toBe(4409);
        const b = await join(c, 1, { name: 'other' });
        await b.ok({ type: 'send', to: 'taken', body: 'still here?' });
        expect((await a.nextOf('message')).body).toBe('still here?');
        const { sessions } = await b.ok<{ sessions: Session[] }>({ type: 'sessions.list' });
        expect(sessions.find((s) => s.id === 'taken')?.name).toBe('first');
      });

      it('answers ping with pong carrying rid and ts', async () => {
        const c = await cluster();
        const a = await join(c, 0, { name: 'a' });
        const before = Date.now();
        a.send({ type: 'ping', rid: 'p1' });
        const pong = await a.nextOf('pong');
        expect(pong.rid).toBe('p1');
        expect(pong.ts).toBeGreaterThanOrEqual(before - 1000);
      });

      it('lists sessions with capability and status filters', async () => {
        const c = await cluster();
        const a = await join(c, 0, { id: 'a', name: 'a', capabilities: ['code', 'review'] });
        await join(c, 1, { id: 'b', name: 'b', capabilities: ['code'], status: 'working' });
        await join(c, 2, { id: 'c', name: 'c' });
        const ids = (r: { sessions: Session[] }) => r.sessions.map((s) => s.id).sort();
        expect(ids(await a.ok({ type: 'sessions.list' }))).toEqual(['a', 'b', 'c']);
        expect(ids(await a.ok({ type: 'sessions.list', capability: 'code' }))).toEqual(['a', 'b']);
        expect(ids(await a.ok({ type: 'sessions.list', capability: 'review' }))).toEqual(['a']);
        expect(ids(await a.ok({ type: 'sessions.list', status: 'working' }))).toEqual(['b']);
        expect(ids(await a.ok({ type: 'sessions.list', capability: 'code', status: 'active' }))).toEqual(['a']);
      });
    });

    describe('presence', () => {
      it('sends a snapshot, then join, update and leave(bye) to watchers', async () => {
        const c = await cluster();
        const w = await join(c, 0, { id: 'watcher', name: 'w' });
        const { sessions } = await w.ok<{ sessions: Session[] }>({ type: 'presence.watch' });
        expect(sessions.map((s) => s.id)).toEqual(['watcher']);

        const b = await join(c, 1, { id: 'b', name: 'bee', capabilities: ['x'] });
        const joined = await w.nextOf('presence', (f) => f.session.id === 'b');
        expect(joined.event).toBe('join');
        expect(joined.session).toMatchObject({ name: 'bee', capabilities: ['x'], status: 'active' });

        const { session } = await b.ok<{ session: Session }>({ type: 'update', status: 'working', task: 'writing tests', meta: { pct: 10 } });
        expect(session).toMatchObject({ status: 'working', task: 'writing tests', meta: { pct: 10 }, capabilities: ['x'] });
        const updated = await w.nextOf('presence', (f) => f.session.id === 'b');
        expect(updated.event).toBe('update');
        expect(updated.session).toMatchObject({ status: 'working', task: 'writing tests' });
        const listed = await w.ok<{ sessions: Session[] }>({ type: 'sessions.list', status: 'working' });
        expect(listed.sessions.map((s) => s.id)).toEqual(['b']);

        b.send({ type: 'bye' });
        expect((await b.closed).code).toBe(1000);
        const left = await w.nextOf('presence', (f) => f.session.id === 'b');
        expect(left).toMatchObject({ event: 'leave', reason: 'bye' });
        const after = await w.ok<{ sessions: Session[] }>({ type: 'sessions.list' });
        expect(after.sessions.map((s) => s.id)).toEqual(['watcher']);
      });

      it('reports an abruptly dropped socket as leave with reason timeout', async () => {
        const c = await cluster();
        const w = await join(c, 0, { id: 'w', name: 'w' });
        await w.ok({ type: 'presence.watch' });
        const b = await join(c, 1, { id: 'b', name: 'b' });
        await w.nextOf('presence', (f) => f.event === 'join' && f.session.id === 'b');
        b.ws.terminate();
        const left = await w.nextOf('presence', (f) => f.event === 'leave' && f.session.id === 'b');
        expect(left.reason).toBe('timeout');
      });

      it('stops presence events after unwatch', async () => {
        const c = await cluster();
        const w = await join(c, 0, { id: 'w', name: 'w' });
        await w.ok({ type: 'presence.watch' });
        await w.ok({ type: 'presence.unwatch' });
        // w's own join may reach the watch through pub/sub before the unwatch: the hub writes a socket's frames in
        // order, so whatever came before the unwatch's ok is from the watch; only what follows it counts.
        for (let i = w.frames.length - 1; i >= 0; i--) if (w.frames[i]!.type === 'presence') w.frames.splice(i, 1);
        const b = await join(c, 1, { id: 'b', name: 'b' });
        await b.ok({ type: 'update', status: 'idle' });
        await b.ok({ type: 'send', to: 'w', body: 'marker' });
        await w.nextOf('message', (f) => f.body === 'marker');
        await w.none((f) => f.type === 'presence');
      });
    });

    describe('messages', () => {
      it('delivers a direct message with its fields and answers ok with msgId', async () => {
        const c = await cluster();
        const a = await join(c, 0, { id: 'a', name: 'a' });
        const b = await join(c, 1, { id: 'b', name: 'b' });
        const { msgId } = await a.ok<{ msgId: string }>({ type: 'send', to: 'b', body: { text: 'hi', n: [1, 2] }, kind: 'notification', thread: 'th-1' });
        const msg = await b.nextOf('message');
        expect(msg).toMatchObject({ msgId, from: 'a', kind: 'notification', body: { text: 'hi', n: [1, 2] }, thread: 'th-1' });
        expect(msg.broadcast).toBeUndefined();
        expect(typeof msg.ts).toBe('number');
        const second = await a.ok<{ msgId: string }>({ type: 'send', to: 'b', body: 2 });
        expect((await b.nextOf('message')).kind).toBe('message');
        expect(second.msgId > msgId).toBe(true);
      });

      it('answers not_found for a recipient that is not online', async () => {
        const c = await cluster();
        const a = await join(c, 0, { id: 'a', name: 'a' });
        const answer = await a.request({ type: 'send', to: 'ghost', body: 1 });
        expect(answer).toMatchObject({ type: 'error', code: 'not_found' });
        a.send({ type: 'send', to: 'ghost', body: 1 });
        expect((await a.nextOf('error')).code).toBe('not_found');
      });

      it('carries a request and its response (replyTo) between two sessions', async () => {
        const c = await cluster();
        const asker = await join(c, 0, { id: 'asker', name: 'asker' });
        const answerer = await join(c, 1, { id: 'answerer', name: 'answerer' });
        const { msgId } = await asker.ok<{ msgId: string }>({ type: 'send', to: 'answerer', kind: 'request', body: { q: 6 * 7 } });
        const req = await answerer.nextOf('message');
        expect(req).toMatchObject({ kind: 'request', msgId, from: 'asker' });
        await answerer.ok({ type: 'send', to: req.from, kind: 'response', replyTo: req.msgId, body: { a: 42 } });
        const res = await asker.nextOf('message');
        expect(res).toMatchObject({ kind: 'response', replyTo: msgId, from: 'answerer', body: { a: 42 } });
      });

      it('broadcasts to every other session, or only those with a capability, and counts recipients', async () => {
        const c = await cluster();
        const a = await join(c, 0, { id: 'a', name: 'a' });
        const b = await join(c, 1, { id: 'b', name: 'b', capabilities: ['gpu'] });
        const d = await join(c, 2, { id: 'd', name: 'd' });
        const all = await a.ok<{ msgId: string; recipients: number }>({ type: 'broadcast', body: 'all' });
        expect(all.recipients).toBe(2);
        for (const r of [b, d]) expect(await r.nextOf('message')).toMatchObject({ msgId: all.msgId, body: 'all', broadcast: true, from: 'a' });
        const gpu = await a.ok<{ recipients: number }>({ type: 'broadcast', body: 'gpu only', capability: 'gpu', kind: 'sync' });
        expect(gpu.recipients).toBe(1);
        expect(await b.nextOf('message')).toMatchObject({ body: 'gpu only', kind: 'sync' });
        await a.none((f) => f.type === 'message');
        await d.none((f) => f.type === 'message' && f.body === 'gpu only', c.nodes > 1 ? 100 : 0);
      });
    });

    describe('memory', () => {
      it('sets, gets, versions and deletes entries', async () => {
        const c = await cluster();
        const a = await join(c, 0, { id: 'a', name: 'a' });
        const b = await join(c, 1, { id: 'b', name: 'b' });
        const first = (await a.ok<{ entry: Entry }>({ type: 'memory.set', key: 'plan/v1', value: { steps: [1, 2] }, kind: 'decision', tags: ['plan', 'q4'] })).entry;
        expect(first).toMatchObject({ key: 'plan/v1', value: { steps: [1, 2] }, kind: 'decision', tags: ['plan', 'q4'], version: 1, author: 'a', expiresAt: null });
        expect(first.createdAt).toBe(first.updatedAt);
        const got = (await b.ok<{ entry: Entry }>({ type: 'memory.get', key: 'plan/v1' })).entry;
        expect(got).toEqual(first);
        const second = (await b.ok<{ entry: Entry }>({ type: 'memory.set', key: 'plan/v1', value: 'v2' })).entry;
        expect(second).toMatchObject({ version: 2, author: 'b', value: 'v2', kind: 'decision', tags: ['plan', 'q4'], createdAt: first.createdAt });
        expect((await a.ok<{ entry: Entry | null }>({ type: 'memory.get', key: 'missing' })).entry).toBeNull();
        expect((await a.ok<{ deleted: boolean }>({ type: 'memory.delete', key: 'plan/v1' })).deleted).toBe(true);
        expect((await a.ok<{ deleted: boolean }>({ type: 'memory.delete', key: 'plan/v1' })).deleted).toBe(false);
        expect((await b.ok<{ entry: Entry | null }>({ type: 'memory.get', key: 'plan/v1' })).entry).toBeNull();
        const again = (await b.ok<{ entry: Entry }>({ type: 'memory.set', key: 'plan/v1', value: 3 })).entry;
        expect(again.version).toBe(1);
      });

      it('compare-and-set: ifVersion must match, 0 means must not exist, conflict carries the version', async () => {
        const c = await cluster();
        const a = await join(c, 0, { id: 'a', name: 'a' });
        const b = await join(c, 1, { id: 'b', name: 'b' });
        await a.ok({ type: 'memory.set', key: 'lock', value: 'a', ifVersion: 0 });
        expect(await b.request({ type: 'memory.set', key: 'lock', value: 'b', ifVersion: 0 })).toMatchObject({ type: 'error', code: 'conflict', version: 1 });
        await b.ok({ type: 'memory.set', key: 'lock', value: 'b', ifVersion: 1 });
        expect(await a.request({ type: 'memory.set', key: 'lock', value: 'a2', ifVersion: 1 })).toMatchObject({ type: 'error', code: 'conflict', version: 2 });
        expect(await a.request({ type: 'memory.set', key: 'nope', value: 1, ifVersion: 3 })).toMatchObject({ type: 'error', code: 'conflict', version: 0 });
        expect(await a.request({ type: 'memory.delete', key: 'lock', ifVersion: 1 })).toMatchObject({ type: 'error', code: 'conflict', version: 2 });
        expect((await a.ok<{ entry: Entry }>({ type: 'memory.get', key: 'lock' })).entry.value).toBe('b');
        expect((await a.ok<{ deleted: boolean }>({ type: 'memory.delete', key: 'lock', ifVersion: 2 })).deleted).toBe(true);
      });

      it('lets exactly one of many concurrent CAS writers win, round after round', async () => {
        const c = await cluster();
        const writers = await Promise.all(Array.from({ length: 15 }, (_, i) => join(c, i, { id: `w${i}`, name: `w${i}` })));
        await writers[0]!.ok({ type: 'memory.set', key: 'counter', value: -1 });
        for (let round = 1; round <= 8; round++) {
          const answers = await Promise.all(writers.map((w, i) => w.request({ type: 'memory.set', key: 'counter', value: i, ifVersion: round })));
          const winners = answers.filter((x) => x.type === 'ok');
          expect(winners).toHaveLength(1);
          expect(answers.filter((x) => x.type === 'error' && x.code === 'conflict' && x.version === round + 1)).toHaveLength(14);
          const { entry } = await writers[round]!.ok<{ entry: Entry }>({ type: 'memory.get', key: 'counter' });
          expect(entry.version).toBe(round + 1);
          expect(entry.author).toBe(`w${entry.value}`);
        }
      });

      it('expires entries at their TTL and tells watchers with op expire', async () => {
        const c = await cluster();
        const a = await join(c, 0, { id: 'a', name: 'a' });
        const w = await join(c, 1, { id: 'w', name: 'w' });
        await w.ok({ type: 'memory.watch', prefix: 'tmp/' });
        const { entry } = await a.ok<{ entry: Entry }>({ type: 'memory.set', key: 'tmp/x', value: 1, ttlMs: 300 });
        expect(entry.expiresAt).toBeGreaterThanOrEqual(entry.updatedAt + 300);
        expect(entry.expiresAt).toBeLessThanOrEqual(entry.updatedAt + 400);
        expect(await w.nextOf('memory.changed', (f) => f.op === 'set')).toMatchObject({ key: 'tmp/x', version: 1, by: 'a' });
        const expired = await w.nextOf('memory.changed', (f) => f.op === 'expire', 5000);
        expect(expired).toMatchObject({ key: 'tmp/x', version: 1 });
        expect(Date.now()).toBeGreaterThanOrEqual(entry.expiresAt! - 50);
        expect((await a.ok<{ entry: Entry | null }>({ type: 'memory.get', key: 'tmp/x' })).entry).toBeNull();
        const found = await a.ok<{ entries: Entry[] }>({ type: 'memory.search', prefix: 'tmp/' });
        expect(found.entries).toEqual([]);
        // A write without ttlMs makes an entry permanent again.
        await a.ok({ type: 'memory.set', key: 'tmp/y', value: 1, ttlMs: 200 });
        expect((await a.ok<{ entry: Entry }>({ type: 'memory.set', key: 'tmp/y', value: 2 })).entry.expiresAt).toBeNull();
      });

      it('searches by prefix, kind, tags and text, in key order, with cursor paging', async () => {
        const c = await cluster();
        const a = await join(c, 0, { id: 'a', name: 'a' });
        const b = await join(c, 1, { id: 'b', name: 'b' });
        for (let i = 0; i < 25; i++) {
          const key = `docs/${String(i).padStart(2, '0')}`;
          await a.ok({ type: 'memory.set', key, value: { title: i % 5 === 0 ? `Needle ${i}` : `hay ${i}` }, kind: i % 2 ? 'fact' : 'note', tags: i % 3 ? ['t'] : ['t', 'three'] });
        }
        await a.ok({ type: 'memory.set', key: 'other/needle', value: 0 });
        type Page = { entries: Entry[]; cursor: string | null };
        const keys = (p: Page) => p.entries.map((e) => e.key);

        const pages: string[][] = [];
        let cursor: string | null = null;
        do {
          const page: Page = await b.ok<Page>({ type: 'memory.search', prefix: 'docs/', limit: 10, cursor });
          pages.push(keys(page));
          cursor = page.cursor;
        } while (cursor && pages.length < 10);
        expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
        const all = pages.flat();
        expect(all).toEqual([...all].sort());
        expect(new Set(all).size).toBe(25);

        const exact = await b.ok<Page>({ type: 'memory.search', prefix: 'docs/', limit: 25 });
        expect(exact.entries).toHaveLength(25);
        expect(exact.cursor).toBeNull();

        expect(keys(await b.ok<Page>({ type: 'memory.search', kind: 'fact', tags: ['three'] }))).toEqual(['docs/03', 'docs/09', 'docs/15', 'docs/21']);
        expect(keys(await b.ok<Page>({ type: 'memory.search', text: 'NEEDLE' }))).toEqual(['docs/00', 'docs/05', 'docs/10', 'docs/15', 'docs/20', 'other/needle']);
        expect(keys(await b.ok<Page>({ type: 'memory.search', prefix: 'docs/1', text: 'needle', kind: 'note' }))).toEqual(['docs/10']);
        expect((await b.ok<Page>({ type: 'memory.search', prefix: 'nothing/' })).entries).toEqual([]);
      });

      it('notifies watchers of changes under their prefix only, until unwatch', async () => {
        const c = await cluster();
        const a = await join(c, 0, { id: 'a', name: 'a' });
        const w = await join(c, 1, { id: 'w', name: 'w' });
        await w.ok({ type: 'memory.watch', prefix: 'team/' });
        await a.ok({ type: 'memory.set', key: 'elsewhere', value: 1 });
        const { entry } = await a.ok<{ entry: Entry }>({ type: 'memory.set', key: 'team/goal', value: 'ship', kind: 'decision' });
        const set = await w.nextOf('memory.changed');
        expect(set).toMatchObject({ op: 'set', key: 'team/goal', version: 1, by: 'a', entry });
        await a.ok({ type: 'memory.delete', key: 'team/goal' });
        expect(await w.nextOf('memory.changed')).toMatchObject({ op: 'delete', key: 'team/goal', version: 1, by: 'a' });
        await w.none((f) => f.type === 'memory.changed');
        await w.ok({ type: 'memory.unwatch', prefix: 'team/' });
        await a.ok({ type: 'memory.set', key: 'team/after', value: 1 });
        await a.ok({ type: 'send', to: 'w', body: 'marker' });
        await w.nextOf('message', (f) => f.body === 'marker');
        await w.none((f) => f.type === 'memory.changed', c.nodes > 1 ? 100 : 0);
      });

      it('refuses values over maxValueBytes with too_large and stores nothing', async () => {
        const c = await cluster({ maxValueBytes: 1000 });
        const a = await join(c, 0, { id: 'a', name: 'a' });
        expect(await a.request({ type: 'memory.set', key: 'big', value: 'x'.repeat(2000) })).toMatchObject({ type: 'error', code: 'too_large' });
        expect((await a.ok<{ entry: Entry | null }>({ type: 'memory.get', key: 'big' })).entry).toBeNull();
        await a.ok({ type: 'memory.set', key: 'small', value: 'x'.repeat(900) });
      });

      it('refuses a new key past maxKeys per namespace with limit_exceeded; existing keys still update, a delete frees a slot', async () => {
        const c = await cluster({ maxKeys: 3 });
        const a = await join(c, 0, { id: 'a', name: 'a' });
        const b = await join(c, 1, { id: 'b', name: 'b' });
        for (const key of ['k1', 'k2', 'k3']) await a.ok({ type: 'memory.set', key, value: key });
        expect(await b.request({ type: 'memory.set', key: 'k4', value: 4 })).toMatchObject({ type: 'error', code: 'limit_exceeded' });
        expect((await a.ok<{ entry: Entry | null }>({ type: 'memory.get', key: 'k4' })).entry).toBeNull();
        expect((await b.ok<{ entry: Entry }>({ type: 'memory.set', key: 'k2', value: 'again' })).entry.version).toBe(2);
        await a.ok({ type: 'memory.delete', key: 'k1' });
        await b.ok({ type: 'memory.set', key: 'k4', value: 4 });
        // Another namespace has its own count.
        const other = await join(c, 0, { id: 'o', name: 'o' }, await tokenFor(`${c.ns}-other`));
        for (const key of ['k1', 'k2', 'k3']) await other.ok({ type: 'memory.set', key, value: key });
      });
    });

    lockCases({ cluster: () => cluster(), join });
    resumeCases({ cluster, join, open, tokenFor });
    taskCases({ cluster, join, open, tokenFor });

    describe('namespaces', () => {
      it('never lets sessions, messages, presence or memory cross namespaces', async () => {
        const c = await cluster();
        const token = (side: string) => tokenFor(`${c.ns}-${side}`);
        const a1 = await join(c, 0, { id: 'a1', name: 'a1' }, await token('alpha'));
        await a1.ok({ type: 'presence.watch' });
        await a1.ok({ type: 'memory.watch', prefix: '' });
        const a2 = await join(c, 1, { id: 'a2', name: 'a2' }, await token('alpha'));
        await a1.nextOf('presence', (f) => f.session.id === 'a2');
        // Same id in another namespace is a different session, not a conflict.
        const b1 = await join(c, 1, { id: 'a1', name: 'b-side' }, await token('beta'));
        const b2 = await join(c, 0, { id: 'b2', name: 'b2' }, await token('beta'));

        expect((await b1.request({ type: 'send', to: 'a2', body: 1 })).code).toBe('not_found');
        expect((await b1.ok<{ recipients: number }>({ type: 'broadcast', body: 'beta only' })).recipients).toBe(1);
        expect(await b2.nextOf('message')).toMatchObject({ body: 'beta only', from: 'a1' });
        await b1.ok({ type: 'memory.set', key: 'shared', value: 'beta' });
        expect((await a2.ok<{ entry: Entry | null }>({ type: 'memory.get', key: 'shared' })).entry).toBeNull();
        expect((await a2.ok<{ entries: Entry[] }>({ type: 'memory.search' })).entries).toEqual([]);
        const listed = await a2.ok<{ sessions: Session[] }>({ type: 'sessions.list' });
        expect(listed.sessions.map((s) => `${s.id}:${s.name}`).sort()).toEqual(['a1:a1', 'a2:a2']);
        await a2.ok({ type: 'send', to: 'a1', body: 'marker' });
        expect((await a1.nextOf('message')).from).toBe('a2');
        const fromBeta = (f: ServerFrame) =>
          (f.type === 'presence' && (f.session.name === 'b-side' || f.session.name === 'b2')) || f.type === 'memory.changed' || (f.type === 'message' && f.body === 'beta only');
        await a1.none(fromBeta, c.nodes > 1 ? 100 : 0);
      });
    });
  });
}
