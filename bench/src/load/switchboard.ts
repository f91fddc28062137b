// A Switchboard session speaking the raw protocol, as lean as a client can be while doing what the
// protocol asks: hello → welcome, `send` with a rid (its `ok` counted), and an `ack` of every direct
// message's seq, coalesced to one per turn as the SDK does (client/src/inbox.ts).
import WebSocket from 'ws';
import { answers } from './agent.js';
import type { Agent, ConnectOptions, Handlers } from './agent.js';

export interface SwitchboardOptions extends ConnectOptions {
  /** 0 (default): ack once per turn, as the SDK does. More: at most one ack per this many ms (an experiment). */
  ackEveryMs?: number;
}

interface Frame {
  type: string;
  rid?: string;
  seq?: number;
  body?: unknown;
  broadcast?: boolean;
  event?: string;
  session?: { id: string };
  code?: string;
  message?: string;
}

export class SwitchboardAgent implements Agent {
  private rid = 0;
  private ackSeq = 0;
  private ackQueued = false;
  private readonly requests = new Map<string, (frame: Frame) => void>();
  private welcomed: ((frame: Frame) => void) | null = null;

  private constructor(
    readonly id: string,
    private readonly ws: WebSocket,
    private readonly handlers: Handlers,
    private readonly ackEveryMs: number,
  ) {
    ws.on('message', (data) => this.receive(JSON.parse(data.toString()) as Frame));
  }

  static async connect(url: string, id: string, handlers: Handlers, options: SwitchboardOptions = {}): Promise<SwitchboardAgent> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const agent = new SwitchboardAgent(id, ws, handlers, options.ackEveryMs ?? 0);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const welcome = new Promise<Frame>((resolve) => (agent.welcomed = resolve));
    agent.write({ type: 'hello', protocol: 1, session: { id, name: id } });
    const first = await welcome;
    if (first.type !== 'welcome') throw new Error(`hello refused: ${JSON.stringify(first)}`);
    if (options.watch) await agent.request({ type: 'presence.watch' });
    return agent;
  }

  send(to: string, body: string): void {
    this.write({ type: 'send', rid: `s${++this.rid}`, to, body });
  }

  broadcast(body: string): void {
    this.write({ type: 'broadcast', rid: `s${++this.rid}`, body });
  }

  /** Sends a request and resolves with its answer (`ok` or `error`). */
  request(frame: Record<string, unknown>): Promise<Frame> {
    const rid = `q${++this.rid}`;
    return new Promise((resolve) => {
      this.requests.set(rid, resolve);
      this.write({ ...frame, rid });
    });
  }

  async leave(): Promise<void> {
    const closed = new Promise((resolve) => this.ws.once('close', resolve));
    this.write({ type: 'bye' });
    await closed;
  }

  private write(frame: object): void {
    this.ws.send(JSON.stringify(frame));
  }

  private receive(frame: Frame): void {
    if (this.welcomed) {
      const resolve = this.welcomed;
      this.welcomed = null;
      return resolve(frame);
    }
    switch (frame.type) {
      case 'message':
        if (frame.seq !== undefined) this.ack(frame.seq);
        if (frame.broadcast) this.handlers.broadcast?.(frame.body as string);
        else this.handlers.direct?.(frame.body as string);
        return;
      case 'presence':
        if (frame.event === 'join' || frame.event === 'leave') this.handlers.presence?.(frame.event, frame.session!.id);
        return;
      case 'ok':
      case 'error': {
        const request = frame.rid === undefined ? undefined : this.requests.get(frame.rid);
        if (request) {
          this.requests.delete(frame.rid!);
          return request(frame);
        }
        if (frame.type === 'ok') return void answers.ok++;
        answers.error++;
        answers.firstError ||= `${frame.code}: ${frame.message}`;
      }
    }
  }

  private ack(seq: number): void {
    this.ackSeq = Math.max(this.ackSeq, seq);
    if (this.ackQueued) return;
    this.ackQueued = true;
    const flush = () => {
      this.ackQueued = false;
      this.write({ type: 'ack', seq: this.ackSeq });
    };
    if (this.ackEveryMs > 0) setTimeout(flush, this.ackEveryMs);
    else queueMicrotask(flush);
  }
}
