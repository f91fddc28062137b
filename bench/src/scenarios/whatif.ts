// What if: scenario 1's max phase on Switchboard as shipped against variants that each change one
// thing the profile points at, interleaved. Nothing in server/ is changed: a variant is either the
// same hub started through an experiment entry (experiments/*.ts) or a different client policy.
import { fileURLToPath } from 'node:url';
import type { Context } from './context.js';
import { directContender } from './direct.js';
import type { DirectPhase } from './direct.js';
import { compare, cpuPer, median } from './measure.js';
import type { Contender, Outcome } from './measure.js';

const experiment = (name: string) => fileURLToPath(new URL(`../experiments/${name}.ts`, import.meta.url));
const LAZY_ACK_MS = 100;

export interface WhatIfReport {
  setup: string;
  /** Column labels: as shipped first, then each variant. */
  columns: string[];
  rows: Array<{ metric: string; values: Array<number | null> }>;
}

export async function whatIfScenario(ctx: Context): Promise<WhatIfReport> {
  const asIs = directContender(ctx, 'switchboard', 2);
  // BENCH_BASELINE=<another checkout>: an A/B of this tree against that one instead of the variants.
  const baseline = process.env.BENCH_BASELINE;
  const variants: Contender[] = baseline ? [asIs, { ...asIs, key: 'baseline', label: `baseline (${baseline})`, client: 'switchboard', cluster: { ...asIs.cluster!, entry: `${baseline}/server/src/cli.ts` } }] : [
    asIs,
    { ...asIs, key: 'autopipeline', label: 'ioredis auto-pipelining', client: 'switchboard', cluster: { ...asIs.cluster!, entry: experiment('autopipeline') } },
    { ...asIs, key: 'coalesce', label: 'socket writes batched per turn', client: 'switchboard', cluster: { ...asIs.cluster!, entry: experiment('coalesce-writes') } },
    { ...asIs, key: 'window', label: 'Redis writes batched per 1 ms', client: 'switchboard', cluster: { ...asIs.cluster!, entry: experiment('redis-window') } },
    { ...asIs, key: 'lazyack', label: `clients ack every ${LAZY_ACK_MS} ms`, client: 'switchboard', load: (urls, redis) => ({ ...asIs.load(urls, redis), ackEveryMs: LAZY_ACK_MS }) },
  ];
  const results = await compare<DirectPhase, string>(ctx, variants, ['max']);
  const outcomes = variants.map((v) => results[v.key]!);
  const delivered = (o: Outcome<DirectPhase>) => o.rounds.max!.reduce((n, p) => n + p.delivered, 0);
  const row = (metric: string, f: (o: Outcome<DirectPhase>) => number | null) => ({ metric, values: outcomes.map(f) });
  return {
    setup:
      `Scenario 1's max-throughput phase (2 nodes on Redis, 2,000 in flight), median of ${ctx.sizes.rounds} interleaved round(s), on Switchboard as shipped and ` +
      `on variants that each change one thing: the same hub started through \`bench/src/experiments/autopipeline.ts\`, which only turns on ioredis auto-pipelining ` +
      `(the Redis commands of one event-loop turn in one pipeline); through \`bench/src/experiments/coalesce-writes.ts\`, which corks every TCP socket ` +
      `(clients and Redis) on its first write of a turn and uncorks it at the end of the turn (one syscall per socket per turn); ` +
      `and the hub as shipped with clients that ack at most every ${LAZY_ACK_MS} ms ` +
      `instead of every turn (fewer \`ack\` frames and XTRIMs; a resume would replay up to ${LAZY_ACK_MS} ms more).`,
    columns: ['as shipped', ...variants.slice(1).map((v) => v.label!)],
    rows: [
      row('max delivered msg/s', (o) => median(o.rounds.max!.map((p) => p.perSecond))),
      row('closed-loop p99 ms', (o) => median(o.rounds.max!.map((p) => p.latency?.p99))),
      row('hub CPU µs per message (nodes + Redis)', (o) => cpuPer(o, delivered(o)).hub),
      row('Redis calls per message', (o) => (o.redisCalls ? Object.values(o.redisCalls).reduce((n, c) => n + c, 0) / delivered(o) : null)),
      row('of which XTRIM (acks)', (o) => (o.redisCalls ? (o.redisCalls.xtrim ?? 0) / delivered(o) : null)),
    ],
  };
}
