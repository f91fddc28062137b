// RedisTasks: the TaskStore shared by every node through Redis. Each transition is one Lua script
// of task-scripts.ts; the node that ran it then delivers the change (task.update / task.offer)
// through the recipients' inboxes with the engine's send, and files the offer's deadline in the
// global zset P:taskdue (member "ns\ntaskId", like P:away). Every node sweeps that zset: the
// settle script moves an offer on only once its deadline has passed on the Redis clock, so
// exactly one node moves it, and every other script settles a passed deadline first anyway.
// The node that ran a script that changed a task also publishes the task ({k:'t'}) on the
// namespace channel, for the task watchers of every node. That is a live view only: if the node
// dies in between, or a watcher's socket drops, the change is not repeated; a watcher that comes
// back reads the snapshot (tasks.watch) again.
import type { Redis } from 'ioredis';
import type { JsonValue, Task, TaskOffer, TaskRole, TaskState, TaskUpdate } from '@switchboard/protocol';
import { TASK_RETENTION_MS, byCreation, updateRecipients, watchSnapshot } from '../tasks.js';
import type { HandoffRequest, HandoffResult, TaskAction, TaskResult, TaskStore } from '../tasks.js';
import type { Keys } from './keys.js';
import { TASK_SCRIPTS } from './task-scripts.js';
import type { RawChange, TaskScripts } from './task-scripts.js';

/** How long a session's task index outlives the last change of a task in it. */
const INDEX_TTL_MS = 7 * 24 * 3600 * 1000;

/** What a task change looks like on the namespace channel (P:{ns}:ev). */
export type TaskEnvelope = { k: 't'; f: Task };

export interface RedisTasksOptions {
  redis: Redis;
  keys: Keys;
  /** Wraps a Redis call so that an unreachable Redis becomes EngineUnavailableError. */
  call: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Delivers a frame through the recipient's inbox (the engine's send). */
  send: (ns: string, to: string, frame: TaskOffer | TaskUpdate) => Promise<unknown>;
  report: (err: unknown, what: string) => void;
  /** How often the deadlines of offers are swept. @default 100 */
  sweepMs?: number;
}

/** The task keys of a namespace (documented in server/README.md). */
export class TaskKeys {
  constructor(private readonly keys: Keys) {}

  private base(ns: string): string {
    return `${this.keys.prefix}:{${ns}}:`;
  }
  task(ns: string, id: string): string {
    return `${this.base(ns)}task:${id}`;
  }
  created(ns: string, sessionId: string): string {
    return `${this.base(ns)}taskc:${sessionId}`;
  }
  assigned(ns: string, sessionId: string): string {
    return `${this.base(ns)}taska:${sessionId}`;
  }
  idempotency(ns: string, from: string, key: string): string {
    return `${this.base(ns)}taskidem:${from}:${key}`;
  }
  /** The tasks of a namespace that have not ended, scored by updatedAt (for tasks.watch). */
  open(ns: string): string {
    return `${this.base(ns)}tasks`;
  }
  /** The newest ended tasks of a namespace (at most WATCH_ENDED_TASKS), scored by updatedAt. */
  ended(ns: string): string {
    return `${this.base(ns)}tasksended`;
  }
  /** Offers' deadlines of every namespace, scored by when they end. */
  due(): string {
    return `${this.keys.prefix}:taskdue`;
  }
  /** ARGV[1..8] of every task script. */
  prefixes(ns: string): Array<string | number> {
    const base = this.base(ns);
    return [`${base}task:`, this.keys.sessionPrefix(ns), this.keys.sessions(ns), `${base}taskload`, `${base}taskc:`, `${base}taska:`, TASK_RETENTION_MS, INDEX_TTL_MS];
  }
}

export class RedisTasks implements TaskStore {
  readonly keys: TaskKeys;
  private readonly redis: Redis & TaskScripts;
  private sweeper: NodeJS.Timeout | null = null;
  private sweeping = false;

  constructor(private readonly options: RedisTasksOptions) {
    this.keys = new TaskKeys(options.keys);
    this.redis = options.redis as Redis & TaskScripts;
    for (const [name, { numberOfKeys, lua }] of Object.entries(TASK_SCRIPTS)) this.redis.defineCommand(name, { numberOfKeys, lua });
  }

  start(): void {
    this.sweeper = setInterval(() => void this.sweep(), this.options.sweepMs ?? 100);
    this.sweeper.unref();
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }

  async handoff(ns: string, request: HandoffRequest): Promise<HandoffResult> {
    const k = this.keys;
    const hasKey = request.idempotencyKey !== undefined;
    const [status, fields, change] = await this.options.call(() =>
      this.redis.sbTaskHandoff(
        k.task(ns, request.id),
        hasKey ? k.idempotency(ns, request.from, request.idempotencyKey!) : k.task(ns, request.id),
        ...k.prefixes(ns),
        request.id,
        request.from,
        request.to ?? '',
        request.capability ?? '',
        request.acceptMs,
        JSON.stringify(request.title),
        JSON.stringify(request.body),
        JSON.stringify(request.context),
        hasKey ? '1' : '0',
        request.idempotencyMs,
      ),
    );
    if (status === 0) return { outcome: 'not_found' };
    if (change) await this.deliver(ns, change);
    return { outcome: status === 4 ? 'duplicate' : 'created', task: taskOf(fields!) };
  }

  async act(ns: string, taskId: string, by: string, action: TaskAction): Promise<TaskResult> {
    const result = await this.run(ns, taskId, action.type, by, argumentOf(action));
    if (!result) return { outcome: 'not_found' };
    return { outcome: result.status === 1 ? 'ok' : result.status === 3 ? 'forbidden' : 'conflict', task: result.task };
  }

  async get(ns: string, taskId: string): Promise<Task | null> {
    return (await this.run(ns, taskId, 'settle', '', ''))?.task ?? null;
  }

  async list(ns: string, session: string, role: TaskRole, state?: TaskState): Promise<Task[]> {
    const index = role === 'created' ? this.keys.created(ns, session) : this.keys.assigned(ns, session);
    const rows = await this.options.call(() => this.redis.sbTaskList(index, ...this.keys.prefixes(ns), session, role, state ?? ''));
    return rows.map(taskOf).sort(byCreation);
  }

  async watchList(ns: string): Promise<Task[]> {
    const rows = await this.options.call(() => this.redis.sbTaskWatch(this.keys.open(ns), this.keys.ended(ns), ...this.keys.prefixes(ns)));
    // The script already kept at most WATCH_ENDED_TASKS ended tasks; this only sorts.
    return watchSnapshot(rows.map(taskOf));
  }

  async releaseSession(ns: string, sessionId: string): Promise<void> {
    const [, ...changes] = await this.options.call(() => this.redis.sbTaskRelease(this.keys.assigned(ns, sessionId), ...this.keys.prefixes(ns), sessionId));
    for (const change of changes) await this.deliver(ns, change);
  }

  /** Runs the act script on one task and delivers its change; null when the task does not exist. */
  private async run(ns: string, taskId: string, action: string, by: string, arg: string): Promise<{ status: number; task: Task; deadline: number | null } | null> {
    const [status, fields, change] = await this.options.call(() =>
      this.redis.sbTaskAct(this.keys.task(ns, taskId), ...this.keys.prefixes(ns), action, by, arg),
    );
    if (status === 0) return null;
    if (change) await this.deliver(ns, change);
    const deadline = field(fields!, 'deadline');
    return { status, task: taskOf(fields!), deadline: deadline ? Number(deadline) : null };
  }

  /**
   * The change to the task watchers of every node (P:{ns}:ev); task.update to the creator, the
   * assignee and whoever lost the offer; task.offer to the new offeree; the new deadline into
   * P:taskdue. The change itself is already stored: a failure here is reported, not thrown.
   */
  private async deliver(ns: string, [updates, offerTo, deadline, fields]: RawChange): Promise<void> {
    const task = taskOf(fields);
    try {
      const envelope: TaskEnvelope = { k: 't', f: task };
      await this.redis.publish(this.options.keys.nsChannel(ns), JSON.stringify(envelope));
      if (deadline) await this.redis.zadd(this.keys.due(), deadline, `${ns}\n${task.id}`);
      for (const to of updateRecipients(task, updates ? updates.split(',') : [], offerTo)) {
        await this.options.send(ns, to, { type: 'task.update', task });
      }
      if (offerTo) await this.options.send(ns, offerTo, { type: 'task.offer', task });
    } catch (err) {
      this.options.report(err, `deliver a change of task ${task.id}`);
    }
  }

  /** Moves on the offers whose deadline has passed, in every namespace. */
  private async sweep(): Promise<void> {
    if (this.sweeping || this.redis.status !== 'ready') return;
    this.sweeping = true;
    try {
      const due = this.keys.due();
      const flat = await this.redis.zrangebyscore(due, '-inf', Date.now(), 'WITHSCORES', 'LIMIT', 0, 100);
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const member = flat[i]!;
        const [ns, id] = member.split('\n') as [string, string];
        const result = await this.run(ns, id, 'settle', '', '');
        const next = result?.task.state === 'offered' ? (result.deadline ?? -1) : -1;
        await this.redis.sbTaskDueDone(due, member, flat[i + 1]!, next);
      }
    } catch (err) {
      this.options.report(err, 'task sweep');
    } finally {
      this.sweeping = false;
    }
  }
}

function argumentOf(action: TaskAction): string {
  switch (action.type) {
    case 'decline':
      return JSON.stringify(action.reason ?? 'declined');
    case 'complete':
      return action.result === undefined ? '' : JSON.stringify(action.result);
    case 'fail':
      return JSON.stringify(action.error);
    default:
      return '';
  }
}

function field(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** The Task a script's flat field list stands for ('' = absent). */
function taskOf(fields: string[]): Task {
  const h: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) h[fields[i]!] = fields[i + 1]!;
  const task: Task = {
    id: h.id!,
    title: JSON.parse(h.title!) as string,
    body: JSON.parse(h.body!) as JsonValue,
    context: JSON.parse(h.context!) as JsonValue,
    from: h.from!,
    ...(h.to && { to: h.to }),
    ...(h.cap && { capability: h.cap }),
    state: h.state as TaskState,
    ...(h.assignee && { assignee: h.assignee }),
    ...(h.offeredTo && { offeredTo: h.offeredTo }),
    attempts: Number(h.attempts),
    history: JSON.parse(h.history!) as Task['history'],
    ...(h.result && { result: JSON.parse(h.result) as JsonValue }),
    ...(h.error && { error: JSON.parse(h.error) as string }),
    createdAt: Number(h.createdAt),
    updatedAt: Number(h.updatedAt),
  };
  return task;
}
