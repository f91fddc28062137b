// One client socket: the hello handshake, the frame loop (decode → handler → one answer),
// liveness bookkeeping, and how the session ends.
import { randomBytes } from 'node:crypto';
import { CloseCode, decodeClientFrame } from '@switchboard/protocol';
import { createHash } from 'node:crypto';
import type { ClientFrame, ErrorCode, Hello, ServerFrame, Session } from '@switchboard/protocol';
import type { RawData, WebSocket } from 'ws';
import { EngineUnavailableError } from './engine/errors.js';
import { Delivery } from './delivery.js';
import type { ResumeResult } from './engine/engine.js';
import { handlers } from './handlers.js';
import { isFailure } from './failure.js';
import type { Hub } from './hub.js';

type Phase = 'hello' | 'joining' | 'live' | 'closed';

export class Connection {
  session: Session | null = null;
  ns = '';
  lastActivity = Date.now();
  readonly memoryPrefixes = new Set<string>();
  private phase: Phase = 'hello';
  /** Frames that arrive while hello is still being processed wait here, in order. */
  private joined: Promise<void> = Promise.resolve();
  private saidBye = false;
  private kicked = false;
  readonly delivery = new Delivery(this);
  private readonly helloTimer: NodeJS.Timeout;

  constructor(
    readonly hub: Hub,
    readonly ws: WebSocket,
    readonly remote: string,
  ) {
    this.helloTimer = setTimeout(() => this.close(CloseCode.timeout, 'no hello in time'), hub.options.helloTimeoutMs);
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
    this.sendText(JSON.stringify(frame));
  }

  sendText(text: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(text);
  }

  /** Closes the socket; a peer that does not finish the close handshake is cut off. */
  close(code: number, reason: string): void {
    if (this.ws.readyState >= this.ws.CLOSING) return;
    this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  private receive(data: RawData, isBinary: boolean): void {
    this.lastActivity = Date.now();
    // After bye the session is over: later frames would run without anyone to answer.
    if (this.saidBye) return;
    if (isBinary) return this.reject('bad_request', 'binary frames are not accepted; send JSON text');
    const decoded = decodeClientFrame(data.toString());
    if (!decoded.ok) return this.reject(decoded.code, decoded.message, decoded.rid);
    const frame = decoded.frame;
    if (this.phase === 'hello') {
      if (frame.type !== 'hello') return this.reject('bad_request', 'the first frame must be hello');
      this.phase = 'joining';
      this.joined = this.hello(frame).catch((err) => this.helloFailed(err));
      return;
    }
    if (this.phase === 'joining') {
      void this.joined.then(() => this.dispatch(frame));
      return;
    }
    void this.dispatch(frame);
  }

  /** An undecodable or misplaced frame: an error frame, and before hello also the end of the socket. */
  private reject(code: ErrorCode, message: string, rid?: string): void {
    this.send(rid === undefined ? { type: 'error', code, message } : { type: 'error', code, message, rid });
    if (this.phase === 'hello') this.close(CloseCode.badHello, message.slice(0, 120));
  }

  private async hello(frame: Hello): Promise<void> {
    clearTimeout(this.helloTimer);
    const { hub } = this;
    const auth = await hub.auth.verify(frame.token);
    if (!auth.ok) {
      this.send({ type: 'error', code: 'unauthorized', message: auth.message });
      return this.close(CloseCode.unauthorized, auth.message);
    }
    const now = Date.now();
    if (this.ws.readyState !== this.ws.OPEN) return;
    const secret = randomBytes(18).toString('base64url');
    let resumed: Extract<ResumeResult, { resumed: true }> | null = null;
    let refusal: Extract<ResumeResult, { resumed: false }>['reason'] | undefined;
    if (frame.resume) {
      const result = await hub.engine.resume(auth.ns, {
        sessionId: frame.resume.sessionId,
        secretHash: hashSecret(frame.resume.secret),
        nextSecretHash: hashSecret(secret),
        lastSeq: frame.resume.lastSeq,
        now,
      });
      if (result.resumed) resumed = result;
      else refusal = result.reason;
    }
    const session = resumed?.session ?? newSession(frame, hub, now, frame.resume?.sessionId);
    if (!resumed && (await hub.engine.join(auth.ns, session, hashSecret(secret))) === 'in_use') {
      const message = `session id "${session.id}" is held by a live session`;
      this.send({ type: 'error', code: 'conflict', message });
      return this.close(CloseCode.sessionInUse, message);
    }
    this.ns = auth.ns;
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
      ...(frame.resume && (resumed ? { resumed: true, replayed: resumed.replay.length } : { resumed: false, reason: refusal })),
    });
    this.delivery.begin(resumed ? frame.resume!.lastSeq : 0, resumed?.replay ?? null);
    hub.log.info({ session: session.id, ns: this.ns, name: session.name, remote: this.remote, resumed: !!resumed }, 'session open');
    // The socket may have closed while the engine registered the session.
    if (this.ws.readyState !== this.ws.OPEN) await this.closed(1006);
  }

  /** The engine could not register the session: tell the client and let it retry later. */
  private helloFailed(err: unknown): void {
    const unavailable = err instanceof EngineUnavailableError;
    if (!unavailable) this.hub.log.error({ err, remote: this.remote }, 'hello failed');
    const message = unavailable ? 'the hub cannot reach its engine; retry shortly' : 'the hub could not register the session';
    this.send({ type: 'error', code: unavailable ? 'unavailable' : 'internal', message });
    this.phase = 'closed';
    this.close(CloseCode.tryAgainLater, message);
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
    if (this.phase !== 'live') {
      if (this.phase === 'hello') this.phase = 'closed';
      return;
    }
    this.phase = 'closed';
    const session = this.session!;
    this.hub.unregister(this);
    this.hub.log.info({ session: session.id, ns: this.ns, code, bye: this.saidBye, kicked: this.kicked }, 'session closed');
    // Taken over by a resume elsewhere: the session goes on there.
    if (this.kicked) return;
    try {
      if (this.saidBye) await this.hub.engine.leave(this.ns, session.id, 'bye');
      else await this.hub.engine.suspend(this.ns, session.id, 'timeout');
    } catch (err) {
      this.hub.log.error({ err, session: session.id }, 'leave failed');
    }
  }

  /** The session was resumed on another socket: close this one without ending the session. */
  kick(): void {
    this.kicked = true;
    this.close(CloseCode.sessionInUse, 'session resumed on another connection');
  }
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** The Session a hello asks for (a refused resume falls back to the id it named). */
function newSession(frame: Hello, hub: Hub, now: number, fallbackId: string | undefined): Session {
  const s = frame.session;
  return {
    id: s.id ?? fallbackId ?? hub.newId(),
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
