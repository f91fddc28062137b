// In-order delivery of a session's inbox frames (direct messages, task.offer, task.update) to its
// socket. Every inbox frame carries the recipient's `seq`; the socket gets them strictly in seq
// order, each once. A frame that arrives ahead of a gap (a resume racing live traffic, pub/sub
// overtaking a replay) triggers a catch-up read of the inbox instead of a silent hole. Acks are
// coalesced to one engine call per event-loop turn. Live frames arrive as JSON text and go to
// the socket as they are.
import type { InboxFrame } from '@switchboard/protocol';
import type { Connection } from './connection.js';

/** An inbox frame ready for the socket. */
interface Pending {
  seq: number;
  text: string;
}

export class Delivery {
  /** The highest seq written to the socket. */
  private seq = 0;
  private ahead: Pending[] = [];
  private catchingUp = false;
  private acked = 0;
  private ackPending = false;

  constructor(private readonly conn: Connection) {}

  /** Inbox frames written to the socket and not yet acknowledged (for metrics). */
  get unacked(): number {
    return this.seq - this.acked;
  }

  /**
   * Starts after `afterSeq` (0 for a new session). A resume writes its replay in order, then
   * reads the inbox once more: messages that arrived between the engine's takeover and this
   * socket's registration went to the old socket and must not be left behind.
   */
  begin(afterSeq: number, replay: InboxFrame[] | null): void {
    this.seq = afterSeq;
    this.acked = afterSeq;
    if (!replay) return;
    for (const message of replay) {
      if (message.seq === undefined) this.conn.send(message);
      else this.push(message.seq, JSON.stringify(message));
    }
    void this.catchUp();
  }

  /** A frame with its recipient's `seq`, as JSON text. */
  push(seq: number, text: string): void {
    if (seq <= this.seq) return;
    if (seq === this.seq + 1 && !this.catchingUp) {
      this.seq = seq;
      return this.write(text);
    }
    this.ahead.push({ seq, text });
    void this.catchUp();
  }

  /** Whether an ack of `seq` acknowledges messages written and not yet acknowledged (the rate limit lets those through free). */
  advances(seq: number): boolean {
    return seq > this.acked && seq <= this.seq;
  }

  /** Cumulative ack from the client; the engine hears of it once per turn. */
  ack(seq: number): void {
    if (seq <= this.acked || seq > this.seq) return;
    this.acked = seq;
    if (this.ackPending) return;
    this.ackPending = true;
    setImmediate(() => {
      this.ackPending = false;
      const { hub, ns, session } = this.conn;
      if (!session) return;
      hub.engine.ack(ns, session.id, this.acked).catch((err) => hub.log.warn({ err, session: session.id }, 'ack failed'));
    });
  }

  /** Writes one inbox frame to the socket; a direct message also times its way through the hub. */
  private write(text: string): void {
    const { conn } = this;
    const type = frameType(text);
    conn.sendText(text, type);
    if (type !== 'message') return;
    const ts = acceptedAt(text);
    if (ts !== null && conn.ws.readyState === conn.ws.OPEN) conn.hub.metrics.delivered(ts);
  }

  private async catchUp(): Promise<void> {
    if (this.catchingUp) return;
    this.catchingUp = true;
    const { hub, ns, session } = this.conn;
    try {
      const missing = session ? await hub.engine.inbox(ns, session.id, this.seq) : [];
      const read = missing.map((f) => ({ seq: f.seq!, text: JSON.stringify(f) }));
      const pending = [...read, ...this.ahead].sort((a, b) => a.seq - b.seq);
      this.ahead = [];
      // What the inbox no longer holds (dropped past inboxLimit) cannot be written; the rest
      // still goes out in order.
      for (const message of pending) {
        if (message.seq <= this.seq) continue;
        this.seq = message.seq;
        this.write(message.text);
      }
    } catch (err) {
      hub.log.warn({ err, session: session?.id }, 'inbox catch-up failed');
    } finally {
      this.catchingUp = false;
      if (this.ahead.length > 0) void this.catchUp();
    }
  }
}

/** An inbox frame's type from its text: the first `"type":"` is the frame's own (it comes first, or right after `seq`). */
function frameType(text: string): string {
  const at = text.indexOf('"type":"');
  return at < 0 ? 'other' : text.slice(at + 8, text.indexOf('"', at + 8));
}

/**
 * When the hub accepted a direct message, read from its frame text without parsing it: `ts` is the
 * last top-level number field the hub writes (after `body`; only the string fields replyTo and thread
 * follow it, and a `"ts":` inside a string is escaped), so the last `"ts":` is the frame's own.
 */
function acceptedAt(text: string): number | null {
  const at = text.lastIndexOf('"ts":');
  if (at < 0) return null;
  const ts = parseInt(text.slice(at + 5, at + 25), 10);
  return Number.isFinite(ts) ? ts : null;
}
