// One socket of the fuzz test, held to the protocol: every frame the hub sends must be JSON text
// that parses as a ServerFrame; every rid the socket is owed gets exactly one answer (ok, error,
// or pong for a ping); nothing answers a rid that was not owed. Breaches are collected as
// failures (a ws handler must not throw) and the test asserts on them.
import WebSocket from 'ws';
import { ServerFrame } from '@switchboard/protocol';
import type { ErrorCode } from '@switchboard/protocol';

export interface Closed {
  code: number;
  reason: string;
}

/** Error codes no input may provoke from a healthy hub on the memory engine: they mean a handler broke. */
export const BROKEN_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['internal', 'unavailable']);

export class FuzzSession {
  readonly failures: string[] = [];
  /** rid → answers still owed, and what was sent with it (for failure messages). */
  private readonly owed = new Map<string, { count: number; sent: string[] }>();
  private readonly rtts = new Map<string, (ms: number) => void>();
  errorsWithoutRid = 0;
  errors = 0;
  received = 0;
  /** Frames other sessions caused: messages, task offers and updates. */
  delivered = 0;
  /** Error frames received, by code. */
  readonly errorCodes: Record<string, number> = {};
  /** The highest inbox `seq` seen, for acks. */
  maxSeq = 0;
  closedWith: Closed | null = null;
  readonly closed: Promise<Closed>;
  private onChange: (() => void) | null = null;
  private barrier = 0;
  welcome: Extract<ServerFrame, { type: 'welcome' }> | null = null;

  private constructor(
    readonly ws: WebSocket,
    readonly label: string,
  ) {
    ws.on('message', (data, isBinary) => this.receive(data as Buffer, isBinary));
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.closedWith = { code, reason: reason.toString() };
        this.onChange?.();
        resolve(this.closedWith);
      }),
    );
    ws.on('error', () => {});
  }

  /** Opens a socket and says hello as session `id`. */
  static async join(url: string, id: string): Promise<FuzzSession> {
    const ws = new WebSocket(url);
    const session = new FuzzSession(ws, id);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'hello', protocol: 1, session: { id, name: id, capabilities: ['fuzz'] } }));
    await session.until(() => session.welcome !== null || session.closedWith !== null, 5000, 'welcome');
    if (!session.welcome) throw new Error(`${id}: hello refused ${JSON.stringify(session.closedWith)} ${session.failures.join('; ')}`);
    return session;
  }

  get id(): string {
    return this.welcome!.sessionId;
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Records that `rid` must be answered exactly once. */
  owe(rid: string, sent: string): void {
    const entry = this.owed.get(rid);
    if (entry) {
      entry.count++;
      entry.sent.push(sent);
    } else this.owed.set(rid, { count: 1, sent: [sent] });
  }

  get owing(): number {
    return this.owed.size;
  }

  /** What is still owed, for a failure message. */
  owedSummary(): string {
    return [...this.owed].slice(0, 5).map(([rid, { count, sent }]) => `${rid} ×${count}: ${sent.map((s) => s.slice(0, 300)).join(' | ')}`).join('\n');
  }

  /** Forgets what is owed (the socket closed; nothing can come any more). */
  forgive(): void {
    this.owed.clear();
  }

  /** Sends a ping with a fresh rid; resolves with the round trip in ms. */
  async ping(timeoutMs = 5000): Promise<number> {
    const rid = `${this.label}-ping-${++this.barrier}`;
    const started = performance.now();
    const done = new Promise<number>((resolve) => this.rtts.set(rid, resolve));
    this.owe(rid, 'ping');
    this.ws.send(JSON.stringify({ type: 'ping', rid }));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.label}: no pong for ${rid} within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([done, timeout, this.closed.then((c) => Promise.reject(new Error(`${this.label}: closed ${c.code} ${c.reason} while waiting for ${rid}`)))]);
    } finally {
      clearTimeout(timer);
      this.rtts.delete(rid);
    }
    return performance.now() - started;
  }

  /** Resolves when every owed rid is answered or the socket closed; rejects after timeoutMs. */
  settled(timeoutMs: number): Promise<void> {
    return this.until(() => this.owed.size === 0 || this.closedWith !== null, timeoutMs, 'every owed answer');
  }

  private until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.onChange = null;
        reject(new Error(`${this.label}: timed out after ${timeoutMs} ms waiting for ${what}; still owed:\n${this.owedSummary()}`));
      }, timeoutMs);
      this.onChange = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.onChange = null;
        resolve();
      };
    });
  }

  private receive(data: Buffer, isBinary: boolean): void {
    this.received++;
    if (isBinary) return void this.failures.push(`${this.label}: the hub sent a binary frame`);
    const text = data.toString();
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return void this.failures.push(`${this.label}: the hub sent text that is not JSON: ${text.slice(0, 300)}`);
    }
    const parsed = ServerFrame.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return void this.failures.push(`${this.label}: malformed server frame (${issue?.path.join('.')}: ${issue?.message}): ${text.slice(0, 500)}`);
    }
    const frame = parsed.data;
    if (frame.type === 'welcome') this.welcome = frame;
    if (frame.type === 'message' || frame.type === 'task.offer' || frame.type === 'task.update') this.delivered++;
    if ('seq' in frame && typeof frame.seq === 'number') this.maxSeq = Math.max(this.maxSeq, frame.seq);
    if (frame.type === 'error') {
      this.errors++;
      this.errorCodes[frame.code] = (this.errorCodes[frame.code] ?? 0) + 1;
      if (frame.rid === undefined) this.errorsWithoutRid++;
      if (BROKEN_CODES.has(frame.code)) this.failures.push(`${this.label}: error ${frame.code} (${frame.message}) for ${this.sentWith(frame.rid)}`);
    }
    if ((frame.type === 'ok' || frame.type === 'error' || frame.type === 'pong') && frame.rid !== undefined) this.answered(frame.rid, text);
    this.onChange?.();
  }

  private answered(rid: string, text: string): void {
    const entry = this.owed.get(rid);
    if (!entry) return void this.failures.push(`${this.label}: an answer for rid ${JSON.stringify(rid)}, which was not owed (answered twice?): ${text.slice(0, 300)}`);
    if (--entry.count === 0) this.owed.delete(rid);
    this.rtts.get(rid)?.(0);
  }

  private sentWith(rid: string | undefined): string {
    if (rid === undefined) return 'a frame without rid';
    return `rid ${JSON.stringify(rid)}: ${this.owed.get(rid)?.sent.map((s) => s.slice(0, 500)).join(' | ') ?? '(not owed)'}`;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}
