// The hub's Prometheus metrics (GET /metrics). Each hub owns its own Registry, so several hubs in
// one process (tests) never collide. What can be read from the hub at scrape time (connections,
// sessions by status, unacknowledged messages) is read then and costs nothing per frame; the
// counters are plain tallies copied into prom-client only when scraped, and the histograms are
// TallyHistograms: a frame's metrics cost Map lookups and additions.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { SessionStatus } from '@switchboard/protocol';
import type { Engine } from './engine/engine.js';
import type { Hub } from './hub.js';
import { meteredEngine } from './metered-engine.js';
import { TallyHistogram } from './tally-histogram.js';
import type { HistogramSeries } from './tally-histogram.js';

/** 0.5 ms .. 10 s: a message that takes longer than that is as good as lost. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** 0.1 ms .. 10 s: an in-process engine answers in microseconds, Redis in a fraction of a millisecond. */
const ENGINE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class HubMetrics {
  readonly registry = new Registry();
  private readonly framesIn = new Map<string, { n: number }>();
  private readonly framesOut = new Map<string, { n: number }>();
  private readonly errors = new Map<string, { n: number }>();
  private readonly closes = new Map<string, { n: number }>();
  private readonly limited = new Map<string, { n: number }>();
  private readonly latency: HistogramSeries;
  private readonly engineOps: TallyHistogram<'op' | 'engine'>;

  constructor(
    private readonly hub: Hub,
    /** The bearer token GET /metrics requires; undefined = open. */
    readonly token?: string,
  ) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node: hub.nodeId });
    processRegistry(); // starts the process collectors (event-loop lag, GC) with the first hub
    new Gauge({
      name: 'switchboard_connections',
      help: 'Open WebSocket connections (including sockets that have not said hello yet).',
      registers,
      collect() {
        this.set(hub.sockets);
      },
    });
    new Gauge({
      name: 'switchboard_sessions',
      help: 'Sessions this node holds, by status.',
      labelNames: ['status'],
      registers,
      collect() {
        const counts = new Map<string, number>(SessionStatus.options.map((s) => [s, 0]));
        for (const conn of hub.connections) {
          const status = conn.session?.status;
          if (status) counts.set(status, (counts.get(status) ?? 0) + 1);
        }
        for (const [status, n] of counts) this.set({ status }, n);
      },
    });
    tallyCounter('switchboard_frames_in_total', 'Frames received from clients, by type (undecodable ones as "invalid").', 'type', this.framesIn, registers);
    tallyCounter('switchboard_frames_out_total', 'Frames written to client sockets, by type.', 'type', this.framesOut, registers);
    tallyCounter('switchboard_errors_total', 'error frames sent, by code.', 'code', this.errors, registers);
    tallyCounter('switchboard_closes_total', 'Sockets the hub closed itself, by reason.', 'reason', this.closes, registers);
    tallyCounter('switchboard_rate_limited_total', 'Requests refused by a rate limit, by limit.', 'limit', this.limited, registers);
    this.latency = new TallyHistogram(
      'switchboard_message_latency_seconds',
      'From the hub accepting a direct message (its ts) to writing it to the recipient socket.',
      [],
      LATENCY_BUCKETS,
      this.registry,
    ).labels({});
    this.engineOps = new TallyHistogram(
      'switchboard_engine_op_seconds',
      'Latency of each engine call the hub makes (for the redis engine: its Redis commands and scripts).',
      ['op', 'engine'],
      ENGINE_BUCKETS,
      this.registry,
    );
    new Gauge({
      name: 'switchboard_inbox_pending',
      help: 'Direct messages written to this node\'s sockets and not yet acknowledged, summed over sessions.',
      registers,
      collect() {
        this.set(hub.connections.reduce((sum, conn) => sum + conn.delivery.unacked, 0));
      },
    });
    new Gauge({
      name: 'switchboard_inbox_pending_max',
      help: 'The most unacknowledged direct messages any one session on this node has.',
      registers,
      collect() {
        this.set(hub.connections.reduce((max, conn) => Math.max(max, conn.delivery.unacked), 0));
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text: this hub's metrics and the process's, all labelled with the node. */
  scrape(): Promise<string> {
    const merged = Registry.merge([this.registry, processRegistry()]);
    merged.setDefaultLabels({ node: this.hub.nodeId });
    return merged.metrics();
  }

  frameIn(type: string): void {
    tally(this.framesIn, type);
  }

  frameOut(type: string): void {
    tally(this.framesOut, type);
  }

  error(code: string): void {
    tally(this.errors, code);
  }

  /** A direct message written to its recipient's socket; `ts` is when the hub accepted it. */
  delivered(ts: number): void {
    this.latency.observe(Math.max(0, Date.now() - ts) / 1000);
  }

  /** The hub closed a socket itself (hello_timeout, heartbeat_timeout, rate_limited, slow_consumer, ...). */
  closed(reason: string): void {
    tally(this.closes, reason);
  }

  /** A request was refused by the named rate limit. */
  rateLimited(limit: string): void {
    tally(this.limited, limit);
  }

  /** The engine, with every call timed into switchboard_engine_op_seconds. */
  measure(engine: Engine): Engine {
    const ops = new Map<string, HistogramSeries>();
    return meteredEngine(engine, (op, seconds) => {
      let series = ops.get(op);
      if (!series) ops.set(op, (series = this.engineOps.labels({ op, engine: engine.name })));
      series.observe(seconds);
    });
  }
}

function tally(counts: Map<string, { n: number }>, key: string): void {
  const entry = counts.get(key);
  if (entry) entry.n++;
  else counts.set(key, { n: 1 });
}

/** A counter whose values live in a plain Map on the hot path and reach prom-client at scrape. */
function tallyCounter(name: string, help: string, label: string, counts: Map<string, { n: number }>, registers: Registry[]): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers,
    collect() {
      this.reset();
      for (const [value, { n }] of counts) this.inc({ [label]: value }, n);
    },
  });
}

let processMetrics: Registry | null = null;

/**
 * Process CPU, memory, event-loop lag and GC: one registry per process, shared by every hub in it,
 * because the default collectors start observers that are never stopped.
 */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}
