// Scenario 5: shared memory — `memory.set` / `memory.get` through one hub node on Redis, against
// raw ioredis HSET / HGETALL on (its own, equally fresh) Redis from one process (the floor).
import type { Context, Row, ScenarioReport } from './context.js';
import { compare, cpuCell, cpuPer, median, rssCell, spread } from './measure.js';
import type { Outcome } from './measure.js';

interface OpPhase {
  perSecond: number;
  ops: number;
  failed: number;
  latency: { p50: number; p99: number } | null;
}

export async function memoryScenario(ctx: Context): Promise<ScenarioReport> {
  const { memoryClients: clients, memoryDepth: depth, warmupMs, measureMs, rounds } = ctx.sizes;
  const job = { job: 'memory', clients, depth, keys: 1000, warmupMs, measureMs };
  const results = await compare<OpPhase>(
    ctx,
    [
      { key: 'switchboard', cluster: { system: 'switchboard', nodes: 1 }, redis: true, load: (urls) => ({ ...job, url: urls[0] }) },
      { key: 'floor', cluster: null, redis: true, load: (_urls, redisUrl) => ({ ...job, url: redisUrl }) },
    ],
    ['set', 'get'],
  );
  const [hub, raw] = [results.switchboard, results.floor];
  const at = (o: Outcome<OpPhase>, phase: string, f: (p: OpPhase) => number | undefined) => median(o.rounds[phase]!.map(f));
  const row = (metric: string, phase: string, f: (p: OpPhase) => number | undefined, throughput: boolean): Row => ({
    metric,
    better: throughput ? 'higher' : 'lower',
    values: { switchboard: at(hub, phase, f), floor: at(raw, phase, f) },
    ...(throughput && { targets: [{ versus: 'floor', op: '>=', value: 0.7 }] }),
  });
  const perOp = (o: Outcome<OpPhase>) => cpuPer(o, Object.values(o.rounds).flat().reduce((n, p) => n + p.ops, 0)).hub;
  const cell = (o: Outcome<OpPhase>, phase: string) => {
    const phases = o.rounds[phase]!;
    return `${spread(phases.map((p) => p.perSecond))} (${phases.reduce((n, p) => n + p.failed, 0)} failed)`;
  };
  return {
    id: 'memory',
    title: '5. Shared memory, one node on Redis',
    setup:
      `${clients} sessions on one hub node with ${depth} requests outstanding each (${clients * depth} in all), 1,000 keys, 64-byte values; ` +
      `\`memory.set\` for ${measureMs / 1000} s, then \`memory.get\`. Floor: one process, one ioredis connection, the same ${clients * depth} ` +
      `requests outstanding, HSET (value, author, updatedAt) then HGETALL. Median of ${rounds} interleaved round(s).`,
    columns: { floor: 'raw ioredis' },
    rows: [
      row('memory.set ops/s', 'set', (p) => p.perSecond, true),
      row('memory.get ops/s', 'get', (p) => p.perSecond, true),
      row('set p99 ms', 'set', (p) => p.latency?.p99, false),
      row('get p99 ms', 'get', (p) => p.latency?.p99, false),
      { metric: 'server CPU µs per op (hub + Redis; floor: Redis)', better: 'lower', values: { switchboard: perOp(hub), floor: perOp(raw) } },
    ],
    delivery: (['switchboard', 'floor'] as const).map((s) => {
      const phases = Object.values(results[s].rounds).flat();
      const ops = phases.reduce((n, p) => n + p.ops, 0);
      const failed = phases.reduce((n, p) => n + p.failed, 0);
      return { system: s, unit: 'ops', sent: ops, delivered: ops, errors: failed };
    }),
    details: {
      header: ['system', 'set ops/s per round', 'get ops/s per round', 'peak RSS of the hub (MB)', 'CPU s: hub / Redis / load'],
      rows: [
        ['Switchboard', cell(hub, 'set'), cell(hub, 'get'), rssCell(hub), cpuCell(hub)],
        ['raw ioredis', cell(raw, 'set'), cell(raw, 'get'), '—', cpuCell(raw)],
      ],
    },
    raw: results,
  };
}
