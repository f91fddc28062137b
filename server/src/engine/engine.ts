// The engine interface: everything a hub node needs from the shared state of the hub
// (presence, routing, memory). MemoryEngine runs it in process; RedisEngine shares it
// between nodes. Both pass the same conformance suite (test/conformance).
import type {
  Entry, EntryKind, JsonValue, LeaveReason, MemoryChanged, Message, Presence, Session, SessionStatus,
} from '@switchboard/protocol';

/** Callbacks through which the engine hands this node what its local sockets must see. */
export interface EngineEvents {
  /** A direct message for a session held by this node. */
  message(ns: string, to: string, frame: Message): void;
  /** A broadcast: the node delivers it to its local sessions of `ns` that match. */
  broadcast(ns: string, frame: Message, filter: BroadcastFilter): void;
  /** A presence change in `ns`, for this node's presence watchers. */
  presence(ns: string, frame: Presence): void;
  /** A memory change in `ns`, for this node's memory watchers. */
  memory(ns: string, frame: MemoryChanged): void;
}

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
  author: string;
  now: number;
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
}

export type SetResult = { conflict: false; entry: Entry } | Conflict;
export type DeleteResult = { conflict: false; deleted: boolean } | Conflict;

export interface Engine {
  /** 'memory' or 'redis', for logs and /readyz. */
  readonly name: string;
  start(nodeId: string, events: EngineEvents): Promise<void>;
  stop(): Promise<void>;
  /** Whether the shared state is reachable (for /readyz). */
  ready(): Promise<boolean>;

  /** Registers a session; 'in_use' when a live session already holds the id. Emits presence join. */
  join(ns: string, session: Session): Promise<'joined' | 'in_use'>;
  /** Applies a patch to a live session and emits presence update; null if it is gone. */
  update(ns: string, id: string, patch: SessionPatch): Promise<Session | null>;
  /** Removes a session and emits presence leave; no-op if it is gone. */
  leave(ns: string, id: string, reason: LeaveReason): Promise<void>;
  /** Heartbeat for every session this node holds: one batch per node per beat. */
  touch(sessions: ReadonlyArray<{ ns: string; id: string }>, now: number): Promise<void>;
  sessions(ns: string, filter?: SessionFilter): Promise<Session[]>;

  /** Routes a direct message; false when `to` is not online. */
  send(ns: string, to: string, frame: Message): Promise<boolean>;
  /** Fans a message out to the namespace; returns how many sessions it was addressed to. */
  broadcast(ns: string, frame: Message, filter: BroadcastFilter): Promise<number>;

  memorySet(ns: string, write: MemoryWrite): Promise<SetResult>;
  memoryGet(ns: string, key: string, now: number): Promise<Entry | null>;
  memoryDelete(ns: string, key: string, ifVersion: number | undefined, by: string): Promise<DeleteResult>;
  memorySearch(ns: string, query: MemoryQuery, now: number): Promise<{ entries: Entry[]; cursor: string | null }>;
}
