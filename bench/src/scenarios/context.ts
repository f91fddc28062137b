// What every scenario gets from the orchestrator, what it gives back, and the run sizes.
import type { SystemName } from '../lib/systems.js';

export interface Sizes {
  /** Interleaved rounds per scenario; the summary takes the median over rounds. */
  rounds: number;
  warmupMs: number;
  measureMs: number;
  drainMs: number;
  agents: number;
  window: number;
  ratePerSecond: number;
  receivers: number;
  broadcastsInFlight: number;
  watchers: number;
  churners: number;
  memoryClients: number;
  memoryDepth: number;
  idleSessions: number;
  /** Idle: the wait before the baseline RSS and after the sessions connected. */
  settleMs: number;
  restMs: number;
}

export const SIZES: Record<'quick' | 'full', Sizes> = {
  quick: {
    rounds: 1, warmupMs: 250, measureMs: 600, drainMs: 3000, agents: 200, window: 2000, ratePerSecond: 10_000, receivers: 300,
    broadcastsInFlight: 4, watchers: 100, churners: 20, memoryClients: 50, memoryDepth: 4, idleSessions: 1000, settleMs: 200, restMs: 1500,
  },
  full: {
    rounds: 3, warmupMs: 1000, measureMs: 2500, drainMs: 10_000, agents: 200, window: 2000, ratePerSecond: 10_000, receivers: 1000,
    broadcastsInFlight: 4, watchers: 1000, churners: 20, memoryClients: 50, memoryDepth: 4, idleSessions: 10_000, settleMs: 2000, restMs: 15_000,
  },
};

export interface Context {
  sizes: Sizes;
  log: (message: string) => void;
}

/** How a Switchboard figure compares with another system's, as the issue states its targets. */
export interface Target {
  versus: 'floor' | 'peer' | 'absolute';
  op: '>=' | '<=';
  value: number;
  /** Why an absolute target may not apply to this run (e.g. fewer sessions in --quick). */
  caveat?: string;
}

/** One measured figure for each system that ran it (null = ran but produced no figure). */
export interface Row {
  metric: string;
  better: 'higher' | 'lower';
  values: Partial<Record<SystemName, number | null>>;
  targets?: Target[];
}

export interface ScenarioReport {
  id: string;
  title: string;
  /** One paragraph: what ran, on how many nodes, with which sizes. */
  setup: string;
  /** What the floor and peer columns are in this scenario, when not the defaults. */
  columns?: Partial<Record<SystemName, string>>;
  rows: Row[];
  /** What each system was asked to deliver, what arrived, and error answers, over the whole scenario. */
  delivery?: Delivery[];
  /** Per-system details (sent vs delivered, errors, peak RSS) as markdown table rows. */
  details: { header: string[]; rows: string[][] };
  raw: unknown;
}

export interface Delivery {
  system: SystemName;
  /** What "sent" counts: messages, deliveries expected, ops… */
  unit: string;
  sent: number;
  delivered: number;
  errors: number;
  firstError?: string;
}

export const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
