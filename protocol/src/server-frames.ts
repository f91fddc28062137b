// Every frame the hub sends to a client, as one discriminated union on `type`,
// plus the result carried by `ok` for each request type.
import { z } from 'zod';
import { ERROR_CODES } from './codes.js';
import { Entry, Json, LeaveReason, MessageKind, Rid, Role, Session } from './shapes.js';
import type { LockResults } from './locks.js';
import { TaskChanged, TaskOffer, TaskUpdate } from './tasks.js';
import type { TaskResults } from './tasks.js';

export const ResumeRefusal = z.enum(['expired', 'gap']);
export type ResumeRefusal = z.infer<typeof ResumeRefusal>;

export const Welcome = z.object({
  type: z.literal('welcome'),
  sessionId: z.string(),
  resumeSecret: z.string(),
  node: z.string(),
  heartbeatMs: z.number(),
  /** What this hub lets one client do; fields beyond the first two are optional (0 = no limit). */
  limits: z.object({
    maxFrameBytes: z.number(),
    maxValueBytes: z.number(),
    /** Frames per second one connection may sustain, and how many it may send at once. */
    rateFrames: z.number().optional(),
    rateFramesBurst: z.number().optional(),
    /** Bytes per second one connection may sustain, and how many at once. */
    rateBytes: z.number().optional(),
    rateBytesBurst: z.number().optional(),
    /** Requests one connection may have unanswered at once. */
    maxPending: z.number().optional(),
    /** memory.watch prefixes one session may hold. */
    maxWatches: z.number().optional(),
    /** Memory keys one namespace may hold. */
    maxKeys: z.number().optional(),
    /** Tags one memory entry may carry. */
    maxTags: z.number().optional(),
    /** Unacknowledged direct messages kept per session. */
    inboxLimit: z.number().optional(),
  }),
  session: Session,
  /** The namespace the session lives in and what it may do there (from the token; `default`/`agent` on an open hub). */
  ns: z.string().optional(),
  role: Role.optional(),
  /** Present when hello asked to resume: whether it did, and how many messages are replayed next. */
  resumed: z.boolean().optional(),
  replayed: z.number().optional(),
  /** Why a resume was refused: the session is gone (`expired`) or messages were lost (`gap`). */
  reason: ResumeRefusal.optional(),
  /** How long a dropped session stays resumable on this hub (0 = not at all). */
  resumeWindowMs: z.number().optional(),
});
export type Welcome = z.infer<typeof Welcome>;

export const Pong = z.object({ type: z.literal('pong'), rid: Rid.optional(), ts: z.number() });
export type Pong = z.infer<typeof Pong>;

/** The answer to a request frame that carried `rid`; the result fields sit beside `rid`. */
export const Ok = z.looseObject({ type: z.literal('ok'), rid: Rid });
export type Ok = z.infer<typeof Ok>;

export const ErrorFrame = z.looseObject({
  type: z.literal('error'),
  code: z.enum(ERROR_CODES),
  message: z.string(),
  rid: Rid.optional(),
  /** On `conflict`: the version currently stored (0 when absent). */
  version: z.number().optional(),
  /** On a `conflict` of a fenced memory write: the current fence of the lock. */
  fence: z.number().optional(),
  /** On `rate_limited` from the rate limit: ms until a frame of the same size would pass. */
  retryMs: z.number().optional(),
});
export type ErrorFrame = z.infer<typeof ErrorFrame>;

export const Message = z.object({
  type: z.literal('message'),
  /** Per-recipient sequence of direct messages (not on broadcasts); acknowledge with `ack`. */
  seq: z.number().optional(),
  msgId: z.string(),
  from: z.string(),
  kind: MessageKind,
  body: Json,
  replyTo: z.string().optional(),
  thread: z.string().optional(),
  ts: z.number(),
  broadcast: z.boolean().optional(),
});
export type Message = z.infer<typeof Message>;

export const PresenceEvent = z.enum(['join', 'update', 'leave']);
export type PresenceEvent = z.infer<typeof PresenceEvent>;

export const Presence = z.object({
  type: z.literal('presence'),
  event: PresenceEvent,
  session: Session,
  reason: LeaveReason.optional(),
});
export type Presence = z.infer<typeof Presence>;

export const MemoryOp = z.enum(['set', 'delete', 'expire']);
export type MemoryOp = z.infer<typeof MemoryOp>;

export const MemoryChanged = z.object({
  type: z.literal('memory.changed'),
  op: MemoryOp,
  key: z.string(),
  version: z.number(),
  by: z.string().optional(),
  entry: Entry.optional(),
});
export type MemoryChanged = z.infer<typeof MemoryChanged>;

export const Drain = z.object({ type: z.literal('drain'), reconnectMs: z.number() });
export type Drain = z.infer<typeof Drain>;

export const ServerFrame = z.discriminatedUnion('type', [
  Welcome, Pong, Ok, ErrorFrame, Message, Presence, MemoryChanged, Drain, TaskOffer, TaskUpdate, TaskChanged,
]);
export type ServerFrame = z.infer<typeof ServerFrame>;

/** What `ok` carries, by the type of the request it answers (`ping` is answered by `pong`). */
export interface Results {
  /** Answered by a `pong` frame (not `ok`) carrying the same rid. */
  ping: { ts: number };
  update: { session: Session };
  'sessions.list': { sessions: Session[] };
  'presence.watch': { sessions: Session[] };
  'presence.unwatch': Record<string, never>;
  /** `queued`: the recipient is away (resumable) and gets it when it resumes. `duplicate`: an idempotencyKey repeated. */
  send: { msgId: string; seq?: number; queued?: boolean; duplicate?: boolean };
  broadcast: { msgId: string; recipients: number };
  'memory.set': { entry: Entry };
  'memory.get': { entry: Entry | null };
  'memory.delete': { deleted: boolean };
  'memory.search': { entries: Entry[]; cursor: string | null };
  'memory.watch': Record<string, never>;
  'memory.unwatch': Record<string, never>;
  'session.kick': Record<string, never>;
  'lock.acquire': LockResults['lock.acquire'];
  'lock.renew': LockResults['lock.renew'];
  'lock.release': LockResults['lock.release'];
  'lock.list': LockResults['lock.list'];
  handoff: TaskResults['handoff'];
  'task.accept': TaskResults['task.accept'];
  'task.decline': TaskResults['task.decline'];
  'task.complete': TaskResults['task.complete'];
  'task.fail': TaskResults['task.fail'];
  'task.cancel': TaskResults['task.cancel'];
  'task.get': TaskResults['task.get'];
  'tasks.list': TaskResults['tasks.list'];
  'tasks.watch': TaskResults['tasks.watch'];
  'tasks.unwatch': TaskResults['tasks.unwatch'];
}
export type RequestType = keyof Results;
