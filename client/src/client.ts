// The Hub: one agent session on a Switchboard hub. It owns the connection state machine and
// reconnects (full-jitter backoff, re-hello with the same session id, watches re-armed), and it
// is the API surface agents use: messages, presence, memory.
import { FATAL_CLOSE_CODES, CloseCode, PROTOCOL_VERSION } from '@switchboard/protocol';
import type {
  ClientFrameOf, Hello, HelloSession, Results, JsonValue, MemoryChanged, Message, Presence, ServerFrame, Session, Welcome,
} from '@switchboard/protocol';
import type { z } from 'zod';
import { DEFAULT_BACKOFF, backoffDelay, jitterAround } from './backoff.js';
import { Connection } from './connection.js';
import type { CloseInfo } from './connection.js';
import { Emitter } from './emitter.js';
import type { Listener } from './emitter.js';
import { HubError, errorFromFrame } from './errors.js';
import { Memory } from './memory.js';
import { Locks } from './locks.js';
import type { HeldLock, LockOptions } from './locks.js';
import type { Lock, Role } from '@switchboard/protocol';
import { presenceWatch } from './presence.js';
import type { WatchPresenceOptions } from './presence.js';
import { Inbox } from './inbox.js';
import { Tasks } from './tasks.js';
import { taskWatch } from './task-watch.js';
import type { WatchTasksOptions } from './task-watch.js';
import type { HandoffOptions, HandoffTarget, OfferedTask, TaskFilter, TaskHandle } from './tasks.js';
import type { Task, TaskSpec } from '@switchboard/protocol';
import { ReplyRouter } from './replies.js';
import type { SharedWatch } from './shared-watch.js';
import { resolveOptions } from './options.js';
import type { ConnectOptions, Settings } from './options.js';
import { RequestManager } from './requests.js';
import type { RequestFn } from './requests.js';

export type HubState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface HubEvents {
  /** A message for this session, direct or broadcast; responses that settle a hub.request() are not repeated here. */
  message: Message;
  /** A session joined, changed or left; the hub sends these only while a hub.watchPresence() watcher exists. */
  presence: Presence;
  /** An entry under a watched memory prefix was set, deleted or expired. */
  memory: MemoryChanged;
  /** The connection state changed; `error` says why the socket ended (on 'reconnecting', and on 'closed' unless close() was called). */
  state: { newState: HubState; oldState: HubState; error?: HubError };
  /** A failure no promise reports: an error frame without rid, a garbled frame, a failed re-watch, a failed async onMessage handler, the end of the session. */
  error: HubError;
  /** The hub accepted hello: once on connect and again on every reconnect. */
  welcome: Welcome;
  /** A task offered to this session: accept() or decline(), then complete() or fail(). An offer replayed after a resume is not repeated. */
  task: OfferedTask;
}

export interface SendOptions {
  /** @default 'message' */
  kind?: Message['kind'];
  replyTo?: string;
  thread?: string;
  /**
   * Makes the send safe to repeat: the hub answers a repeat (from this session, for some
   * minutes) with the first msgId instead of sending again, and the SDK re-sends it by itself
   * if the connection drops before the answer.
   */
  idempotencyKey?: string;
  timeoutMs?: number;
}

export interface BroadcastOptions {
  kind?: Message['kind'];
  /** Only sessions that have this capability receive it. */
  capability?: string;
  timeoutMs?: number;
}

export interface RequestOptions {
  /** Covers both the send and the wait for the response. @default requestTimeoutMs */
  timeoutMs?: number;
}

/** A message whose body has been checked against a schema. */
export type TypedMessage<T> = Omit<Message, 'body'> & { body: T };

export type SessionPatch = Omit<ClientFrameOf<'update'>, 'type' | 'rid'>;
export type SessionFilter = Omit<ClientFrameOf<'sessions.list'>, 'type' | 'rid'>;

/** Connects and resolves once the hub has welcomed this session. */
export function connect(options: ConnectOptions): Promise<Hub> {
  return Hub.connect(options);
}

export class Hub {
  /** The shared memory: set, get, delete, search, watch. */
  readonly memory: Memory;
  readonly #settings: Settings;
  readonly #events = new Emitter<HubEvents>();
  readonly #requests: RequestManager;
  readonly #replies: ReplyRouter;
  readonly #presence: SharedWatch<Presence, Session>;
  readonly #locks: Locks;
  readonly #tasks: Tasks;
  readonly #taskWatch: SharedWatch<Task, Task>;
  readonly #inbox: Inbox;
  /** Async parts of the message handlers running for the message being dispatched. */
  #handling: Promise<unknown>[] | null = null;
  #hello: HelloSession;
  #state: HubState = 'connecting';
  #conn: Connection | null = null;
  #welcome!: Welcome;
  #session!: Session;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #drainTimer: ReturnType<typeof setTimeout> | undefined;
  #drainAt: number | null = null;
  #closing: Promise<void> | null = null;
  #lastError: HubError | undefined;
  #starting: { resolve(): void; reject(error: HubError): void } | null = null;

  private constructor(settings: Settings, session: HelloSession) {
    this.#settings = settings;
    this.#hello = session;
    this.#requests = new RequestManager(settings.requestTimeoutMs);
    this.#replies = new ReplyRouter((message) => this.#events.emit('message', message));
    const deps = {
      request: this.#request,
      isConnected: () => this.#state === 'connected',
      report: (error: HubError) => this.#events.emit('error', error),
    };
    this.memory = new Memory(deps);
    this.#presence = presenceWatch(deps);
    this.#locks = new Locks({ ...deps, requestTimeoutMs: settings.requestTimeoutMs });
    this.#taskWatch = taskWatch(deps);
    this.#tasks = new Tasks({ ...deps, me: () => this.id, offered: (offer) => this.#events.emit('task', offer) });
    this.#inbox = new Inbox((frame) => this.#conn?.send(frame) ?? false, settings.ack === 'auto');
  }

  /** Same as connect(). */
  static async connect(options: ConnectOptions): Promise<Hub> {
    const settings = resolveOptions(options);
    const hub = new Hub(settings, { ...options.session });
    await hub.#start();
    return hub;
  }

  /** This session's id (assigned by the hub unless given in `session.id`). */
  get id(): string {
    return this.#welcome.sessionId;
  }

  /** The session as the hub last reported it (welcome or update). */
  get session(): Session {
    return this.#session;
  }

  /** The hub node of the latest welcome. */
  get node(): string {
    return this.#welcome.node;
  }

  /** What this session may do (from its token): observer, agent or admin. Older hubs do not say: 'agent'. */
  get role(): Role {
    return this.#welcome.role ?? 'agent';
  }

  /** The namespace the session lives in (from its token; 'default' on an open hub). */
  get namespace(): string {
    return this.#welcome.ns ?? 'default';
  }

  get state(): HubState {
    return this.#state;
  }

  on<K extends keyof HubEvents>(event: K, listener: Listener<HubEvents[K]>): () => void {
    return this.#events.on(event, listener);
  }

  off<K extends keyof HubEvents>(event: K, listener: Listener<HubEvents[K]>): void {
    this.#events.off(event, listener);
  }

  once<K extends keyof HubEvents>(event: K, listener: Listener<HubEvents[K]>): () => void {
    return this.#events.once(event, listener);
  }

  /** Sends `body` to session `to`; resolves when the hub has accepted it (HubError 'not_found' if `to` is offline). */
  /** Resolves with the msgId, the recipient's seq, and `queued` when the recipient is away (resumable). */
  send(to: string, body: JsonValue, options: SendOptions = {}): Promise<Results['send']> {
    const { timeoutMs, ...fields } = options;
    return this.#request('send', { to, body, ...fields }, { timeoutMs });
  }

  /**
   * Sends `body` as kind 'request' and resolves with the 'response' message whose replyTo is its
   * msgId. With `schema`, the response body is validated (HubError 'bad_request' if it does not fit).
   */
  request(to: string, body: JsonValue, options?: RequestOptions): Promise<Message>;
  request<S extends z.ZodType>(
    to: string, body: JsonValue, options: RequestOptions & { schema: S },
  ): Promise<TypedMessage<z.output<S>>>;
  async request(to: string, body: JsonValue, options: RequestOptions & { schema?: z.ZodType } = {}): Promise<TypedMessage<unknown>> {
    const timeoutMs = options.timeoutMs ?? this.#settings.requestTimeoutMs;
    const response = await this.#replies.request(
      (remainingMs) => this.#request('send', { to, body, kind: 'request' }, { timeoutMs: remainingMs }),
      timeoutMs,
    );
    if (!options.schema) return response;
    const parsed = options.schema.safeParse(response.body);
    if (!parsed.success) {
      throw new HubError('bad_request', `the response from ${response.from} does not match the schema`, { cause: parsed.error });
    }
    return { ...response, body: parsed.data };
  }

  /** Answers a request: kind 'response', replyTo its msgId, to its sender, in its thread. */
  reply(message: Pick<Message, 'msgId' | 'from' | 'thread'>, body: JsonValue): Promise<{ msgId: string }> {
    return this.send(message.from, body, {
      kind: 'response',
      replyTo: message.msgId,
      ...(message.thread !== undefined && { thread: message.thread }),
    });
  }

  /** Sends `body` to every other session (with `capability`: those that have it). */
  broadcast(body: JsonValue, options: BroadcastOptions = {}): Promise<{ msgId: string; recipients: number }> {
    const { timeoutMs, ...fields } = options;
    return this.#request('broadcast', { body, ...fields }, { timeoutMs });
  }

  /** Changes this session's status, task, capabilities or meta; later reconnects hello with the result. */
  async update(patch: SessionPatch): Promise<Session> {
    const { session } = await this.#request('update', patch);
    this.#session = session;
    const { capabilities, status, task, meta } = session;
    this.#hello = { ...this.#hello, capabilities, status, task, meta };
    return session;
  }

  /** The sessions the hub knows, optionally only those with a capability or status. */
  async sessions(filter: SessionFilter = {}): Promise<Session[]> {
    return (await this.#request('sessions.list', filter)).sessions;
  }

  /**
   * Admin only: ends another session of the namespace (it leaves with reason `kicked` and may not
   * resume). Rejects with HubError `forbidden` for other roles, `not_found` if it is not online.
   */
  async kick(sessionId: string): Promise<void> {
    await this.#request('session.kick', { sessionId });
  }

  /**
   * Calls `callback` with every presence frame. Resolves after the hub has sent its snapshot (given
   * to `options.onSnapshot`, also after each reconnect) with the function that ends the watch.
   */
  watchPresence(callback: Listener<Presence>, options?: WatchPresenceOptions): Promise<() => void> {
    return this.#presence.watch(callback, options);
  }

  /**
   * Acquires lock `name` for `ttlMs`. Held by someone else: HubError 'conflict', or with `wait`,
   * queued (FIFO) until granted or until the wait ends (then 'timeout').
   */
  lock(name: string, options: LockOptions): Promise<HeldLock> {
    return this.#locks.acquire(name, options);
  }

  /** Acquires lock `name`, runs `fn` with it, and releases it when fn settles (resolved or thrown). */
  withLock<T>(name: string, options: LockOptions, fn: (lock: HeldLock) => Promise<T>): Promise<T> {
    return this.#locks.with(name, options, fn);
  }

  /** The held locks (holder, fence, expiresAt, waiters), optionally only names starting with `prefix`. */
  locks(prefix?: string): Promise<Lock[]> {
    return this.#locks.list(prefix);
  }

  /**
   * Hands a task off to session `to`, or to the least-busy session with `capability`. Resolves
   * (once the hub has it) with a handle whose `done` settles when the task ends.
   */
  handoff(task: TaskSpec, target: HandoffTarget, options?: HandoffOptions): Promise<TaskHandle> {
    return this.#tasks.handoff(task, target, options);
  }

  /** Tasks this session created (`role: 'created'`) or accepted / is offered (`'assigned'`), optionally in one state. */
  tasks(filter: TaskFilter): Promise<Task[]> {
    return this.#tasks.list(filter);
  }

  /**
   * Calls `callback` with every task of the namespace after each change (any session's tasks).
   * Resolves after the hub has sent its snapshot (given to `options.onSnapshot`, also after each
   * reconnect, since changes made while offline are not replayed) with the function that ends
   * the watch. Order the versions of one task by the length of its history.
   */
  watchTasks(callback: Listener<Task>, options?: WatchTasksOptions): Promise<() => void> {
    return this.#taskWatch.watch(callback, options);
  }

  /** A task of this namespace by id, or null if there is none (ended tasks are kept for a day). */
  task(id: string): Promise<Task | null> {
    return this.#tasks.get(id);
  }

  /**
   * Acknowledges a direct message (with `ack: 'manual'`): the hub may forget it, and a resume
   * will not replay it. In the default auto mode the SDK acks once the handlers are done.
   */
  ack(message: Message): void {
    if (message.seq !== undefined) this.#inbox.done(message.seq);
  }

  /** Round-trip time to the hub in milliseconds. */
  async ping(): Promise<number> {
    let sentAt = performance.now();
    await this.#request('ping', {}, { onWrite: () => (sentAt = performance.now()) });
    return performance.now() - sentAt;
  }

  /**
   * Calls `handler` with every message whose body parses with `schema`; other messages are
   * skipped silently. A rejection of an async handler becomes an `error` event. Returns unsubscribe.
   */
  onMessage<S extends z.ZodType>(
    schema: S,
    handler: (body: z.output<S>, message: Message) => void | Promise<void>,
  ): () => void {
    return this.on('message', (message) => {
      const parsed = schema.safeParse(message.body);
      if (!parsed.success) return;
      const result = handler(parsed.data, message);
      if (result instanceof Promise) {
        this.#handling?.push(result);
        result.catch((err: unknown) =>
          this.#events.emit('error', err instanceof HubError ? err : new HubError('internal', 'an onMessage handler failed', { cause: err })),
        );
      }
    });
  }

  /** Says bye, waits (bounded) for the hub to close the socket, and rejects what is still pending with 'unavailable'. */
  close(): Promise<void> {
    this.#closing ??= this.#closeGracefully();
    return this.#closing;
  }

  // Every request goes through here, so none starts once close() has begun.
  readonly #request: RequestFn = (type, fields, options) =>
    this.#closing || this.#state === 'closed'
      ? Promise.reject(new HubError('unavailable', 'the hub connection is closed'))
      : this.#requests.request(type, fields, options);

  #start(): Promise<void> {
    const { connectTimeoutMs, url } = this.#settings;
    return new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => {
        const error = new HubError('timeout', `could not connect to ${url} within ${connectTimeoutMs} ms`, { cause: this.#lastError });
        this.#failStart(error);
      }, connectTimeoutMs);
      this.#starting = {
        resolve: () => (clearTimeout(deadline), resolve()),
        reject: (error) => (clearTimeout(deadline), reject(error)),
      };
      this.#open();
    });
  }

  #failStart(error: HubError): void {
    const starting = this.#starting;
    this.#starting = null;
    this.#shutdown(error);
    starting?.reject(error);
  }

  #open(): void {
    this.#retryTimer = undefined;
    if (this.#state === 'closed' || this.#closing) return;
    const { WebSocket, url, token, role, connectTimeoutMs } = this.#settings;
    const hello: Hello = {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      session: { ...this.#hello },
      ...(token !== undefined && { token }),
      ...(role !== undefined && { role }),
    };
    // After a drop, pick the same session up where it was: the hub replays what we missed.
    const previous = this.#starting === null ? this.#welcome : undefined;
    if (previous?.resumeWindowMs) hello.resume = { sessionId: previous.sessionId, secret: previous.resumeSecret, lastSeq: this.#inbox.lastSeq };
    const conn: Connection = new Connection(
      { WebSocket, url, hello, welcomeTimeoutMs: connectTimeoutMs },
      {
        welcome: (welcome) => this.#onWelcome(conn, welcome),
        frame: (frame) => this.#onFrame(frame),
        invalid: (error) => this.#events.emit('error', error),
        close: (info) => this.#onClose(conn, info),
      },
    );
    this.#conn = conn;
  }

  #onWelcome(conn: Connection, welcome: Welcome): void {
    if (conn !== this.#conn) return;
    const reconnected = this.#starting === null;
    this.#welcome = welcome;
    this.#session = welcome.session;
    if (!welcome.resumed) this.#inbox.reset();
    this.#hello = { ...this.#hello, id: welcome.sessionId };
    this.#attempt = 0;
    this.#drainAt = null;
    this.#requests.attach((frame) => conn.send(frame));
    this.#setState('connected');
    this.#events.emit('welcome', welcome);
    if (reconnected) {
      this.#presence.rearm();
      this.#taskWatch.rearm();
      this.memory.rearm();
      this.#tasks.refresh();
    }
    const starting = this.#starting;
    this.#starting = null;
    starting?.resolve();
  }

  #onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'ok':
      case 'pong':
        this.#requests.answer(frame);
        return;
      case 'error':
        // An error with an unknown rid answers a request that already timed out: nobody waits for it.
        if (!this.#requests.answer(frame) && frame.rid === undefined) this.#events.emit('error', errorFromFrame(frame));
        return;
      case 'message': {
        if (!this.#inbox.accept(frame)) return;
        const pending: Promise<unknown>[] = (this.#handling = []);
        try {
          if (!this.#replies.take(frame)) this.#events.emit('message', frame);
        } finally {
          this.#handling = null;
        }
        this.#inbox.handled(frame, pending);
        return;
      }
      case 'presence':
        this.#presence.dispatch(frame);
        this.#events.emit('presence', frame);
        return;
      case 'memory.changed':
        this.memory.dispatch(frame);
        this.#events.emit('memory', frame);
        return;
      case 'task.offer':
      case 'task.update':
        if (!this.#inbox.accept(frame)) return;
        this.#tasks.dispatch(frame);
        // Acknowledged once dispatched, in both ack modes: nobody else can ack these frames.
        if (frame.seq !== undefined) this.#inbox.done(frame.seq);
        return;
      case 'task.changed':
        this.#taskWatch.dispatch(frame.task);
        return;
      case 'drain':
        this.#drain(frame.reconnectMs);
        return;
      case 'welcome':
        return;
    }
  }

  // The hub is going down: leave it at a jittered time (or when it closes us) and come back to
  // another node then, not at once, so its clients do not all arrive together.
  #drain(reconnectMs: number): void {
    const delay = jitterAround(reconnectMs);
    this.#drainAt = Date.now() + delay;
    const conn = this.#conn;
    clearTimeout(this.#drainTimer);
    this.#drainTimer = setTimeout(() => {
      if (conn === this.#conn) conn?.close(1000, 'hub draining');
    }, delay);
  }

  #onClose(conn: Connection, info: CloseInfo): void {
    if (conn !== this.#conn) return;
    this.#conn = null;
    this.#lastError = info.error;
    this.#requests.detach();
    if (this.#closing || this.#state === 'closed') return;
    const fatal = FATAL_CLOSE_CODES.has(info.code);
    if (this.#state === 'connecting') {
      // The first hello decides: refused is refused; only an unreachable hub is worth retrying.
      if (fatal || info.code === CloseCode.sessionInUse || !this.#settings.reconnect) return this.#failStart(info.error);
      return this.#retryLater();
    }
    if (fatal || !this.#settings.reconnect) {
      this.#events.emit('error', info.error);
      return this.#shutdown(new HubError('unavailable', `the session ended: ${info.error.message}`, { cause: info.error }), info.error);
    }
    // 4409 lands here too: the hub may not yet have noticed that our previous socket is gone.
    this.#setState('reconnecting', info.error);
    this.#retryLater();
  }

  #retryLater(): void {
    const delay = this.#drainAt === null
      ? backoffDelay(this.#attempt++, this.#settings.reconnect || DEFAULT_BACKOFF)
      : Math.max(0, this.#drainAt - Date.now());
    this.#drainAt = null;
    this.#retryTimer = setTimeout(() => this.#open(), delay);
  }

  async #closeGracefully(): Promise<void> {
    if (this.#state === 'closed') return;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#drainTimer);
    const conn = this.#conn;
    if (conn?.send({ type: 'bye' })) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#settings.closeTimeoutMs)));
      await Promise.race([conn.closed, timeout]);
      clearTimeout(timer);
    }
    this.#shutdown(new HubError('unavailable', 'the hub connection was closed by hub.close()'));
  }

  #shutdown(error: HubError, reason?: HubError): void {
    if (this.#state === 'closed') return;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#drainTimer);
    const conn = this.#conn;
    this.#conn = null;
    conn?.close(1000, 'client closed');
    this.#requests.close(error);
    this.#replies.close(error);
    this.#tasks.close(error);
    this.#setState('closed', reason);
  }

  #setState(newState: HubState, error?: HubError): void {
    const oldState = this.#state;
    if (newState === oldState) return;
    this.#state = newState;
    this.#events.emit('state', error ? { newState, oldState, error } : { newState, oldState });
  }
}
