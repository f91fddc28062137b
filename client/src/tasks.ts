// hub.handoff / hub.on('task') / hub.tasks / hub.task: task handoff with leases. A TaskHandle
// follows a task this session handed off until it ends; an OfferedTask is an offer made to this
// session, to accept or decline, then complete or fail. Updates of one task are ordered by the
// length of its history: an update that is not newer than what a handle already holds is dropped
// (a replay after resume, or two changes made on different hub nodes arriving crossed).
import { isTerminal } from '@switchboard/protocol';
import type { JsonValue, Task, TaskOffer, TaskRole, TaskSpec, TaskState, TaskUpdate } from '@switchboard/protocol';
import { Emitter } from './emitter.js';
import type { Listener } from './emitter.js';
import { HubError } from './errors.js';
import type { RequestFn } from './requests.js';

/** Who the task is for: one session, or the least-busy session with a capability. */
export type HandoffTarget = { to: string; capability?: undefined } | { capability: string; to?: undefined };

export interface HandoffOptions {
  /** How long each offer stands before it moves on (capability) or expires (`to`). @default 30000 (the hub's) */
  acceptMs?: number;
  /** Makes the handoff safe to repeat: a repeat (from this session) answers with the first task. */
  idempotencyKey?: string;
  timeoutMs?: number;
}

export interface TaskFilter {
  /** `created`: tasks this session handed off. `assigned`: tasks it accepted or that are offered to it now. */
  role: TaskRole;
  state?: TaskState;
}

/** A task this session handed off. */
export interface TaskHandle {
  readonly id: string;
  /** The latest state the hub reported. */
  readonly task: Task;
  /** Calls `listener` with the task after every change; returns unsubscribe. */
  on(event: 'update', listener: Listener<Task>): () => void;
  /**
   * Settles once the task ends. It resolves for every terminal state (completed, failed,
   * declined, expired, canceled): check `task.state`. It rejects only if this hub connection is
   * closed first (HubError 'unavailable').
   */
  readonly done: Promise<Task>;
  /** Cancels the task (only its creator may); HubError 'conflict' if it has already ended. */
  cancel(): Promise<Task>;
}

/** An offer made to this session (the hub's `task` event). */
export interface OfferedTask {
  /** The latest state this session knows of. */
  readonly task: Task;
  /** Takes the task; HubError 'conflict' if the offer no longer stands with this session. */
  accept(): Promise<Task>;
  /** Gives the offer back; it moves to the next candidate (capability) or ends as declined (`to`). */
  decline(reason?: string): Promise<Task>;
  /** After accept: the task is done. HubError 'conflict' if it already ended, 'forbidden' if it is not yours. */
  complete(result?: JsonValue): Promise<Task>;
  /** After accept: the task could not be done. */
  fail(error: string): Promise<Task>;
}

export interface TasksDeps {
  request: RequestFn;
  report(error: HubError): void;
  /** This session's id. */
  me(): string;
  /** Hands an offer to the hub's `task` listeners. */
  offered(offer: OfferedTask): void;
}

/** Updates kept for tasks this session created whose handle does not exist yet (the handoff answer may come later). */
const EARLY_UPDATES = 256;

/**
 * While tasks are open, how often their state is re-read: the safety net for an update the hub
 * stored but could not deliver (its node died between the two).
 */
export const TASK_POLL_MS = 5000;

export class Tasks {
  readonly #deps: TasksDeps;
  readonly #handles = new Map<string, Handle>();
  readonly #offers = new Map<string, Offer>();
  readonly #early = new Map<string, Task>();
  #poller: ReturnType<typeof setInterval> | null = null;

  constructor(deps: TasksDeps) {
    this.#deps = deps;
  }

  /** Re-reads open tasks every TASK_POLL_MS while there are any; quiet about failures (it is only a net). */
  #watchOpen(): void {
    if (this.#poller) return;
    this.#poller = setInterval(() => {
      const ids = new Set([...this.#handles.keys(), ...this.#offers.keys()]);
      if (ids.size === 0) {
        clearInterval(this.#poller!);
        this.#poller = null;
        return;
      }
      for (const taskId of ids) this.get(taskId).then((task) => task && this.#apply(task), () => {});
    }, TASK_POLL_MS);
    (this.#poller as { unref?: () => void }).unref?.();
  }

  async handoff(spec: TaskSpec, target: HandoffTarget, options: HandoffOptions = {}): Promise<TaskHandle> {
    const { timeoutMs, ...rest } = options;
    const to = target.to !== undefined ? { to: target.to } : { capability: target.capability! };
    const { task } = await this.#deps.request('handoff', { ...to, task: spec, ...rest }, { timeoutMs });
    const existing = this.#handles.get(task.id);
    if (existing) {
      existing.apply(task);
      return existing;
    }
    const handle = new Handle(task, this.#deps.request);
    const early = this.#early.get(task.id);
    this.#early.delete(task.id);
    if (early) handle.apply(early);
    if (!isTerminal(handle.task.state)) {
      this.#handles.set(task.id, handle);
      this.#watchOpen();
    }
    return handle;
  }

  async list(filter: TaskFilter): Promise<Task[]> {
    return (await this.#deps.request('tasks.list', filter.state === undefined ? { role: filter.role } : filter)).tasks;
  }

  async get(taskId: string): Promise<Task | null> {
    try {
      return (await this.#deps.request('task.get', { taskId })).task;
    } catch (err) {
      if (err instanceof HubError && err.code === 'not_found') return null;
      throw err;
    }
  }

  /** A task.offer or task.update from the hub (already deduplicated by the inbox). */
  dispatch(frame: TaskOffer | TaskUpdate): void {
    const { task } = frame;
    if (frame.type === 'task.offer') {
      const offer = new Offer(task, this.#deps.request);
      this.#offers.set(task.id, offer);
      this.#watchOpen();
      this.#deps.offered(offer);
      return;
    }
    this.#apply(task);
  }

  /** After a reconnect: updates may have been missed (a session that could not resume), so ask. */
  refresh(): void {
    const ids = new Set([...this.#handles.keys(), ...this.#offers.keys()]);
    for (const taskId of ids) {
      this.get(taskId).then(
        (task) => task && this.#apply(task),
        (err: unknown) => this.#deps.report(err instanceof HubError ? err : new HubError('internal', 'refreshing a task failed', { cause: err })),
      );
    }
  }

  /** No more answers will come: open handles reject their `done`. */
  close(error: HubError): void {
    for (const handle of this.#handles.values()) handle.abandon(error);
    if (this.#poller) clearInterval(this.#poller);
    this.#poller = null;
    this.#handles.clear();
    this.#offers.clear();
    this.#early.clear();
  }

  #apply(task: Task): void {
    const handle = this.#handles.get(task.id);
    if (handle) {
      handle.apply(task);
      if (isTerminal(task.state)) this.#handles.delete(task.id);
    } else if (task.from === this.#deps.me()) {
      const known = this.#early.get(task.id);
      if (!known || known.history.length < task.history.length) this.#early.set(task.id, task);
      if (this.#early.size > EARLY_UPDATES) this.#early.delete(this.#early.keys().next().value!);
    }
    const offer = this.#offers.get(task.id);
    if (offer) {
      offer.apply(task);
      const me = this.#deps.me();
      if (isTerminal(task.state) || (task.offeredTo !== me && task.assignee !== me)) this.#offers.delete(task.id);
    }
  }
}

class Handle implements TaskHandle {
  readonly done: Promise<Task>;
  #task: Task;
  readonly #events = new Emitter<{ update: Task }>();
  #resolve!: (task: Task) => void;
  #reject!: (error: HubError) => void;
  readonly #request: RequestFn;

  constructor(task: Task, request: RequestFn) {
    this.#task = task;
    this.#request = request;
    this.done = new Promise<Task>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A rejection nobody awaits (the hub closed) must not become an unhandled rejection.
    this.done.catch(() => {});
    if (isTerminal(task.state)) this.#resolve(task);
  }

  get id(): string {
    return this.#task.id;
  }

  get task(): Task {
    return this.#task;
  }

  on(_event: 'update', listener: Listener<Task>): () => void {
    return this.#events.on('update', listener);
  }

  async cancel(): Promise<Task> {
    const { task } = await this.#request('task.cancel', { taskId: this.#task.id });
    this.apply(task);
    return task;
  }

  /** A newer state of the task (by history length); older or equal ones are dropped. */
  apply(task: Task): void {
    if (task.history.length <= this.#task.history.length) return;
    this.#task = task;
    this.#events.emit('update', task);
    if (isTerminal(task.state)) this.#resolve(task);
  }

  abandon(error: HubError): void {
    this.#reject(error);
  }
}

class Offer implements OfferedTask {
  #task: Task;
  readonly #request: RequestFn;

  constructor(task: Task, request: RequestFn) {
    this.#task = task;
    this.#request = request;
  }

  get task(): Task {
    return this.#task;
  }

  async accept(): Promise<Task> {
    return this.#took((await this.#request('task.accept', { taskId: this.#task.id })).task);
  }

  async decline(reason?: string): Promise<Task> {
    const fields = reason === undefined ? { taskId: this.#task.id } : { taskId: this.#task.id, reason };
    return this.#took((await this.#request('task.decline', fields)).task);
  }

  async complete(result?: JsonValue): Promise<Task> {
    const fields = result === undefined ? { taskId: this.#task.id } : { taskId: this.#task.id, result };
    return this.#took((await this.#request('task.complete', fields)).task);
  }

  async fail(error: string): Promise<Task> {
    return this.#took((await this.#request('task.fail', { taskId: this.#task.id, error })).task);
  }

  apply(task: Task): void {
    if (task.history.length > this.#task.history.length) this.#task = task;
  }

  #took(task: Task): Task {
    this.apply(task);
    return task;
  }
}
