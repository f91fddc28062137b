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
      return this.conn.sendText(text);
    }
    this.ahead.push({ seq, text });
    void this.catchUp();
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
        this.conn.sendText(message.text);
      }
    } catch (err) {
      hub.log.warn({ err, session: session?.id }, 'inbox catch-up failed');
    } finally {
      this.catchingUp = false;
      if (this.ahead.length > 0) void this.catchUp();
    }
  }
}
