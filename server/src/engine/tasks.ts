// The TaskStore interface: task handoff with leases, one per engine. MemoryTasks runs it in
// process, RedisTasks across nodes; both pass the task cases of the conformance suite.
// Rules every store keeps:
// - a task has at most one assignee, and only the session the offer stands with may accept it;
//   each transition is atomic (one event-loop turn, or one Lua script);
// - a capability task is offered to the least-busy candidate: online (not away), has the
//   capability, not the creator, never offered it before; status idle/active before working,
//   then fewer accepted tasks, then the oldest connection, then the smaller id;
// - an offer that is declined, not accepted within acceptMs, or whose session ends moves to the
//   next candidate (a `to` task ends instead: declined or expired); an accepted task whose
//   assignee ends (releaseSession) goes back to offered with attempts + 1;
// - every change is delivered as task.update to the creator, the assignee and the session that
//   just lost the offer, and as task.offer to the session the offer now stands with, through
//   their inboxes; ended tasks are kept for TASK_RETENTION_MS;
// - every change is also announced to every node (EngineEvents.task), for task watchers;
//   watchList is the namespace-wide snapshot a watch starts with.
import { WATCH_ENDED_TASKS, isTerminal } from '@switchboard/protocol';
import type { JsonValue, Session, Task, TaskRole, TaskState } from '@switchboard/protocol';

/** How long a task is kept after it reached a terminal state. */
export const TASK_RETENTION_MS = 24 * 3600 * 1000;

/** Who made a change the hub made by itself (today only `no_candidates`). */
export const HUB_ACTOR = 'hub';

export interface HandoffRequest {
  /** The new task's id (a ULID from the node). */
  id: string;
  /** The creator's session id. */
  from: string;
  to?: string;
  capability?: string;
  title: string;
  body: JsonValue;
  context: JsonValue;
  acceptMs: number;
  idempotencyKey?: string;
  /** How long the idempotencyKey is remembered. */
  idempotencyMs: number;
}

/** `not_found`: `to` is not a live or resumable session. `duplicate`: the idempotencyKey was seen. */
export type HandoffResult = { outcome: 'created' | 'duplicate'; task: Task } | { outcome: 'not_found' };

/**
 * The outcome of a request about one task. `conflict`: the task is not in a state that allows it
 * (carrying the task as it is). `forbidden`: this session may never do it (not the creator, not
 * the assignee).
 */
export type TaskResult = { outcome: 'ok' | 'conflict' | 'forbidden'; task: Task } | { outcome: 'not_found' };

export type TaskAction =
  | { type: 'accept' }
  | { type: 'decline'; reason?: string }
  | { type: 'complete'; result?: JsonValue }
  | { type: 'fail'; error: string }
  | { type: 'cancel' };

export interface TaskStore {
  handoff(ns: string, request: HandoffRequest): Promise<HandoffResult>;
  /** Runs one action of session `by` on a task. */
  act(ns: string, taskId: string, by: string, action: TaskAction): Promise<TaskResult>;
  get(ns: string, taskId: string): Promise<Task | null>;
  /** `created`: tasks `session` handed off. `assigned`: tasks it has accepted or that are offered to it now. */
  list(ns: string, session: string, role: TaskRole, state?: TaskState): Promise<Task[]>;
  /**
   * The snapshot of tasks.watch: every task of the namespace that has not ended, plus the
   * WATCH_ENDED_TASKS most recently ended ones (within retention); sorted by watchOrder.
   */
  watchList(ns: string): Promise<Task[]>;
  /** The session really ended: its lease and any offer standing with it move on. Called once per session. */
  releaseSession(ns: string, sessionId: string): Promise<void>;
}

/**
 * Candidate order of a capability offer: idle/active before working, then fewer accepted tasks,
 * then the oldest connection, then the smaller id. `load` is the number of accepted tasks.
 */
export function candidateOrder(a: { session: Session; load: number }, b: { session: Session; load: number }): number {
  const busy = (s: Session) => (s.status === 'working' ? 1 : 0);
  return (
    busy(a.session) - busy(b.session) ||
    a.load - b.load ||
    a.session.connectedAt - b.session.connectedAt ||
    (a.session.id < b.session.id ? -1 : a.session.id > b.session.id ? 1 : 0)
  );
}

/** Who gets task.update for a change: creator, assignee, the sessions the change named; not the new offeree. */
export function updateRecipients(task: Task, extra: Iterable<string>, offerTo: string | undefined): Set<string> {
  const recipients = new Set([task.from, ...(task.assignee !== undefined ? [task.assignee] : []), ...extra]);
  if (offerTo) recipients.delete(offerTo);
  // The creator learns of a new task from the handoff answer, not from an update.
  if (task.history.length === 1) recipients.delete(task.from);
  return recipients;
}

/** Sorts tasks the way tasks.list answers: oldest first. */
export function byCreation(a: Task, b: Task): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Sorts tasks the way tasks.watch answers: by updatedAt, newest first (then the larger id). */
export function byUpdateDesc(a: Task, b: Task): number {
  return b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** The open tasks and the WATCH_ENDED_TASKS newest ended ones of `tasks`, newest first. */
export function watchSnapshot(tasks: Iterable<Task>): Task[] {
  const open: Task[] = [];
  const ended: Task[] = [];
  for (const task of tasks) (isTerminal(task.state) ? ended : open).push(task);
  return [...open, ...ended.sort(byUpdateDesc).slice(0, WATCH_ENDED_TASKS)].sort(byUpdateDesc);
}
