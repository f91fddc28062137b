// The cases of the namespace isolation suite (namespaces.test.ts runs them on each engine). In each
// direction (x acts, y is the other namespace), with sessions of both namespaces online on one
// node and on different nodes, x cannot see, message, hand off to, lock or read/write the memory
// of y, even with y's real session ids, task ids, lock tokens and memory keys.
//
// Negative checks are made to fail if isolation broke: every id, key and token x tries is one y
// really holds, and "nothing arrived" is asserted only after an own-namespace frame that was
// published later has arrived (Redis pub/sub delivers in order; a hub writes a socket in order).
import { describe, expect, it } from 'vitest';
import type { Entry, Lock, LockGrant, ServerFrame, Session, Task } from '@switchboard/protocol';
import type { Client, Hubs, Pairing } from './namespace-world.js';
import {
  REDIS_PREFIX, earlierNamespaces, hashTag, httpSessions, ids, pairings, redisKeys, useWorld,
} from './namespace-world.js';

const NOT_FOUND = { type: 'error', code: 'not_found' };
const BAD_REQUEST = { type: 'error', code: 'bad_request' };

/** Keys that spell pieces of the Redis layout (entry, index, session, inbox, lock keys) or paths. */
function trickyKeys(nsA: string, nsB: string): string[] {
  return [
    'plain', 'a:b', ':', '::', 'm:plain', ':m:plain', 'x:m:plain', '.', '..', '../plain', 'a/../../b', '/etc/passwd',
    'mi', 'mv', 'mx', 'ev', 'sessions', 's:y1', 'in:y1', 'lock:l', 'fence:l', 'task:t',
    nsA, nsB, `${nsB}:m:plain`, `${REDIS_PREFIX}:${nsB}:m:plain`, `${REDIS_PREFIX}:${nsA}:mi`, `${nsA}/../${nsB}/plain`,
  ];
}

/** Keys the protocol refuses (bad_request): glob characters and hash-tag braces. */
function refusedKeys(nsB: string): string[] {
  return ['*', 'plain*', '{', '}', 'a{b}c', `{${nsB}}`, `{${nsB}}:m:plain`, 'x}:m:plain', `${REDIS_PREFIX}:{${nsB}}:m:plain`];
}

/** An own-namespace presence event on `watcher`: every presence frame published before it is here. */
async function presenceBarrier(watcher: Client, tag: string): Promise<void> {
  await watcher.ok({ type: 'update', task: tag });
  await watcher.nextOf('presence', (f) => f.event === 'update' && f.session.id === watcher.id && f.session.task === tag);
}

const message = (prefix: string) => (f: ServerFrame) => f.type === 'message' && typeof f.body === 'string' && f.body.startsWith(prefix);
const taskFrame = (prefix: string) => (f: ServerFrame) =>
  (f.type === 'task.changed' || f.type === 'task.offer' || f.type === 'task.update') && f.task.title.startsWith(prefix);

export function isolationSuite(engine: string, hubs: Hubs): void {
  const world = useWorld(hubs);

  describe.each(pairings(hubs.nodes))(`${engine}: $name`, (p: Pairing) => {
    it('memory: get, set, delete, search and watch never cross, whatever the key spells', async () => {
      const { x, y, join } = await world(p);
      const keys = trickyKeys(x.ns, y.ns);
      const y1 = await join(y, 'y1');
      const x1 = await join(x, 'x1');
      await y1.ok({ type: 'memory.watch', prefix: '' });
      await x1.ok({ type: 'memory.watch', prefix: '' });

      for (const key of keys) await y1.ok({ type: 'memory.set', key, value: { ns: 'y', key }, kind: 'fact', tags: ['y-tag'], ifVersion: 0 });
      for (const key of keys) await y1.nextOf('memory.changed', (f) => f.key === key && f.by === 'y1');

      // x reads nothing of y's, by key, by prefix, by text, by tag or kind.
      for (const key of keys) {
        expect((await x1.ok<{ entry: Entry | null }>({ type: 'memory.get', key })).entry).toBeNull();
        expect((await x1.ok<{ entries: Entry[] }>({ type: 'memory.search', prefix: key })).entries).toEqual([]);
        expect(await x1.ok({ type: 'memory.delete', key })).toMatchObject({ deleted: false });
      }
      for (const query of [{}, { text: '"ns":"y"' }, { tags: ['y-tag'] }, { kind: 'fact' }, { cursor: 'a' }]) {
        expect((await x1.ok<{ entries: Entry[] }>({ type: 'memory.search', limit: 1000, ...query })).entries).toEqual([]);
      }

      // x writes the same keys: each is new in x (ifVersion 0 holds, version 1).
      const redis = hubs.redis();
      const before = redis ? new Set(await redisKeys(redis)) : null;
      for (const key of keys) {
        const { entry } = await x1.ok<{ entry: Entry }>({ type: 'memory.set', key, value: { ns: 'x', key }, ifVersion: 0 });
        expect(entry).toMatchObject({ key, version: 1, author: 'x1', value: { ns: 'x', key } });
      }
      if (redis && before) {
        const all = await redisKeys(redis);
        // Every key x's writes created sits under x's hash tag (leftovers of earlier tests aside).
        const added = all.filter((k) => !before.has(k) && !earlierNamespaces.has(hashTag(k) ?? ''));
        expect(added.length).toBeGreaterThanOrEqual(keys.length);
        for (const k of added) expect(k.startsWith(`${REDIS_PREFIX}:{${x.ns}}:`), k).toBe(true);
        // Each namespace's entry keys are exactly its own, with its own author.
        for (const [side, author] of [[x, 'x1'], [y, 'y1']] as const) {
          const entryPrefix = `${REDIS_PREFIX}:{${side.ns}}:m:`;
          const entryKeys = all.filter((k) => k.startsWith(entryPrefix));
          expect(entryKeys.map((k) => k.slice(entryPrefix.length)).sort()).toEqual([...keys].sort());
          const client = redis.client();
          try {
            for (const k of entryKeys) expect(await client.hget(k, 'author')).toBe(author);
            expect(await client.zrange(`${REDIS_PREFIX}:{${side.ns}}:mi`, 0, -1)).toEqual([...keys].sort());
          } finally {
            client.disconnect();
          }
        }
      }

      // Keys the protocol refuses are refused, and y's entries are untouched.
      for (const key of refusedKeys(y.ns)) {
        expect(await x1.request({ type: 'memory.set', key, value: 'x-bad' })).toMatchObject(BAD_REQUEST);
        expect(await x1.request({ type: 'memory.get', key })).toMatchObject(BAD_REQUEST);
        expect(await x1.request({ type: 'memory.delete', key })).toMatchObject(BAD_REQUEST);
        expect(await x1.request({ type: 'memory.search', prefix: key })).toMatchObject(BAD_REQUEST);
        expect(await x1.request({ type: 'memory.watch', prefix: key })).toMatchObject(BAD_REQUEST);
      }

      // x deletes its keys; y keeps every entry at version 1.
      for (const key of keys) expect(await x1.ok({ type: 'memory.delete', key })).toMatchObject({ deleted: true });
      const { entries } = await y1.ok<{ entries: Entry[] }>({ type: 'memory.search', limit: 1000 });
      expect(entries.map((e) => e.key).sort()).toEqual([...keys].sort());
      for (const e of entries) expect(e).toMatchObject({ version: 1, author: 'y1', value: { ns: 'y', key: e.key } });

      // Watches: x saw its own changes and none of y's; y (after a later write of its own) none of x's.
      for (const key of keys) await x1.nextOf('memory.changed', (f) => f.key === key && f.by === 'x1' && f.op === 'delete');
      await x1.none((f) => f.type === 'memory.changed' && f.by !== 'x1');
      await y1.ok({ type: 'memory.set', key: 'y-barrier', value: 1 });
      await y1.nextOf('memory.changed', (f) => f.key === 'y-barrier');
      await y1.none((f) => f.type === 'memory.changed' && f.by !== 'y1');
    });

    it('memory: an entry expiring in one namespace leaves the same key of the other alone', async () => {
      const { x, y, join } = await world(p);
      const y1 = await join(y, 'y1');
      const x1 = await join(x, 'x1');
      await x1.ok({ type: 'memory.watch', prefix: 'ttl:' });
      await y1.ok({ type: 'memory.watch', prefix: 'ttl:' });
      await x1.ok({ type: 'memory.set', key: 'ttl:k', value: 'x-stays' });
      await y1.ok({ type: 'memory.set', key: 'ttl:k', value: 'y-goes', ttlMs: 200 });
      await y1.nextOf('memory.changed', (f) => f.op === 'expire' && f.key === 'ttl:k', 5000);
      expect((await y1.ok<{ entry: Entry | null }>({ type: 'memory.get', key: 'ttl:k' })).entry).toBeNull();
      expect((await x1.ok<{ entry: Entry | null }>({ type: 'memory.get', key: 'ttl:k' })).entry).toMatchObject({ value: 'x-stays', version: 1, expiresAt: null });
      await x1.ok({ type: 'memory.set', key: 'ttl:barrier', value: 1 });
      await x1.nextOf('memory.changed', (f) => f.key === 'ttl:barrier');
      await x1.none((f) => f.type === 'memory.changed' && f.op !== 'set');
    });

    it('a session that ends in one namespace frees only its own locks and tasks, not its twin\'s', async () => {
      const { x, y, join } = await world(p);
      const yTwin = await join(y, 'twin');
      const xTwin = await join(x, 'twin');
      const y1 = await join(y, 'y1');
      await y1.ok({ type: 'presence.watch' });
      const x1 = await join(x, 'x1');
      const yLock = await yTwin.ok<LockGrant>({ type: 'lock.acquire', name: 'twin:lock', ttlMs: 60_000 });
      await xTwin.ok({ type: 'lock.acquire', name: 'twin:lock', ttlMs: 60_000 });
      const tasks: Task[] = [];
      for (const [from, twin, title] of [[y1, yTwin, 'y-job'], [x1, xTwin, 'x-job']] as const) {
        const task = (await from.ok<{ task: Task }>({ type: 'handoff', to: 'twin', task: { title }, acceptMs: 60_000 })).task;
        await twin.nextOf('task.offer', (f) => f.task.id === task.id);
        tasks.push((await twin.ok<{ task: Task }>({ type: 'task.accept', taskId: task.id })).task);
      }
      const [yTask, xTask] = tasks as [Task, Task];

      // x's twin ends: its task expires (assignee lost) and its lock goes to the next in x.
      xTwin.send({ type: 'bye' });
      await x1.nextOf('task.update', (f) => f.task.id === xTask.id && f.task.state === 'expired');
      expect(await x1.ok({ type: 'lock.acquire', name: 'twin:lock', ttlMs: 60_000, wait: 5000 })).toMatchObject({ fence: 2 });

      // y's twin keeps both.
      expect((await y1.ok<{ task: Task }>({ type: 'task.get', taskId: yTask.id })).task).toEqual(yTask);
      expect((await y1.ok<{ locks: Lock[] }>({ type: 'lock.list' })).locks).toEqual([{ name: 'twin:lock', holder: 'twin', fence: 1, expiresAt: yLock.expiresAt, waiters: 0 }]);
      expect(ids((await y1.ok<{ sessions: Session[] }>({ type: 'sessions.list' })).sessions)).toEqual(['twin', 'y1']);
      await yTwin.ok({ type: 'send', to: 'y1', body: 'y-still-here' });
      await y1.nextOf('message', (m) => m.body === 'y-still-here');
      await presenceBarrier(y1, 'y-barrier');
      await y1.none((f) => taskFrame('x-')(f) || (f.type === 'presence' && f.event === 'leave'));
      await yTwin.none(taskFrame('x-'));
    });

    it('sessions.list, presence.watch (snapshot and live) and GET /v1/sessions show only the own namespace', async () => {
      const { x, y, join } = await world(p);
      const y1 = await join(y, 'y1', { capabilities: ['review'] });
      await y1.ok({ type: 'presence.watch' });
      const x1 = await join(x, 'x1', { capabilities: ['review'] });
      const snapshot = await x1.ok<{ sessions: Session[] }>({ type: 'presence.watch' });
      expect(ids(snapshot.sessions)).toEqual(['x1']);
      expect(ids((await x1.ok<{ sessions: Session[] }>({ type: 'sessions.list' })).sessions)).toEqual(['x1']);
      expect(ids((await x1.ok<{ sessions: Session[] }>({ type: 'sessions.list', capability: 'review' })).sessions)).toEqual(['x1']);
      expect(ids((await y1.ok<{ sessions: Session[] }>({ type: 'sessions.list' })).sessions)).toEqual(['y1']);
      for (let node = 0; node < hubs.nodes; node++) {
        expect(await httpSessions(hubs.httpUrl(node), x.token, 'header')).toEqual(['x1']);
        expect(await httpSessions(hubs.httpUrl(node), x.token, 'query')).toEqual(['x1']);
        expect(await httpSessions(hubs.httpUrl(node), y.token, 'header')).toEqual(['y1']);
      }

      // Live: a join, an update and a leave in each namespace reach only its own watcher.
      for (const [side, watcher, id] of [[y, y1, 'y2'], [x, x1, 'x2']] as const) {
        const other = await join(side, id);
        await watcher.nextOf('presence', (f) => f.event === 'join' && f.session.id === id);
        await other.ok({ type: 'update', status: 'working', task: 'secret plan' });
        await watcher.nextOf('presence', (f) => f.event === 'update' && f.session.id === id && f.session.task === 'secret plan');
        other.send({ type: 'bye' });
        await watcher.nextOf('presence', (f) => f.event === 'leave' && f.session.id === id);
      }
      await presenceBarrier(x1, 'x-barrier');
      await x1.none((f) => f.type === 'presence' && f.session.id.startsWith('y'));
      await presenceBarrier(y1, 'y-barrier');
      await y1.none((f) => f.type === 'presence' && f.session.id.startsWith('x'));
    });

    it('send, broadcast (with and without capability) and request/reply never cross', async () => {
      const { x, y, join } = await world(p);
      const y1 = await join(y, 'y1', { capabilities: ['cap'] });
      const y2 = await join(y, 'y2', { capabilities: ['cap'] });
      const x1 = await join(x, 'x1');
      const x2 = await join(x, 'x2', { capabilities: ['cap'] });

      for (const to of ['y1', 'y2']) {
        expect(await x1.request({ type: 'send', to, body: 'x-leak' })).toMatchObject(NOT_FOUND);
        expect(await x1.request({ type: 'send', to, kind: 'request', body: 'x-leak', idempotencyKey: 'k1' })).toMatchObject(NOT_FOUND);
      }
      // A request inside each namespace; an answer to it from the other namespace goes nowhere.
      const yq = await y1.ok<{ msgId: string }>({ type: 'send', to: 'y2', kind: 'request', body: 'y-question' });
      await y2.nextOf('message', (m) => m.msgId === yq.msgId);
      expect(await x2.request({ type: 'send', to: 'y1', kind: 'response', replyTo: yq.msgId, body: 'x-answer' })).toMatchObject(NOT_FOUND);
      const xq = await x1.ok<{ msgId: string }>({ type: 'send', to: 'x2', kind: 'request', body: 'x-question' });
      await x2.nextOf('message', (m) => m.msgId === xq.msgId);
      expect(await y2.request({ type: 'send', to: 'x1', kind: 'response', replyTo: xq.msgId, body: 'y-answer' })).toMatchObject(NOT_FOUND);

      // Broadcasts count and reach only the own namespace (y1 and y2 hold the capability too).
      expect(await x1.ok({ type: 'broadcast', body: 'x-all' })).toMatchObject({ recipients: 1 });
      await x2.nextOf('message', (m) => m.body === 'x-all');
      expect(await x1.ok({ type: 'broadcast', capability: 'cap', body: 'x-cap' })).toMatchObject({ recipients: 1 });
      await x2.nextOf('message', (m) => m.body === 'x-cap');

      // Own-namespace traffic published after all of the above, then nothing from the other side.
      expect(await y2.ok({ type: 'broadcast', capability: 'cap', body: 'y-cap' })).toMatchObject({ recipients: 1 });
      await y1.nextOf('message', (m) => m.body === 'y-cap');
      await y1.ok({ type: 'send', to: 'y2', body: 'y-direct' });
      await y2.nextOf('message', (m) => m.body === 'y-direct');
      await x2.ok({ type: 'send', to: 'x1', body: 'x-direct' });
      await x1.nextOf('message', (m) => m.body === 'x-direct');
      for (const c of [y1, y2]) await c.none(message('x-'));
      for (const c of [x1, x2]) await c.none(message('y-'));
    });

    it('the same session id is live in both namespaces; sends, idempotency keys and resume secrets stay apart', async () => {
      const { x, y, join, open } = await world(p);
      const yTwin = await join(y, 'twin', { name: 'y-twin' });
      const xTwin = await join(x, 'twin', { name: 'x-twin' });
      const y1 = await join(y, 'y1');
      const x1 = await join(x, 'x1');
      expect((await x1.ok<{ sessions: Session[] }>({ type: 'sessions.list' })).sessions.map((s) => s.name).sort()).toEqual(['x-twin', 'x1']);
      expect((await y1.ok<{ sessions: Session[] }>({ type: 'sessions.list' })).sessions.map((s) => s.name).sort()).toEqual(['y-twin', 'y1']);

      await x1.ok({ type: 'send', to: 'twin', body: 'x-for-twin' });
      await xTwin.nextOf('message', (m) => m.body === 'x-for-twin' && m.from === 'x1');
      await y1.ok({ type: 'send', to: 'twin', body: 'y-for-twin' });
      await yTwin.nextOf('message', (m) => m.body === 'y-for-twin' && m.from === 'y1');

      // The twins use the same idempotency keys: neither namespace sees the other's as a repeat.
      const xs = await xTwin.ok<{ msgId: string; duplicate?: boolean }>({ type: 'send', to: 'x1', body: 'x-once', idempotencyKey: 'same' });
      const ys = await yTwin.ok<{ msgId: string; duplicate?: boolean }>({ type: 'send', to: 'y1', body: 'y-once', idempotencyKey: 'same' });
      expect(ys.duplicate).toBeUndefined();
      expect(ys.msgId).not.toBe(xs.msgId);
      await x1.nextOf('message', (m) => m.msgId === xs.msgId);
      await y1.nextOf('message', (m) => m.msgId === ys.msgId);
      const xt = (await xTwin.ok<{ task: Task }>({ type: 'handoff', to: 'x1', task: { title: 'x-task' }, idempotencyKey: 'same' })).task;
      const yt = await yTwin.ok<{ task: Task; duplicate?: boolean }>({ type: 'handoff', to: 'y1', task: { title: 'y-task' }, idempotencyKey: 'same' });
      expect(yt.duplicate).toBeUndefined();
      expect(yt.task).toMatchObject({ title: 'y-task', from: 'twin', to: 'y1' });
      expect(yt.task.id).not.toBe(xt.id);
      await x1.nextOf('task.offer', (f) => f.task.id === xt.id);
      await y1.nextOf('task.offer', (f) => f.task.id === yt.task.id);

      // A hello in x that resumes y1 with y1's own secret: a fresh x session, y1 is not taken over.
      const intruder = await open(x);
      intruder.send({ type: 'hello', protocol: 1, token: x.token, session: { id: 'y1', name: 'intruder' }, resume: { sessionId: 'y1', secret: y1.welcome.resumeSecret, lastSeq: 0 } });
      const welcome = await intruder.next((f) => f.type === 'welcome' || f.type === 'error');
      expect(welcome).toMatchObject({ type: 'welcome', sessionId: 'y1', resumed: false, reason: 'expired' });
      await yTwin.ok({ type: 'send', to: 'y1', body: 'y-after-resume' });
      await y1.nextOf('message', (m) => m.body === 'y-after-resume');
      await xTwin.ok({ type: 'send', to: 'y1', body: 'x-for-intruder' });
      await intruder.nextOf('message', (m) => m.body === 'x-for-intruder');
      expect((await y1.ok<{ sessions: Session[] }>({ type: 'sessions.list' })).sessions.find((s) => s.id === 'y1')?.name).toBe('y1');

      for (const c of [yTwin, y1]) await c.none((f) => message('x-')(f) || taskFrame('x-')(f));
      for (const c of [xTwin, x1, intruder]) await c.none((f) => message('y-')(f) || taskFrame('y-')(f));
    });

    it('handoff, task.* and task watches never reach the other namespace', async () => {
      const { x, y, join } = await world(p);
      const y1 = await join(y, 'y1');
      await y1.ok({ type: 'tasks.watch' });
      const y2 = await join(y, 'y2', { capabilities: ['build'] });
      const yTask = (await y1.ok<{ task: Task }>({ type: 'handoff', to: 'y2', task: { title: 'y-task' }, acceptMs: 60_000 })).task;
      await y2.nextOf('task.offer', (f) => f.task.id === yTask.id);

      const x1 = await join(x, 'x1');
      expect((await x1.ok<{ tasks: Task[] }>({ type: 'tasks.watch' })).tasks).toEqual([]);
      for (const to of ['y1', 'y2']) expect(await x1.request({ type: 'handoff', to, task: { title: 'x-leak' } })).toMatchObject(NOT_FOUND);

      // Sessions of x with the ids of y's creator and y's offeree: as strong a claim as x can make.
      const creator = await join(x, 'y1');
      const offeree = await join(x, 'y2');
      const attempts: Array<[Client, Record<string, unknown>]> = [
        [x1, { type: 'task.get' }], [creator, { type: 'task.get' }], [creator, { type: 'task.cancel' }],
        [offeree, { type: 'task.accept' }], [offeree, { type: 'task.decline' }],
        [offeree, { type: 'task.complete' }], [offeree, { type: 'task.fail', error: 'x' }],
      ];
      for (const [client, frame] of attempts) expect(await client.request({ ...frame, taskId: yTask.id })).toMatchObject(NOT_FOUND);
      expect((await creator.ok<{ tasks: Task[] }>({ type: 'tasks.list', role: 'created' })).tasks).toEqual([]);
      expect((await offeree.ok<{ tasks: Task[] }>({ type: 'tasks.list', role: 'assigned' })).tasks).toEqual([]);
      expect((await y1.ok<{ task: Task }>({ type: 'task.get', taskId: yTask.id })).task).toEqual(yTask);
      await offeree.none(taskFrame('y-'));

      // By capability: the only 'build' session is y's, so x's task finds nobody; then x's own.
      const nobody = (await x1.ok<{ task: Task }>({ type: 'handoff', capability: 'build', task: { title: 'x-nobody' } })).task;
      expect(nobody.state).toBe('expired');
      expect(nobody.history.at(-1)).toMatchObject({ state: 'expired', reason: 'no_candidates' });
      const x2 = await join(x, 'x2', { capabilities: ['build'] });
      const built = (await x1.ok<{ task: Task }>({ type: 'handoff', capability: 'build', task: { title: 'x-build' }, acceptMs: 60_000 })).task;
      expect(built).toMatchObject({ state: 'offered', offeredTo: 'x2' });
      await x2.nextOf('task.offer', (f) => f.task.id === built.id);

      // Live changes: each watcher sees its own namespace's, published in turn, and none of the other's.
      await y2.ok({ type: 'task.accept', taskId: yTask.id });
      await y1.nextOf('task.changed', (f) => f.task.id === yTask.id && f.task.state === 'accepted');
      await x2.ok({ type: 'task.accept', taskId: built.id });
      await x1.nextOf('task.changed', (f) => f.task.id === built.id && f.task.state === 'accepted');
      await y2.ok({ type: 'task.complete', taskId: yTask.id });
      await y1.nextOf('task.changed', (f) => f.task.id === yTask.id && f.task.state === 'completed');
      for (const c of [x1, x2, creator, offeree]) await c.none(taskFrame('y-'));
      for (const c of [y1, y2]) await c.none(taskFrame('x-'));
    });

    it('locks: one name is granted in both namespaces; the other\'s token or fence does nothing', async () => {
      const { x, y, join } = await world(p);
      const y1 = await join(y, 'y1');
      const x1 = await join(x, 'x1');
      const name = 'deploy:prod/../main';
      const acquire = (lock: string) => ({ type: 'lock.acquire', name: lock, ttlMs: 60_000 });
      const list = async (c: Client) => (await c.ok<{ locks: Lock[] }>({ type: 'lock.list' })).locks.sort((a, b) => (a.name < b.name ? -1 : 1));

      // y takes `name` three times (fence 3) and holds a second lock x never takes.
      let yGrant = await y1.ok<LockGrant>(acquire(name));
      for (let i = 0; i < 2; i++) {
        await y1.ok({ type: 'lock.release', name, token: yGrant.token });
        yGrant = await y1.ok<LockGrant>(acquire(name));
      }
      expect(yGrant.fence).toBe(3);
      const yOnly = await y1.ok<LockGrant>(acquire('y-only:lock'));

      const xGrant = await x1.ok<LockGrant>(acquire(name));
      expect(xGrant.fence).toBe(1);
      expect(await list(x1)).toEqual([{ name, holder: 'x1', fence: 1, expiresAt: xGrant.expiresAt, waiters: 0 }]);
      const yLocks = await list(y1);
      expect(yLocks).toEqual([
        { name, holder: 'y1', fence: 3, expiresAt: yGrant.expiresAt, waiters: 0 },
        { name: 'y-only:lock', holder: 'y1', fence: 1, expiresAt: yOnly.expiresAt, waiters: 0 },
      ]);

      // x with y's tokens: nothing released, nothing renewed.
      expect(await x1.ok({ type: 'lock.release', name, token: yGrant.token })).toMatchObject({ released: false });
      expect(await x1.request({ type: 'lock.renew', name, token: yGrant.token, ttlMs: 1000 })).toMatchObject({ type: 'error', code: 'conflict' });
      expect(await x1.ok({ type: 'lock.release', name: 'y-only:lock', token: yOnly.token })).toMatchObject({ released: false });
      expect(await x1.request({ type: 'lock.renew', name: 'y-only:lock', token: yOnly.token, ttlMs: 1000 })).toMatchObject(NOT_FOUND);
      expect(await x1.request({ type: 'lock.acquire', name: 'y-only:lock', ttlMs: 60_000, wait: 0 })).toMatchObject({ type: 'ok', fence: 1 });
      expect(await list(y1)).toEqual(yLocks);

      // Fences count per namespace: x's fence 1 is current in x while y's current fence is 3.
      expect(await x1.ok({ type: 'memory.set', key: 'guarded', value: 'x', fence: { name, value: 1 } })).toMatchObject({ entry: { version: 1 } });
      expect(await y1.request({ type: 'memory.set', key: 'guarded', value: 'y', fence: { name, value: 2 } })).toMatchObject({ code: 'conflict', fence: 3 });
      expect(await y1.ok({ type: 'memory.set', key: 'guarded', value: 'y', fence: { name, value: 3 } })).toMatchObject({ entry: { version: 1 } });

      // x lets go of its own grant; y's holds and still renews with its token.
      expect(await x1.ok({ type: 'lock.release', name, token: xGrant.token })).toMatchObject({ released: true });
      expect(await y1.ok({ type: 'lock.renew', name, token: yGrant.token, ttlMs: 60_000 })).toMatchObject({ fence: 3 });
      expect((await list(y1)).map((l) => [l.name, l.holder, l.fence])).toEqual([[name, 'y1', 3], ['y-only:lock', 'y1', 1]]);
    });
  });
}
