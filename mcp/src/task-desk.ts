// The tasks this bridge deals with: offers made to its session (the SDK's OfferedTask objects,
// which accept_task … fail_task act on by id) and tasks it handed off (TaskHandles, whose updates
// go to the inbox). The MCP client knows tasks by id only; this maps ids back to those objects.
import { HubError } from '@switchboard/client/node';
import type { OfferedTask, Task, TaskHandle } from '@switchboard/client/node';

const TERMINAL = new Set(['completed', 'failed', 'declined', 'expired', 'canceled']);

export interface DeskHooks {
  /** This session's id. */
  me(): string;
  /** A task was offered to this session, or this session handed one off. */
  added(task: Task, how: 'offered' | 'handed off'): void;
  /** A task this session handed off changed. */
  updated(task: Task): void;
}

export class TaskDesk {
  readonly #offers = new Map<string, OfferedTask>();
  readonly #handles = new Map<string, { handle: TaskHandle; off: () => void }>();
  readonly #hooks: DeskHooks;

  constructor(hooks: DeskHooks) {
    this.#hooks = hooks;
  }

  /** From the hub's `task` event. */
  offered(offer: OfferedTask): void {
    this.#prune();
    this.#offers.set(offer.task.id, offer);
    this.#hooks.added(offer.task, 'offered');
  }

  /** From handoff_task: follow the task until it ends. */
  handedOff(handle: TaskHandle): void {
    this.#prune();
    const off = handle.on('update', (task) => {
      this.#hooks.updated(task);
      if (TERMINAL.has(task.state)) this.#forget(task.id);
    });
    this.#handles.set(handle.id, { handle, off });
    this.#hooks.added(handle.task, 'handed off');
    // An update that raced the handoff's answer is already applied: nothing more will come.
    if (TERMINAL.has(handle.task.state)) {
      this.#hooks.updated(handle.task);
      this.#forget(handle.id);
    }
  }

  /** The offer of task `taskId` made to this session; HubError not_found if none reached it. */
  offer(taskId: string): OfferedTask {
    const offer = this.#offers.get(taskId);
    if (!offer) throw new HubError('not_found', `no offer of task "${taskId}" reached this session (see list_tasks role "assigned")`);
    return offer;
  }

  /** The handle of task `taskId` that this session handed off and that has not ended. */
  handle(taskId: string): TaskHandle {
    const entry = this.#handles.get(taskId);
    if (!entry) throw new HubError('not_found', `task "${taskId}" was not handed off by this session, or it has ended`);
    return entry.handle;
  }

  /** The tasks this bridge knows, as last seen: open offers and open handoffs. */
  known(): Task[] {
    this.#prune();
    return [...[...this.#offers.values()].map((o) => o.task), ...[...this.#handles.values()].map((h) => h.handle.task)];
  }

  close(): void {
    for (const { off } of this.#handles.values()) off();
    this.#handles.clear();
    this.#offers.clear();
  }

  #forget(taskId: string): void {
    this.#handles.get(taskId)?.off();
    this.#handles.delete(taskId);
  }

  // An offer ends without an event when it expires, moves on, or is canceled: drop those lazily.
  #prune(): void {
    const me = this.#hooks.me();
    for (const [id, { task }] of this.#offers) {
      if (TERMINAL.has(task.state) || (task.offeredTo !== me && task.assignee !== me)) this.#offers.delete(id);
    }
  }
}
