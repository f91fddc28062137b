// A raw WebSocket client for tests: speaks the protocol frame by frame, with bounded waits.
// Tests use it where the SDK would hide what the hub actually sends.
import WebSocket from 'ws';
import type { ServerFrame } from '@switchboard/protocol';

export interface Closed {
  code: number;
  reason: string;
}

export class RawClient {
  readonly frames: ServerFrame[] = [];
  readonly closed: Promise<Closed>;
  private waiters: Array<{ match: (f: ServerFrame) => boolean; resolve: (f: ServerFrame) => void }> = [];
  private seen = 0;
  private ridCounter = 0;
  welcome: Extract<ServerFrame, { type: 'welcome' }> | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ServerFrame;
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Wraps a socket that is already open (no hello yet). */
  static fromSocket(ws: WebSocket): RawClient {
    return new RawClient(ws);
  }

  /** Opens a socket (no hello yet). */
  static async open(url: string, options: WebSocket.ClientOptions = {}): Promise<RawClient> {
    const ws = new WebSocket(url, options);
    const client = new RawClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  /** Opens a socket and says hello; resolves with the welcome frame. */
  static async join(
    url: string,
    session: Record<string, unknown> & { name: string },
    extra: { token?: string } = {},
  ): Promise<{ client: RawClient; welcome: Extract<ServerFrame, { type: 'welcome' }> }> {
    const client = await RawClient.open(url);
    client.send({ type: 'hello', protocol: 1, session, ...extra });
    const welcome = await client.next((f) => f.type === 'welcome' || f.type === 'error');
    if (welcome.type !== 'welcome') throw new Error(`hello refused: ${JSON.stringify(welcome)}`);
    client.welcome = welcome;
    return { client, welcome };
  }

  /** The session id from the welcome this client received through join(). */
  get id(): string {
    if (!this.welcome) throw new Error('no welcome yet');
    return this.welcome.sessionId;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends a request with a fresh rid and waits for its ok or error. */
  async request<T = Record<string, unknown>>(frame: Record<string, unknown>, timeoutMs = 5000): Promise<T & { type: 'ok' | 'error'; code?: string; version?: number }> {
    const rid = `r${++this.ridCounter}`;
    this.send({ ...frame, rid });
    return (await this.next((f) => (f.type === 'ok' || f.type === 'error') && f.rid === rid, timeoutMs)) as never;
  }

  /** Sends a request and fails the test unless it is answered with ok. */
  async ok<T = Record<string, unknown>>(frame: Record<string, unknown>, timeoutMs = 5000): Promise<T> {
    const answer = await this.request<T>(frame, timeoutMs);
    if (answer.type !== 'ok') throw new Error(`expected ok for ${String(frame.type)}, got ${JSON.stringify(answer)}`);
    return answer;
  }

  /** The first frame (not consumed before) that matches, waiting at most timeoutMs. */
  next<F extends ServerFrame = ServerFrame>(match: (f: ServerFrame) => boolean, timeoutMs = 5000): Promise<F> {
    for (let i = this.seen; i < this.frames.length; i++) {
      const frame = this.frames[i]!;
      if (match(frame)) {
        this.frames.splice(i, 1);
        return Promise.resolve(frame as F);
      }
    }
    return new Promise<F>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`));
      }, timeoutMs);
      const waiter = {
        match,
        resolve: (f: ServerFrame) => {
          clearTimeout(timer);
          const i = this.frames.lastIndexOf(f);
          if (i >= 0) this.frames.splice(i, 1);
          resolve(f as F);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Waits for the next frame of a type. */
  nextOf<T extends ServerFrame['type']>(type: T, match: (f: Extract<ServerFrame, { type: T }>) => boolean = () => true, timeoutMs = 5000) {
    return this.next<Extract<ServerFrame, { type: T }>>((f) => f.type === type && match(f as never), timeoutMs);
  }

  /**
   * Asserts that no frame matching has arrived. A ping round trip first acts as a barrier:
   * the hub writes frames to one socket in order, so anything sent before the pong is here.
   */
  async none(match: (f: ServerFrame) => boolean, graceMs = 0): Promise<void> {
    if (graceMs > 0) await new Promise((r) => setTimeout(r, graceMs));
    const rid = `barrier${++this.ridCounter}`;
    this.send({ type: 'ping', rid });
    await this.nextOf('pong', (f) => f.rid === rid);
    const found = this.frames.slice(this.seen).find(match);
    if (found) throw new Error(`unexpected frame ${JSON.stringify(found)}`);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}
