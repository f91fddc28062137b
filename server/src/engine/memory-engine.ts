// The embedded engine: the whole hub state in this process. The default for one node;
// it has exactly the semantics RedisEngine has across nodes.
import type { Entry, InboxFrame, LeaveReason, Message, Session, SessionStatus } from '@switchboard/protocol';
import type {
  BroadcastFilter, DeleteResult, DeleteRight, Engine, EngineEvents, EngineSettings, MemoryQuery, MemoryWrite, ResumeRequest,
  ResumeResult, SendResult, SessionFilter, SessionPatch, SetResult,
} from './engine.js';
import { afterCursor, compareKeys, matchesQuery, matchesSession } from './search.js';
import { MemoryLocks } from './memory-locks.js';
import { MemoryTasks } from './memory-tasks.js';
import { definedOnly } from '../defined.js';

/** What the engine keeps for a session beyond its public Session: resume and inbox state. */
interface Held {
  secretHash: string;
  /** The last seq assigned to a message for this session. */
  seq: number;
  /** Unacknowledged direct messages, oldest first, at most inboxLimit. */
  inbox: InboxFrame[];
  /** Set while the session is away (socket gone, resumable): why it went. */
  away?: 'timeout' | 'node_down';
  awayTimer?: NodeJS.Timeout;
  statusBeforeAway?: SessionStatus;
}

interface Namespace {
  sessions: Map<string, Session>;
  held: Map<string, Held>;
  entries: Map<string, Entry>;
  expiry: Map<string, NodeJS.Timeout>;
}

export class MemoryEngine implements Engine {
  readonly name = 'memory';
  private readonly namespaces = new Map<string, Namespace>();
  readonly locks = new MemoryLocks((ns, id) => this.namespaces.get(ns)?.sessions.has(id) ?? false);
  readonly tasks = new MemoryTasks({
    sessions: (ns) => this.namespaces.get(ns)?.sessions.values() ?? [],
    exists: (ns, id) => this.namespaces.get(ns)?.held.has(id) ?? false,
    send: (ns, to, frame) => this.send(ns, to, frame),
    changed: (ns, task) => this.events?.task(ns, task),
  });
  private events: EngineEvents | null = null;
  private settings: EngineSettings = { heartbeatMs: 5000, resumeWindowMs: 0, inboxLimit: 10_000, idempotencyMs: 600_000 };
  private readonly idempotency = new Map<string, { msgId: string; until: number }>();
  /** Who each entry's last write acted for (MemoryWrite.owner); not part of the Entry clients see. */
  private readonly owners = new WeakMap<Entry, string>();

  async start(_nodeId: string, events: EngineEvents, settings: EngineSettings): Promise<void> {
    this.events = events;
    this.settings = settings;
  }

  async stop(): Promise<void> {
    for (const space of this.namespaces.values()) {
      for (const timer of space.expiry.values()) clearTimeout(timer);
      for (const held of space.held.values()) clearTimeout(held.awayTimer);
    }
    this.locks.stop();
    this.tasks.stop();
    this.namespaces.clear();
    this.idempotency.clear();
    this.events = null;
  }

  async ready(): Promise<boolean> {
    return this.events !== null;
  }

  async join(ns: string, session: Session, secretHash: string): Promise<'joined' | 'in_use'> {
    const space = this.space(ns);
    if (space.sessions.has(session.id)) return 'in_use';
    space.sessions.set(session.id, session);
    space.held.set(session.id, { secretHash, seq: 0, inbox: [] });
    this.events?.presence(ns, { type: 'presence', event: 'join', session });
    return 'joined';
  }

  async resume(ns: string, request: ResumeRequest): Promise<ResumeResult> {
    const space = this.space(ns);
    const held = space.held.get(request.sessionId);
    const session = space.sessions.get(request.sessionId);
    if (!held || !session || held.secretHash !== request.secretHash) return { resumed: false, reason: 'expired' };
    const replay = held.inbox.filter((m) => m.seq! > request.lastSeq);
    if (request.lastSeq > held.seq || replay.length !== held.seq - request.lastSeq) {
      await this.leave(ns, request.sessionId, 'timeout');
      return { resumed: false, reason: 'gap' };
    }
    if (held.away) {
      clearTimeout(held.awayTimer);
      held.away = undefined;
    } else {
      this.events?.kick(ns, session.id, 'resumed');
    }
    held.secretHash = request.nextSecretHash;
    const resumed: Session = { ...session, status: held.statusBeforeAway ?? session.status, lastSeen: request.now };
    held.statusBeforeAway = undefined;
    space.sessions.set(session.id, resumed);
    this.events?.presence(ns, { type: 'presence', event: 'update', session: resumed });
    return { resumed: true, session: resumed, replay };
  }

  async suspend(ns: string, id: string, reason: 'timeout' | 'node_down'): Promise<void> {
    const space = this.namespaces.get(ns);
    const held = space?.held.get(id);
    const session = space?.sessions.get(id);
    if (!space || !held || !session || held.away) return;
    if (this.settings.resumeWindowMs === 0) return this.leave(ns, id, reason);
    held.away = reason;
    held.statusBeforeAway = session.status;
    held.awayTimer = setTimeout(() => void this.leave(ns, id, reason), this.settings.resumeWindowMs);
    held.awayTimer.unref();
    const away: Session = { ...session, status: 'away' };
    space.sessions.set(id, away);
    this.events?.presence(ns, { type: 'presence', event: 'update', session: away, reason });
  }

  async update(ns: string, id: string, patch: SessionPatch): Promise<Session | null> {
    const space = this.space(ns);
    const current = space.sessions.get(id);
    if (!current || space.held.get(id)?.away) return null;
    const next: Session = { ...current, ...definedOnly(patch) };
    space.sessions.set(id, next);
    this.events?.presence(ns, { type: 'presence', event: 'update', session: next });
    return next;
  }

  async kickSession(ns: string, id: string): Promise<boolean> {
    const held = this.namespaces.get(ns)?.held.get(id);
    if (!held) return false;
    if (held.away) await this.leave(ns, id, 'kicked');
    else this.events?.kick(ns, id, 'kicked');
    return true;
  }

  async leave(ns: string, id: string, reason: LeaveReason): Promise<void> {
    const space = this.namespaces.get(ns);
    const session = space?.sessions.get(id);
    if (!space || !session) return;
    space.sessions.delete(id);
    clearTimeout(space.held.get(id)?.awayTimer);
    space.held.delete(id);
    this.events?.presence(ns, { type: 'presence', event: 'leave', session, reason });
    await this.sessionEnded(ns, id);
  }

  /**
   * Runs exactly once per session that really ends (leave published): what the session held
   * (locks, task leases) is released here.
   */
  private async sessionEnded(ns: string, id: string): Promise<void> {
    await this.locks.releaseSession(ns, id);
    await this.tasks.releaseSession(ns, id);
  }

  async touch(sessions: ReadonlyArray<{ ns: string; id: string }>, now: number): Promise<void> {
    for (const { ns, id } of sessions) {
      const session = this.namespaces.get(ns)?.sessions.get(id);
      if (session) session.lastSeen = now;
    }
  }

  async sessions(ns: string, filter: SessionFilter = {}): Promise<Session[]> {
    const all = [...(this.namespaces.get(ns)?.sessions.values() ?? [])];
    return all.filter((s) => matchesSession(s, filter)).map((s) => ({ ...s }));
  }

  async send(ns: string, to: string, frame: InboxFrame, idempotencyKey?: string): Promise<SendResult> {
    const msgId = frame.type === 'message' ? frame.msgId : '';
    const idemKey = idempotencyKey === undefined || frame.type !== 'message' ? null : `${ns}\n${frame.from}\n${idempotencyKey}`;
    const seen = idemKey ? this.idempotency.get(idemKey) : undefined;
    if (seen && seen.until > Date.now()) return { status: 'duplicate', msgId: seen.msgId };
    const held = this.namespaces.get(ns)?.held.get(to);
    if (!held) return { status: 'not_found' };
    const message: InboxFrame = { ...frame, seq: ++held.seq };
    held.inbox.push(message);
    if (held.inbox.length > this.settings.inboxLimit) held.inbox.shift();
    if (idemKey) this.remember(idemKey, msgId);
    if (held.away) return { status: 'queued', msgId, seq: message.seq! };
    this.events?.message(ns, to, message.seq!, JSON.stringify(message));
    return { status: 'delivered', msgId, seq: message.seq! };
  }

  async ack(ns: string, id: string, seq: number): Promise<void> {
    const held = this.namespaces.get(ns)?.held.get(id);
    if (!held) return;
    const keep = held.inbox.findIndex((m) => m.seq! > seq);
    held.inbox.splice(0, keep < 0 ? held.inbox.length : keep);
  }

  async inbox(ns: string, id: string, afterSeq: number): Promise<InboxFrame[]> {
    return (this.namespaces.get(ns)?.held.get(id)?.inbox ?? []).filter((m) => m.seq! > afterSeq);
  }

  async broadcast(ns: string, frame: Message, filter: BroadcastFilter): Promise<number> {
    const space = this.namespaces.get(ns);
    let recipients = 0;
    for (const s of space?.sessions.values() ?? []) {
      if (s.id === filter.exclude || space!.held.get(s.id)?.away) continue;
      if (!filter.capability || s.capabilities.includes(filter.capability)) recipients++;
    }
    this.events?.broadcast(ns, frame, filter);
    return recipients;
  }

  /** Remembers an idempotency key; old ones are dropped as new ones come. */
  private remember(key: string, msgId: string): void {
    const now = Date.now();
    if (this.idempotency.size > 10_000) {
      for (const [k, v] of this.idempotency) if (v.until <= now) this.idempotency.delete(k);
    }
    this.idempotency.set(key, { msgId, until: now + this.settings.idempotencyMs });
  }

  async memorySet(ns: string, write: MemoryWrite): Promise<SetResult> {
    const space = this.space(ns);
    const previous = this.live(space, write.key, write.now);
    const currentVersion = previous?.version ?? 0;
    if (write.fence) {
      const fence = this.locks.currentFence(ns, write.fence.name);
      if (fence > write.fence.value) return { conflict: true, version: currentVersion, fence };
    }
    if (write.ifVersion !== undefined && write.ifVersion !== currentVersion) {
      return { conflict: true, version: currentVersion };
    }
    const maxKeys = this.settings.maxKeys ?? 0;
    if (maxKeys > 0 && !space.entries.has(write.key) && space.entries.size >= maxKeys) return { conflict: false, full: true, maxKeys };
    const entry: Entry = {
      key: write.key,
      value: write.value,
      kind: write.kind ?? previous?.kind ?? 'state',
      tags: write.tags ?? previous?.tags ?? [],
      version: currentVersion + 1,
      author: write.author,
      createdAt: previous?.createdAt ?? write.now,
      updatedAt: write.now,
      expiresAt: write.ttlMs ? write.now + write.ttlMs : null,
    };
    space.entries.set(write.key, entry);
    if (write.owner) this.owners.set(entry, write.owner);
    this.clearExpiry(space, write.key);
    if (write.ttlMs) {
      const timer = setTimeout(() => this.expire(ns, write.key, entry), write.ttlMs);
      timer.unref();
      space.expiry.set(write.key, timer);
    }
    this.events?.memory(ns, { type: 'memory.changed', op: 'set', key: entry.key, version: entry.version, by: entry.author, entry });
    return { conflict: false, entry };
  }

  async memoryGet(ns: string, key: string, now: number): Promise<Entry | null> {
    const space = this.namespaces.get(ns);
    return (space && this.live(space, key, now)) ?? null;
  }

  async memoryDelete(ns: string, key: string, ifVersion: number | undefined, by: string, only?: DeleteRight): Promise<DeleteResult> {
    const space = this.space(ns);
    const current = this.live(space, key, Date.now());
    const currentVersion = current?.version ?? 0;
    if (ifVersion !== undefined && ifVersion !== currentVersion) return { conflict: true, version: currentVersion };
    if (!current) return { conflict: false, deleted: false };
    if (only && current.author !== only.author && (only.owner === null || this.owners.get(current) !== only.owner)) {
      return { conflict: false, deleted: false, notAuthor: true };
    }
    space.entries.delete(key);
    this.clearExpiry(space, key);
    this.events?.memory(ns, { type: 'memory.changed', op: 'delete', key, version: current.version, by });
    return { conflict: false, deleted: true };
  }

  async memorySearch(ns: string, query: MemoryQuery, now: number): Promise<{ entries: Entry[]; cursor: string | null }> {
    const space = this.namespaces.get(ns);
    if (!space) return { entries: [], cursor: null };
    const keys = [...space.entries.keys()].filter((k) => afterCursor(k, query.cursor)).sort(compareKeys);
    const entries: Entry[] = [];
    for (const key of keys) {
      const entry = this.live(space, key, now);
      if (!entry || !matchesQuery(entry, query)) continue;
      if (entries.length === query.limit) return { entries, cursor: entries[entries.length - 1]!.key };
      entries.push(entry);
    }
    return { entries, cursor: null };
  }

  private space(ns: string): Namespace {
    let space = this.namespaces.get(ns);
    if (!space) {
      space = { sessions: new Map(), held: new Map(), entries: new Map(), expiry: new Map() };
      this.namespaces.set(ns, space);
    }
    return space;
  }

  /** The entry if present and not past its expiry (a timer may fire a little late). */
  private live(space: Namespace, key: string, now: number): Entry | undefined {
    const entry = space.entries.get(key);
    return entry && (entry.expiresAt === null || entry.expiresAt > now) ? entry : undefined;
  }

  private expire(ns: string, key: string, entry: Entry): void {
    const space = this.namespaces.get(ns);
    if (!space || space.entries.get(key) !== entry) return;
    space.entries.delete(key);
    space.expiry.delete(key);
    this.events?.memory(ns, { type: 'memory.changed', op: 'expire', key, version: entry.version });
  }

  private clearExpiry(space: Namespace, key: string): void {
    const timer = space.expiry.get(key);
    if (timer) clearTimeout(timer);
    space.expiry.delete(key);
  }
}
