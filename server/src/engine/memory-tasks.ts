// MemoryTasks: the TaskStore of the embedded engine. Everything runs on one event loop, so each
// request is atomic by construction; a timer per standing offer moves it on at its deadline, and
// every request first settles an offer whose deadline has passed (a timer may fire late).
// The same transitions run as Lua on Redis (redis/task-scripts.ts); the conformance suite holds
// the two to the same behaviour.
import type { Session, Task, TaskOffer, TaskRole, TaskState, TaskUpdate } from '@switchboard/protocol';
import { isTerminal } from '@switchboard/protocol';
import { HUB_ACTOR, TASK_RETENTION_MS, byCreation, candidateOrder, updateRecipients, watchSnapshot } from './tasks.js';
import type { HandoffRequest, HandoffResult, TaskAction, TaskResult, TaskStore } from './tasks.js';

/** What MemoryTasks needs from its engine. */
export interface TaskHost {
  /** Every session of the namespace, live and away (status `away`). */
  sessions(ns: string): Iterable<Session>;
  /** Whether a live or resumable session has the id. */
  exists(ns: string, id: string): boolean;
  /** Delivers a frame through the recipient's inbox (engine.send). */
  send(ns: string, to: string, frame: TaskOffer | TaskUpdate): Promise<unknown>;
  /** Announces a change of a task to the task watchers (EngineEvents.task). */
  changed(ns: string, task: Task): void;
}

interface Rec {
  task: Task;
  acceptMs: number;
  /** Sessions the task may never be offered to again: they declined, let it expire, or left. */
  tried: Set<string>;
  /** When the standing offer ends (null when none stands). */
  deadline: number | null;
  timer?: NodeJS.Timeout;
}

interface Space {
  tasks: Map<string, Rec>;
  idempotency: Map<string, { id: string; until: number }>;
}

/** One request's effect on one task: the update recipients and the session now offered it. */
class Change {
  readonly updates = new Set<string>();
  offerTo: string | undefined;
  changed = false;
  constructor(
    readonly ns: string,
    readonly rec: Rec,
  ) {}
}

export class MemoryTasks implements TaskStore {
  private readonly spaces = new Map<string, Space>();
  private readonly drops = new Set<NodeJS.Timeout>();

  constructor(private readonly host: TaskHost) {}

  stop(): void {
    for (const space of this.spaces.values()) for (const rec of space.tasks.values()) clearTimeout(rec.timer);
    for (const timer of this.drops) clearTimeout(timer);
    this.drops.clear();
    this.spaces.clear();
  }

  async handoff(ns: string, request: HandoffRequest): Promise<HandoffResult> {
    const space = this.space(ns);
    const now = Date.now();
    const idemKey = request.idempotencyKey === undefined ? null : `${request.from}\n${request.idempotencyKey}`;
    const seen = idemKey ? space.idempotency.get(idemKey) : undefined;
    const first = seen && seen.until > now ? space.tasks.get(seen.id) : undefined;
    if (first) return { outcome: 'duplicate', task: snapshot(first.task) };
    if (request.to !== undefined && !this.host.exists(ns, request.to)) return { outcome: 'not_found' };
    const task: Task = {
      id: request.id,
      title: request.title,
      body: request.body,
      context: request.context,
      from: request.from,
      ...(request.to !== undefined && { to: request.to }),
      ...(request.capability !== undefined && { capability: request.capability }),
      state: 'offered',
      attempts: 1,
      history: [{ state: 'offered', at: now, by: request.from }],
      createdAt: now,
      updatedAt: now,
    };
    const rec: Rec = { task, acceptMs: request.acceptMs, tried: new Set(), deadline: null };
    space.tasks.set(task.id, rec);
    if (idemKey) this.remember(space, idemKey, task.id, now + request.idempotencyMs);
    const change = new Change(ns, rec);
    if (request.to !== undefined) this.offer(change, request.to, now);
    else this.offerNext(change, now);
    await this.deliver(ns, [change]);
    return { outcome: 'created', task: snapshot(task) };
  }

  async act(ns: string, taskId: string, by: string, action: TaskAction): Promise<TaskResult> {
    const rec = this.spaces.get(ns)?.tasks.get(taskId);
    if (!rec) return { outcome: 'not_found' };
    const change = new Change(ns, rec);
    const outcome = this.apply(change, by, action, Date.now());
    await this.deliver(ns, [change]);
    return { outcome, task: snapshot(rec.task) };
  }

  async get(ns: string, taskId: string): Promise<Task | null> {
    const rec = this.spaces.get(ns)?.tasks.get(taskId);
    if (!rec) return null;
    const change = new Change(ns, rec);
    this.settle(change, Date.now());
    await this.deliver(ns, [change]);
    return snapshot(rec.task);
  }

  async list(ns: string, session: string, role: TaskRole, state?: TaskState): Promise<Task[]> {
    const tasks: Task[] = [];
    for (const { task } of this.spaces.get(ns)?.tasks.values() ?? []) {
      const mine = role === 'created' ? task.from === session : task.assignee === session || task.offeredTo === session;
      if (mine && (state === undefined || task.state === state)) tasks.push(snapshot(task));
    }
    return tasks.sort(byCreation);
  }

  async watchList(ns: string): Promise<Task[]> {
    return watchSnapshot([...(this.spaces.get(ns)?.tasks.values() ?? [])].map((rec) => rec.task)).map(snapshot);
  }

  async releaseSession(ns: string, sessionId: string): Promise<void> {
    const space = this.spaces.get(ns);
    if (!space) return;
    const now = Date.now();
    const changes: Change[] = [];
    for (const rec of space.tasks.values()) {
      const { task } = rec;
      const change = new Change(ns, rec);
      if (task.state === 'accepted' && task.assignee === sessionId) this.moveOn(change, sessionId, 'assignee_lost', now);
      else if (task.state === 'offered' && task.offeredTo === sessionId) this.moveOn(change, sessionId, 'offer_lost', now);
      changes.push(change);
    }
    await this.deliver(ns, changes);
  }

  /** One action on a task; the effects are collected in `change`. */
  private apply(change: Change, by: string, action: TaskAction, now: number): TaskResult['outcome'] {
    const { task } = change.rec;
    if (action.type === 'cancel') {
      if (task.from !== by) return 'forbidden';
      this.settle(change, now);
      if (isTerminal(task.state)) return 'conflict';
      for (const id of [task.offeredTo, task.assignee]) if (id !== undefined) change.updates.add(id);
      this.finish(change, 'canceled', by, undefined, now);
      return 'ok';
    }
    this.settle(change, now);
    switch (action.type) {
      case 'accept':
        // A repeat of an accept that succeeded (its answer was lost): the same answer again.
        if (task.state === 'accepted' && task.assignee === by) return 'ok';
        if (task.state !== 'offered' || task.offeredTo !== by) return 'conflict';
        this.clearOffer(change.rec);
        task.assignee = by;
        this.log(change, 'accepted', by, undefined, now);
        return 'ok';
      case 'decline':
        if (task.state !== 'offered' || task.offeredTo !== by) return 'conflict';
        this.moveOn(change, by, action.reason ?? 'declined', now, true);
        return 'ok';
      case 'complete':
      case 'fail':
        if (task.assignee !== by) return 'forbidden';
        if (task.state !== 'accepted') return 'conflict';
        if (action.type === 'complete' && action.result !== undefined) task.result = action.result;
        if (action.type === 'fail') task.error = action.error;
        this.finish(change, action.type === 'complete' ? 'completed' : 'failed', by, undefined, now);
        return 'ok';
    }
  }

  /** An offer whose deadline has passed moves on before anything else happens to the task. */
  private settle(change: Change, now: number): void {
    const rec = change.rec;
    if (rec.task.state === 'offered' && rec.deadline !== null && rec.deadline <= now) {
      this.moveOn(change, rec.task.offeredTo!, 'accept_timeout', now);
    }
  }

  /**
   * The offer or the lease of session `by` ends (`reason`): a capability task goes to the next
   * candidate (or expires with none left); a `to` task ends — declined on a decline, else expired.
   */
  private moveOn(change: Change, by: string, reason: string, now: number, declined = false): void {
    const rec = change.rec;
    const { task } = rec;
    const lostLease = task.state === 'accepted';
    rec.tried.add(by);
    change.updates.add(by);
    this.clearOffer(rec);
    if (lostLease) {
      task.attempts++;
      delete task.assignee;
    }
    if (task.to !== undefined) {
      if (lostLease) this.log(change, 'offered', by, reason, now);
      this.finish(change, declined ? 'declined' : 'expired', by, reason, now);
      return;
    }
    this.log(change, 'offered', by, reason, now);
    this.offerNext(change, now);
  }

  /** Offers a capability task to its best candidate; with none left it expires. */
  private offerNext(change: Change, now: number): void {
    const next = this.pick(change.ns, change.rec);
    if (next !== undefined) return this.offer(change, next, now);
    this.finish(change, 'expired', HUB_ACTOR, 'no_candidates', now);
  }

  private offer(change: Change, sessionId: string, now: number): void {
    const rec = change.rec;
    rec.task.offeredTo = sessionId;
    rec.deadline = now + rec.acceptMs;
    change.offerTo = sessionId;
    change.changed = true;
    this.arm(change.ns, rec);
  }

  private finish(change: Change, state: TaskState, by: string, reason: string | undefined, now: number): void {
    const rec = change.rec;
    this.clearOffer(rec);
    this.log(change, state, by, reason, now);
    const drop = setTimeout(() => {
      this.drops.delete(drop);
      const tasks = this.spaces.get(change.ns)?.tasks;
      if (tasks?.get(rec.task.id) === rec) tasks.delete(rec.task.id);
    }, TASK_RETENTION_MS);
    drop.unref();
    this.drops.add(drop);
  }

  private log(change: Change, state: TaskState, by: string, reason: string | undefined, now: number): void {
    const { task } = change.rec;
    task.history.push(reason === undefined ? { state, at: now, by } : { state, at: now, by, reason });
    task.state = state;
    task.updatedAt = now;
    change.changed = true;
  }

  private clearOffer(rec: Rec): void {
    delete rec.task.offeredTo;
    rec.deadline = null;
    clearTimeout(rec.timer);
    rec.timer = undefined;
  }

  /** The least-busy capable session that has never been offered the task. */
  private pick(ns: string, rec: Rec): string | undefined {
    const { task } = rec;
    const load = new Map<string, number>();
    for (const other of this.spaces.get(ns)?.tasks.values() ?? []) {
      const assignee = other.task.state === 'accepted' ? other.task.assignee : undefined;
      if (assignee !== undefined) load.set(assignee, (load.get(assignee) ?? 0) + 1);
    }
    const candidates = [...this.host.sessions(ns)]
      .filter((s) => s.id !== task.from && !rec.tried.has(s.id) && s.status !== 'away' && s.capabilities.includes(task.capability!))
      .map((session) => ({ session, load: load.get(session.id) ?? 0 }))
      .sort(candidateOrder);
    return candidates[0]?.session.id;
  }

  /** Starts the timer that moves the standing offer on at its deadline. */
  private arm(ns: string, rec: Rec): void {
    clearTimeout(rec.timer);
    if (rec.deadline === null) return;
    rec.timer = setTimeout(() => {
      rec.timer = undefined;
      const change = new Change(ns, rec);
      this.settle(change, Date.now());
      // A timer may fire a millisecond early: settle left the offer alone then, so look again.
      if (!change.changed) return this.arm(ns, rec);
      void this.deliver(ns, [change]);
    }, Math.max(1, rec.deadline - Date.now()));
    rec.timer.unref();
  }

  /**
   * The change to the task watchers; task.update to the creator, the assignee and whoever lost
   * the offer; task.offer to the new offeree.
   */
  private async deliver(ns: string, changes: Change[]): Promise<void> {
    for (const change of changes) {
      if (!change.changed) continue;
      const frozen = snapshot(change.rec.task);
      this.host.changed(ns, frozen);
      for (const to of updateRecipients(frozen, change.updates, change.offerTo)) await this.host.send(ns, to, { type: 'task.update', task: frozen });
      if (change.offerTo !== undefined) await this.host.send(ns, change.offerTo, { type: 'task.offer', task: frozen });
    }
  }

  private remember(space: Space, key: string, id: string, until: number): void {
    if (space.idempotency.size > 10_000) {
      const now = Date.now();
      for (const [k, v] of space.idempotency) if (v.until <= now) space.idempotency.delete(k);
    }
    space.idempotency.set(key, { id, until });
  }

  private space(ns: string): Space {
    let space = this.spaces.get(ns);
    if (!space) this.spaces.set(ns, (space = { tasks: new Map(), idempotency: new Map() }));
    return space;
  }
}

/** A copy of the task with its fields in the order the Redis engine gives them (and the docs show). */
function snapshot(t: Task): Task {
  const task: Task = {
    id: t.id,
    title: t.title,
    body: structuredClone(t.body),
    context: structuredClone(t.context),
    from: t.from,
    ...(t.to !== undefined && { to: t.to }),
    ...(t.capability !== undefined && { capability: t.capability }),
    state: t.state,
    ...(t.assignee !== undefined && { assignee: t.assignee }),
    ...(t.offeredTo !== undefined && { offeredTo: t.offeredTo }),
    attempts: t.attempts,
    history: t.history.map((h) => ({ ...h })),
    ...(t.result !== undefined && { result: structuredClone(t.result) }),
    ...(t.error !== undefined && { error: t.error }),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
  return task;
}
