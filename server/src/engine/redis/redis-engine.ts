// RedisEngine: many hub nodes as one hub. Presence, routing, inboxes and memory live in Redis (the
// single source of truth); every state change is one Lua script that also publishes its event.
// Node liveness: each node refreshes a key with a TTL; survivors sweep the sessions of a node
// whose key expired (away, then leave with reason node_down). A node that finds its sessions
// gone (Redis lost them, or it was declared dead) registers them again under a fresh epoch.
import { Redis } from 'ioredis';
import type { ChainableCommander, RedisOptions } from 'ioredis';
import { ulid } from 'ulid';
import type { Entry, InboxFrame, LeaveReason, MemoryChanged, Message, Presence, Session } from '@switchboard/protocol';
import type {
  BroadcastFilter, DeleteResult, DeleteRight, Engine, EngineEvents, EngineSettings, MemoryQuery, MemoryWrite, ResumeRequest,
  ResumeResult, SendResult, SessionFilter, SessionPatch, SetResult,
} from '../engine.js';
import { definedOnly } from '../../defined.js';
import { EngineUnavailableError } from '../errors.js';
import { matchesSession } from '../search.js';
import { Keys } from './keys.js';
import { RedisMemory } from './redis-memory.js';
import { RedisLocks } from './locks.js';
import type { LockGrantEnvelope } from './locks.js';
import { RedisTasks } from './tasks.js';
import type { TaskEnvelope } from './tasks.js';
import type { MemoryScripts } from './redis-memory.js';
import { SCRIPTS } from './scripts.js';
import { SESSION_SCRIPTS } from './session-scripts.js';

export interface RedisEngineOptions {
  url: string;
  /** Key prefix, so several hubs can share one Redis. @default 'sb' */
  prefix?: string;
  /** A command that takes longer fails as `unavailable`. @default 2000 */
  commandTimeoutMs?: number;
  /** Called for engine-level trouble (no socket involved). */
  onError?: (err: unknown, what: string) => void;
}

type Args = (string | number)[];
type Scripted = Redis &
  MemoryScripts & {
    sbJoin(...args: Args): Promise<number>;
    sbUpdate(...args: Args): Promise<number>;
    sbLeave(...args: Args): Promise<number>;
    sbSend(...args: Args): Promise<[number, number | string]>;
    sbSuspend(...args: Args): Promise<number>;
    sbResume(...args: Args): Promise<[number, ...string[]]>;
    sbExpireAway(...args: Args): Promise<number>;
    sbBroadcast(...args: Args): Promise<number>;
    sbForgetNode(...args: Args): Promise<number>;
  };
type Pipeline = ChainableCommander & { sbTouch(...args: Args): unknown };

/** What travels on a namespace channel. */
type NsEnvelope =
  | { k: 'p'; e: Presence['event']; r?: LeaveReason; ls: number; s: Omit<Session, 'lastSeen'> & { lastSeen?: number } }
  | { k: 'm'; f: MemoryChanged }
  | { k: 'b'; x: string; c?: string; f: Message }
  | LockGrantEnvelope
  | TaskEnvelope;

/**
 * What travels on a node channel: a direct message, or a kick (the session resumed elsewhere, or
 * `r: 'kicked'` by an admin). A direct message is this header as JSON, a newline, then the stored
 * frame text (JSON text has no raw newline), so the frame goes to the socket without being parsed
 * and encoded again.
 */
type NodeEnvelope = { k: 'd'; ns: string; to: string; s: number } | { k: 'x'; ns: string; id: string; r?: 'kicked' };

/** A session this node holds. */
interface Local {
  session: Session;
  secretHash: string;
  /** The highest inbox seq this node has seen for the session. */
  seq: number;
}

/** How long an inbox outlives its last message, whatever happens to its session. */
const INBOX_RETENTION_MS = 24 * 3600 * 1000;

export class RedisEngine implements Engine {
  readonly name = 'redis';
  readonly keys: Keys;
  private settings: EngineSettings = { heartbeatMs: 5000, resumeWindowMs: 0, inboxLimit: 10_000, idempotencyMs: 600_000 };
  private readonly redis: Scripted;
  private readonly sub: Redis;
  private readonly memory: RedisMemory;
  readonly locks: RedisLocks;
  readonly tasks: RedisTasks;
  private nodeId = '';
  private epoch = '';
  private events: EngineEvents | null = null;
  /** Sessions this node holds, by namespace (the engine's copy, for re-registration). */
  private readonly local = new Map<string, Map<string, Local>>();
  private readonly subscriptions = new Map<string, Promise<unknown>>();
  /** Session ends that could not reach Redis; retried each heartbeat so no ghost stays behind. */
  private readonly pendingEnds = new Map<string, { ns: string; id: string; reason: LeaveReason | 'suspend'; epoch: string; session: Session }>();
  private sweeper: NodeJS.Timeout | null = null;
  private expiryChannel = '';
  private stopped = false;
  /** The refresh in progress: the heartbeat and the resync after a reconnect share it. */
  private touching: Promise<void> | null = null;

  constructor(private readonly options: RedisEngineOptions) {
    this.keys = new Keys(options.prefix ?? 'sb');
    const common: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      commandTimeout: options.commandTimeoutMs ?? 2000,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 1000),
    };
    this.redis = new Redis(options.url, { ...common, connectionName: 'switchboard' }) as Scripted;
    this.sub = new Redis(options.url, { ...common, enableOfflineQueue: true, commandTimeout: undefined, connectionName: 'switchboard-sub' });
    for (const [name, { numberOfKeys, lua }] of Object.entries({ ...SCRIPTS, ...SESSION_SCRIPTS })) {
      this.redis.defineCommand(name, { numberOfKeys, lua });
    }
    this.redis.on('error', (err) => this.report(err, 'redis connection'));
    this.sub.on('error', (err) => this.report(err, 'redis subscriber'));
    this.redis.on('ready', () => void this.onRedisReady());
    this.memory = new RedisMemory(this.redis, this.keys, (fn) => this.call(fn));
    this.locks = new RedisLocks({ redis: this.redis, keys: this.keys, call: (fn) => this.call(fn), namespaces: () => this.local.keys(), report: (err, what) => this.report(err, what) });
    this.tasks = new RedisTasks({ redis: this.redis, keys: this.keys, call: (fn) => this.call(fn), send: (ns, to, frame) => this.send(ns, to, frame), report: (err, what) => this.report(err, what) });
  }

  async start(nodeId: string, events: EngineEvents, settings: EngineSettings): Promise<void> {
    this.nodeId = nodeId;
    this.epoch = ulid();
    this.events = events;
    this.settings = settings;
    const db = Number(new URL(this.options.url).pathname.slice(1) || 0);
    this.expiryChannel = `__keyevent@${db}__:expired`;
    await Promise.all([this.redis.connect(), this.sub.connect()]);
    this.sub.on('message', (channel: string, text: string) => this.onPubSub(channel, text));
    await this.sub.subscribe(this.keys.nodeChannel(nodeId), this.expiryChannel);
    await this.sweepNode(nodeId, await this.redis.hget(this.keys.nodes(), nodeId));
    await this.beatNode();
    this.sweeper = setInterval(() => void this.sweep(), Math.max(50, Math.floor(settings.heartbeatMs / 2)));
    this.sweeper.unref();
    this.locks.start();
    this.tasks.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.locks.stop();
    this.tasks.stop();
    try {
      if (this.redis.status === 'ready') {
        await this.retryPendingEnds();
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

  async join(ns: string, session: Session, secretHash: string): Promise<'joined' | 'in_use'> {
    await this.subscribe(ns);
    const joined = await this.call(() => this.joinScript(ns, session, secretHash));
    if (!joined) return 'in_use';
    this.hold(ns, { session, secretHash, seq: 0 });
    return 'joined';
  }

  async resume(ns: string, request: ResumeRequest): Promise<ResumeResult> {
    await this.subscribe(ns);
    const id = request.sessionId;
    const wasLocal = this.local.get(ns)?.has(id) ?? false;
    const [ok, ...rest] = await this.call(() =>
      this.redis.sbResume(
        this.keys.session(ns, id),
        this.keys.sessions(ns),
        this.keys.nodeSessions(ns, this.nodeId),
        this.keys.inbox(ns, id),
        request.secretHash,
        request.nextSecretHash,
        this.nodeId,
        this.epoch,
        3 * this.settings.heartbeatMs,
        request.now,
        request.lastSeq,
        `${this.keys.prefix}:{${ns}}:node:`,
        `${this.keys.prefix}:node:`,
        ns,
        id,
        this.keys.nsChannel(ns),
      ),
    );
    if (ok === 0) {
      const reason = rest[0] as 'expired' | 'gap';
      if (reason === 'gap') await this.sessionEnded(ns, id);
      return { resumed: false, reason };
    }
    if (wasLocal) {
      this.unhold(ns, id);
      this.events?.kick(ns, id, 'resumed');
    }
    const [data, prev, ...frames] = rest as string[];
    const stored = JSON.parse(data!) as Session;
    const session: Session = { ...stored, status: prev ? (prev as Session['status']) : stored.status, node: this.nodeId, lastSeen: request.now };
    const replay = frames.map((f) => JSON.parse(f) as InboxFrame);
    this.hold(ns, { session, secretHash: request.nextSecretHash, seq: replay.at(-1)?.seq ?? request.lastSeq });
    void this.redis.zrem(this.keys.away(), awayMember(ns, id)).catch(() => {});
    await this.call(() => this.updateScript(ns, session));
    return { resumed: true, session, replay };
  }

  async suspend(ns: string, id: string, reason: 'timeout' | 'node_down'): Promise<void> {
    const held = this.unhold(ns, id);
    if (!held) return;
    if (this.settings.resumeWindowMs === 0) return this.end(ns, id, reason, this.epoch, held.session);
    await this.end(ns, id, 'suspend', this.epoch, held.session, reason);
  }

  async update(ns: string, id: string, patch: SessionPatch): Promise<Session | null> {
    const held = this.local.get(ns)?.get(id);
    if (!held) return null;
    const next: Session = { ...held.session, ...definedOnly(patch) };
    if (!(await this.call(() => this.updateScript(ns, next)))) return null;
    held.session = next;
    return next;
  }

  async kickSession(ns: string, id: string): Promise<boolean> {
    const [node, away] = await this.call(() => this.redis.hmget(this.keys.session(ns, id), 'node', 'away'));
    if (node === null && away === null) return false;
    if (away) {
      const ended = await this.call(() =>
        this.redis.sbExpireAway(this.keys.session(ns, id), this.keys.sessions(ns), this.keys.inbox(ns, id), id, Number.MAX_SAFE_INTEGER, this.keys.nsChannel(ns), 'kicked'),
      );
      if (ended === 1) await this.sessionEnded(ns, id);
      return ended === 1;
    }
    if (!node) return false;
    if (node === this.nodeId) {
      if (!this.local.get(ns)?.has(id)) return false;
      this.events?.kick(ns, id, 'kicked');
      return true;
    }
    // Nobody listening: the node died and has not been swept yet. The session turns away soon, and a
    // kick then ends it; until then it is not online anywhere.
    const envelope: NodeEnvelope = { k: 'x', ns, id, r: 'kicked' };
    const listeners = await this.call(() => this.redis.publish(this.keys.nodeChannel(node), JSON.stringify(envelope)));
    return listeners > 0;
  }

  async leave(ns: string, id: string, reason: LeaveReason): Promise<void> {
    const held = this.unhold(ns, id);
    if (held) await this.end(ns, id, reason, this.epoch, held.session);
  }

  touch(_sessions: ReadonlyArray<{ ns: string; id: string }>, now: number): Promise<void> {
    // One refresh at a time: two overlapping ones (a heartbeat and the resync after Redis came
    // back empty) would both find the sessions lost and register them twice, and the second
    // join, finding the first one's, would kick the session off its own socket.
    this.touching ??= this.refresh(now).finally(() => (this.touching = null));
    return this.touching;
  }

  private async refresh(now: number): Promise<void> {
    if (this.redis.status !== 'ready') return;
    await this.retryPendingEnds();
    const ttl = 3 * this.settings.heartbeatMs;
    const all = [...this.local].flatMap(([ns, sessions]) => [...sessions.values()].map((held) => ({ ns, held })));
    const pipeline = this.redis.pipeline() as Pipeline;
    for (const { ns, held } of all) {
      held.session.lastSeen = now;
      pipeline.sbTouch(this.keys.session(ns, held.session.id), this.epoch, now, ttl);
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

  // ---- routing and inboxes

  async send(ns: string, to: string, frame: InboxFrame, idempotencyKey?: string): Promise<SendResult> {
    const msgId = frame.type === 'message' ? frame.msgId : '';
    if (frame.type !== 'message') idempotencyKey = undefined;
    const idem = idempotencyKey === undefined ? this.keys.inbox(ns, to) : this.keys.idempotency(ns, (frame as Message).from, idempotencyKey);
    // The frame without its opening brace: the script (and a local push) put `{"seq":N,` in front.
    const rest = JSON.stringify(frame).slice(1);
    const [status, value] = await this.call(() =>
      this.redis.sbSend(
        this.keys.session(ns, to),
        this.keys.inbox(ns, to),
        idem,
        rest,
        `${this.keys.prefix}:node:`,
        ns,
        to,
        this.settings.inboxLimit,
        this.settings.idempotencyMs,
        msgId,
        idempotencyKey === undefined ? '0' : '1',
        INBOX_RETENTION_MS,
        this.nodeId,
      ),
    );
    switch (status) {
      case 0:
        return { status: 'not_found' };
      case 2:
        return { status: 'duplicate', msgId: String(value) };
      case 3:
        return { status: 'queued', msgId, seq: Number(value) };
      case 4: {
        // The recipient is on this node: push it here instead of a pub/sub round trip.
        const seq = Number(value);
        const held = this.local.get(ns)?.get(to);
        if (held) held.seq = Math.max(held.seq, seq);
        this.events?.message(ns, to, seq, `{"seq":${seq},${rest}`);
        return { status: 'delivered', msgId, seq };
      }
      default:
        return { status: 'delivered', msgId, seq: Number(value) };
    }
  }

  async ack(ns: string, id: string, seq: number): Promise<void> {
    await this.call(() => this.redis.xtrim(this.keys.inbox(ns, id), 'MINID', `${seq + 1}-0`));
  }

  async inbox(ns: string, id: string, afterSeq: number): Promise<InboxFrame[]> {
    const entries = await this.call(() => this.redis.xrange(this.keys.inbox(ns, id), `${afterSeq + 1}-0`, '+'));
    return entries.map(([, fields]) => JSON.parse(fields[1]!) as InboxFrame);
  }

  async broadcast(ns: string, frame: Message, filter: BroadcastFilter): Promise<number> {
    const envelope: NsEnvelope = filter.capability ? { k: 'b', x: filter.exclude, c: filter.capability, f: frame } : { k: 'b', x: filter.exclude, f: frame };
    return this.call(() =>
      this.redis.sbBroadcast(this.keys.sessions(ns), this.keys.sessionPrefix(ns), filter.exclude, filter.capability ?? '', this.keys.nsChannel(ns), JSON.stringify(envelope)),
    );
  }

  // ---- memory

  memorySet(ns: string, write: MemoryWrite): Promise<SetResult> {
    return this.memory.set(ns, write, this.settings.maxKeys ?? 0);
  }

  memoryGet(ns: string, key: string): Promise<Entry | null> {
    return this.memory.get(ns, key);
  }

  memoryDelete(ns: string, key: string, ifVersion: number | undefined, by: string, only?: DeleteRight): Promise<DeleteResult> {
    return this.memory.delete(ns, key, ifVersion, by, only);
  }

  memorySearch(ns: string, query: MemoryQuery, now: number): Promise<{ entries: Entry[]; cursor: string | null }> {
    return this.memory.search(ns, query, now);
  }

  // ---- internals

  private hold(ns: string, held: Local): void {
    let sessions = this.local.get(ns);
    if (!sessions) this.local.set(ns, (sessions = new Map()));
    sessions.set(held.session.id, held);
    void this.call(() => this.redis.sadd(this.keys.nodeNamespaces(this.nodeId), ns)).catch((err) => this.report(err, 'node namespaces'));
  }

  private unhold(ns: string, id: string): Local | undefined {
    const sessions = this.local.get(ns);
    const held = sessions?.get(id);
    if (!held) return undefined;
    sessions!.delete(id);
    if (sessions!.size === 0) {
      this.local.delete(ns);
      this.unsubscribe(ns);
    }
    return held;
  }

  /**
   * Ends this node's hold on a session: a leave, or (reason 'suspend') away for the resume
   * window. If Redis cannot be reached it is retried every heartbeat, so no ghost stays behind.
   */
  private async end(ns: string, id: string, reason: LeaveReason | 'suspend', epoch: string, session: Session, awayReason?: 'timeout' | 'node_down'): Promise<void> {
    const key = `${ns}\n${id}`;
    try {
      if (reason === 'suspend') await this.call(() => this.suspendScript(ns, id, this.nodeId, epoch, session, awayReason ?? 'timeout'));
      else await this.call(() => this.leaveScript(ns, id, this.nodeId, epoch, reason));
      this.pendingEnds.delete(key);
    } catch (err) {
      this.pendingEnds.set(key, { ns, id, reason, epoch, session });
      throw err;
    }
  }

  private joinScript(ns: string, session: Session, secretHash: string, seq = 0): Promise<number> {
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
      3 * this.settings.heartbeatMs,
      this.keys.nsChannel(ns),
      secretHash,
      seq,
    );
  }

  private updateScript(ns: string, session: Session): Promise<number> {
    return this.redis.sbUpdate(this.keys.session(ns, session.id), this.epoch, sessionData(session), capsField(session), this.keys.nsChannel(ns));
  }

  /** Ends a session if (node, epoch) still own it; the one caller that ends it runs the end hooks. */
  private async leaveScript(ns: string, id: string, node: string, epoch: string, reason: LeaveReason): Promise<number> {
    const ended = await this.redis.sbLeave(this.keys.session(ns, id), this.keys.sessions(ns), this.keys.nodeSessions(ns, node), this.keys.inbox(ns, id), id, node, epoch, reason, this.keys.nsChannel(ns));
    if (ended === 1) await this.sessionEnded(ns, id);
    return ended;
  }

  /** Turns a session away for the resume window, if (node, epoch) still own it. */
  private async suspendScript(ns: string, id: string, node: string, epoch: string, session: Session, reason: 'timeout' | 'node_down'): Promise<number> {
    const until = Date.now() + this.settings.resumeWindowMs;
    const away: Session = { ...session, status: 'away' };
    const done = await this.redis.sbSuspend(
      this.keys.session(ns, id),
      this.keys.nodeSessions(ns, node),
      id,
      node,
      epoch,
      sessionData(away),
      reason,
      this.settings.resumeWindowMs + 3 * this.settings.heartbeatMs,
      until,
      this.keys.nsChannel(ns),
    );
    if (done === 1) await this.redis.zadd(this.keys.away(), until, awayMember(ns, id));
    return done;
  }

  /**
   * Runs exactly once per session that really ends (leave published): what the session held
   * (locks, task leases) is released here.
   */
  private async sessionEnded(ns: string, id: string): Promise<void> {
    // Reported, not thrown: the leave itself is done, and a retry of it would not come back here.
    await this.locks.releaseSession(ns, id).catch((err) => this.report(err, 'release locks of an ended session'));
    await this.tasks.releaseSession(ns, id).catch((err) => this.report(err, 'move on the tasks of an ended session'));
  }

  /** Liveness key and node registry, appended to the heartbeat pipeline. */
  private nodeBeat(pipeline: ChainableCommander): void {
    pipeline.set(this.keys.nodeAlive(this.nodeId), this.epoch, 'PX', 2 * this.settings.heartbeatMs);
    pipeline.hset(this.keys.nodes(), this.nodeId, this.epoch);
    if (this.local.size > 0) pipeline.sadd(this.keys.nodeNamespaces(this.nodeId), ...this.local.keys());
  }

  private async beatNode(): Promise<void> {
    const pipeline = this.redis.pipeline();
    this.nodeBeat(pipeline);
    await this.call(() => pipeline.exec());
  }

  /**
   * Sessions whose Redis state is gone (or was taken from this node) while their sockets are
   * still here: Redis restarted, or this node froze and was swept. Register them again under a
   * fresh epoch, which also fences any write still in flight from the old one.
   */
  private async reregister(lost: Array<{ ns: string; held: Local }>): Promise<void> {
    this.epoch = ulid();
    await this.beatNode();
    for (const { ns, held } of lost) {
      await this.subscribe(ns);
      const joined = await this.joinScript(ns, held.session, held.secretHash, held.seq).catch((err) => (this.report(err, 're-register'), -1));
      if (joined === 0) {
        // The session was swept and is away (or resumed elsewhere): this socket no longer owns it.
        this.unhold(ns, held.session.id);
        this.events?.kick(ns, held.session.id, 'resumed');
      }
    }
    // Sessions not lost still carry the old epoch: move them to the new one.
    const pipeline = this.redis.pipeline();
    for (const [ns, sessions] of this.local) {
      for (const id of sessions.keys()) pipeline.hset(this.keys.session(ns, id), 'epoch', this.epoch);
    }
    await pipeline.exec().catch((err) => this.report(err, 're-register epochs'));
  }

  private async retryPendingEnds(): Promise<void> {
    for (const p of [...this.pendingEnds.values()]) {
      await this.end(p.ns, p.id, p.reason, p.epoch, p.session).catch((err) => this.report(err, 'retry session end'));
    }
  }

  /** Periodic: sweep dead nodes, end away sessions past their window, claim expired memory. */
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
      for (const member of await this.redis.zrangebyscore(this.keys.away(), '-inf', now, 'LIMIT', 0, 100)) {
        const [ns, id] = member.split('\n') as [string, string];
        const ended = await this.redis.sbExpireAway(this.keys.session(ns, id), this.keys.sessions(ns), this.keys.inbox(ns, id), id, now, this.keys.nsChannel(ns));
        await this.redis.zrem(this.keys.away(), member);
        if (ended === 1) await this.sessionEnded(ns, id);
      }
      for (const ns of this.local.keys()) await this.memory.sweep(ns, now);
    } catch (err) {
      this.report(err, 'sweep');
    }
  }

  /** The sessions a dead node epoch left behind turn away (node_down), or leave with a window of 0. */
  private async sweepNode(nodeId: string, epoch: string | null): Promise<void> {
    if (!epoch || (nodeId === this.nodeId && epoch === this.epoch)) return;
    const namespaces = await this.redis.smembers(this.keys.nodeNamespaces(nodeId));
    for (const ns of namespaces) {
      const ids = await this.redis.smembers(this.keys.nodeSessions(ns, nodeId));
      for (const id of ids) {
        if (this.settings.resumeWindowMs === 0) {
          await this.leaveScript(ns, id, nodeId, epoch, 'node_down');
          continue;
        }
        const [data, lastSeen] = await this.redis.hmget(this.keys.session(ns, id), 'data', 'lastSeen');
        if (!data) {
          await this.redis.srem(this.keys.nodeSessions(ns, nodeId), id);
          continue;
        }
        await this.suspendScript(ns, id, nodeId, epoch, { ...(JSON.parse(data) as Session), lastSeen: Number(lastSeen) }, 'node_down');
      }
    }
    if ((await this.redis.sbForgetNode(this.keys.nodes(), nodeId, epoch)) === 1 && nodeId !== this.nodeId) {
      await this.redis.del(this.keys.nodeNamespaces(nodeId));
    }
  }

  private async onRedisReady(): Promise<void> {
    // Redis may have restarted empty: expired-key events must be switched on again.
    try {
      const [, flags = ''] = (await this.redis.config('GET', 'notify-keyspace-events')) as string[];
      if (!flags.includes('E') || !(flags.includes('x') || flags.includes('A'))) {
        await this.redis.config('SET', 'notify-keyspace-events', [...new Set([...flags, 'E', 'x'])].join(''));
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
        if (entry && this.local.has(entry.ns)) void this.memory.claimExpiry(entry.ns, entry.key).catch((err) => this.report(err, 'expire'));
        return;
      }
      const ns = this.keys.nsOfChannel(channel);
      if (ns === null) {
        const newline = text.indexOf('\n');
        if (newline < 0) return this.onNodeMessage(JSON.parse(text) as NodeEnvelope, '');
        return this.onNodeMessage(JSON.parse(text.slice(0, newline)) as NodeEnvelope, text.slice(newline + 1));
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
        case 'l':
          return this.locks.granted(ns, envelope);
        case 't':
          return events.task(ns, envelope.f);
      }
    } catch (err) {
      this.report(err, `pub/sub message on ${channel}`);
    }
  }

  private onNodeMessage(envelope: NodeEnvelope, frame: string): void {
    if (!this.local.get(envelope.ns)?.has(envelope.k === 'd' ? envelope.to : envelope.id)) return;
    if (envelope.k === 'd') {
      const held = this.local.get(envelope.ns)!.get(envelope.to)!;
      held.seq = Math.max(held.seq, envelope.s);
      return this.events?.message(envelope.ns, envelope.to, envelope.s, frame);
    }
    // An admin's kick: the hub closes the socket and ends the session through leave().
    if (envelope.r === 'kicked') return this.events?.kick(envelope.ns, envelope.id, 'kicked');
    this.unhold(envelope.ns, envelope.id);
    this.events?.kick(envelope.ns, envelope.id, 'resumed');
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

function awayMember(ns: string, id: string): string {
  return `${ns}\n${id}`;
}

function isRedisReplyError(err: unknown): boolean {
  return err instanceof Error && err.name === 'ReplyError';
}
