// Steady traffic for the fault tests: every agent sends direct messages to random peers at a
// modest rate, one at a time, each with its own idempotencyKey; a send refused as retryable
// (`unavailable`, `timeout`, `not_found` while sessions register again) is repeated with the same
// key until the hub acknowledges it. The receivers count what their handlers saw, per key and
// per msgId, so the test can say whether every acknowledged send arrived exactly once.
import type { Hub as Agent } from '@switchboard/client/node';

const RETRYABLE = new Set(['unavailable', 'timeout', 'not_found']);
/** How long a send may keep being retried before the traffic gives up on it. */
const GIVE_UP_MS = 20_000;

export class Traffic {
  /** key → the number of times a handler saw a message with that key. */
  readonly received = new Map<string, number>();
  /** Keys the hub acknowledged. */
  readonly acked = new Set<string>();
  /** Keys the traffic gave up on, with the last error code. */
  readonly failed = new Map<string, string>();
  /** Retryable refusals by code (each is followed by a retry with the same key). */
  readonly refusals = new Map<string, number>();
  /** The first refusal message of each code, for the log. */
  readonly refusalSamples = new Map<string, string>();
  /** key → when each refused attempt of it was started. */
  private readonly refusedAttempts = new Map<string, number[]>();
  /** Messages handed to a handler twice (same msgId). */
  duplicates = 0;
  private readonly msgIds = new Set<string>();
  private running = true;
  private readonly senders: Promise<void>[];

  constructor(
    private readonly agents: Agent[],
    /** Pause between one agent's sends. */
    private readonly intervalMs: number,
  ) {
    for (const agent of agents) {
      agent.on('message', (m) => {
        const key = (m.body as { key?: unknown } | null)?.key;
        if (typeof key !== 'string') return;
        if (this.msgIds.has(m.msgId)) this.duplicates++;
        this.msgIds.add(m.msgId);
        this.received.set(key, (this.received.get(key) ?? 0) + 1);
      });
    }
    this.senders = agents.map((agent) => this.sender(agent));
  }

  /** Stops starting new sends and waits until every send begun is acknowledged or given up. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.senders);
  }

  get sent(): number {
    return this.acked.size + this.failed.size;
  }

  /** Acknowledged sends whose message no handler has seen yet. */
  missing(): string[] {
    return [...this.acked].filter((key) => !this.received.has(key));
  }

  /** Keys a handler saw more than once (under any msgId). */
  receivedTwice(): string[] {
    return [...this.received].filter(([, n]) => n > 1).map(([key]) => key);
  }

  /**
   * Keys with a refused attempt started before `t`: when Redis dies at `t`, such an attempt may
   * have been carried out with only its answer lost, so the send is ambiguous.
   */
  refusedBefore(t: number): Set<string> {
    return new Set([...this.refusedAttempts].filter(([, starts]) => starts.some((s) => s < t)).map(([key]) => key));
  }

  /** Keys a handler saw that the hub never acknowledged to their sender. */
  receivedUnacked(): string[] {
    return [...this.received.keys()].filter((key) => !this.acked.has(key));
  }

  summary(): string {
    const received = [...this.received.values()].reduce((s, n) => s + n, 0);
    const refusals = [...this.refusals].map(([code, n]) => `${code} ${n} ("${this.refusalSamples.get(code)}")`).join(', ') || 'none';
    return `sent ${this.sent}, acked ${this.acked.size}, failed ${this.failed.size}, received ${received} (${this.received.size} keys), ` +
      `missing ${this.missing().length}, received twice ${this.receivedTwice().length}, duplicate msgIds to handlers ${this.duplicates}, ` +
      `retried refusals: ${refusals}`;
  }

  private async sender(agent: Agent): Promise<void> {
    const peers = this.agents.filter((a) => a !== agent).map((a) => a.id);
    for (let n = 1; this.running; n++) {
      const key = `${agent.id}:${n}`;
      const to = peers[Math.floor(Math.random() * peers.length)]!;
      await this.sendOnce(agent, to, key);
      await new Promise((r) => setTimeout(r, this.intervalMs));
    }
  }

  private async sendOnce(agent: Agent, to: string, key: string): Promise<void> {
    const giveUpAt = Date.now() + GIVE_UP_MS;
    for (;;) {
      const startedAt = Date.now();
      try {
        await agent.send(to, { key }, { idempotencyKey: key });
        this.acked.add(key);
        return;
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'thrown';
        if (!RETRYABLE.has(code) || Date.now() > giveUpAt) {
          this.failed.set(key, code);
          return;
        }
        this.refusedAttempts.set(key, [...(this.refusedAttempts.get(key) ?? []), startedAt]);
        this.refusals.set(code, (this.refusals.get(code) ?? 0) + 1);
        if (!this.refusalSamples.has(code)) this.refusalSamples.set(code, (err as Error).message);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}
