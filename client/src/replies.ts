// Matches incoming `response` messages to hub.request() calls. The hub may deliver a response
// before the `ok` that tells us our request's msgId, so while any request's send is unanswered,
// unmatched responses are held; once none is, the leftovers go out as ordinary messages.
import type { Message } from '@switchboard/protocol';
import { HubError } from './errors.js';

interface Waiter {
  resolve(message: Message): void;
  reject(error: HubError): void;
  timer: ReturnType<typeof setTimeout>;
}

export class ReplyRouter {
  readonly #deliver: (message: Message) => void;
  readonly #waiters = new Map<string, Waiter>();
  #sendsInFlight = 0;
  #held: Message[] = [];
  #closed: HubError | null = null;

  /** `deliver` receives responses that settle no request (they become `message` events). */
  constructor(deliver: (message: Message) => void) {
    this.#deliver = deliver;
  }

  /** Takes a message if it settles (or may settle) a request; false to let it through. */
  take(message: Message): boolean {
    if (message.kind !== 'response' || message.replyTo === undefined) return false;
    const waiter = this.#waiters.get(message.replyTo);
    if (waiter) {
      this.#waiters.delete(message.replyTo);
      clearTimeout(waiter.timer);
      waiter.resolve(message);
      return true;
    }
    if (this.#sendsInFlight === 0) return false;
    this.#held.push(message);
    return true;
  }

  /** Sends a request with `send` and resolves with its response, all within `timeoutMs`. */
  async request(send: (timeoutMs: number) => Promise<{ msgId: string }>, timeoutMs: number): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    this.#sendsInFlight++;
    let msgId: string;
    try {
      ({ msgId } = await send(timeoutMs));
    } catch (err) {
      this.#sendsInFlight--;
      this.#releaseHeld();
      throw err;
    }
    this.#sendsInFlight--;
    const held = this.#held.findIndex((m) => m.replyTo === msgId);
    const early = held === -1 ? undefined : this.#held.splice(held, 1)[0];
    this.#releaseHeld();
    if (early) return early;
    if (this.#closed) throw this.#closed;
    return new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(msgId);
        reject(new HubError('timeout', `no response to request ${msgId} within ${timeoutMs} ms`));
      }, Math.max(0, deadline - Date.now()));
      this.#waiters.set(msgId, { resolve, reject, timer });
    });
  }

  close(error: HubError): void {
    this.#closed = error;
    for (const waiter of this.#waiters.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.#waiters.clear();
  }

  #releaseHeld(): void {
    if (this.#sendsInFlight > 0 || this.#held.length === 0) return;
    const held = this.#held;
    this.#held = [];
    for (const message of held) this.#deliver(message);
  }
}
