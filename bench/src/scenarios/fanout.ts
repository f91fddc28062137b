// Scenario 3: broadcast fan-out — 1 sender, 1,000 receivers spread over 2 nodes on Redis.
import { LABEL, SYSTEMS } from '../lib/systems.js';
import type { Context, ScenarioReport } from './context.js';
import { compare, cpuCell, cpuPer, errorsCell, median, rssCell, spread } from './measure.js';

interface FanoutPhase {
  perSecond: number;
  broadcasts: number;
  expected: number;
  delivered: number;
  drained: boolean;
  latency: { p50: number; p99: number } | null;
}

export async function fanoutScenario(ctx: Context): Promise<ScenarioReport> {
  const { receivers, broadcastsInFlight, warmupMs, measureMs, drainMs, rounds } = ctx.sizes;
  const results = await compare<FanoutPhase>(
    ctx,
    SYSTEMS.map((system) => ({
      key: system,
      cluster: { system, nodes: 2 },
      redis: true,
      load: (urls) => ({ job: 'fanout', urls, receivers, inFlight: broadcastsInFlight, warmupMs, measureMs, drainMs }),
    })),
    ['fanout'],
  );
  const pick = (f: (p: FanoutPhase) => number | undefined) => Object.fromEntries(SYSTEMS.map((s) => [s, median(results[s].rounds.fanout!.map(f))]));
  return {
    id: 'fanout',
    title: '3. Broadcast fan-out, 2 nodes on Redis',
    setup:
      `1 sender, ${receivers} receivers spread over 2 nodes on one Redis, 64-byte bodies. Closed loop: at most ${broadcastsInFlight} broadcasts ` +
      `not yet delivered to every receiver; deliveries/s over ${measureMs / 1000} s, latency from send to each receipt. Median of ${rounds} interleaved round(s).`,
    rows: [
      { metric: 'deliveries/s', better: 'higher', values: pick((p) => p.perSecond), targets: [{ versus: 'peer', op: '>=', value: 2.0 }] },
      { metric: 'delivery p50 ms', better: 'lower', values: pick((p) => p.latency?.p50) },
      { metric: 'delivery p99 ms', better: 'lower', values: pick((p) => p.latency?.p99) },
      { metric: 'hub CPU µs per delivery (nodes + Redis)', better: 'lower', values: Object.fromEntries(SYSTEMS.map((s) => [s, cpuPer(results[s], results[s].rounds.fanout!.reduce((n, p) => n + p.delivered, 0)).hub])) },
    ],
    delivery: SYSTEMS.map((s) => {
      const phases = results[s].rounds.fanout!;
      const { error, firstError } = results[s].stats.answers;
      return { system: s, unit: 'deliveries', sent: phases.reduce((n, p) => n + p.expected, 0), delivered: phases.reduce((n, p) => n + p.delivered, 0), errors: error, firstError };
    }),
    details: {
      header: ['system', 'deliveries/s per round', 'broadcasts', 'deliveries expected / delivered', 'error answers', 'peak RSS per node (MB)', 'CPU s: nodes / Redis / load'],
      rows: SYSTEMS.map((s) => {
        const o = results[s];
        const phases = o.rounds.fanout!;
        const sum = (f: (p: FanoutPhase) => number) => phases.reduce((n, p) => n + f(p), 0);
        const drained = phases.every((p) => p.drained) ? '' : ' (not all drained)';
        return [LABEL[s], spread(phases.map((p) => p.perSecond)), String(sum((p) => p.broadcasts)), `${sum((p) => p.expected)} / ${sum((p) => p.delivered)}${drained}`, s === 'switchboard' ? errorsCell(o) : '—', rssCell(o), cpuCell(o)];
      }),
    },
    raw: results,
  };
}
