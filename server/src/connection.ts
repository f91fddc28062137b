// One client socket: the hello handshake, the frame loop (decode → handler → one answer),
// liveness bookkeeping, and how the session ends.
import { randomBytes } from 'node:crypto';
import { CloseCode, decodeClientFrame } from '@switchboard/protocol';
import { createHash } from 'node:crypto';
import type { ClientFrame, Decoded, ErrorCode, Hello, Role, ServerFrame, Session } from '@switchboard/protocol';
import type { RawData, WebSocket } from 'ws';
import { grantHello } from './auth.js';
import type { Principal } from './auth.js';
import { EngineUnavailableError } from './engine/errors.js';
import { Delivery } from './delivery.js';
import type { ResumeResult } from './engine/engine.js';
import { handlers } from './handlers.js';
import { isFailure } from './failure.js';
import { tokenKey } from './limits.js';
import { RateLimiter } from './rate-limit.js';
import { mayUse, roleNeeded } from './roles.js';
import type { Hub } from './hub.js';

type Phase = 'hello' | 'joining' | 'live' | 'closed';

export class Connection {
  session: Session | null = null;
  ns = '';
  /** What this session may do, from its token (set by hello). */
  role: Role = 'observer';
  lastActivity = Date.now();
  readonly memoryPrefixes = new Set<string>();
  private phase: Phase = 'hello';
  /** Frames that arrive while hello is still being processed wait here, in order. */
  private joined: Promise<void> = Promise.resolve();
  private saidBye = false;
  private kicked = false;
  readonly delivery = new Delivery(this);
  private readonly helloTimer: NodeJS.Timeout;
  private readonly rate: RateLimiter;
  /** Requests decoded and not yet answered (maxPending). */
  private pending = 0;
  private readonly answered = (): void => void this.pending--;
  /** What this session counts under for maxSessionsPerToken, once counted. */
  private countedAs: string | null = null;

  constructor(
    readonly hub: Hub,
    readonly ws: WebSocket,
    readonly remote: string,
    /** Who the token checked at the upgrade says this is; null: the token (if any) comes in hello. */
    public principal: Principal | null = null,
  ) {
    this.helloTimer = setTimeout(() => this.close(CloseCode.timeout, 'no hello in time', 'hello_timeout'), hub.options.helloTimeoutMs);
    this.rate = new RateLimiter(hub.options, performance.now());
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('pong', () => (this.lastActivity = Date.now()));
    ws.on('close', (code) => hub.track(this.closed(code)));
    ws.on('error', (err) => hub.log.warn({ err: err.message, session: this.session?.id }, 'socket error'));
  }

  get id(): string {
    return this.session!.id;
  }

  get live(): boolean {
    return this.phase === 'live';
  }

  send(frame: ServerFrame): void {
    if (frame.type === 'error') this.hub.metrics.error(frame.code);
    this.sendText(JSON.stringify(frame), frame.type);
  }

  /** Writes an already serialized frame; `type` is the frame's type, for the frames-out metric. */
  sendText(text: string, type = 'other'): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const { maxBufferedBytes } = this.hub.options;
    if (maxBufferedBytes > 0 && this.ws.bufferedAmount > maxBufferedBytes) return this.slowConsumer();
    this.ws.send(text);
    this.hub.metrics.frameOut(type);
  }

  /**
   * Closes the socket; a peer that does not finish the close handshake is cut off. `why` names
   * the hub's own reason for switchboard_closes_total (unset: the client asked, e.g. bye).
   */
  close(code: number, reason: string, why?: string): void {
    if (this.ws.readyState >= this.ws.CLOSING) return;
    if (why !== undefined) this.hub.metrics.closed(why);
    this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  private receive(data: RawData, isBinary: boolean): void {
    this.lastActivity = Date.now();
    // After bye the session is over: later frames would run without anyone to answer.
    if (this.saidBye) return;
    const size = (data as Buffer).length;
    const now = performance.now();
    const retryMs = this.rate.take(size, now);
    // Closing (e.g. 4429 for this very flood): what is still in flight is not worth a decode.
    if (retryMs > 0 && this.ws.readyState !== this.ws.OPEN) return;
    if (isBinary) {
      this.hub.metrics.frameIn('invalid');
      if (retryMs > 0) return this.refuse(this.rate.refusedBy, undefined, size, now, retryMs);
      return this.reject('bad_request', 'binary frames are not accepted; send JSON text');
    }
    const decoded = decodeClientFrame(data.toString());
    this.hub.metrics.frameIn(decoded.ok ? decoded.frame.type : 'invalid');
    if (this.limited(decoded, size, retryMs, now)) return;
    if (!decoded.ok) return this.reject(decoded.code, decoded.message, decoded.rid);
    const frame = decoded.frame;
    if (this.phase === 'hello') {
      if (frame.type !== 'hello') return this.reject('bad_request', 'the first frame must be hello');
      this.phase = 'joining';
      this.joined = this.hello(frame).catch((err) => this.helloFailed(err));
      return;
    }
    if (!isRequest(frame)) {
      if (this.phase === 'joining') void this.joined.then(() => this.dispatch(frame));
      else void this.dispatch(frame);
      return;
    }
    if (this.pending >= this.hub.options.maxPending) return this.refuse('pending', (frame as { rid?: string }).rid, size, now);
    this.pending++;
    const run = this.phase === 'joining' ? this.joined.then(() => this.dispatch(frame)) : this.dispatch(frame);
    void run.finally(this.answered);
  }

  /**
   * The rate limit's verdict, applied once the frame is decoded so that a refusal can carry its
   * rid (the cost of decoding refused frames is bounded: a client that keeps sending while refused
   * is closed 4429). An ack that acknowledges new messages is free and never refused: the hub's own
   * sending bounds its rate, and refusing it would stall delivery. True: the frame was refused.
   */
  private limited(decoded: Decoded, size: number, retryMs: number, now: number): boolean {
    if (decoded.ok && decoded.frame.type === 'ack' && this.delivery.advances(decoded.frame.seq)) {
      if (retryMs === 0) this.rate.refund(size);
      return false;
    }
    if (retryMs === 0) return false;
    const rid = decoded.ok ? (decoded.frame as { rid?: string }).rid : decoded.rid;
    this.refuse(this.rate.refusedBy, rid, size, now, retryMs);
    return true;
  }

  /** Refuses a frame with `rate_limited`; one that keeps coming after refusals closes the socket 4429. */
  private refuse(limit: 'frames' | 'bytes' | 'pending', rid: string | undefined, size: number, now: number, retryMs?: number): void {
    this.hub.metrics.rateLimited(limit);
    if (this.rate.strike(size, now)) {
      this.hub.log.warn({ session: this.session?.id, remote: this.remote, limit }, 'rate limit: kept sending while refused; closing');
      return this.close(CloseCode.rateLimited, 'rate limit exceeded again and again; slow down', 'rate_limited');
    }
    const message = limit === 'pending'
      ? `${this.hub.options.maxPending} requests are already unanswered; wait for their answers`
      : `over the ${limit === 'frames' ? `${this.hub.options.rateFrames} frames/s` : `${this.hub.options.rateBytes} bytes/s`} rate limit; retry in ${retryMs} ms`;
    this.send({ type: 'error', code: 'rate_limited', message, ...(retryMs !== undefined && { retryMs }), ...(rid !== undefined && { rid }) });
  }

  /**
   * The client reads slower than the hub writes: rather than buffer without bound, close with
   * 1013 and write nothing more. The session turns away (resumable); its direct messages wait in
   * the inbox, so a resume gets every one of them.
   */
  private slowConsumer(): void {
    this.hub.log.warn({ session: this.session?.id, buffered: this.ws.bufferedAmount }, 'slow consumer; closing');
    this.close(CloseCode.tryAgainLater, 'slow consumer: too much unread data; reconnect and resume', 'slow_consumer');
  }

  /** An undecodable or misplaced frame: an error frame, and before hello also the end of the socket. */
  private reject(code: ErrorCode, message: string, rid?: string): void {
    this.send(rid === undefined ? { type: 'error', code, message } : { type: 'error', code, message, rid });
    if (this.phase === 'hello') this.close(CloseCode.badHello, message.slice(0, 120), 'bad_hello');
  }

  private async hello(frame: Hello): Promise<void> {
    clearTimeout(this.helloTimer);
    const { hub } = this;
    // A token in hello wins over one checked at the upgrade; without either, an open hub lets anyone in.
    const auth = frame.token === undefined && this.principal ? { ok: true as const, principal: this.principal } : await hub.auth.verify(frame.token);
    if (!auth.ok) {
      hub.log.warn({ remote: this.remote, reason: auth.message }, 'hello refused: unauthorized');
      this.send({ type: 'error', code: 'unauthorized', message: auth.message });
      return this.close(CloseCode.unauthorized, auth.message, 'unauthorized');
    }
    const grant = grantHello(auth.principal, frame);
    if (!grant.ok) {
      hub.log.warn({ remote: this.remote, reason: grant.message }, 'hello refused: forbidden');
      this.send({ type: 'error', code: 'forbidden', message: grant.message });
      return this.close(CloseCode.forbidden, grant.message.slice(0, 120), 'forbidden');
    }
    const { ns } = auth.principal;
    const now = Date.now();
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (hub.auth.required && !this.countSession(tokenKey(auth.principal, frame.token))) return;
    const secret = randomBytes(18).toString('base64url');
    let resumed: Extract<ResumeResult, { resumed: true }> | null = null;
    let refusal: Extract<ResumeResult, { resumed: false }>['reason'] | undefined;
    if (frame.resume) {
      const result = await hub.engine.resume(ns, {
        sessionId: frame.resume.sessionId,
        secretHash: hashSecret(frame.resume.secret),
        nextSecretHash: hashSecret(secret),
        lastSeq: frame.resume.lastSeq,
        now,
      });
      if (result.resumed) resumed = result;
      else refusal = result.reason;
    }
    const session = resumed?.session ?? newSession(frame, hub, now, grant.sessionId ?? hub.newId());
    if (!resumed && (await hub.engine.join(ns, session, hashSecret(secret))) === 'in_use') {
      const message = `session id "${session.id}" is held by a live session`;
      this.send({ type: 'error', code: 'conflict', message });
      return this.close(CloseCode.sessionInUse, message, 'session_in_use');
    }
    this.ns = ns;
    this.principal = auth.principal;
    this.role = grant.role;
    this.session = session;
    this.phase = 'live';
    hub.register(this);
    this.send({
      type: 'welcome',
      sessionId: session.id,
      resumeSecret: secret,
      node: hub.nodeId,
      heartbeatMs: hub.options.heartbeatMs,
      resumeWindowMs: hub.options.resumeWindowMs,
      limits: hub.limits,
      session,
      ns,
      role: grant.role,
      ...(frame.resume && (resumed ? { resumed: true, replayed: resumed.replay.length } : { resumed: false, reason: refusal })),
    });
    this.delivery.begin(resumed ? frame.resume!.lastSeq : 0, resumed?.replay ?? null);
    hub.log.info({ session: session.id, ns: this.ns, name: session.name, remote: this.remote, resumed: !!resumed }, 'session open');
    // The socket may have closed while the engine registered the session.
    if (this.ws.readyState !== this.ws.OPEN) await this.closed(1006);
  }

  /** Counts this session against its token's maxSessionsPerToken; false: over it, refused and closing. */
  private countSession(key: string): boolean {
    if (!this.hub.tokenSessions.acquire(key)) {
      const message = `this token holds ${this.hub.options.maxSessionsPerToken} sessions on this node, its limit`;
      this.send({ type: 'error', code: 'limit_exceeded', message });
      this.close(CloseCode.rateLimited, message, 'too_many_sessions');
      return false;
    }
    this.countedAs = key;
    return true;
  }

  /** The engine could not register the session: tell the client and let it retry later. */
  private helloFailed(err: unknown): void {
    const unavailable = err instanceof EngineUnavailableError;
    if (!unavailable) this.hub.log.error({ err, remote: this.remote }, 'hello failed');
    const message = unavailable ? 'the hub cannot reach its engine; retry shortly' : 'the hub could not register the session';
    this.send({ type: 'error', code: unavailable ? 'unavailable' : 'internal', message });
    this.phase = 'closed';
    this.close(CloseCode.tryAgainLater, message, 'hello_failed');
  }

  private async dispatch(frame: ClientFrame): Promise<void> {
    if (this.phase !== 'live') return;
    switch (frame.type) {
      case 'hello':
        return this.send({ type: 'error', code: 'bad_request', message: 'hello was already accepted' });
      case 'ping':
        return this.send(frame.rid === undefined ? { type: 'pong', ts: Date.now() } : { type: 'pong', rid: frame.rid, ts: Date.now() });
      case 'ack':
        return this.delivery.ack(frame.seq);
      case 'bye':
        this.saidBye = true;
        return this.close(CloseCode.normal, 'bye');
    }
    const rid = frame.rid;
    if (!mayUse(this.role, frame.type)) {
      const message = `${frame.type} needs role ${roleNeeded(frame.type)}; this session is ${this.role}`;
      return this.send(rid === undefined ? { type: 'error', code: 'forbidden', message } : { type: 'error', code: 'forbidden', message, rid });
    }
    try {
      const handler = handlers[frame.type] as (c: Connection, f: ClientFrame) => ReturnType<(typeof handlers)['update']>;
      const result = await handler(this, frame);
      if (isFailure(result)) {
        const { code, message, extra } = result;
        this.send({ type: 'error', code, message, ...extra, ...(rid !== undefined && { rid }) });
      } else if (rid !== undefined) {
        this.send({ type: 'ok', rid, ...result });
      }
    } catch (err) {
      const unavailable = err instanceof EngineUnavailableError;
      if (!unavailable) this.hub.log.error({ err, session: this.session?.id, frame: frame.type }, 'handler failed');
      const code = unavailable ? 'unavailable' : 'internal';
      const message = unavailable ? 'the hub cannot reach its engine; retry shortly' : 'the hub could not complete the request';
      this.send(rid === undefined ? { type: 'error', code, message } : { type: 'error', code, message, rid });
    }
  }

  /** The socket is gone: the session leaves, with `bye` only if the client said so. */
  private async closed(code: number): Promise<void> {
    clearTimeout(this.helloTimer);
    if (this.countedAs !== null) this.hub.tokenSessions.release(this.countedAs);
    this.countedAs = null;
    if (this.phase !== 'live') {
      if (this.phase === 'hello') this.phase = 'closed';
      return;
    }
    this.phase = 'closed';
    const session = this.session!;
    this.hub.unregister(this);
    this.hub.log.info({ session: session.id, ns: this.ns, code, bye: this.saidBye, kicked: this.kicked }, 'session closed');
    // Taken over by a resume elsewhere (the session goes on there), or kicked (it already left).
    if (this.kicked) return;
    try {
      if (this.saidBye) await this.hub.engine.leave(this.ns, session.id, 'bye');
      else await this.hub.engine.suspend(this.ns, session.id, 'timeout');
    } catch (err) {
      this.hub.log.error({ err, session: session.id }, 'leave failed');
    }
  }

  /**
   * `resumed`: the session was resumed on another socket — close this one without ending it.
   * `kicked`: an admin kicked it — it leaves with reason `kicked` and the socket closes 4403.
   */
  kick(why: 'resumed' | 'kicked'): void {
    if (this.kicked || this.phase !== 'live') return;
    this.kicked = true;
    if (why === 'resumed') return this.close(CloseCode.sessionInUse, 'session resumed on another connection', 'taken_over');
    this.hub.track(this.hub.engine.leave(this.ns, this.id, 'kicked').catch((err) => this.hub.log.error({ err, session: this.id }, 'kick leave failed')));
    this.close(CloseCode.forbidden, 'kicked by an admin', 'kicked');
  }
}

/** Frames a handler answers (not hello, ping, ack, bye): the ones maxPending counts. */
function isRequest(frame: ClientFrame): boolean {
  return frame.type !== 'ping' && frame.type !== 'ack' && frame.type !== 'bye' && frame.type !== 'hello';
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** The Session a hello asks for, with the id its grant allows (a refused resume falls back to it). */
function newSession(frame: Hello, hub: Hub, now: number, id: string): Session {
  const s = frame.session;
  return {
    id,
    name: s.name,
    agentType: s.agentType ?? null,
    user: s.user ?? null,
    location: s.location ?? null,
    capabilities: s.capabilities ?? [],
    status: s.status ?? 'active',
    task: s.task ?? null,
    meta: s.meta ?? {},
    node: hub.nodeId,
    connectedAt: now,
    lastSeen: now,
  };
}
