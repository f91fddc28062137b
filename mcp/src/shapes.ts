// The protocol's nouns as zod schemas the MCP SDK can turn into JSON Schema (tool outputSchema).
// The protocol package's own schemas use z.custom for JSON values, which has no JSON Schema, and this
// package depends on the client SDK only, so they are restated here; the type checks at the bottom
// fail the build if they drift from the protocol's types. Objects are loose: the hub may add fields.
import { z } from 'zod';
import type { Entry, Lock, Message, Session, Task, TaskHistoryEntry } from '@switchboard/client/node';

/** Any JSON value (a message body, a memory value, a task result). */
export const JsonAny = z.unknown().describe('any JSON value');

export const SessionStatus = z.enum(['active', 'idle', 'working', 'away']);
export const MessageKind = z.enum(['message', 'request', 'response', 'notification', 'sync']);
export const EntryKind = z.enum(['state', 'fact', 'decision', 'task', 'context', 'note', 'config']);

const SessionFields = z.object({
  id: z.string(),
  name: z.string(),
  agentType: z.string().nullable(),
  user: z.string().nullable(),
  location: z.string().nullable(),
  capabilities: z.array(z.string()),
  status: SessionStatus,
  task: z.string().nullable(),
  meta: z.record(z.string(), JsonAny),
  node: z.string(),
  connectedAt: z.number(),
  lastSeen: z.number(),
});

const MessageFields = z.object({
  type: z.literal('message'),
  seq: z.number().optional(),
  msgId: z.string(),
  from: z.string(),
  kind: MessageKind,
  body: JsonAny,
  replyTo: z.string().optional(),
  thread: z.string().optional(),
  ts: z.number(),
  broadcast: z.boolean().optional(),
});

const EntryFields = z.object({
  key: z.string(),
  value: JsonAny,
  kind: EntryKind,
  tags: z.array(z.string()),
  version: z.number(),
  author: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  expiresAt: z.number().nullable(),
});

const LockFields = z.object({
  name: z.string(),
  holder: z.string(),
  fence: z.number(),
  expiresAt: z.number(),
  waiters: z.number(),
});

export const TaskState = z.enum(['offered', 'accepted', 'completed', 'failed', 'declined', 'expired', 'canceled']);

const TaskHistoryFields = z.object({
  state: TaskState,
  at: z.number(),
  by: z.string(),
  reason: z.string().optional(),
});

const TaskFields = z.object({
  id: z.string(),
  title: z.string(),
  body: JsonAny,
  context: JsonAny,
  from: z.string().describe('the creator\'s session id'),
  to: z.string().optional(),
  capability: z.string().optional(),
  state: TaskState,
  assignee: z.string().optional().describe('the session that accepted it'),
  offeredTo: z.string().optional().describe('the session the offer stands with now (while offered)'),
  attempts: z.number(),
  history: z.array(TaskHistoryFields.loose()),
  result: JsonAny.optional(),
  error: z.string().optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
});

export const SessionShape = SessionFields.loose();
export const MessageShape = MessageFields.loose();
export const EntryShape = EntryFields.loose();
export const LockShape = LockFields.loose();
export const TaskShape = TaskFields.loose();

// ---- drift checks: every value the hub sends must fit these schemas, field for field ----
type Fits<Protocol, Ours> = Protocol extends Ours ? (keyof Ours extends keyof Protocol ? (keyof Protocol extends keyof Ours ? true : false) : false) : false;
type Shape<S extends z.ZodType> = z.output<S>;
const drift: [
  Fits<Session, Shape<typeof SessionFields>>,
  Fits<Message, Shape<typeof MessageFields>>,
  Fits<Entry, Shape<typeof EntryFields>>,
  Fits<Lock, Shape<typeof LockFields>>,
  Fits<Task, Shape<typeof TaskFields>>,
  Fits<TaskHistoryEntry, Shape<typeof TaskHistoryFields>>,
] = [true, true, true, true, true, true];
void drift;
