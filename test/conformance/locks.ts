// The lock cases of the conformance suite: conformanceSuite calls lockCases with its cluster()
// and join() helpers, so they run on every engine with clients spread over the nodes. TTLs are
// short (a few hundred ms) so expiry cases stay quick.
import { describe, expect, it } from 'vitest';
import type { Entry, Lock, LockGrant } from '@switchboard/protocol';
import type { Cluster } from '../helpers/cluster.js';
import type { RawClient } from '../helpers/raw-client.js';
import { until } from '../helpers/wait.js';

type Scoped = Cluster & { ns: string };
type Joined = RawClient;

export interface LockCaseHelpers {
  /** A cluster with a fresh namespace of its own. */
  cluster(): Promise<Scoped>;
  /** A session that said hello to node `node` (modulo the node count). */
  join(c: Scoped, node: number, session: Record<string, unknown> & { name: string }): Promise<Joined>;
}

const acquire = (name: string, ttlMs: number, wait?: boolean | number) => ({ type: 'lock.acquire', name, ttlMs, ...(wait !== undefined && { wait }) });
const release = (g: Pick<LockGrant, 'name' | 'token'>) => ({ type: 'lock.release', name: g.name, token: g.token });
const renew = (g: Pick<LockGrant, 'name' | 'token'>, ttlMs: number) => ({ type: 'lock.renew', name: g.name, token: g.token, ttlMs });

async function lockOf(client: Joined, name: string): Promise<Lock | undefined> {
  const { locks } = await client.ok<{ locks: Lock[] }>({ type: 'lock.list', prefix: name });
  return locks.find((l) => l.name === name);
}

/** Waits until `name` has `n` waiters: the only sign that a waiting acquire has been queued. */
function waiters(client: Joined, name: string, n: number): Promise<unknown> {
  return until(async () => (await lockOf(client, name))?.waiters === n, 3000, `${n} waiters on ${name}`);
}

export function lockCases({ cluster, join }: LockCaseHelpers): void {
  describe('locks', () => {
    it('grants a free lock, refuses a held one with conflict, and releases only with its token', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      const b = await join(c, 1, { id: 'b', name: 'b' });
      const before = Date.now();
      const g = await a.ok<LockGrant>(acquire('build/main', 5000));
      expect(g).toMatchObject({ name: 'build/main', fence: 1 });
      expect(g.token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(g.expiresAt).toBeGreaterThanOrEqual(before + 5000 - 50);
      expect(g.expiresAt).toBeLessThanOrEqual(Date.now() + 5000 + 50);
      expect(await b.request(acquire('build/main', 5000))).toMatchObject({ type: 'error', code: 'conflict' });
      // Not reentrant: the holder itself is refused too.
      expect(await a.request(acquire('build/main', 5000))).toMatchObject({ type: 'error', code: 'conflict' });
      expect((await b.ok<{ released: boolean }>({ type: 'lock.release', name: 'build/main', token: 'not-the-token' })).released).toBe(false);
      // Other names are independent, with fences of their own.
      expect((await b.ok<LockGrant>(acquire('build/other', 5000))).fence).toBe(1);

      expect((await a.ok<{ released: boolean }>(release(g))).released).toBe(true);
      expect((await a.ok<{ released: boolean }>(release(g))).released).toBe(false);
      const g2 = await b.ok<LockGrant>(acquire('build/main', 5000));
      expect(g2.fence).toBe(2);
      expect(g2.token).not.toBe(g.token);
    });

    it('validates lock names, ttlMs and wait', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      for (const bad of [
        acquire('has space', 1000),
        acquire('', 1000),
        acquire('x'.repeat(257), 1000),
        acquire('ok', 0),
        acquire('ok', 24 * 3600 * 1000 + 1),
        acquire('ok', 1.5),
        { ...acquire('ok', 1000), wait: -1 },
        { ...acquire('ok', 1000), wait: 'yes' },
        { type: 'lock.renew', name: 'ok', ttlMs: 1000 },
        { type: 'lock.list', prefix: 'a b' },
      ]) {
        expect(await a.request(bad)).toMatchObject({ type: 'error', code: 'bad_request' });
      }
      expect((await a.ok<LockGrant>(acquire('a.Z_0-9:/x', 24 * 3600 * 1000))).fence).toBe(1);
    });

    it('increases the fence by one on every grant, across release and expiry', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      const b = await join(c, 1, { id: 'b', name: 'b' });
      const g1 = await a.ok<LockGrant>(acquire('f', 5000));
      await a.ok(release(g1));
      const g2 = await a.ok<LockGrant>(acquire('f', 300));
      expect(await b.request(acquire('f', 5000))).toMatchObject({ type: 'error', code: 'conflict' });
      // Left to expire, not released: once it has, b gets it with the next fence, not a reset one.
      const g3 = await until(async () => {
        const answer = await b.request<LockGrant>(acquire('f', 5000));
        return answer.type === 'ok' ? answer : null;
      }, 3000, 'the expired lock to be free');
      expect(Date.now()).toBeGreaterThanOrEqual(g2.expiresAt - 50);
      await b.ok(release(g3));
      const g4 = await a.ok<LockGrant>(acquire('f', 5000));
      expect([g1.fence, g2.fence, g3.fence, g4.fence]).toEqual([1, 2, 3, 4]);
    });

    it('renews: extends expiresAt and keeps the fence; a stale token gets conflict or not_found', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      const b = await join(c, 1, { id: 'b', name: 'b' });
      const g = await a.ok<LockGrant>(acquire('r', 300));
      const r = await a.ok<LockGrant>(renew(g, 5000));
      expect(r).toMatchObject({ name: 'r', token: g.token, fence: g.fence });
      expect(r.expiresAt).toBeGreaterThan(g.expiresAt + 4000);
      // Still held well past the first TTL: a waiter's wait ends before it is granted.
      expect(await b.request(acquire('r', 5000, 600))).toMatchObject({ type: 'error', code: 'timeout' });
      expect(Date.now()).toBeGreaterThan(g.expiresAt + 200);
      expect(await lockOf(b, 'r')).toMatchObject({ holder: 'a', fence: g.fence });

      await a.ok(release(g));
      const g2 = await b.ok<LockGrant>(acquire('r', 5000));
      expect(await a.request(renew(g, 5000))).toMatchObject({ type: 'error', code: 'conflict' });
      expect((await a.ok<{ released: boolean }>(release(g))).released).toBe(false);
      await b.ok(release(g2));
      expect(await a.request(renew(g2, 5000))).toMatchObject({ type: 'error', code: 'not_found' });
    });

    it('frees a lock at its TTL and grants it to the next waiter promptly', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      const b = await join(c, 1, { id: 'b', name: 'b' });
      const g = await a.ok<LockGrant>(acquire('ttl', 250));
      const granted = await b.ok<LockGrant>(acquire('ttl', 5000, 5000), 6000);
      const at = Date.now();
      expect(granted.fence).toBe(g.fence + 1);
      expect(at).toBeGreaterThanOrEqual(g.expiresAt - 50);
      expect(at).toBeLessThan(g.expiresAt + 1500);
      expect(await lockOf(a, 'ttl')).toMatchObject({ holder: 'b', fence: granted.fence, waiters: 0 });
      // The expired grant's token is dead.
      expect(await a.request(renew(g, 5000))).toMatchObject({ type: 'error', code: 'conflict' });
    });

    it('queues waiters FIFO across nodes and hands the lock down the queue in order', async () => {
      const c = await cluster();
      const h = await join(c, 0, { id: 'h', name: 'h' });
      const queue = [await join(c, 1, { id: 'w1', name: 'w1' }), await join(c, 2, { id: 'w2', name: 'w2' }), await join(c, 0, { id: 'w3', name: 'w3' })];
      const g = await h.ok<LockGrant>(acquire('q', 10_000));
      const waits: Array<Promise<LockGrant>> = [];
      for (const [i, w] of queue.entries()) {
        waits.push(w.ok<LockGrant>(acquire('q', 10_000, i === 1 ? 8000 : true), 10_000));
        await waiters(h, 'q', i + 1);
      }
      await h.ok(release(g));
      let previous = g;
      for (const [i, wait] of waits.entries()) {
        const grant = await wait;
        expect(grant.fence).toBe(previous.fence + 1);
        // The others are still queued behind it.
        expect(await lockOf(h, 'q')).toMatchObject({ holder: `w${i + 1}`, waiters: queue.length - i - 1 });
        await queue[i]!.ok(release(grant));
        previous = grant;
      }
      expect(await lockOf(h, 'q')).toBeUndefined();
    });

    it('answers timeout when the wait ends; the timed-out waiter is skipped, not granted', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      const b = await join(c, 1, { id: 'b', name: 'b' });
      const d = await join(c, 2, { id: 'd', name: 'd' });
      const g = await a.ok<LockGrant>(acquire('to', 10_000));
      const started = Date.now();
      expect(await b.request(acquire('to', 10_000, 200))).toMatchObject({ type: 'error', code: 'timeout' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      expect(await lockOf(a, 'to')).toMatchObject({ holder: 'a', waiters: 0 });
      const next = d.ok<LockGrant>(acquire('to', 10_000, true), 8000);
      await waiters(a, 'to', 1);
      await a.ok(release(g));
      // d is next, and no grant was spent on b (its fence would have been g.fence + 1).
      expect((await next).fence).toBe(g.fence + 1);
      expect(await lockOf(a, 'to')).toMatchObject({ holder: 'd' });
    });

    it('releases the locks of a session that leaves (bye or dropped socket) to the next waiter', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      const b = await join(c, 1, { id: 'b', name: 'b' });
      const d = await join(c, 2, { id: 'd', name: 'd' });
      const watcher = await join(c, 1, { id: 'watcher', name: 'watcher' });
      const g = await a.ok<LockGrant>(acquire('held', 30_000));
      await a.ok<LockGrant>(acquire('held/also', 30_000));
      const bWait = b.ok<LockGrant>(acquire('held', 30_000, true), 8000);
      await waiters(watcher, 'held', 1);
      a.send({ type: 'bye' });
      const gb = await bWait;
      expect(gb.fence).toBe(g.fence + 1);
      expect((await watcher.ok<{ locks: Lock[] }>({ type: 'lock.list', prefix: 'held' })).locks.map((l) => l.holder)).toEqual(['b']);

      const dWait = d.ok<LockGrant>(acquire('held', 30_000, true), 8000);
      await waiters(watcher, 'held', 1);
      b.ws.terminate();
      expect((await dWait).fence).toBe(gb.fence + 1);
      expect(await lockOf(watcher, 'held')).toMatchObject({ holder: 'd' });
    });

    it('skips a waiter whose session is gone', async () => {
      const c = await cluster();
      const h = await join(c, 0, { id: 'h', name: 'h' });
      const gone = await join(c, 1, { id: 'gone', name: 'gone' });
      const e = await join(c, 2, { id: 'e', name: 'e' });
      const g = await h.ok<LockGrant>(acquire('s', 30_000));
      void gone.request(acquire('s', 30_000, true), 8000).catch(() => {});
      await waiters(h, 's', 1);
      const eWait = e.ok<LockGrant>(acquire('s', 30_000, true), 8000);
      await waiters(h, 's', 2);
      gone.ws.terminate();
      await waiters(h, 's', 1);
      await h.ok(release(g));
      expect((await eWait).fence).toBe(g.fence + 1);
      expect(await lockOf(h, 's')).toMatchObject({ holder: 'e', waiters: 0 });
    });

    it('refuses a memory write with a stale fence (conflict carrying the current fence) and takes the current one', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      const b = await join(c, 1, { id: 'b', name: 'b' });
      const ga = await a.ok<LockGrant>(acquire('jobs/7', 250));
      const written = await a.ok<{ entry: Entry }>({ type: 'memory.set', key: 'jobs/7/state', value: 'a1', fence: { name: 'jobs/7', value: ga.fence } });
      expect(written.entry.version).toBe(1);
      // a stalls past its TTL; b takes over and writes.
      const gb = await b.ok<LockGrant>(acquire('jobs/7', 5000, 5000), 6000);
      await b.ok({ type: 'memory.set', key: 'jobs/7/state', value: 'b1', fence: { name: 'jobs/7', value: gb.fence } });
      const stale = await a.request({ type: 'memory.set', key: 'jobs/7/state', value: 'a2', fence: { name: 'jobs/7', value: ga.fence } });
      expect(stale).toMatchObject({ type: 'error', code: 'conflict', fence: gb.fence });
      expect(stale.message).toMatch(/stale/);
      const entry = (await a.ok<{ entry: Entry }>({ type: 'memory.get', key: 'jobs/7/state' })).entry;
      expect(entry).toMatchObject({ value: 'b1', version: 2, author: 'b' });
      // The fence is checked against the counter, not the holder: it stays valid after release.
      await b.ok(release(gb));
      await b.ok({ type: 'memory.set', key: 'jobs/7/state', value: 'b2', fence: { name: 'jobs/7', value: gb.fence }, ifVersion: 2 });
      // A fence of a lock never granted is not stale; fence and ifVersion both apply.
      await a.ok({ type: 'memory.set', key: 'free', value: 1, fence: { name: 'never/granted', value: 1 } });
      expect(await a.request({ type: 'memory.set', key: 'jobs/7/state', value: 'x', fence: { name: 'jobs/7', value: gb.fence }, ifVersion: 1 })).toMatchObject({ code: 'conflict', version: 3 });
      expect(await a.request({ type: 'memory.set', key: 'k', value: 1, fence: { name: 'jobs/7', value: 0 } })).toMatchObject({ code: 'bad_request' });
    });

    it('lets exactly one of many concurrent acquirers on several nodes win, and serialises waiters', async () => {
      const c = await cluster();
      const clients = await Promise.all(Array.from({ length: 12 }, (_, i) => join(c, i, { id: `c${i}`, name: `c${i}` })));
      const answers = await Promise.all(clients.map((cl) => cl.request<LockGrant>(acquire('race', 10_000))));
      const winners = answers.filter((x) => x.type === 'ok');
      expect(winners).toHaveLength(1);
      expect(answers.filter((x) => x.type === 'error' && x.code === 'conflict')).toHaveLength(clients.length - 1);
      expect(await lockOf(clients[0]!, 'race')).toMatchObject({ holder: `c${answers.indexOf(winners[0]!)}` });
      await clients[answers.indexOf(winners[0]!)]!.ok(release(winners[0]!));

      // All of them wait at once: each gets it exactly once, one at a time (nobody else is granted
      // while a holder looks itself up), with consecutive fences.
      let inside = 0;
      let overlap = false;
      const fences = await Promise.all(
        clients.map(async (cl) => {
          const g = await cl.ok<LockGrant>(acquire('race', 10_000, 10_000), 12_000);
          overlap ||= ++inside > 1;
          expect(await lockOf(cl, 'race')).toMatchObject({ holder: cl.id, fence: g.fence });
          inside--;
          await cl.ok(release(g));
          return g.fence;
        }),
      );
      expect(overlap).toBe(false);
      expect(fences.sort((x, y) => x - y)).toEqual(Array.from({ length: clients.length }, (_, i) => i + 2));
    });

    it('lists held locks by prefix with holder, fence, expiresAt and waiters', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      const b = await join(c, 1, { id: 'b', name: 'b' });
      expect((await a.ok<{ locks: Lock[] }>({ type: 'lock.list' })).locks).toEqual([]);
      const g1 = await a.ok<LockGrant>(acquire('deploy/web', 10_000));
      const g2 = await b.ok<LockGrant>(acquire('deploy/api', 10_000));
      await b.ok<LockGrant>(acquire('other', 10_000));
      void b.request(acquire('deploy/web', 10_000, true), 8000).catch(() => {});
      await waiters(a, 'deploy/web', 1);
      const { locks } = await a.ok<{ locks: Lock[] }>({ type: 'lock.list', prefix: 'deploy/' });
      expect(locks).toEqual([
        { name: 'deploy/api', holder: 'b', fence: g2.fence, expiresAt: g2.expiresAt, waiters: 0 },
        { name: 'deploy/web', holder: 'a', fence: g1.fence, expiresAt: g1.expiresAt, waiters: 1 },
      ]);
      expect(locks.some((l) => 'token' in l)).toBe(false);
      expect((await a.ok<{ locks: Lock[] }>({ type: 'lock.list' })).locks.map((l) => l.name)).toEqual(['deploy/api', 'deploy/web', 'other']);
    });
  });
}
