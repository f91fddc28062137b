// The nouns of the protocol: sessions, messages, memory entries, and the scalar rules they share.
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;
export const WS_PATH = '/v1';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Any JSON value; present (a frame decoded from JSON text cannot hold anything else). */
export const Json = z.custom<JsonValue>((v) => v !== undefined, { message: 'required' });

export const SessionId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'session id must be 1-64 chars of [A-Za-z0-9._-]');
export const MemoryKey = z.string().regex(/^[A-Za-z0-9._:/-]{1,256}$/, 'key must be 1-256 chars of [A-Za-z0-9._:/-]');
export const MemoryPrefix = z.string().regex(/^[A-Za-z0-9._:/-]{0,256}$/, 'prefix must be 0-256 chars of [A-Za-z0-9._:/-]');
export const Rid = z.string().min(1).max(64);
export const Capability = z.string().min(1).max(64);
export const Tag = z.string().min(1).max(64);
export const Meta = z.record(z.string().max(64), Json);

export const SessionStatus = z.enum(['active', 'idle', 'working', 'away']);
export type SessionStatus = z.infer<typeof SessionStatus>;

export const EntryKind = z.enum(['state', 'fact', 'decision', 'task', 'context', 'note', 'config']);
export type EntryKind = z.infer<typeof EntryKind>;

export const MessageKind = z.enum(['message', 'request', 'response', 'notification', 'sync']);
export type MessageKind = z.infer<typeof MessageKind>;

export const LeaveReason = z.enum(['bye', 'timeout', 'node_down', 'kicked']);
export type LeaveReason = z.infer<typeof LeaveReason>;

/**
 * What a token lets its holder do: `observer` only reads and watches, `agent` also writes and
 * sends, `admin` also kicks sessions and deletes any memory entry.
 */
export const Role = z.enum(['observer', 'agent', 'admin']);
export type Role = z.infer<typeof Role>;

export const Session = z.object({
  id: SessionId,
  name: z.string(),
  agentType: z.string().nullable(),
  user: z.string().nullable(),
  location: z.string().nullable(),
  capabilities: z.array(z.string()),
  status: SessionStatus,
  task: z.string().nullable(),
  meta: z.record(z.string(), Json),
  node: z.string(),
  connectedAt: z.number(),
  lastSeen: z.number(),
});
export type Session = z.infer<typeof Session>;

export const Entry = z.object({
  key: MemoryKey,
  value: Json,
  kind: EntryKind,
  tags: z.array(z.string()),
  version: z.number().int().positive(),
  author: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  expiresAt: z.number().nullable(),
});
export type Entry = z.infer<typeof Entry>;
