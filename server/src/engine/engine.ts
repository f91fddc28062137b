// The engine interface: everything a hub node needs from the shared state of the hub
// (presence, routing, memory). MemoryEngine runs it in process; RedisEngine shares it
// between nodes. Both pass the same conformance suite (test/conformance).
import type {
  Entry, EntryKind, InboxFrame, JsonValue, LeaveReason, MemoryChanged, Message, Presence, Session, SessionStatus, Task,
} from '@switchboard/protocol';
import type { LockStore } from './locks.js';
import type { TaskStore } from './tasks.js';

/** Callbacks through which the engine hands this node what its local sockets must see. */
export interface EngineEvents {
  /**
   * An inbox frame (direct message, task.offer, task.update) for a session held by this node:
   * its `seq` and the frame as JSON text, written to the socket as it is (no parse and
   * re-encode on the delivery path).
   */
  message(ns: string, to: string, seq: number, text: string): void;
  /** A broadcast: the node delivers it to its local sessions of `ns` that match. */
  broadcast(ns: string, frame: Message, filter: BroadcastFilter): void;
  /** A presence change in `ns`, for this node's presence watchers. */
  presence(ns: string, frame: Presence): void;
  /** A memory change in `ns`, for this node's memory watchers. */
  memory(ns: string, frame: MemoryChanged): void;
  /** A task of `ns` changed (the task after the change), for this node's task watchers. Live only. */
  task(ns: string, task: Task): void;
  /**
   * A session this node holds must lose its socket. `resumed`: it was resumed on another socket
   * (here or on another node) — close the old one without ending the session. `kicked`: an admin
   * kicked it — close the socket and end the session with `leave(ns, id, 'kicked')`.
   */
  kick(ns: string, id: string, why: 'resumed' | 'kicked'): void;
}

/** How the hub runs; given to the engine at start. */
export interface EngineSettings {
  heartbeatMs: number;
  /** How long a session that dropped without bye stays resumable (0 = it leaves at once). */
  resumeWindowMs: number;
  /** Most unacknowledged direct messages kept per session; older ones are dropped (a resume then reports a gap). */
  inboxLimit: number;
  /** How long a send's idempotencyKey is remembered. */
  idempotencyMs: number;
  /** Most memory keys one namespace may hold; a write of a new key beyond it is refused (0 = no limit). */
  maxKeys?: number;
}

export type SendResult =
  | { status: 'delivered' | 'queued'; msgId: string; seq: number }
  | { status: 'duplicate'; msgId: string }
  | { status: 'not_found' };

export interface ResumeRequest {
  sessionId: string;
  /** sha256 of the secret the client presented. */
  secretHash: string;
  /** sha256 of the new secret the welcome hands out. */
  nextSecretHash: string;
  lastSeq: number;
  now: number;
}

/**
 * A resume either restores the session with every message after lastSeq, or is refused:
 * `expired` (no such resumable session, or the wrong secret) or `gap` (messages after lastSeq
 * were dropped; the old session has been ended so its id is free for a fresh join).
 */
export type ResumeResult =
  | { resumed: true; session: Session; replay: InboxFrame[] }
  | { resumed: false; reason: 'expired' | 'gap' };

export interface BroadcastFilter {
  /** Sender's session id: never a recipient. */
  exclude: string;
  /** Only sessions that list this capability. */
  capability?: string;
}

export interface SessionFilter {
  capability?: string;
  status?: SessionStatus;
}

export interface SessionPatch {
  status?: SessionStatus;
  task?: string | null;
  capabilities?: string[];
  meta?: Record<string, JsonValue>;
}

export interface MemoryWrite {
  key: string;
  value: JsonValue;
  kind?: EntryKind;
  tags?: string[];
  ttlMs?: number;
  ifVersion?: number;
  /** Refused (Conflict with `fence`) when the lock's latest grant is newer than `value`. */
  fence?: { name: string; value: number };
  author: string;
  /** Who the author acts for across sessions (the token's subject), kept with the entry for delete rights; null = nobody. */
  owner?: string | null;
  now: number;
}

/** Who may delete an entry when not anyone may: its last author session, or a session of its owner. */
export interface DeleteRight {
  author: string;
  owner: string | null;
}

export interface MemoryQuery {
  prefix?: string;
  kind?: EntryKind;
  tags?: string[];
  text?: string;
  limit: number;
  cursor?: string | null;
}

/** A compare-and-set that lost: `version` is what is stored now (0 = absent). */
export interface Conflict {
  conflict: true;
  version: number;
  /** Set when the write's fence is stale: the current fence of its lock. */
  fence?: number;
}

/** A write of a new key into a namespace that already holds `maxKeys` keys; nothing was written. */
export interface KeysFull {
  conflict: false;
  full: true;
  maxKeys: number;
}

export type SetResult = { conflict: false; entry: Entry; full?: undefined } | KeysFull | Conflict;
/** `notAuthor`: a DeleteRight was given and the entry's last writer does not match it; nothing was deleted. */
export type DeleteResult = { conflict: false; deleted: boolean; notAuthor?: true } | Conflict;

export interface Engine {
  /** 'memory' or 'redis', for logs and /readyz. */
  readonly name: string;
  /** Distributed locks with fencing tokens, in the same shared state. */
  readonly locks: LockStore;
  /** Task handoff with leases, in the same shared state. */
  readonly tasks: TaskStore;
  start(nodeId: string, events: EngineEvents, settings: EngineSettings): Promise<void>;
  stop(): Promise<void>;
  /** Whether the shared state is reachable (for /readyz). */
  ready(): Promise<boolean>;

  /** Registers a session; 'in_use' when a live or resumable session holds the id. Emits presence join. */
  join(ns: string, session: Session, secretHash: string): Promise<'joined' | 'in_use'>;
  /** Takes over a session (away, or live on a socket that is gone) for this node; see ResumeResult. */
  resume(ns: string, request: ResumeRequest): Promise<ResumeResult>;
  /**
   * The session's socket dropped without bye: it turns `away` (presence update) and stays
   * resumable for the window, then leaves with `reason`. With a window of 0 it leaves at once.
   */
  suspend(ns: string, id: string, reason: 'timeout' | 'node_down'): Promise<void>;
  /** Applies a patch to a live session and emits presence update; null if it is gone. */
  update(ns: string, id: string, patch: SessionPatch): Promise<Session | null>;
  /**
   * An admin's kick: a connected session's node is told (events.kick with `kicked`) and ends it;
   * an away session ends here with reason `kicked`. False if there is no such session.
   */
  kickSession(ns: string, id: string): Promise<boolean>;
  /** Removes a session and emits presence leave; no-op if it is gone. */
  leave(ns: string, id: string, reason: LeaveReason): Promise<void>;
  /** Heartbeat for every session this node holds: one batch per node per beat. */
  touch(sessions: ReadonlyArray<{ ns: string; id: string }>, now: number): Promise<void>;
  sessions(ns: string, filter?: SessionFilter): Promise<Session[]>;

  /**
   * Writes a frame (a direct message, task.offer or task.update) to the recipient's inbox
   * (assigning its `seq`), then pushes it live if the recipient is connected. `not_found` when no
   * live or resumable session has the id. `msgId` is the message's ('' for task frames).
   */
  send(ns: string, to: string, frame: InboxFrame, idempotencyKey?: string): Promise<SendResult>;
  /** Cumulative acknowledgement: the session has processed every message up to `seq`. */
  ack(ns: string, id: string, seq: number): Promise<void>;
  /** The inbox of a session after `afterSeq`, in order (for catching up a live socket). */
  inbox(ns: string, id: string, afterSeq: number): Promise<InboxFrame[]>;
  /** Fans a message out to the namespace; returns how many sessions it was addressed to. */
  broadcast(ns: string, frame: Message, filter: BroadcastFilter): Promise<number>;

  memorySet(ns: string, write: MemoryWrite): Promise<SetResult>;
  memoryGet(ns: string, key: string, now: number): Promise<Entry | null>;
  /**
   * With `only`, deletes only an entry whose last write came from `only.author` or from a session of
   * `only.owner` (checked in the same atomic step); otherwise `notAuthor`.
   */
  memoryDelete(ns: string, key: string, ifVersion: number | undefined, by: string, only?: DeleteRight): Promise<DeleteResult>;
  memorySearch(ns: string, query: MemoryQuery, now: number): Promise<{ entries: Entry[]; cursor: string | null }>;
}
