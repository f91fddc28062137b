// @switchboard/client: the typed Switchboard SDK for browsers and any runtime with a WebSocket.
export { connect, Hub } from './client.js';
export type {
  BroadcastOptions, HubEvents, HubState, RequestOptions, SendOptions, SessionFilter, SessionPatch, TypedMessage,
} from './client.js';
export { DEFAULTS } from './options.js';
export type { ConnectOptions } from './options.js';
export { HubError, errorFromClose, errorFromFrame } from './errors.js';
export type { HubErrorOptions } from './errors.js';
export type { BackoffOptions } from './backoff.js';
export type { WebSocketConstructor, WebSocketLike } from './connection.js';
export type { DeleteOptions, Memory, SearchPage, SearchQuery, SetOptions } from './memory.js';
export type { HeldLock, LockOptions } from './locks.js';
export type { Lock, LockGrant, WriteFence } from '@switchboard/protocol';
export type { HandoffOptions, HandoffTarget, OfferedTask, TaskFilter, TaskHandle } from './tasks.js';
export type { Task, TaskHistoryEntry, TaskRole, TaskSpec, TaskState } from '@switchboard/protocol';
export type { WatchPresenceOptions } from './presence.js';
export type { WatchTasksOptions } from './task-watch.js';
export { CloseCode, ErrorCode, FATAL_CLOSE_CODES, RETRYABLE_CODES } from '@switchboard/protocol';
export type {
  Entry, EntryKind, HelloSession, JsonValue, MemoryChanged, MemoryOp, Message, MessageKind, Presence, PresenceEvent,
  Session, SessionStatus, TaskChanged, Welcome,
} from '@switchboard/protocol';
