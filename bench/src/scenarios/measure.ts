// Measures several systems in one scenario, interleaved: every contender gets its own fresh Redis,
// its nodes and its load generator (all started up front), then rounds run each contender's phases
// in turn, the order rotating every round, so a burst of other work on the machine hits all of
// them alike. CPU is counted during phases only: nodes, that contender's Redis, its load generator.
import { LoadGen } from '../lib/loadgen.js';
import type { LoadStats } from '../lib/loadgen.js';
import { cpuSecondsOf } from '../lib/proc.js';
import { BenchRedis } from '../lib/redis.js';
import { Cluster, LABEL } from '../lib/systems.js';
import type { ClusterOptions, SystemName } from '../lib/systems.js';
import type { Context } from './context.js';
import { mb } from './context.js';

export interface Contender {
  /** The column it fills (a SystemName), or another name for a variant. */
  key: string;
  label?: string;
  /** Which system's client the load generator speaks. @default key */
  client?: SystemName;
  /** Hub nodes to start (none for a client-only floor such as raw ioredis). */
  cluster: ({ system: SystemName; nodes: number } & Pick<ClusterOptions, 'cpuProfDir' | 'entry'>) | null;
  redis: boolean;
  /** The load generator's config, given the nodes' URLs and the Redis URL. */
  load: (urls: string[], redisUrl: string) => Record<string, unknown>;
}

export interface Outcome<P> {
  /** Phase name → its result in each round. */
  rounds: Record<string, P[]>;
  stats: LoadStats;
  /** Peak RSS of each node (bytes). */
  peakRss: number[];
  cpu: { nodes: number; redis: number; load: number };
  /** Redis calls per command over the whole measurement (null without Redis). */
  redisCalls: Record<string, number> | null;
}

interface Running<P> {
  contender: Contender;
  outcome: Outcome<P>;
  redis: BenchRedis | null;
  cluster: Cluster | null;
  load: LoadGen | null;
}

export async function compare<P, K extends string = SystemName>(ctx: Context, contenders: Contender[], phases: string[]): Promise<Record<K, Outcome<P>>> {
  const running: Running<P>[] = contenders.map((contender) => ({
    contender,
    outcome: { rounds: Object.fromEntries(phases.map((p) => [p, []])), stats: null!, peakRss: [], cpu: { nodes: 0, redis: 0, load: 0 }, redisCalls: null },
    redis: null,
    cluster: null,
    load: null,
  }));
  const label = (c: Contender) => c.label ?? LABEL[c.key as SystemName] ?? c.key;
  try {
    ctx.log(`starting ${contenders.map(label).join(', ')}`);
    const setupMs = await Promise.all(running.map((r) => start(r)));
    ctx.log(`ready in ${running.map((r, i) => `${label(r.contender)} ${setupMs[i]} ms`).join(', ')}`);
    for (let round = 0; round < ctx.sizes.rounds; round++) {
      const order = running.map((_, i) => running[(i + round) % running.length]!);
      for (const r of order) {
        ctx.log(`round ${round + 1}/${ctx.sizes.rounds}: ${label(r.contender)} (${phases.join(', ')})`);
        const { outcome } = r;
        for (const phase of phases) {
          const before = cpuOf(r);
          outcome.rounds[phase]!.push(await r.load!.phase<P>(phase));
          const after = cpuOf(r);
          for (const k of ['nodes', 'redis', 'load'] as const) outcome.cpu[k] += after[k] - before[k];
        }
      }
    }
    for (const r of running) {
      r.outcome.peakRss = r.cluster?.peakRss() ?? [];
      r.outcome.redisCalls = (await r.redis?.commandCalls()) ?? null;
      r.outcome.stats = await r.load!.stop();
      r.load = null;
    }
    return Object.fromEntries(running.map((r) => [r.contender.key, r.outcome])) as Record<K, Outcome<P>>;
  } finally {
    await Promise.all(running.map((r) => stop(r)));
  }
}

/** Starts a contender's Redis, nodes and load generator; resolves with how long that took (ms). */
async function start(r: Running<unknown>): Promise<number> {
  const started = performance.now();
  const { contender } = r;
  if (contender.redis) r.redis = await BenchRedis.start();
  if (contender.cluster) r.cluster = await Cluster.start(contender.cluster.system, { ...contender.cluster, ...(r.redis && { redisUrl: r.redis.url }) });
  r.load = await LoadGen.start({ system: contender.client ?? contender.key, ...contender.load(r.cluster?.urls ?? [], r.redis?.url ?? '') });
  return Math.round(performance.now() - started);
}

async function stop(r: Running<unknown>): Promise<void> {
  r.load?.kill();
  await r.cluster?.stop();
  await r.redis?.stop();
}

function cpuOf(r: Running<unknown>): Outcome<unknown>['cpu'] {
  return { nodes: r.cluster?.cpuSeconds() ?? 0, redis: r.redis?.cpuSeconds() ?? 0, load: cpuSecondsOf(r.load!.pid) };
}

export function median(values: Array<number | null | undefined>): number | null {
  const sorted = values.filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** "min–max" of a figure over the rounds, or the one value. */
export function spread(values: Array<number | null | undefined>): string {
  const v = values.filter((x): x is number => typeof x === 'number');
  if (v.length === 0) return '—';
  const [lo, hi] = [Math.min(...v), Math.max(...v)];
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}

/** CPU µs per unit of work (a delivered message, an op): nodes + Redis, and the load generator. */
export function cpuPer(o: Outcome<unknown>, units: number): { hub: number | null; load: number | null } {
  if (units === 0) return { hub: null, load: null };
  return { hub: ((o.cpu.nodes + o.cpu.redis) * 1e6) / units, load: (o.cpu.load * 1e6) / units };
}

/** The most frequent Redis calls per unit of work: "evalsha 1.00, xadd 1.00, …". */
export function redisCallsCell(o: Outcome<unknown>, units: number, top = 4): string {
  if (!o.redisCalls || units === 0) return '—';
  const calls = Object.entries(o.redisCalls).filter(([cmd]) => !['info', 'flushall', 'ping', 'config', 'client', 'script'].includes(cmd));
  const total = calls.reduce((n, [, c]) => n + c, 0);
  const each = calls.sort((a, b) => b[1] - a[1]).slice(0, top).map(([cmd, c]) => `${cmd} ${(c / units).toFixed(2)}`);
  return `${(total / units).toFixed(2)}: ${each.join(', ')}`;
}

/** "12.3 / 4.5 / 6.7": CPU seconds of nodes / Redis / load generator during the phases. */
export const cpuCell = (o: Outcome<unknown>, redis = true) => [o.cpu.nodes, ...(redis ? [o.cpu.redis] : []), o.cpu.load].map((s) => s.toFixed(1)).join(' / ');
export const rssCell = (o: Outcome<unknown>) => o.peakRss.map(mb).join(', ') || '—';
/** Switchboard's error answers, if any. */
export const errorsCell = (o: Outcome<unknown>) => `${o.stats.answers.error} of ${o.stats.answers.ok + o.stats.answers.error}${o.stats.answers.firstError ? ` (${o.stats.answers.firstError})` : ''}`;
