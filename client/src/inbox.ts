// The receiving side of durable delivery: drop a message seen before (delivery is
// at-least-once across reconnects), and acknowledge direct messages once their handlers are done
// so the hub can forget them. `lastSeq` is what a resume asks the hub to replay after.
import type { ClientFrame, InboxFrame, Message } from '@switchboard/protocol';

/** How many recent msgIds are remembered for dropping duplicates. */
const REMEMBERED = 10_000;

export class Inbox {
  #seen = new Set<string>();
  #done = new Set<number>();
  #lastSeq = 0;
  #ackScheduled = false;

  constructor(
    /** Writes a frame if connected; an ack that cannot be written is covered by the next resume. */
    private readonly send: (frame: ClientFrame) => boolean,
    private readonly auto: boolean,
  ) {}

  /** The highest seq up to which every direct message has been handled. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /**
   * False for a frame already delivered (a replay after resume); handlers must skip it. Messages
   * are known by msgId, task frames by task id and history length (one per change of a task).
   */
  accept(frame: InboxFrame): boolean {
    const key = frame.type === 'message' ? frame.msgId : `${frame.type}:${frame.task.id}:${frame.task.history.length}`;
    if (this.#seen.has(key)) return false;
    this.#seen.add(key);
    if (this.#seen.size > REMEMBERED) this.#seen.delete(this.#seen.values().next().value!);
    return true;
  }

  /** The handlers of `message` returned (and `pending` are their async parts): ack in auto mode. */
  handled(message: Message, pending: Promise<unknown>[]): void {
    if (!this.auto || message.seq === undefined) return;
    const seq = message.seq;
    if (pending.length === 0) return this.done(seq);
    void Promise.allSettled(pending).then(() => this.done(seq));
  }

  /** Marks a direct message handled; acks advance only over a contiguous run of handled seqs. */
  done(seq: number): void {
    if (seq <= this.#lastSeq) return;
    this.#done.add(seq);
    let advanced = false;
    while (this.#done.delete(this.#lastSeq + 1)) {
      this.#lastSeq++;
      advanced = true;
    }
    if (advanced && !this.#ackScheduled) {
      this.#ackScheduled = true;
      queueMicrotask(() => {
        this.#ackScheduled = false;
        this.send({ type: 'ack', seq: this.#lastSeq });
      });
    }
  }

  /** A new session (not a resumed one): its sequence starts again at 1. */
  reset(): void {
    this.#lastSeq = 0;
    this.#done.clear();
  }
}
