// What the MCP client has not read yet: a bounded FIFO of what the hub delivered (messages, task
// events), read by read_inbox with an optional long-poll. Each item carries its ack: the bridge runs
// the SDK with `ack: 'manual'` and acknowledges an item only once read_inbox has handed it out, so
// a bridge whose socket drops gets what it had not handed out replayed on resume. An item pushed
// out by a full buffer is acknowledged too (it is lost to the reader either way, and an unacked
// gap would hold back every later ack) and counted in `dropped`.

export interface Pending<T> {
  item: T;
  ack(): void;
}

export interface Taken<T> {
  items: T[];
  /** Items pushed out by a full buffer since the previous take. */
  dropped: number;
  /** Items still unread after this take. */
  remaining: number;
}

export class InboxBuffer<T> {
  readonly #limit: number;
  readonly #onPush: () => void;
  #items: Pending<T>[] = [];
  #dropped = 0;
  #waiters = new Set<() => void>();

  /** `onPush` runs after every new item (the bridge turns it into MCP notifications). */
  constructor(limit: number, onPush: () => void = () => {}) {
    if (!(Number.isInteger(limit) && limit >= 1)) throw new TypeError('inbox limit must be a positive integer');
    this.#limit = limit;
    this.#onPush = onPush;
  }

  get size(): number {
    return this.#items.length;
  }

  push(item: T, ack: () => void = () => {}): void {
    this.#items.push({ item, ack });
    while (this.#items.length > this.#limit) {
      this.#items.shift()!.ack();
      this.#dropped++;
    }
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
    this.#onPush();
  }

  /** The unread items, oldest first, without consuming them. */
  peek(): T[] {
    return this.#items.map((p) => p.item);
  }

  /** Removes and acknowledges up to `limit` of the oldest items. */
  take(limit = Infinity): Taken<T> {
    const taken = this.#items.splice(0, limit);
    for (const p of taken) p.ack();
    const dropped = this.#dropped;
    this.#dropped = 0;
    return { items: taken.map((p) => p.item), dropped, remaining: this.#items.length };
  }

  /** Resolves once the buffer holds an item, `ms` have passed, or `signal` aborted, whichever is first. */
  async wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.#items.length > 0 || ms <= 0 || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.#waiters.add(done);
    });
  }

  /** Ends every pending wait (the bridge is closing). */
  close(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }
}
