// A hub node: the HTTP server and WebSocket endpoint, the sockets it holds, heartbeats,
// fan-out of engine events to local sockets, and graceful shutdown.
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { CloseCode, WS_PATH } from '@switchboard/protocol';
import type { ClientFrameOf, Message, ServerFrame, Welcome } from '@switchboard/protocol';
import { WebSocketServer } from 'ws';
import { Authenticator, openHubRefusal } from './auth.js';
import { Connection } from './connection.js';
import { monotonicIds } from './ids.js';
import type { Engine, EngineEvents } from './engine/engine.js';
import { MemoryEngine } from './engine/memory-engine.js';
import { handleHttp } from './http.js';
import { admit, reject, selectProtocol } from './upgrade.js';
import type { Admission, UpgradeGate } from './upgrade.js';
import { definedOnly } from './defined.js';
import { createLogger } from './log.js';
import type { Logger } from './log.js';
import { HubMetrics } from './metrics.js';
import { LIMIT_DEFAULTS, settleLimits, TokenSessions, welcomeLimits } from './limits.js';
import { dropSilentConnections, requestTimeouts } from './slowloris.js';

export interface HubOptions {
  /** @default 7777 (0 picks a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default a new MemoryEngine */
  engine?: Engine;
  /** @default 'n-' + random */
  nodeId?: string;
  /** WebSocket ping interval; a session silent for 3 of them is closed. @default 5000 */
  heartbeatMs?: number;
  /** How long a new socket may take to say hello. @default 10000 */
  helloTimeoutMs?: number;
  /** @default 1 MiB */
  maxFrameBytes?: number;
  /** @default 256 KiB */
  maxValueBytes?: number;
  /** HS256 secret for tokens; unset = open hub. */
  secret?: string;
  /** While rotating the secret: the old one, whose tokens are still accepted. */
  previousSecret?: string;
  /** Bearer token GET /metrics requires; unset = /metrics is open. */
  metricsToken?: string;
  /** How long a session that dropped without bye stays resumable (0 = it leaves at once). @default 120000 */
  resumeWindowMs?: number;
  /** Most unacknowledged direct messages kept per session. @default 10000 */
  inboxLimit?: number;
  /** How long a send's idempotencyKey is remembered. @default 600000 */
  idempotencyMs?: number;
  /** How long clients should wait before reconnecting after `drain`. @default 1000 */
  drainReconnectMs?: number;
  logger?: Logger;
  /** Used when no logger is given. @default 'info' */
  logLevel?: string;
  /** Browser origins allowed to open a WebSocket (requests without Origin are not browsers and pass); unset = any. */
  allowedOrigins?: string[];
  /** Most WebSocket connections this node holds (and upgrades in progress); beyond it upgrades get 503. @default 50000 */
  maxConnections?: number;
  /** Frames per second one connection may sustain; beyond it frames are refused with `rate_limited` (0 = no limit). @default 2000 */
  rateFrames?: number;
  /** Frames one connection may send at once after a quiet spell. @default 4000 */
  rateFramesBurst?: number;
  /** Bytes per second one connection may sustain (0 = no limit). @default 2 MiB */
  rateBytes?: number;
  /** Bytes one connection may send at once; at least maxFrameBytes. @default 2 × maxFrameBytes */
  rateBytesBurst?: number;
  /** Requests one connection may have unanswered at once. @default 256 */
  maxPending?: number;
  /** memory.watch prefixes one session may hold. @default 64 */
  maxWatches?: number;
  /** Memory keys one namespace may hold. @default 100000 */
  maxKeys?: number;
  /** Sessions one token (its `sub`, else the token) may hold open on this node (0 = no limit). @default 100 */
  maxSessionsPerToken?: number;
  /** Bytes waiting to be written to one socket before the hub closes it 1013 (slow consumer; 0 = no limit). @default 4 MiB */
  maxBufferedBytes?: number;
}

export const HUB_DEFAULTS = {
  port: 7777,
  host: '127.0.0.1',
  heartbeatMs: 5000,
  helloTimeoutMs: 10_000,
  maxConnections: 50_000,
  maxFrameBytes: 1024 * 1024,
  maxValueBytes: 256 * 1024,
  drainReconnectMs: 1000,
  resumeWindowMs: 120_000,
  inboxLimit: 10_000,
  idempotencyMs: 600_000,
  logLevel: 'info',
  ...LIMIT_DEFAULTS,
} as const;

type ResolvedOptions = Required<Omit<HubOptions, 'engine' | 'nodeId' | 'secret' | 'previousSecret' | 'metricsToken' | 'logger' | 'allowedOrigins'>>;

export class Hub {
  readonly options: ResolvedOptions;
  readonly nodeId: string;
  readonly engine: Engine;
  readonly metrics: HubMetrics;
  readonly auth: Authenticator;
  readonly log: Logger;
  readonly limits: Welcome['limits'];
  /** Sessions open on this node per token, for maxSessionsPerToken. */
  readonly tokenSessions: TokenSessions;
  readonly newId = monotonicIds();
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly local = new Map<string, Map<string, Connection>>();
  private readonly presenceWatchers = new Map<string, Set<Connection>>();
  private readonly memoryWatchers = new Map<string, Set<Connection>>();
  private readonly taskWatchers = new Map<string, Set<Connection>>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly gate: UpgradeGate;
  private upgrading = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;
  private boundPort = 0;

  static async start(options: HubOptions = {}): Promise<Hub> {
    const hub = new Hub(options);
    await hub.listen();
    return hub;
  }

  private constructor(options: HubOptions) {
    this.options = { ...HUB_DEFAULTS, ...definedOnly(options) } as ResolvedOptions;
    const refusal = openHubRefusal(this.options.host, options.secret);
    if (refusal) throw new Error(refusal);
    this.nodeId = options.nodeId ?? `n-${this.newId().slice(-8).toLowerCase()}`;
    this.metrics = new HubMetrics(this, options.metricsToken);
    this.engine = this.metrics.measure(options.engine ?? new MemoryEngine());
    this.auth = new Authenticator(options.secret, options.previousSecret);
    const origins = options.allowedOrigins?.length ? new Set(options.allowedOrigins) : null;
    this.gate = {
      verify: (token) => this.auth.verify(token),
      allowedOrigins: origins,
      load: () => ({ open: this.wss.clients.size + this.upgrading, max: this.options.maxConnections }),
    };
    this.log = options.logger ?? createLogger(this.options.logLevel, this.nodeId);
    settleLimits(this.options);
    this.limits = welcomeLimits(this.options);
    this.tokenSessions = new TokenSessions(this.options.maxSessionsPerToken);
    // A connection that never completes its HTTP request (slowloris) is dropped after the hello timeout too.
    this.http = createServer(requestTimeouts(this.options.helloTimeoutMs), (req, res) => void handleHttp(this, req, res));
    dropSilentConnections(this.http, this.options.helloTimeoutMs);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.options.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: true,
      handleProtocols: selectProtocol,
    });
    this.http.on('upgrade', (req, socket, head) => void this.upgrade(req, socket, head));
    this.wss.on('error', (err) => this.log.error({ err }, 'websocket server error'));
  }

  /** An upgrade request: checked (path, origin, capacity, token) before the WebSocket exists. */
  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    socket.on('error', () => socket.destroy());
    this.upgrading++;
    let admission: Admission;
    try {
      admission = await admit(this.gate, req);
    } finally {
      this.upgrading--;
    }
    if (!admission.ok) {
      this.log.warn({ remote, status: admission.status, reason: admission.message }, 'upgrade refused');
      this.metrics.closed(`upgrade_${admission.status}`);
      return reject(socket, admission);
    }
    if (this.closing || socket.destroyed) return void socket.destroy();
    const { principal } = admission;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.log.debug({ remote }, 'socket open');
      new Connection(this, ws, remote, principal);
    });
  }

  /** The WebSocket URL clients connect to. */
  get url(): string {
    return `ws://${this.hostForUrl()}:${this.port}${WS_PATH}`;
  }

  get httpUrl(): string {
    return `http://${this.hostForUrl()}:${this.port}`;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Open WebSocket connections, including those that have not said hello yet. */
  get sockets(): number {
    return this.wss.clients.size;
  }

  /** Sessions this node holds, in every namespace. */
  get connections(): Connection[] {
    return [...this.local.values()].flatMap((m) => [...m.values()]);
  }

  private hostForUrl(): string {
    const host = this.options.host;
    return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  }

  private async listen(): Promise<void> {
    const { heartbeatMs, resumeWindowMs, inboxLimit, idempotencyMs } = this.options;
    await this.engine.start(this.nodeId, this.engineEvents(), { heartbeatMs, resumeWindowMs, inboxLimit, idempotencyMs, maxKeys: this.options.maxKeys });
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port, this.options.host, () => {
        this.http.off('error', reject);
        this.boundPort = (this.http.address() as AddressInfo).port;
        resolve();
      });
    });
    this.heartbeat = setInterval(() => void this.beat(), this.options.heartbeatMs);
    this.log.info({ url: this.url, engine: this.engine.name }, 'hub listening');
  }

  register(conn: Connection): void {
    let sessions = this.local.get(conn.ns);
    if (!sessions) this.local.set(conn.ns, (sessions = new Map()));
    sessions.set(conn.id, conn);
  }

  unregister(conn: Connection): void {
    const sessions = this.local.get(conn.ns);
    if (sessions?.get(conn.id) === conn) sessions.delete(conn.id);
    if (sessions?.size === 0) this.local.delete(conn.ns);
    this.watchPresence(conn, false);
    this.watchTasks(conn, false);
    conn.memoryPrefixes.clear();
    this.watchMemory(conn);
  }

  watchPresence(conn: Connection, on: boolean): void {
    toggle(this.presenceWatchers, conn.ns, conn, on);
  }

  watchTasks(conn: Connection, on: boolean): void {
    toggle(this.taskWatchers, conn.ns, conn, on);
  }

  /** Re-indexes a connection after its memory prefixes changed. */
  watchMemory(conn: Connection): void {
    toggle(this.memoryWatchers, conn.ns, conn, conn.memoryPrefixes.size > 0);
  }

  /** Builds the message frame a send or broadcast delivers. */
  message(from: string, frame: ClientFrameOf<'send'> | ClientFrameOf<'broadcast'>): Message {
    const message: Message = { type: 'message', msgId: this.newId(), from, kind: frame.kind ?? 'message', body: frame.body, ts: Date.now() };
    if (frame.type === 'send') {
      if (frame.replyTo !== undefined) message.replyTo = frame.replyTo;
      if (frame.thread !== undefined) message.thread = frame.thread;
    }
    return message;
  }

  /** Keeps an async piece of work (a session leaving) inside shutdown's wait. */
  track(work: Promise<unknown>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private engineEvents(): EngineEvents {
    return {
      message: (ns, to, seq, text) => this.local.get(ns)?.get(to)?.delivery.push(seq, text),
      kick: (ns, id, why) => this.local.get(ns)?.get(id)?.kick(why),
      broadcast: (ns, frame, filter) => {
        const sessions = this.local.get(ns);
        if (!sessions) return;
        const text = JSON.stringify(frame);
        for (const conn of sessions.values()) {
          if (conn.id === filter.exclude) continue;
          if (filter.capability && !conn.session!.capabilities.includes(filter.capability)) continue;
          conn.sendText(text, 'message');
        }
      },
      presence: (ns, frame) => {
        const conn = this.local.get(ns)?.get(frame.session.id);
        if (conn && frame.event === 'update') conn.session = frame.session;
        this.fanOut(this.presenceWatchers.get(ns), frame);
      },
      task: (ns, task) => this.fanOut(this.taskWatchers.get(ns), { type: 'task.changed', task }),
      memory: (ns, frame) => {
        const watchers = this.memoryWatchers.get(ns);
        if (!watchers) return;
        let text: string | undefined;
        for (const conn of watchers) {
          for (const prefix of conn.memoryPrefixes) {
            if (!frame.key.startsWith(prefix)) continue;
            conn.sendText((text ??= JSON.stringify(frame)), frame.type);
            break;
          }
        }
      },
    };
  }

  private fanOut(conns: Set<Connection> | undefined, frame: ServerFrame): void {
    if (!conns || conns.size === 0) return;
    const text = JSON.stringify(frame);
    for (const conn of conns) conn.sendText(text, frame.type);
  }

  /** One heartbeat: ping every socket, close the silent ones, refresh presence in one batch. */
  private async beat(): Promise<void> {
    const now = Date.now();
    const deadline = now - 3 * this.options.heartbeatMs;
    const alive: { ns: string; id: string }[] = [];
    for (const conn of this.connections) {
      if (conn.lastActivity < deadline) {
        conn.close(CloseCode.timeout, 'heartbeat timeout', 'heartbeat_timeout');
        conn.ws.terminate();
        continue;
      }
      conn.ws.ping();
      alive.push({ ns: conn.ns, id: conn.id });
    }
    try {
      await this.engine.touch(alive, now);
    } catch (err) {
      this.log.error({ err }, 'heartbeat refresh failed');
    }
  }

  /**
   * Stops the node: no new sockets, `drain` then close 1001 to every client, sessions leave,
   * the engine stops. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    const httpClosed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    const drain = JSON.stringify({ type: 'drain', reconnectMs: this.options.drainReconnectMs });
    const sockets = [...this.wss.clients];
    const allClosed = Promise.all(sockets.map((ws) => new Promise((resolve) => (ws.readyState === ws.CLOSED ? resolve(null) : ws.once('close', resolve)))));
    for (const ws of sockets) {
      if (ws.readyState === ws.OPEN) {
        ws.send(drain);
        this.metrics.frameOut('drain');
        this.metrics.closed('drain');
      }
      ws.close(CloseCode.goingAway, 'hub shutting down');
    }
    const forceAfter = setTimeout(() => sockets.forEach((ws) => ws.terminate()), 3000);
    await allClosed;
    clearTimeout(forceAfter);
    await Promise.allSettled([...this.pending]);
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await httpClosed;
    await this.engine.stop();
    this.log.info('hub stopped');
  }
}

export const startHub = Hub.start.bind(Hub);

function toggle<K, V>(index: Map<K, Set<V>>, key: K, value: V, on: boolean): void {
  let set = index.get(key);
  if (on) {
    if (!set) index.set(key, (set = new Set()));
    set.add(value);
  } else if (set) {
    set.delete(value);
    if (set.size === 0) index.delete(key);
  }
}
