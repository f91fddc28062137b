// Scenarios 1 and 2: direct messages among 200 agents, 64-byte bodies, each to a random other
// agent — on 2 nodes over Redis (1), or on one process (2: embedded engine, local routing,
// in-memory adapter). Max sustained delivered/s, then latency at a fixed offered rate.
import { LABEL, SYSTEMS } from '../lib/systems.js';
import type { SystemName } from '../lib/systems.js';
import type { Context, Row, ScenarioReport } from './context.js';
import { compare, cpuCell, cpuPer, errorsCell, median, redisCallsCell, rssCell, spread } from './measure.js';
import type { Contender, Outcome } from './measure.js';

type Latency = { count: number; p50: number; p99: number; p999: number; max: number } | null;
export interface DirectPhase {
  perSecond: number;
  sent: number;
  delivered: number;
  drained: boolean;
  latency: Latency;
}

export function directContender(ctx: Context, system: SystemName, nodes: 1 | 2, cpuProfDir?: string): Contender {
  const { agents, window, ratePerSecond, warmupMs, measureMs, drainMs } = ctx.sizes;
  return {
    key: system,
    cluster: { system, nodes, cpuProfDir },
    redis: nodes === 2,
    load: (urls) => ({ job: 'direct', urls, agents, window, ratePerSecond, warmupMs, measureMs, drainMs }),
  };
}

export async function directScenario(ctx: Context, nodes: 1 | 2): Promise<ScenarioReport> {
  const two = nodes === 2;
  const results = await compare<DirectPhase>(ctx, SYSTEMS.map((s) => directContender(ctx, s, nodes)), ['max', 'rate']);
  const pick = (phase: string, f: (p: DirectPhase) => number | undefined) => Object.fromEntries(SYSTEMS.map((s) => [s, median(results[s].rounds[phase]!.map(f))]));
  const rate = `${ctx.sizes.ratePerSecond / 1000}k msg/s`;
  const rows: Row[] = [
    { metric: 'max delivered msg/s', better: 'higher', values: pick('max', (p) => p.perSecond), ...(two && { targets: [{ versus: 'peer', op: '>=', value: 2.0 }, { versus: 'floor', op: '>=', value: 0.8 }] }) },
    { metric: `p50 ms at ${rate}`, better: 'lower', values: pick('rate', (p) => p.latency?.p50) },
    { metric: `p99 ms at ${rate}`, better: 'lower', values: pick('rate', (p) => p.latency?.p99), ...(two && { targets: [{ versus: 'peer', op: '<=', value: 0.5 }] }) },
    { metric: `p99.9 ms at ${rate}`, better: 'lower', values: pick('rate', (p) => p.latency?.p999) },
    { metric: `hub CPU µs per message (${two ? 'nodes + Redis' : 'node'})`, better: 'lower', values: Object.fromEntries(SYSTEMS.map((s) => [s, perMessage(results[s]).hub])) },
  ];
  const { agents, window, ratePerSecond, measureMs, rounds } = ctx.sizes;
  return {
    id: two ? 'direct2' : 'direct1',
    title: two ? '1. Direct messages, 2 nodes on Redis' : '2. Direct messages, one node',
    setup:
      `${agents} agents over ${nodes} node(s)${two ? ' on one Redis' : ' (Switchboard: embedded engine; floor: one ws process; Socket.IO: in-memory adapter)'}, ` +
      `64-byte bodies, each message to a random other agent. Max: closed loop with ${window} messages in flight, delivered/s over ${measureMs / 1000} s. ` +
      `Latency: open loop at ${ratePerSecond} msg/s offered, from the scheduled send time to receipt (same process clock), over ${measureMs / 1000} s. ` +
      `Median of ${rounds} interleaved round(s).`,
    rows,
    delivery: SYSTEMS.map((s) => {
      const all = Object.values(results[s].rounds).flat();
      const { error, firstError } = results[s].stats.answers;
      return { system: s, unit: 'messages', sent: all.reduce((n, p) => n + p.sent, 0), delivered: all.reduce((n, p) => n + p.delivered, 0), errors: error, firstError };
    }),
    details: {
      header: ['system', 'max msg/s per round', 'p99 ms per round', 'sent / delivered (all phases)', 'error answers', 'peak RSS per node (MB)', two ? 'CPU s: nodes / Redis / load' : 'CPU s: node / load', 'load generator CPU µs per message', ...(two ? ['Redis calls per message (incl. inside scripts)'] : [])],
      rows: SYSTEMS.map((s) => detail(results[s], s, two)),
    },
    raw: results,
  };
}

/** CPU per delivered message over all phases. */
function perMessage(o: Outcome<DirectPhase>) {
  return cpuPer(o, Object.values(o.rounds).flat().reduce((n, p) => n + p.delivered, 0));
}

function detail(o: Outcome<DirectPhase>, system: SystemName, redis: boolean): string[] {
  const all = Object.values(o.rounds).flat();
  const sent = all.reduce((n, p) => n + p.sent, 0);
  const delivered = all.reduce((n, p) => n + p.delivered, 0);
  return [
    LABEL[system],
    spread(o.rounds.max!.map((p) => p.perSecond)),
    spread(o.rounds.rate!.map((p) => p.latency?.p99)),
    `${sent} / ${delivered}${all.every((p) => p.drained) ? '' : ' (not all drained)'}`,
    system === 'switchboard' ? errorsCell(o) : '—',
    rssCell(o),
    cpuCell(o, redis),
    String(Math.round(perMessage(o).load ?? 0)),
    ...(redis ? [redisCallsCell(o, delivered)] : []),
  ];
}
