// The world of the fault tests: one fresh redis-server and N `switchboard serve` child processes
// behind a pretend load balancer (SDK agents connect through a WebSocket class that routes a
// connect to the node it names, or to another node once that one is taken out of rotation), a
// health monitor that probes every node while a fault happens, and the probes the tests reconcile
// with: /v1/sessions, GET /metrics and the nodes' resident memory.
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import type { Session } from '@switchboard/protocol';
import { connect } from '@switchboard/client/node';
import type { Hub as Agent } from '@switchboard/client/node';
import { HubProcess } from '../helpers/hub-process.js';
import { RawClient } from '../helpers/raw-client.js';
import { RedisServer } from '../helpers/redis-server.js';

export interface FaultClusterOptions {
  nodes: number;
  name: string;
  heartbeatMs: number;
  resumeWindowMs: number;
}

/** What one node says about itself over HTTP. */
export interface NodeView {
  node: string;
  sessions: Session[];
  /** switchboard_sessions summed over status. */
  metricSessions: number;
  /** switchboard_connections. */
  metricConnections: number;
}

export class FaultCluster {
  /** Nodes the load balancer sends new connections to. */
  private readonly routable = new Set<number>();
  private readonly agents: Agent[] = [];
  private readonly raws: RawClient[] = [];
  private next = 0;
  /** Agent sockets that received a `drain` frame. */
  drained = 0;

  private constructor(
    readonly redis: RedisServer,
    readonly nodes: HubProcess[],
  ) {
    nodes.forEach((_, i) => this.routable.add(i));
  }

  static async start(options: FaultClusterOptions): Promise<FaultCluster> {
    const redis = await RedisServer.start();
    const flags = { redis: redis.url, 'heartbeat-ms': options.heartbeatMs, 'resume-window-ms': options.resumeWindowMs };
    const nodes = await Promise.all(
      Array.from({ length: options.nodes }, (_, i) => HubProcess.start({ ...flags, 'node-id': `${options.name}${i}` })),
    );
    return new FaultCluster(redis, nodes);
  }

  /** The load balancer stops sending new connections to node `i` (before it is drained or killed). */
  takeOutOfRotation(i: number): void {
    this.routable.delete(i);
  }

  /** The nodes still in rotation. */
  get live(): HubProcess[] {
    return [...this.routable].map((i) => this.nodes[i]!);
  }

  /** A connect to a node in rotation goes there; one to a node out of rotation goes to the next one in it. */
  private route(url: string): string {
    const port = new URL(url).port;
    const target = this.nodes.findIndex((n) => new URL(n.url).port === port);
    if (this.routable.has(target)) return url;
    const live = [...this.routable];
    if (live.length === 0) return url;
    return this.nodes[live[this.next++ % live.length]!]!.url;
  }

  /** `count` SDK agents with auto-resume, spread over the nodes in turn. */
  async connectAgents(count: number, prefix: string): Promise<Agent[]> {
    const cluster = this;
    class Routed extends WebSocket {
      constructor(url: string) {
        super(cluster.route(url));
        this.on('message', (data: Buffer) => {
          if (data.toString('utf8', 0, 15) === '{"type":"drain"') cluster.drained++;
        });
      }
    }
    const agents = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        connect({
          url: this.nodes[i % this.nodes.length]!.url,
          session: { id: `${prefix}${i}`, name: `${prefix}${i}` },
          WebSocket: Routed,
          reconnect: { baseMs: 50, maxMs: 500 },
          requestTimeoutMs: 5000,
          connectTimeoutMs: 15_000,
        }),
      ),
    );
    this.agents.push(...agents);
    return agents;
  }

  /** A raw session on node `i` that will never come back once its socket is gone (a ghost candidate). */
  async joinRaw(i: number, id: string): Promise<RawClient> {
    const { client } = await RawClient.join(this.nodes[i]!.url, { id, name: id });
    this.raws.push(client);
    return client;
  }

  /** What every node in rotation reports: the namespace's sessions and its own gauges. */
  async views(): Promise<NodeView[]> {
    return Promise.all(
      this.live.map(async (node) => {
        const listed = (await (await fetch(`${node.httpUrl}/v1/sessions`)).json()) as { sessions: Session[] };
        const metrics = await (await fetch(`${node.httpUrl}/metrics`)).text();
        return {
          node: node.url,
          sessions: listed.sessions,
          metricSessions: metricSum(metrics, 'switchboard_sessions'),
          metricConnections: metricSum(metrics, 'switchboard_connections'),
        };
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.close().catch(() => {})));
    this.raws.forEach((c) => c.close());
    await Promise.all(this.nodes.map((n) => n.kill('SIGKILL')));
    await this.redis.stop();
  }
}

/** Whether `views` reconcile with `ids`: every node lists exactly those sessions, none away, and the gauges add up to them. */
export function reconciles(views: NodeView[], ids: string[]): boolean {
  const want = [...ids].sort().join();
  const sessions = views.reduce((sum, v) => sum + v.metricSessions, 0);
  const connections = views.reduce((sum, v) => sum + v.metricConnections, 0);
  return (
    views.every((v) => v.sessions.map((s) => s.id).sort().join() === want && v.sessions.every((s) => s.status !== 'away')) &&
    sessions === ids.length &&
    connections === ids.length
  );
}

/** One line per node for the log: listed sessions (away ones), gauges. */
export function describeViews(views: NodeView[]): string {
  return views
    .map((v) => `${v.node}: listed ${v.sessions.length} (${v.sessions.filter((s) => s.status === 'away').length} away), switchboard_sessions ${v.metricSessions}, connections ${v.metricConnections}`)
    .join('; ');
}

/** The distinct messages of the error-level log lines (pino level ≥ 50) a node wrote, with their counts. */
export function loggedErrors(nodes: HubProcess[]): string {
  const counts = new Map<string, number>();
  for (const line of nodes.flatMap((n) => n.logs)) {
    let entry: { level?: number; msg?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      entry = { level: 50, msg: line.trim().slice(0, 120) }; // stderr
    }
    if ((entry.level ?? 0) >= 50) counts.set(entry.msg ?? '?', (counts.get(entry.msg ?? '?') ?? 0) + 1);
  }
  return [...counts].map(([msg, n]) => `${n}× "${msg}"`).join(', ') || 'none';
}

/** The sum of every sample of `name` in a Prometheus text exposition. */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** The HTTP status of a GET (body read, so the connection is reused), 0 when nothing answers. */
export async function status(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** Resident memory of a process in MB (VmRSS). */
export function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? NaN) / 1024;
}

/**
 * Probes /healthz and /readyz of the given nodes every 100 ms until stopped, and counts what it
 * saw: a health probe that fails, or a process that exited, means a node did not stay up.
 */
export class HealthMonitor {
  healthFailures = 0;
  exited = 0;
  probes = 0;
  /** /readyz statuses by node url, in the order seen (0 = no answer). */
  readonly ready = new Map<string, number[]>();
  private running = true;
  private readonly loop: Promise<void>;

  private constructor(
    private readonly nodes: HubProcess[],
    /** Called after each round of probes. */
    private readonly probed: () => void,
  ) {
    this.loop = this.run();
  }

  /** Starts probing; resolves once every node has been probed once. */
  static async start(nodes: HubProcess[]): Promise<HealthMonitor> {
    let monitor!: HealthMonitor;
    await new Promise<void>((resolve) => (monitor = new HealthMonitor(nodes, resolve)));
    return monitor;
  }

  /** The ready statuses `node` went through, repeats collapsed (e.g. [200, 503, 200]). */
  readyTransitions(node: HubProcess): number[] {
    return (this.ready.get(node.url) ?? []).filter((s, i, all) => i === 0 || all[i - 1] !== s);
  }

  private async run(): Promise<void> {
    while (this.running) {
      for (const node of this.nodes) {
        if (!node.running) this.exited++;
        const health = await status(`${node.httpUrl}/healthz`);
        if (health !== 200) this.healthFailures++;
        const ready = await status(`${node.httpUrl}/readyz`);
        let seen = this.ready.get(node.url);
        if (!seen) this.ready.set(node.url, (seen = []));
        seen.push(ready);
        this.probes++;
      }
      this.probed();
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<this> {
    this.running = false;
    await this.loop;
    return this;
  }
}
