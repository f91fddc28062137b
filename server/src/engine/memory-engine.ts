// The embedded engine: the whole hub state in this process. The default for one node;
// it has exactly the semantics RedisEngine has across nodes.
import type { Entry, LeaveReason, Message, Session } from '@switchboard/protocol';
import type {
  BroadcastFilter, DeleteResult, Engine, EngineEvents, MemoryQuery, MemoryWrite, SessionFilter, SessionPatch,
  SetResult,
} from './engine.js';
import { afterCursor, compareKeys, matchesQuery } from './search.js';
import { definedOnly } from '../defined.js';

interface Namespace {
  sessions: Map<string, Session>;
  entries: Map<string, Entry>;
  expiry: Map<string, NodeJS.Timeout>;
}

export class MemoryEngine implements Engine {
  readonly name = 'memory';
  private readonly namespaces = new Map<string, Namespace>();
  private events: EngineEvents | null = null;

  async start(_nodeId: string, events: EngineEvents): Promise<void> {
    this.events = events;
  }

  async stop(): Promise<void> {
    for (const space of this.namespaces.values()) for (const timer of space.expiry.values()) clearTimeout(timer);
    this.namespaces.clear();
    this.events = null;
  }

  async ready(): Promise<boolean> {
    return this.events !== null;
  }

  async join(ns: string, session: Session): Promise<'joined' | 'in_use'> {
    const space = this.space(ns);
    if (space.sessions.has(session.id)) return 'in_use';
    space.sessions.set(session.id, session);
    this.events?.presence(ns, { type: 'presence', event: 'join', session });
    return 'joined';
  }

  async update(ns: string, id: string, patch: SessionPatch): Promise<Session | null> {
    const space = this.space(ns);
    const current = space.sessions.get(id);
    if (!current) return null;
    const next: Session = { ...current, ...definedOnly(patch) };
    space.sessions.set(id, next);
    this.events?.presence(ns, { type: 'presence', event: 'update', session: next });
    return next;
  }

  async leave(ns: string, id: string, reason: LeaveReason): Promise<void> {
    const space = this.namespaces.get(ns);
    const session = space?.sessions.get(id);
    if (!space || !session) return;
    space.sessions.delete(id);
    this.events?.presence(ns, { type: 'presence', event: 'leave', session, reason });
    await this.sessionEnded(ns, id);
  }

  /**
   * Runs exactly once per session that really ends (leave published): what the session held
   * (locks, task leases) is released here.
   */
  private async sessionEnded(_ns: string, _id: string): Promise<void> {}

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

  async send(ns: string, to: string, frame: Message): Promise<boolean> {
    if (!this.namespaces.get(ns)?.sessions.has(to)) return false;
    this.events?.message(ns, to, frame);
    return true;
  }

  async broadcast(ns: string, frame: Message, filter: BroadcastFilter): Promise<number> {
    let recipients = 0;
    for (const s of this.namespaces.get(ns)?.sessions.values() ?? []) {
      if (s.id !== filter.exclude && (!filter.capability || s.capabilities.includes(filter.capability))) recipients++;
    }
    this.events?.broadcast(ns, frame, filter);
    return recipients;
  }

  async memorySet(ns: string, write: MemoryWrite): Promise<SetResult> {
    const space = this.space(ns);
    const previous = this.live(space, write.key, write.now);
    const currentVersion = previous?.version ?? 0;
    if (write.ifVersion !== undefined && write.ifVersion !== currentVersion) {
      return { conflict: true, version: currentVersion };
    }
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

  async memoryDelete(ns: string, key: string, ifVersion: number | undefined, by: string): Promise<DeleteResult> {
    const space = this.space(ns);
    const current = this.live(space, key, Date.now());
    const currentVersion = current?.version ?? 0;
    if (ifVersion !== undefined && ifVersion !== currentVersion) return { conflict: true, version: currentVersion };
    if (!current) return { conflict: false, deleted: false };
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
      space = { sessions: new Map(), entries: new Map(), expiry: new Map() };
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

export function matchesSession(s: Session, filter: SessionFilter): boolean {
  return (!filter.capability || s.capabilities.includes(filter.capability)) && (!filter.status || s.status === filter.status);
}
