// RedisEngine: many hub nodes as one hub. Presence, routing and memory live in Redis (the single
// source of truth); every state change is one Lua script that also publishes its event.
// Node liveness: each node refreshes a key with a TTL; survivors sweep the sessions of a node
// whose key expired (leave, reason node_down). A node that finds its sessions gone (Redis lost
// them, or it was declared dead) registers them again under a fresh epoch.
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { ulid } from 'ulid';
import type { Entry, LeaveReason, MemoryChanged, Message, Presence, Session } from '@switchboard/protocol';
import type {
  BroadcastFilter, DeleteResult, Engine, EngineEvents, MemoryQuery, MemoryWrite, SessionFilter, SessionPatch,
  SetResult,
} from '../engine.js';
import { definedOnly } from '../../defined.js';
import { EngineUnavailableError } from '../errors.js';
import { matchesSession } from '../memory-engine.js';
import { matchesQuery } from '../search.js';
import { Keys } from './keys.js';
import { SCRIPTS } from './scripts.js';

export interface RedisEngineOptions {
  url: string;
  /** Key prefix, so several hubs can share one Redis. @default 'sb' */
  prefix?: string;
  /** Must equal the hub's heartbeat; sets session and node TTLs. @default 5000 */
  heartbeatMs?: number;
  /** A command that takes longer fails as `unavailable`. @default 2000 */
  commandTimeoutMs?: number;
  /** Called for engine-level trouble (no socket involved). */
  onError?: (err: unknown, what: string) => void;
}

type Scripted = Redis & {
  sbJoin(...args: (string | number)[]): Promise<number>;
  sbUpdate(...args: (string | number)[]): Promise<number>;
  sbLeave(...args: (string | number)[]): Promise<number>;
  sbTouch(...args: (string | number)[]): Promise<number>;
  sbRoute(...args: (string | number)[]): Promise<number>;
  sbBroadcast(...args: (string | number)[]): Promise<number>;
  sbMemorySet(...args: (string | number)[]): Promise<[number, string | number]>;
  sbMemoryDelete(...args: (string | number)[]): Promise<[number, number]>;
  sbMemoryExpire(...args: (string | number)[]): Promise<number>;
  sbForgetNode(...args: (string | number)[]): Promise<number>;
};

/** What travels on a namespace channel. */
type NsEnvelope =
  | { k: 'p'; e: Presence['event']; r?: LeaveReason; ls: number; s: Omit<Session, 'lastSeen'> & { lastSeen?: number } }
  | { k: 'm'; f: MemoryChanged }
  | { k: 'b'; x: string; c?: string; f: Message };

/** What travels on a node channel. */
type NodeEnvelope = { k: 'd'; ns: string; to: string; f: Message };

export class RedisEngine implements Engine {
  readonly name = 'redis';
  readonly keys: Keys;
  private readonly heartbeatMs: number;
  private readonly redis: Scripted;
  private readonly sub: Redis;
  private nodeId = '';
  private epoch = '';
  private events: EngineEvents | null = null;
  /** Sessions this node holds, by namespace (the engine's copy, for re-registration). */
  private readonly local = new Map<string, Map<string, Session>>();
  private readonly subscriptions = new Map<string, Promise<unknown>>();
  /** Leaves that could not reach Redis; retried each heartbeat so no ghost stays behind. */
  private readonly pendingLeaves = new Map<string, { ns: string; id: string; reason: LeaveReason; epoch: string }>();
  private sweeper: NodeJS.Timeout | null = null;
  private expiryChannel = '';
  private stopped = false;

  constructor(private readonly options: RedisEngineOptions) {
    this.keys = new Keys(options.prefix ?? 'sb');
    this.heartbeatMs = options.heartbeatMs ?? 5000;
    const common: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      commandTimeout: options.commandTimeoutMs ?? 2000,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 1000),
    };
    this.redis = new Redis(options.url, { ...common, connectionName: 'switchboard' }) as Scripted;
    this.sub = new Redis(options.url, { ...common, enableOfflineQueue: true, commandTimeout: undefined, connectionName: 'switchboard-sub' });
    for (const [name, { numberOfKeys, lua }] of Object.entries(SCRIPTS)) this.redis.defineCommand(name, { numberOfKeys, lua });
    this.redis.on('error', (err) => this.report(err, 'redis connection'));
    this.sub.on('error', (err) => this.report(err, 'redis subscriber'));
    this.redis.on('ready', () => void this.onRedisReady());
  }

  async start(nodeId: string, events: EngineEvents): Promise<void> {
    this.nodeId = nodeId;
    this.epoch = ulid();
    this.events = events;
    const db = Number(new URL(this.options.url).pathname.slice(1) || 0);
    this.expiryChannel = `__keyevent@${db}__:expired`;
    await Promise.all([this.redis.connect(), this.sub.connect()]);
    this.sub.on('message', (channel: string, text: string) => this.onPubSub(channel, text));
    await this.sub.subscribe(this.keys.nodeChannel(nodeId), this.expiryChannel);
    await this.sweepNode(nodeId, await this.redis.hget(this.keys.nodes(), nodeId));
    await this.beatNode();
    this.sweeper = setInterval(() => void this.sweep(), Math.max(50, Math.floor(this.heartbeatMs / 2)));
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    try {
      if (this.redis.status === 'ready') {
        await this.retryPendingLeaves();
        await this.redis.multi().del(this.keys.nodeAlive(this.nodeId)).hdel(this.keys.nodes(), this.nodeId).del(this.keys.nodeNamespaces(this.nodeId)).exec();
      }
    } finally {
      this.redis.disconnect();
      this.sub.disconnect();
      this.events = null;
    }
  }

  async ready(): Promise<boolean> {
    if (this.redis.status !== 'ready') return false;
    return (await this.call(() => this.redis.ping()).catch(() => null)) === 'PONG';
  }

  // ---- presence

  async join(ns: string, session: Session): Promise<'joined' | 'in_use'> {
    await this.subscribe(ns);
    const joined = await this.call(() => this.joinScript(ns, session));
    if (!joined) return 'in_use';
    this.localSessions(ns).set(session.id, session);
    void this.call(() => this.redis.sadd(this.keys.nodeNamespaces(this.nodeId), ns)).catch((err) => this.report(err, 'node namespaces'));
    return 'joined';
  }

  async update(ns: string, id: string, patch: SessionPatch): Promise<Session | null> {
    const current = this.local.get(ns)?.get(id);
    if (!current) return null;
    const next: Session = { ...current, ...definedOnly(patch) };
    const done = await this.call(() => this.redis.sbUpdate(this.keys.session(ns, id), this.epoch, sessionData(next), capsField(next), this.keys.nsChannel(ns)));
    if (!done) return null;
    this.local.get(ns)?.set(id, next);
    return next;
  }

  async leave(ns: string, id: string, reason: LeaveReason): Promise<void> {
    const sessions = this.local.get(ns);
    if (!sessions?.delete(id)) return;
    if (sessions.size === 0) this.local.delete(ns);
    const pending = { ns, id, reason, epoch: this.epoch };
    try {
      await this.call(() => this.leaveScript(pending.ns, pending.id, this.nodeId, pending.epoch, reason));
    } catch (err) {
      this.pendingLeaves.set(`${ns}\n${id}`, pending);
      throw err;
    } finally {
      if (!this.local.has(ns)) this.unsubscribe(ns);
    }
  }

  async touch(_sessions: ReadonlyArray<{ ns: string; id: string }>, now: number): Promise<void> {
    if (this.redis.status !== 'ready') return;
    await this.retryPendingLeaves();
    const ttl = 3 * this.heartbeatMs;
    const all = [...this.local].flatMap(([ns, sessions]) => [...sessions.values()].map((s) => ({ ns, s })));
    const pipeline = this.redis.pipeline() as ReturnType<Redis['pipeline']> & { sbTouch(...a: (string | number)[]): unknown };
    for (const { ns, s } of all) {
      s.lastSeen = now;
      pipeline.sbTouch(this.keys.session(ns, s.id), this.epoch, now, ttl);
    }
    this.nodeBeat(pipeline);
    const results = (await pipeline.exec()) ?? [];
    const lost = all.filter((_, i) => results[i]?.[1] !== 1);
    if (lost.length > 0) await this.reregister(lost);
  }

  async sessions(ns: string, filter: SessionFilter = {}): Promise<Session[]> {
    const ids = await this.call(() => this.redis.smembers(this.keys.sessions(ns)));
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hmget(this.keys.session(ns, id), 'data', 'lastSeen');
    const rows = (await this.call(() => pipeline.exec())) ?? [];
    const sessions: Session[] = [];
    const gone: string[] = [];
    rows.forEach(([, row], i) => {
      const [data, lastSeen] = (row ?? []) as (string | null)[];
      if (!data) return void gone.push(ids[i]!);
      const session = { ...(JSON.parse(data) as Session), lastSeen: Number(lastSeen) };
      if (matchesSession(session, filter)) sessions.push(session);
    });
    if (gone.length > 0) void this.redis.srem(this.keys.sessions(ns), ...gone).catch(() => {});
    return sessions.sort((a, b) => a.connectedAt - b.connectedAt || (a.id < b.id ? -1 : 1));
  }

  // ---- routing

  async send(ns: string, to: string, frame: Message): Promise<boolean> {
    if (this.local.get(ns)?.has(to)) {
      this.events?.message(ns, to, frame);
      return true;
    }
    const payload = JSON.stringify({ k: 'd', ns, to, f: frame } satisfies NodeEnvelope);
    const routed = await this.call(() => this.redis.sbRoute(this.keys.session(ns, to), `${this.keys.prefix}:node:`, payload));
    return routed === 1;
  }

  async broadcast(ns: string, frame: Message, filter: BroadcastFilter): Promise<number> {
    const envelope: NsEnvelope = filter.capability ? { k: 'b', x: filter.exclude, c: filter.capability, f: frame } : { k: 'b', x: filter.exclude, f: frame };
    return this.call(() =>
      this.redis.sbBroadcast(this.keys.sessions(ns), this.keys.sessionPrefix(ns), filter.exclude, filter.capability ?? '', this.keys.nsChannel(ns), JSON.stringify(envelope)),
    );
  }

  // ---- memory

  async memorySet(ns: string, write: MemoryWrite): Promise<SetResult> {
    const [ok, result] = await this.call(() =>
      this.redis.sbMemorySet(
        ...this.entryKeys(ns, write.key),
        write.key,
        JSON.stringify(write.value),
        write.kind ?? '',
        write.tags ? JSON.stringify(write.tags) : '',
        write.ttlMs ?? 0,
        write.ifVersion ?? -1,
        write.author,
        write.now,
        this.keys.nsChannel(ns),
      ),
    );
    if (ok === 0) return { conflict: true, version: Number(result) };
    return { conflict: false, entry: JSON.parse(String(result)) as Entry };
  }

  async memoryGet(ns: string, key: string): Promise<Entry | null> {
    const row = await this.call(() => this.redis.hgetall(this.keys.entry(ns, key)));
    return parseEntry(key, row);
  }

  async memoryDelete(ns: string, key: string, ifVersion: number | undefined, by: string): Promise<DeleteResult> {
    const [ok, result] = await this.call(() => this.redis.sbMemoryDelete(...this.entryKeys(ns, key), key, ifVersion ?? -1, by, this.keys.nsChannel(ns)));
    if (ok === 0) return { conflict: true, version: result };
    return { conflict: false, deleted: result === 1 };
  }

  /** Walks the key index (a sorted set, lexicographic) in batches; never uses KEYS or SCAN. */
  async memorySearch(ns: string, query: MemoryQuery, now: number): Promise<{ entries: Entry[]; cursor: string | null }> {
    const prefix = query.prefix ?? '';
    const max = prefix ? `[${prefix}\xff` : '+';
    let min = query.cursor ? `(${query.cursor}` : prefix ? `[${prefix}` : '-';
    const batch = Math.max(query.limit + 1, 100);
    const entries: Entry[] = [];
    for (;;) {
      const keys = await this.call(() => this.redis.zrangebylex(this.keys.entryIndex(ns), min, max, 'LIMIT', 0, batch));
      if (keys.length === 0) return { entries, cursor: null };
      const pipeline = this.redis.pipeline();
      for (const key of keys) pipeline.hgetall(this.keys.entry(ns, key));
      const rows = (await this.call(() => pipeline.exec())) ?? [];
      for (let i = 0; i < keys.length; i++) {
        const entry = parseEntry(keys[i]!, rows[i]?.[1] as Record<string, string>);
        if (!entry || (entry.expiresAt !== null && entry.expiresAt <= now) || !matchesQuery(entry, query)) continue;
        if (entries.length === query.limit) return { entries, cursor: entries[entries.length - 1]!.key };
        entries.push(entry);
      }
      if (keys.length < batch) return { entries, cursor: null };
      min = `(${keys[keys.length - 1]}`;
    }
  }

  // ---- internals

  private entryKeys(ns: string, key: string): [string, string, string, string] {
    return [this.keys.entry(ns, key), this.keys.entryIndex(ns), this.keys.entryVersions(ns), this.keys.entryExpiries(ns)];
  }

  private joinScript(ns: string, session: Session): Promise<number> {
    return this.redis.sbJoin(
      this.keys.session(ns, session.id),
      this.keys.sessions(ns),
      this.keys.nodeSessions(ns, this.nodeId),
      session.id,
      sessionData(session),
      session.lastSeen,
      this.nodeId,
      this.epoch,
      capsField(session),
      3 * this.heartbeatMs,
      this.keys.nsChannel(ns),
    );
  }

  /** Ends a session if (node, epoch) still own it; the one caller that ends it runs the end hooks. */
  private async leaveScript(ns: string, id: string, node: string, epoch: string, reason: LeaveReason): Promise<number> {
    const ended = await this.redis.sbLeave(this.keys.session(ns, id), this.keys.sessions(ns), this.keys.nodeSessions(ns, node), id, node, epoch, reason, this.keys.nsChannel(ns));
    if (ended === 1) await this.sessionEnded(ns, id);
    return ended;
  }

  /**
   * Runs exactly once per session that really ends (leave published): what the session held
   * (locks, task leases) is released here.
   */
  private async sessionEnded(_ns: string, _id: string): Promise<void> {}

  private localSessions(ns: string): Map<string, Session> {
    let sessions = this.local.get(ns);
    if (!sessions) this.local.set(ns, (sessions = new Map()));
    return sessions;
  }

  /** Liveness key and node registry, appended to the heartbeat pipeline. */
  private nodeBeat(pipeline: ReturnType<Redis['pipeline']>): void {
    pipeline.set(this.keys.nodeAlive(this.nodeId), this.epoch, 'PX', 2 * this.heartbeatMs);
    pipeline.hset(this.keys.nodes(), this.nodeId, this.epoch);
    if (this.local.size > 0) pipeline.sadd(this.keys.nodeNamespaces(this.nodeId), ...this.local.keys());
  }

  private async beatNode(): Promise<void> {
    const pipeline = this.redis.pipeline();
    this.nodeBeat(pipeline);
    await this.call(() => pipeline.exec());
  }

  /**
   * Sessions whose Redis state is gone while their sockets are still here: Redis restarted, or
   * this node was declared dead. Register them again under a fresh epoch, which also fences any
   * write still in flight from the old one.
   */
  private async reregister(lost: Array<{ ns: string; s: Session }>): Promise<void> {
    this.epoch = ulid();
    await this.beatNode();
    for (const { ns, s } of lost) {
      await this.subscribe(ns);
      const joined = await this.joinScript(ns, s).catch((err) => (this.report(err, 're-register'), -1));
      if (joined === 0) {
        // Someone else took the id meanwhile: theirs is the live one now.
        this.local.get(ns)?.delete(s.id);
        this.report(new Error(`session ${s.id} was taken over while this node was unreachable`), 're-register');
      }
    }
    // Sessions not lost still carry the old epoch: move them to the new one.
    const pipeline = this.redis.pipeline();
    for (const [ns, sessions] of this.local) {
      for (const s of sessions.values()) pipeline.hset(this.keys.session(ns, s.id), 'epoch', this.epoch);
    }
    await pipeline.exec().catch((err) => this.report(err, 're-register epochs'));
  }

  private async retryPendingLeaves(): Promise<void> {
    for (const [k, p] of this.pendingLeaves) {
      await this.leaveScript(p.ns, p.id, this.nodeId, p.epoch, p.reason).then(
        () => this.pendingLeaves.delete(k),
        (err) => this.report(err, 'retry leave'),
      );
    }
  }

  /** Periodic: sweep dead nodes, claim expired memory entries (the keyspace-event fallback). */
  private async sweep(): Promise<void> {
    if (this.stopped || this.redis.status !== 'ready') return;
    try {
      const nodes = await this.redis.hgetall(this.keys.nodes());
      const others = Object.entries(nodes).filter(([id]) => id !== this.nodeId);
      if (others.length > 0) {
        const alive = await this.redis.mget(...others.map(([id]) => this.keys.nodeAlive(id)));
        for (let i = 0; i < others.length; i++) {
          const [id, epoch] = others[i]!;
          if (alive[i] !== epoch) await this.sweepNode(id, epoch);
        }
      }
      const now = Date.now();
      for (const ns of this.local.keys()) {
        const due = await this.redis.zrangebyscore(this.keys.entryExpiries(ns), '-inf', now, 'LIMIT', 0, 100);
        for (const key of due) await this.claimExpiry(ns, key);
      }
    } catch (err) {
      this.report(err, 'sweep');
    }
  }

  /** Removes every session a dead node epoch left behind, each with a leave (node_down). */
  private async sweepNode(nodeId: string, epoch: string | null): Promise<void> {
    if (!epoch || (nodeId === this.nodeId && epoch === this.epoch)) return;
    const namespaces = await this.redis.smembers(this.keys.nodeNamespaces(nodeId));
    for (const ns of namespaces) {
      const ids = await this.redis.smembers(this.keys.nodeSessions(ns, nodeId));
      for (const id of ids) await this.leaveScript(ns, id, nodeId, epoch, 'node_down');
    }
    if ((await this.redis.sbForgetNode(this.keys.nodes(), nodeId, epoch)) === 1 && nodeId !== this.nodeId) {
      await this.redis.del(this.keys.nodeNamespaces(nodeId));
    }
  }

  private claimExpiry(ns: string, key: string): Promise<number> {
    return this.redis.sbMemoryExpire(...this.entryKeys(ns, key), key, this.keys.nsChannel(ns));
  }

  private async onRedisReady(): Promise<void> {
    // Redis may have restarted empty: expired-key events must be switched on again.
    try {
      const [, flags = ''] = (await this.redis.config('GET', 'notify-keyspace-events')) as string[];
      const wanted = new Set([...flags, 'E', 'x']);
      if (!flags.includes('E') || !(flags.includes('x') || flags.includes('A'))) {
        await this.redis.config('SET', 'notify-keyspace-events', [...wanted].join(''));
      }
    } catch (err) {
      this.report(err, 'keyspace notifications unavailable; expiry falls back to the sweeper');
    }
    if (this.events && !this.stopped) await this.touch([], Date.now()).catch((err) => this.report(err, 'resync after reconnect'));
  }

  private subscribe(ns: string): Promise<unknown> {
    let done = this.subscriptions.get(ns);
    if (!done) {
      done = this.sub.subscribe(this.keys.nsChannel(ns));
      this.subscriptions.set(ns, done);
      done.catch(() => this.subscriptions.delete(ns));
    }
    return done;
  }

  private unsubscribe(ns: string): void {
    if (!this.subscriptions.delete(ns)) return;
    void this.sub.unsubscribe(this.keys.nsChannel(ns)).catch((err) => this.report(err, 'unsubscribe'));
  }

  private onPubSub(channel: string, text: string): void {
    const events = this.events;
    if (!events) return;
    try {
      if (channel === this.expiryChannel) {
        const entry = this.keys.parseEntry(text);
        if (entry && this.local.has(entry.ns)) void this.claimExpiry(entry.ns, entry.key).catch((err) => this.report(err, 'expire'));
        return;
      }
      const ns = this.keys.nsOfChannel(channel);
      if (ns === null) {
        const envelope = JSON.parse(text) as NodeEnvelope;
        if (this.local.get(envelope.ns)?.has(envelope.to)) events.message(envelope.ns, envelope.to, envelope.f);
        return;
      }
      const envelope = JSON.parse(text) as NsEnvelope;
      switch (envelope.k) {
        case 'p': {
          const session = { ...envelope.s, lastSeen: envelope.ls } as Session;
          events.presence(ns, envelope.r ? { type: 'presence', event: envelope.e, session, reason: envelope.r } : { type: 'presence', event: envelope.e, session });
          return;
        }
        case 'm':
          return events.memory(ns, envelope.f);
        case 'b':
          return events.broadcast(ns, envelope.f, envelope.c ? { exclude: envelope.x, capability: envelope.c } : { exclude: envelope.x });
      }
    } catch (err) {
      this.report(err, `pub/sub message on ${channel}`);
    }
  }

  /** Runs a Redis call; any failure to reach Redis becomes EngineUnavailableError. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isRedisReplyError(err)) throw err;
      throw new EngineUnavailableError('redis is unreachable', { cause: err });
    }
  }

  private report(err: unknown, what: string): void {
    this.options.onError?.(err, what);
  }
}

function sessionData(s: Session): string {
  const { lastSeen: _ls, ...rest } = s;
  return JSON.stringify(rest);
}

function capsField(s: Session): string {
  return `,${s.capabilities.join(',')},`;
}

function parseEntry(key: string, row: Record<string, string> | null | undefined): Entry | null {
  if (!row || row.version === undefined) return null;
  return {
    key,
    value: JSON.parse(row.value!),
    kind: row.kind as Entry['kind'],
    tags: JSON.parse(row.tags!),
    version: Number(row.version),
    author: row.author!,
    createdAt: Number(row.createdAt),
    updatedAt: Number(row.updatedAt),
    expiresAt: row.expiresAt === 'null' || !row.expiresAt ? null : Number(row.expiresAt),
  };
}

function isRedisReplyError(err: unknown): boolean {
  return err instanceof Error && err.name === 'ReplyError';
}
