// The task cases of the conformance suite: handoff to a session or by capability, offers that
// move on (decline, acceptMs, a session that ends), exactly one assignee, leases that survive a
// blip inside the resume window but not a session that ends, and offers queued for an away
// session. conformanceSuite calls taskCases with its helpers, so they run on every engine with
// clients spread over the nodes. acceptMs values are short (200 ms) to keep expiry cases quick.
import { describe, expect, it } from 'vitest';
import type { ServerFrame, Task } from '@switchboard/protocol';
import type { Cluster, ClusterOptions } from '../helpers/cluster.js';
import type { RawClient } from '../helpers/raw-client.js';

type Scoped = Cluster & { ns: string };
type Welcome = Extract<ServerFrame, { type: 'welcome' }>;
type Client = RawClient & { welcome: Welcome };

export interface TaskCaseHelpers {
  cluster(options?: Omit<ClusterOptions, 'secret'>): Promise<Scoped>;
  join(c: Scoped, node: number, session: Record<string, unknown> & { name: string }): Promise<Client>;
  open(c: Scoped, node: number): Promise<RawClient>;
  tokenFor(ns: string): Promise<string>;
}

const WINDOW = { resumeWindowMs: 1500 };

async function handoff(client: RawClient, fields: Record<string, unknown>): Promise<Task> {
  return (await client.ok<{ task: Task }>({ type: 'handoff', task: { title: 'a task' }, ...fields })).task;
}

function act(client: RawClient, type: string, task: Pick<Task, 'id'>, extra: Record<string, unknown> = {}) {
  return client.request<{ task: Task }>({ type, taskId: task.id, ...extra });
}

async function ok(client: RawClient, type: string, task: Pick<Task, 'id'>, extra: Record<string, unknown> = {}): Promise<Task> {
  return (await client.ok<{ task: Task }>({ type, taskId: task.id, ...extra })).task;
}

/** The next task.offer of a task. */
async function offerOf(client: RawClient, task: Pick<Task, 'id'>, timeoutMs = 5000) {
  return client.nextOf('task.offer', (f) => f.task.id === task.id, timeoutMs);
}

/** The next task.update of a task that matches. */
async function updateOf(client: RawClient, task: Pick<Task, 'id'>, match: (t: Task) => boolean = () => true, timeoutMs = 5000): Promise<Task> {
  return (await client.nextOf('task.update', (f) => f.task.id === task.id && match(f.task), timeoutMs)).task;
}

const last = (task: Task) => task.history[task.history.length - 1]!;
const states = (task: Task) => task.history.map((h) => h.state);

export function taskCases({ cluster, join, open, tokenFor }: TaskCaseHelpers): void {
  async function resume(c: Scoped, node: number, id: string, secret: string, lastSeq: number) {
    const client = await open(c, node);
    client.send({ type: 'hello', protocol: 1, token: await tokenFor(c.ns), session: { id, name: id }, resume: { sessionId: id, secret, lastSeq } });
    const first = await client.next((f) => f.type === 'welcome' || f.type === 'error');
    if (first.type !== 'welcome') throw new Error(`resume refused: ${JSON.stringify(first)}`);
    return Object.assign(client, { welcome: first });
  }

  describe('tasks', () => {
    it('hands a task to a session: offer, accept, complete, with task.update to both sides and the history', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      const b = await join(c, 1, { id: 'b', name: 'b' });
      const before = Date.now();
      const task = await handoff(a, { to: 'b', task: { title: 'Write tests', body: { files: ['x.ts'] }, context: { repo: 'sb' } }, acceptMs: 5000 });
      expect(task).toMatchObject({ title: 'Write tests', body: { files: ['x.ts'] }, context: { repo: 'sb' }, from: 'a', to: 'b', state: 'offered', offeredTo: 'b', attempts: 1 });
      expect(task.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(task.assignee).toBeUndefined();
      expect(task.capability).toBeUndefined();
      expect(task.history).toEqual([{ state: 'offered', at: task.createdAt, by: 'a' }]);
      expect(task.createdAt).toBeGreaterThanOrEqual(before - 1000);

      // The offer goes through b's inbox: it is numbered like a direct message.
      const offer = await offerOf(b, task);
      expect(offer.seq).toBe(1);
      expect(offer.task).toEqual(task);

      const accepted = await ok(b, 'task.accept', task);
      expect(accepted).toMatchObject({ state: 'accepted', assignee: 'b', attempts: 1 });
      expect(accepted.offeredTo).toBeUndefined();
      expect(await updateOf(a, task)).toEqual(accepted);
      expect(await updateOf(b, task)).toEqual(accepted);

      const completed = await ok(b, 'task.complete', task, { result: { passed: 12 } });
      expect(completed).toMatchObject({ state: 'completed', assignee: 'b', result: { passed: 12 } });
      expect(completed.error).toBeUndefined();
      expect(await updateOf(a, task)).toEqual(completed);
      expect(await updateOf(b, task)).toEqual(completed);
      expect(completed.history.map(({ state, by }) => [state, by])).toEqual([['offered', 'a'], ['accepted', 'b'], ['completed', 'b']]);
      const times = completed.history.map((h) => h.at);
      expect(times).toEqual([...times].sort((x, y) => x - y));
      expect(completed.updatedAt).toBe(times[2]);
      expect((await a.ok<{ task: Task }>({ type: 'task.get', taskId: task.id })).task).toEqual(completed);
      await a.none((f) => f.type === 'task.update' || f.type === 'task.offer');
      await b.none((f) => f.type === 'task.update' || f.type === 'task.offer');
    });

    it('validates handoff, refuses an unknown `to`, and ends a declined direct task as declined', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      const b = await join(c, 1, { id: 'b', name: 'b' });
      for (const bad of [
        { type: 'handoff', task: { title: 't' } },
        { type: 'handoff', to: 'b', capability: 'x', task: { title: 't' } },
        { type: 'handoff', to: 'b', task: {} },
        { type: 'handoff', to: 'b', task: { title: '' } },
        { type: 'handoff', to: 'b', task: { title: 't' }, acceptMs: 0 },
        { type: 'task.accept', taskId: '' },
        { type: 'tasks.list', role: 'owner' },
      ]) {
        expect(await a.request(bad)).toMatchObject({ type: 'error', code: 'bad_request' });
      }
      expect(await a.request({ type: 'handoff', to: 'ghost', task: { title: 't' } })).toMatchObject({ type: 'error', code: 'not_found' });
      expect(await a.request({ type: 'task.accept', taskId: 'no-such-task' })).toMatchObject({ type: 'error', code: 'not_found' });
      expect(await a.request({ type: 'task.get', taskId: 'no-such-task' })).toMatchObject({ type: 'error', code: 'not_found' });

      const task = await handoff(a, { to: 'b' });
      await offerOf(b, task);
      // Only the session the offer stands with may answer it.
      expect(await act(a, 'task.decline', task)).toMatchObject({ type: 'error', code: 'conflict' });
      const declined = await ok(b, 'task.decline', task, { reason: 'on leave' });
      expect(declined).toMatchObject({ state: 'declined', attempts: 1 });
      expect(declined.offeredTo).toBeUndefined();
      expect(last(declined)).toMatchObject({ state: 'declined', by: 'b', reason: 'on leave' });
      expect(await updateOf(a, task)).toEqual(declined);
      expect(await act(b, 'task.accept', task)).toMatchObject({ type: 'error', code: 'conflict' });
      expect(await act(b, 'task.decline', task)).toMatchObject({ type: 'error', code: 'conflict' });
    });

    it('offers a capability task to the least-busy session first, moves on at each decline, and expires when all declined', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a', capabilities: ['review'] });
      // Joined in this order (oldest first); ids sort the same way in case two joins share a millisecond.
      const w = await join(c, 1, { id: 'c0-working', name: 'w', capabilities: ['review'], status: 'working' });
      const b = await join(c, 2, { id: 'c1-active', name: 'b', capabilities: ['review', 'code'] });
      const i = await join(c, 0, { id: 'c2-idle', name: 'i', capabilities: ['review'], status: 'idle' });
      const d = await join(c, 1, { id: 'c3-busy', name: 'd', capabilities: ['review'] });
      const x = await join(c, 2, { id: 'c4-other', name: 'x', capabilities: ['code'] });
      // d holds one accepted task, so it comes after the idle and active sessions that hold none.
      const held = await handoff(a, { to: 'c3-busy' });
      await offerOf(d, held);
      await ok(d, 'task.accept', held);

      const task = await handoff(a, { capability: 'review', task: { title: 'Review PR 42' } });
      expect(task).toMatchObject({ capability: 'review', state: 'offered', offeredTo: 'c1-active' });
      expect(task.to).toBeUndefined();
      const order: Array<[Client, string]> = [[b, 'c1-active'], [i, 'c2-idle'], [d, 'c3-busy'], [w, 'c0-working']];
      for (const [k, [client, id]] of order.entries()) {
        expect((await offerOf(client, task)).task.offeredTo).toBe(id);
        const after = await ok(client, 'task.decline', task, k === 0 ? { reason: 'no time' } : {});
        const next = order[k + 1];
        // The last decline leaves nobody: its entry is followed by the expiry.
        const entry = after.history[after.history.length - (next ? 1 : 2)];
        expect(entry).toMatchObject({ state: 'offered', by: id, reason: k === 0 ? 'no time' : 'declined' });
        if (next) {
          expect(after).toMatchObject({ state: 'offered', offeredTo: next[1] });
          expect(await updateOf(a, task, (t) => t.history.length === after.history.length)).toEqual(after);
        }
      }
      const expired = await updateOf(a, task, (t) => t.state === 'expired');
      expect(expired.offeredTo).toBeUndefined();
      expect(last(expired)).toMatchObject({ state: 'expired', by: 'hub', reason: 'no_candidates' });
      expect(states(expired)).toEqual(['offered', 'offered', 'offered', 'offered', 'offered', 'expired']);
      await x.none((f) => f.type === 'task.offer');

      // With no candidate at all, the handoff answers with the task already expired.
      const none = await handoff(a, { capability: 'nobody-has-this' });
      expect(none).toMatchObject({ state: 'expired' });
      expect(last(none)).toMatchObject({ by: 'hub', reason: 'no_candidates' });
    });

    it('moves an offer on when acceptMs passes without an accept; a late accept is refused', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      const b = await join(c, 1, { id: 'b', name: 'b', capabilities: ['gpu'] });
      const d = await join(c, 2, { id: 'd', name: 'd', capabilities: ['gpu'] });
      const started = Date.now();
      const task = await handoff(a, { capability: 'gpu', acceptMs: 200 });
      expect(task.offeredTo).toBe('b');
      await offerOf(b, task);
      const moved = (await offerOf(d, task)).task;
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      expect(moved).toMatchObject({ state: 'offered', offeredTo: 'd' });
      expect(last(moved)).toMatchObject({ state: 'offered', by: 'b', reason: 'accept_timeout' });
      expect(await updateOf(a, task, (t) => t.offeredTo === 'd')).toEqual(moved);
      expect(await updateOf(b, task)).toEqual(moved);
      expect(await act(b, 'task.accept', task)).toMatchObject({ type: 'error', code: 'conflict' });
      // d lets it pass too: nobody is left.
      const expired = await updateOf(a, task, (t) => t.state === 'expired');
      expect(expired.history.slice(-2)).toMatchObject([{ by: 'd', reason: 'accept_timeout' }, { state: 'expired', by: 'hub', reason: 'no_candidates' }]);

      // A direct offer that is not accepted in time expires.
      const direct = await handoff(a, { to: 'b', acceptMs: 200 });
      const gone = await updateOf(a, direct, (t) => t.state === 'expired');
      expect(last(gone)).toMatchObject({ state: 'expired', by: 'b', reason: 'accept_timeout' });
      expect(await act(b, 'task.accept', direct)).toMatchObject({ type: 'error', code: 'conflict' });
    });

    it('lets exactly one of concurrent accepts win', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      const b = await join(c, 1, { id: 'b', name: 'b', capabilities: ['x'] });
      const d = await join(c, 2, { id: 'd', name: 'd', capabilities: ['x'] });
      for (let round = 0; round < 3; round++) {
        const task = await handoff(a, { capability: 'x' });
        const holder = task.offeredTo === 'b' ? b : d;
        const other = holder === b ? d : b;
        await offerOf(holder, task);
        // Only the session the offer stands with may accept it.
        expect(await act(other, 'task.accept', task)).toMatchObject({ type: 'error', code: 'conflict' });
        const answers = await Promise.all([act(holder, 'task.accept', task), act(other, 'task.accept', task), act(holder, 'task.accept', task), act(other, 'task.accept', task)]);
        // The holder's repeat is answered ok again (an accept whose answer was lost may be retried);
        // the other session is refused every time.
        expect(answers.map((x) => x.type)).toEqual(['ok', 'error', 'ok', 'error']);
        expect(answers.filter((x) => x.type === 'error' && x.code === 'conflict')).toHaveLength(2);
        expect((await a.ok<{ task: Task }>({ type: 'task.get', taskId: task.id })).task).toMatchObject({ state: 'accepted', assignee: holder.id });
        await ok(holder, 'task.complete', task);
      }
    });

    it('completes once (conflict after), only by the assignee (forbidden otherwise), and fails with an error', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      const b = await join(c, 1, { id: 'b', name: 'b' });
      const d = await join(c, 2, { id: 'd', name: 'd' });
      const task = await handoff(a, { to: 'b' });
      expect(await act(b, 'task.complete', task)).toMatchObject({ type: 'error', code: 'forbidden' });
      await ok(b, 'task.accept', task);
      expect(await act(d, 'task.complete', task)).toMatchObject({ type: 'error', code: 'forbidden' });
      expect(await act(a, 'task.fail', task, { error: 'x' })).toMatchObject({ type: 'error', code: 'forbidden' });
      await ok(b, 'task.complete', task);
      expect(await act(b, 'task.complete', task)).toMatchObject({ type: 'error', code: 'conflict' });
      expect(await act(b, 'task.fail', task, { error: 'late' })).toMatchObject({ type: 'error', code: 'conflict' });
      expect(await act(b, 'task.decline', task)).toMatchObject({ type: 'error', code: 'conflict' });

      const doomed = await handoff(a, { to: 'b' });
      await ok(b, 'task.accept', doomed);
      const failed = await ok(b, 'task.fail', doomed, { error: 'disk full' });
      expect(failed).toMatchObject({ state: 'failed', error: 'disk full', assignee: 'b' });
      expect(failed.result).toBeUndefined();
      expect(last(failed)).toMatchObject({ state: 'failed', by: 'b' });
      expect(await updateOf(a, doomed, (t) => t.state === 'failed')).toEqual(failed);
      expect(await act(b, 'task.complete', doomed)).toMatchObject({ type: 'error', code: 'conflict' });
      expect(await act(b, 'task.fail', doomed, {})).toMatchObject({ type: 'error', code: 'bad_request' });
    });

    it('cancels only by the creator (forbidden otherwise), telling the offeree or assignee', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      const b = await join(c, 1, { id: 'b', name: 'b' });
      const offered = await handoff(a, { to: 'b' });
      await offerOf(b, offered);
      expect(await act(b, 'task.cancel', offered)).toMatchObject({ type: 'error', code: 'forbidden' });
      const canceled = await ok(a, 'task.cancel', offered);
      expect(canceled).toMatchObject({ state: 'canceled' });
      expect(canceled.offeredTo).toBeUndefined();
      expect(last(canceled)).toMatchObject({ state: 'canceled', by: 'a' });
      expect(await updateOf(b, offered)).toEqual(canceled);
      expect(await act(b, 'task.accept', offered)).toMatchObject({ type: 'error', code: 'conflict' });
      expect(await act(a, 'task.cancel', offered)).toMatchObject({ type: 'error', code: 'conflict' });

      const running = await handoff(a, { to: 'b' });
      await ok(b, 'task.accept', running);
      await updateOf(a, running, (t) => t.state === 'accepted');
      expect(await ok(a, 'task.cancel', running)).toMatchObject({ state: 'canceled', assignee: 'b' });
      expect(await updateOf(b, running, (t) => t.state === 'canceled')).toMatchObject({ assignee: 'b' });
      expect(await act(b, 'task.complete', running)).toMatchObject({ type: 'error', code: 'conflict' });
    });

    it('lists tasks by role and state', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      const b = await join(c, 1, { id: 'b', name: 'b' });
      const d = await join(c, 2, { id: 'd', name: 'd' });
      const t1 = await handoff(a, { to: 'b', task: { title: 't1' } });
      const t2 = await handoff(a, { to: 'd', task: { title: 't2' } });
      const t3 = await handoff(d, { to: 'a', task: { title: 't3' } });
      await ok(b, 'task.accept', t1);
      const list = async (client: RawClient, role: string, state?: string) =>
        (await client.ok<{ tasks: Task[] }>({ type: 'tasks.list', role, ...(state && { state }) })).tasks.map((t) => t.title);
      expect(await list(a, 'created')).toEqual(['t1', 't2']);
      expect(await list(a, 'created', 'offered')).toEqual(['t2']);
      expect(await list(a, 'created', 'accepted')).toEqual(['t1']);
      expect(await list(a, 'assigned')).toEqual(['t3']);
      expect(await list(b, 'assigned')).toEqual(['t1']);
      expect(await list(b, 'assigned', 'offered')).toEqual([]);
      expect(await list(b, 'created')).toEqual([]);
      expect(await list(d, 'assigned', 'offered')).toEqual(['t2']);
      expect(await list(d, 'created')).toEqual(['t3']);
      await ok(d, 'task.decline', t2);
      // A task that left a session's hands is no longer listed as assigned to it.
      expect(await list(d, 'assigned')).toEqual([]);
      expect(await list(a, 'created', 'declined')).toEqual(['t2']);
      const full = (await a.ok<{ tasks: Task[] }>({ type: 'tasks.list', role: 'created' })).tasks;
      expect(full.map((t) => t.id)).toEqual([t1.id, t2.id]);
    });

    it('answers a repeated idempotencyKey with the first task and offers it once', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      const b = await join(c, 1, { id: 'b', name: 'b' });
      const first = await a.ok<{ task: Task; duplicate?: boolean }>({ type: 'handoff', to: 'b', task: { title: 'once' }, idempotencyKey: 'k-1' });
      expect(first.duplicate).toBeUndefined();
      await ok(b, 'task.accept', first.task);
      const retry = await a.ok<{ task: Task; duplicate?: boolean }>({ type: 'handoff', to: 'b', task: { title: 'once' }, idempotencyKey: 'k-1' });
      expect(retry.duplicate).toBe(true);
      expect(retry.task).toMatchObject({ id: first.task.id, state: 'accepted' });
      await offerOf(b, first.task);
      await b.none((f) => f.type === 'task.offer');
      // Keys are per creator: the same key from b is another task.
      const other = await handoff(b, { to: 'a', task: { title: 'once' }, idempotencyKey: 'k-1' });
      expect(other.id).not.toBe(first.task.id);
      expect((await a.ok<{ tasks: Task[] }>({ type: 'tasks.list', role: 'created' })).tasks).toHaveLength(1);
    });

    it('gives a task back when its assignee or offeree leaves: re-offered by capability, expired for `to`; the creator may leave', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      const b = await join(c, 1, { id: 'b', name: 'b', capabilities: ['ops'] });
      const d = await join(c, 2, { id: 'd', name: 'd', capabilities: ['ops'] });
      const e = await join(c, 1, { id: 'e', name: 'e', capabilities: ['ops'] });
      const task = await handoff(a, { capability: 'ops' });
      expect(task.offeredTo).toBe('b');
      await ok(b, 'task.accept', task);
      await updateOf(a, task, (t) => t.state === 'accepted');
      b.send({ type: 'bye' });
      const back = await updateOf(a, task, (t) => t.attempts === 2);
      expect(back).toMatchObject({ state: 'offered', attempts: 2, offeredTo: 'd' });
      expect(back.assignee).toBeUndefined();
      expect(last(back)).toMatchObject({ state: 'offered', by: 'b', reason: 'assignee_lost' });
      expect((await offerOf(d, task)).task).toMatchObject({ attempts: 2, offeredTo: 'd' });

      // The offer stands with d, and d's socket drops (no resume window): it moves on to e.
      d.ws.terminate();
      const moved = await updateOf(a, task, (t) => t.offeredTo === 'e');
      expect(last(moved)).toMatchObject({ state: 'offered', by: 'd', reason: 'offer_lost' });
      expect(moved.attempts).toBe(2);
      await offerOf(e, task);
      await ok(e, 'task.accept', task);

      // The creator leaving does not cancel the task: e finishes it.
      a.send({ type: 'bye' });
      await a.closed;
      const done = await ok(e, 'task.complete', task, { result: 'ok' });
      expect(states(done)).toEqual(['offered', 'accepted', 'offered', 'offered', 'accepted', 'completed']);

      // A direct task cannot follow a session that left: it expires.
      const f = await join(c, 0, { id: 'f', name: 'f' });
      const direct = await handoff(f, { to: 'e' });
      await ok(e, 'task.accept', direct);
      e.ws.terminate();
      const expired = await updateOf(f, direct, (t) => t.state === 'expired');
      expect(expired).toMatchObject({ attempts: 2 });
      expect(expired.assignee).toBeUndefined();
      expect(expired.history.slice(-2)).toMatchObject([
        { state: 'offered', by: 'e', reason: 'assignee_lost' },
        { state: 'expired', by: 'e', reason: 'assignee_lost' },
      ]);
    });

    it('keeps the lease of an assignee that drops and resumes inside the window; it can complete', async () => {
      const c = await cluster(WINDOW);
      const a = await join(c, 0, { id: 'a', name: 'a' });
      await a.ok({ type: 'presence.watch' });
      const b = await join(c, 1, { id: 'b', name: 'b' });
      const task = await handoff(a, { to: 'b' });
      const offer = await offerOf(b, task);
      await ok(b, 'task.accept', task);
      const update = await b.nextOf('task.update', (f) => f.task.id === task.id);
      expect(update.seq).toBe(offer.seq! + 1);
      b.ws.terminate();
      await a.nextOf('presence', (f) => f.session.id === 'b' && f.session.status === 'away');
      expect((await a.ok<{ task: Task }>({ type: 'task.get', taskId: task.id })).task).toMatchObject({ state: 'accepted', assignee: 'b', attempts: 1 });
      const back = await resume(c, 2, 'b', b.welcome.resumeSecret, offer.seq!);
      expect(back.welcome).toMatchObject({ resumed: true, replayed: 1 });
      // The update b had not acknowledged is replayed, with its seq.
      expect(await back.nextOf('task.update')).toEqual(update);
      const done = await ok(back, 'task.complete', task);
      expect(done).toMatchObject({ state: 'completed', attempts: 1, assignee: 'b' });
      expect(states(done)).toEqual(['offered', 'accepted', 'completed']);
    });

    it('tasks.watch: a snapshot of every task of the namespace, then task.changed for each change made on other nodes; unwatch stops them', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      const b = await join(c, 1, { id: 'b', name: 'b' });
      // Before the watch: one open task, one ended.
      const open = await handoff(a, { to: 'b', task: { title: 'open' }, acceptMs: 10_000 });
      const ended = await handoff(a, { to: 'b', task: { title: 'ended' }, acceptMs: 10_000 });
      const declined = await ok(b, 'task.decline', ended);
      expect(declined.state).toBe('declined');

      // The watcher is on another node and no party to any of these tasks.
      const w = await join(c, 2, { id: 'w', name: 'w' });
      const { tasks } = await w.ok<{ tasks: Task[] }>({ type: 'tasks.watch' });
      expect(tasks).toEqual([declined, open]);

      const changed = async (task: Pick<Task, 'id'>, state: Task['state']) => {
        const frame = await w.nextOf('task.changed', (f) => f.task.id === task.id && f.task.state === state);
        expect('seq' in frame).toBe(false);
        return frame.task;
      };
      const task = await handoff(a, { to: 'b', task: { title: 'watched', body: { n: 1 } }, acceptMs: 10_000 });
      expect(await changed(task, 'offered')).toEqual(task);
      await offerOf(b, task);
      const accepted = await ok(b, 'task.accept', task);
      expect(await changed(task, 'accepted')).toEqual(accepted);
      const completed = await ok(b, 'task.complete', task, { result: { ok: true } });
      expect(await changed(task, 'completed')).toEqual(completed);
      // task.changed does not go through the inbox, and the watcher gets no task.update or task.offer.
      await w.none((f) => f.type === 'task.update' || f.type === 'task.offer');

      // A second watch answers a fresh snapshot, newest first.
      const again = (await w.ok<{ tasks: Task[] }>({ type: 'tasks.watch' })).tasks;
      expect(again).toEqual([completed, declined, open]);

      await w.ok({ type: 'tasks.unwatch' });
      await offerOf(b, open);
      const acceptedOpen = await ok(b, 'task.accept', open);
      expect(await updateOf(a, open, (t) => t.state === 'accepted')).toEqual(acceptedOpen);
      await w.none((f) => f.type === 'task.changed' && f.task.id === open.id && f.task.state === 'accepted', 300);
      // Unwatching twice is harmless.
      await w.ok({ type: 'tasks.unwatch' });
    });

    it('tasks.watch lists every open task and only the 200 most recently ended ones', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      await join(c, 1, { id: 'b', name: 'b' });
      const open = await handoff(a, { to: 'b', task: { title: 'open' }, acceptMs: 60_000 });
      // Nobody has the capability: each of these expires at once.
      const expired: Task[] = [];
      for (let i = 0; i < 205; i++) expired.push(await handoff(a, { capability: 'nobody', task: { title: `t${i}` } }));
      expect(expired.every((t) => t.state === 'expired')).toBe(true);
      const w = await join(c, 2, { id: 'w', name: 'w' });
      const { tasks } = await w.ok<{ tasks: Task[] }>({ type: 'tasks.watch' });
      expect(tasks).toHaveLength(201);
      expect(tasks.find((t) => t.id === open.id)).toEqual(open);
      const newest = expired.slice(5).map((t) => t.id).sort();
      expect(tasks.filter((t) => t.state === 'expired').map((t) => t.id).sort()).toEqual(newest);
      const times = tasks.map((t) => t.updatedAt);
      expect(times).toEqual([...times].sort((x, y) => y - x));
    });

    it('queues an offer for an away session and replays it on resume; away sessions are no candidates', async () => {
      const c = await cluster(WINDOW);
      const a = await join(c, 0, { id: 'a', name: 'a' });
      await a.ok({ type: 'presence.watch' });
      const b = await join(c, 1, { id: 'b', name: 'b', capabilities: ['night'] });
      b.ws.terminate();
      await a.nextOf('presence', (f) => f.session.id === 'b' && f.session.status === 'away');
      expect(await handoff(a, { capability: 'night' })).toMatchObject({ state: 'expired' });
      const task = await handoff(a, { to: 'b', acceptMs: 10_000 });
      expect(task).toMatchObject({ state: 'offered', offeredTo: 'b' });
      const back = await resume(c, 2, 'b', b.welcome.resumeSecret, 0);
      expect(back.welcome).toMatchObject({ resumed: true, replayed: 1 });
      const offer = await offerOf(back, task);
      expect(offer).toMatchObject({ seq: 1, task: { id: task.id, offeredTo: 'b' } });
      expect(await ok(back, 'task.accept', task)).toMatchObject({ state: 'accepted', assignee: 'b' });
    });
  });
}
