// Every frame a client may send to the hub, as one discriminated union on `type`.
import { z } from 'zod';
import {
  Capability, EntryKind, Json, MemoryKey, MemoryPrefix, MessageKind, Meta, PROTOCOL_VERSION, Rid, SessionId,
  Role, SessionStatus, Tag,
} from './shapes.js';
import { LockAcquire, LockList, LockRelease, LockRenew, WriteFence } from './locks.js';
import { Handoff, TaskAccept, TaskCancel, TaskComplete, TaskDecline, TaskFail, TaskGet, TasksList, TasksUnwatch, TasksWatch } from './tasks.js';

const Name = z.string().min(1).max(128);
const Label = z.string().max(256);
const Task = z.string().max(4096).nullable();
const Capabilities = z.array(Capability).max(64);
/** Tags one memory entry may carry. */
export const MAX_TAGS = 32;
const Tags = z.array(Tag).max(MAX_TAGS);
const MsgId = z.string().min(1).max(64);
const Version = z.number().int().min(0);

export const HelloSession = z.object({
  id: SessionId.optional(),
  name: Name,
  agentType: Label.nullable().optional(),
  user: Label.nullable().optional(),
  location: Label.nullable().optional(),
  capabilities: Capabilities.optional(),
  status: SessionStatus.optional(),
  task: Task.optional(),
  meta: Meta.optional(),
});
export type HelloSession = z.infer<typeof HelloSession>;

/** Picks up a session that dropped without bye, within the hub's resume window. */
export const Resume = z.object({
  sessionId: SessionId,
  secret: z.string().min(1).max(256),
  /** The highest `seq` the client has processed; every message after it is replayed. */
  lastSeq: z.number().int().min(0),
});
export type Resume = z.infer<typeof Resume>;

export const Hello = z.object({
  type: z.literal('hello'),
  protocol: z.literal(PROTOCOL_VERSION),
  token: z.string().max(8192).optional(),
  session: HelloSession,
  resume: Resume.optional(),
  /** Asks for a lower role than the token grants (e.g. a dashboard joins as `observer`); never a higher one. */
  role: Role.optional(),
});
export type Hello = z.infer<typeof Hello>;

export const Ping = z.object({ type: z.literal('ping'), rid: Rid.optional() });
export type Ping = z.infer<typeof Ping>;

export const Update = z.object({
  type: z.literal('update'),
  rid: Rid.optional(),
  status: SessionStatus.optional(),
  task: Task.optional(),
  capabilities: Capabilities.optional(),
  meta: Meta.optional(),
});
export type Update = z.infer<typeof Update>;

export const SessionsList = z.object({
  type: z.literal('sessions.list'),
  rid: Rid,
  capability: Capability.optional(),
  status: SessionStatus.optional(),
});
export type SessionsList = z.infer<typeof SessionsList>;

export const PresenceWatch = z.object({ type: z.literal('presence.watch'), rid: Rid });
export type PresenceWatch = z.infer<typeof PresenceWatch>;

export const PresenceUnwatch = z.object({ type: z.literal('presence.unwatch'), rid: Rid });
export type PresenceUnwatch = z.infer<typeof PresenceUnwatch>;

export const Send = z.object({
  type: z.literal('send'),
  rid: Rid.optional(),
  to: SessionId,
  body: Json,
  kind: MessageKind.optional(),
  replyTo: MsgId.optional(),
  thread: MsgId.optional(),
  /** A retried send with the same key (from the same session) returns the first msgId instead of sending again. */
  idempotencyKey: z.string().min(1).max(128).optional(),
});
export type Send = z.infer<typeof Send>;

/** Cumulative: every direct message with `seq` ≤ this one has been processed. No answer. */
export const Ack = z.object({ type: z.literal('ack'), seq: z.number().int().min(1) });
export type Ack = z.infer<typeof Ack>;

export const Broadcast = z.object({
  type: z.literal('broadcast'),
  rid: Rid.optional(),
  body: Json,
  kind: MessageKind.optional(),
  capability: Capability.optional(),
});
export type Broadcast = z.infer<typeof Broadcast>;

export const MemorySet = z.object({
  type: z.literal('memory.set'),
  rid: Rid,
  key: MemoryKey,
  value: Json,
  kind: EntryKind.optional(),
  tags: Tags.optional(),
  ttlMs: z.number().int().positive().max(365 * 24 * 3600 * 1000).optional(),
  ifVersion: Version.optional(),
  /** Refused with `conflict` (carrying the current `fence`) if a newer grant of the lock exists. */
  fence: WriteFence.optional(),
});
export type MemorySet = z.infer<typeof MemorySet>;

export const MemoryGet = z.object({ type: z.literal('memory.get'), rid: Rid, key: MemoryKey });
export type MemoryGet = z.infer<typeof MemoryGet>;

export const MemoryDelete = z.object({
  type: z.literal('memory.delete'),
  rid: Rid,
  key: MemoryKey,
  ifVersion: Version.optional(),
});
export type MemoryDelete = z.infer<typeof MemoryDelete>;

export const MemorySearch = z.object({
  type: z.literal('memory.search'),
  rid: Rid,
  prefix: MemoryPrefix.optional(),
  kind: EntryKind.optional(),
  tags: Tags.optional(),
  text: z.string().min(1).max(256).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(512).nullable().optional(),
});
export type MemorySearch = z.infer<typeof MemorySearch>;

export const MemoryWatch = z.object({ type: z.literal('memory.watch'), rid: Rid, prefix: MemoryPrefix });
export type MemoryWatch = z.infer<typeof MemoryWatch>;

export const MemoryUnwatch = z.object({ type: z.literal('memory.unwatch'), rid: Rid, prefix: MemoryPrefix });
export type MemoryUnwatch = z.infer<typeof MemoryUnwatch>;

/** Admin only: ends another session of the namespace; it leaves with reason `kicked`. */
export const SessionKick = z.object({ type: z.literal('session.kick'), rid: Rid, sessionId: SessionId });
export type SessionKick = z.infer<typeof SessionKick>;

export const Bye = z.object({ type: z.literal('bye') });
export type Bye = z.infer<typeof Bye>;

export const ClientFrame = z.discriminatedUnion('type', [
  Hello, Ping, Update, SessionsList, PresenceWatch, PresenceUnwatch, Send, Ack, Broadcast,
  MemorySet, MemoryGet, MemoryDelete, MemorySearch, MemoryWatch, MemoryUnwatch, Bye, SessionKick,
  LockAcquire, LockRenew, LockRelease, LockList,
  Handoff, TaskAccept, TaskDecline, TaskComplete, TaskFail, TaskCancel, TaskGet, TasksList, TasksWatch, TasksUnwatch,
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type ClientFrameType = ClientFrame['type'];

/** A client frame of one type. */
export type ClientFrameOf<T extends ClientFrameType> = Extract<ClientFrame, { type: T }>;

/** The default number of entries one memory.search page returns. */
export const DEFAULT_SEARCH_LIMIT = 100;
