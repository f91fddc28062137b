// Task handoff with leases: the request frames a session sends about tasks, the two frames the
// hub delivers through the recipient's inbox (task.offer, task.update), the live task.changed of
// a task watch, the Task shape, and what each request's `ok` carries.
import { z } from 'zod';
import { Capability, Json, Rid, SessionId } from './shapes.js';
import type { Message } from './server-frames.js';

/** How long an offer stands with one session when handoff gives no acceptMs. */
export const DEFAULT_ACCEPT_MS = 30_000;
/** The longest acceptMs a handoff may ask for. */
export const MAX_ACCEPT_MS = 24 * 3600 * 1000;

export const TaskState = z.enum(['offered', 'accepted', 'completed', 'failed', 'declined', 'expired', 'canceled']);
export type TaskState = z.infer<typeof TaskState>;

/** A task in one of these states never changes again. */
export const TERMINAL_TASK_STATES: ReadonlySet<TaskState> = new Set<TaskState>(['completed', 'failed', 'declined', 'expired', 'canceled']);

export function isTerminal(state: TaskState): boolean {
  return TERMINAL_TASK_STATES.has(state);
}

/**
 * Why the hub moved a task on by itself (the `reason` of its history entries): the offer's
 * acceptMs passed, the session the offer stood with ended, the assignee ended, nobody is left.
 */
export const TaskReason = {
  accept_timeout: 'accept_timeout',
  offer_lost: 'offer_lost',
  assignee_lost: 'assignee_lost',
  no_candidates: 'no_candidates',
} as const;

export const TaskId = z.string().min(1).max(64);
const Reason = z.string().min(1).max(1024);

/** What the creator hands off. */
export const TaskSpec = z.object({
  title: z.string().min(1).max(256),
  body: Json.optional(),
  context: Json.optional(),
});
export type TaskSpec = z.infer<typeof TaskSpec>;

export const Handoff = z
  .object({
    type: z.literal('handoff'),
    rid: Rid,
    to: SessionId.optional(),
    capability: Capability.optional(),
    task: TaskSpec,
    acceptMs: z.number().int().min(1).max(MAX_ACCEPT_MS).optional(),
    /** A retried handoff with the same key (from the same session) returns the first task. */
    idempotencyKey: z.string().min(1).max(128).optional(),
  })
  .refine((f) => (f.to === undefined) !== (f.capability === undefined), { message: 'exactly one of to and capability is required', path: ['to'] });
export type Handoff = z.infer<typeof Handoff>;

export const TaskAccept = z.object({ type: z.literal('task.accept'), rid: Rid, taskId: TaskId });
export type TaskAccept = z.infer<typeof TaskAccept>;

export const TaskDecline = z.object({ type: z.literal('task.decline'), rid: Rid, taskId: TaskId, reason: Reason.optional() });
export type TaskDecline = z.infer<typeof TaskDecline>;

export const TaskComplete = z.object({ type: z.literal('task.complete'), rid: Rid, taskId: TaskId, result: Json.optional() });
export type TaskComplete = z.infer<typeof TaskComplete>;

export const TaskFail = z.object({ type: z.literal('task.fail'), rid: Rid, taskId: TaskId, error: z.string().min(1).max(4096) });
export type TaskFail = z.infer<typeof TaskFail>;

export const TaskCancel = z.object({ type: z.literal('task.cancel'), rid: Rid, taskId: TaskId });
export type TaskCancel = z.infer<typeof TaskCancel>;

export const TaskGet = z.object({ type: z.literal('task.get'), rid: Rid, taskId: TaskId });
export type TaskGet = z.infer<typeof TaskGet>;

export const TaskRole = z.enum(['created', 'assigned']);
export type TaskRole = z.infer<typeof TaskRole>;

export const TasksList = z.object({ type: z.literal('tasks.list'), rid: Rid, role: TaskRole, state: TaskState.optional() });
export type TasksList = z.infer<typeof TasksList>;

/** How many ended tasks (the most recently ended) the snapshot of tasks.watch carries at most. */
export const WATCH_ENDED_TASKS = 200;

/** Every task of the namespace: a snapshot in the `ok`, then a task.changed frame for each change. */
export const TasksWatch = z.object({ type: z.literal('tasks.watch'), rid: Rid });
export type TasksWatch = z.infer<typeof TasksWatch>;

export const TasksUnwatch = z.object({ type: z.literal('tasks.unwatch'), rid: Rid });
export type TasksUnwatch = z.infer<typeof TasksUnwatch>;

export const TaskHistoryEntry = z.object({
  state: TaskState,
  at: z.number(),
  /** The session that made the change, or whose absence caused it; `hub` for no_candidates. */
  by: z.string(),
  reason: z.string().optional(),
});
export type TaskHistoryEntry = z.infer<typeof TaskHistoryEntry>;

export const Task = z.object({
  id: z.string(),
  title: z.string(),
  body: Json,
  context: Json,
  /** The creator's session id. */
  from: z.string(),
  to: z.string().optional(),
  capability: z.string().optional(),
  state: TaskState,
  /** The session that accepted it (kept once it ends; cleared when its assignee is lost). */
  assignee: z.string().optional(),
  /** The session the offer currently stands with (only while `offered`). */
  offeredTo: z.string().optional(),
  /** 1, plus one for every time the task went back to `offered` because its assignee was lost. */
  attempts: z.number(),
  /** One entry per change, oldest first; its length orders the updates of one task. */
  history: z.array(TaskHistoryEntry),
  result: Json.optional(),
  error: z.string().optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Task = z.infer<typeof Task>;

/** An offer for this session: accept it (or decline it) before the offer moves on. */
export const TaskOffer = z.object({ type: z.literal('task.offer'), seq: z.number().optional(), task: Task });
export type TaskOffer = z.infer<typeof TaskOffer>;

/** A task you created, hold, or were offered changed. */
export const TaskUpdate = z.object({ type: z.literal('task.update'), seq: z.number().optional(), task: Task });
export type TaskUpdate = z.infer<typeof TaskUpdate>;

/**
 * A task of the namespace changed (only while you watch tasks). Live only: no `seq`, not through
 * the inbox, not replayed on resume.
 */
export const TaskChanged = z.object({ type: z.literal('task.changed'), task: Task });
export type TaskChanged = z.infer<typeof TaskChanged>;

/** Every frame that goes through a session's inbox (numbered with `seq`, acknowledged with `ack`). */
export type InboxFrame = Message | TaskOffer | TaskUpdate;

/** What `ok` carries for each task request (merged into Results). */
export interface TaskResults {
  /** `duplicate`: an idempotencyKey repeated; `task` is the first task as it is now. */
  handoff: { task: Task; duplicate?: boolean };
  'task.accept': { task: Task };
  'task.decline': { task: Task };
  'task.complete': { task: Task };
  'task.fail': { task: Task };
  'task.cancel': { task: Task };
  'task.get': { task: Task };
  'tasks.list': { tasks: Task[] };
  /** Open tasks, then at most WATCH_ENDED_TASKS ended ones; all sorted by updatedAt, newest first. */
  'tasks.watch': { tasks: Task[] };
  'tasks.unwatch': Record<string, never>;
}
