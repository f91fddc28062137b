// What every load generator drives: one agent session of one system, whatever its wire protocol.
// The per-system clients (switchboard.ts, floor.ts, peer.ts) implement it; the jobs use only this.
export interface Handlers {
  /** A direct message arrived; `body` is the string the sender put in. */
  direct?(body: string): void;
  broadcast?(body: string): void;
  /** A session joined or left (only for agents connected with `watch`). */
  presence?(event: 'join' | 'leave', id: string): void;
}

export interface Agent {
  readonly id: string;
  send(to: string, body: string): void;
  broadcast(body: string): void;
  /** Ends the session the way that system's clients end one (bye, or closing the socket). */
  leave(): Promise<void>;
}

export interface ConnectOptions {
  /** Receive presence events. */
  watch?: boolean;
}

export type Connect = (url: string, id: string, handlers: Handlers, options?: ConnectOptions) => Promise<Agent>;

/** A load generator job: it connects its sessions, then runs a phase each time it is told to. */
export interface Job {
  phases: Record<string, () => Promise<object>>;
}

/** Protocol-level answers a system sends back (Switchboard's `ok`/`error` for a send). */
export const answers = { ok: 0, error: 0, firstError: '' };
