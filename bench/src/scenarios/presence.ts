// Scenario 4: presence churn — sessions connect, say hello and leave as fast as 20 loops can make
// them, while watchers spread over 2 nodes on Redis receive every join and leave.
import { LABEL, SYSTEMS } from '../lib/systems.js';
import type { Context, ScenarioReport } from './context.js';
import { compare, cpuCell, cpuPer, median, rssCell, spread } from './measure.js';

interface ChurnPhase {
  watchersConnectMs: number;
  cyclesPerSecond: number;
  eventsPerSecond: number;
  sessions: number;
  expected: number;
  delivered: number;
  drained: boolean;
  joinLatency: { p50: number; p99: number } | null;
}

export async function presenceScenario(ctx: Context): Promise<ScenarioReport> {
  const { watchers, churners, warmupMs, measureMs, drainMs, rounds } = ctx.sizes;
  const results = await compare<ChurnPhase>(
    ctx,
    SYSTEMS.map((system) => ({
      key: system,
      cluster: { system, nodes: 2 },
      redis: true,
      load: (urls) => ({ job: 'presence', urls, watchers, churners, warmupMs, measureMs, drainMs }),
    })),
    ['churn'],
  );
  const pick = (f: (p: ChurnPhase) => number | undefined) => Object.fromEntries(SYSTEMS.map((s) => [s, median(results[s].rounds.churn!.map(f))]));
  return {
    id: 'presence',
    title: '4. Presence churn, 2 nodes on Redis',
    setup:
      `${watchers} watchers spread over 2 nodes on one Redis (Switchboard: \`presence.watch\`; floor and Socket.IO: a join/leave event ` +
      `to a watchers' list or room, which is all they offer). ${churners} loops each connect a new session (Switchboard: hello → welcome), ` +
      `then leave (Switchboard: bye; others: close), over ${measureMs / 1000} s. Join latency: from the start of the connect to a watcher's receipt. ` +
      `Median of ${rounds} interleaved round(s).`,
    rows: [
      { metric: 'sessions joined and left /s', better: 'higher', values: pick((p) => p.cyclesPerSecond) },
      { metric: 'presence events delivered/s', better: 'higher', values: pick((p) => p.eventsPerSecond) },
      { metric: 'join → watcher p50 ms', better: 'lower', values: pick((p) => p.joinLatency?.p50) },
      { metric: 'join → watcher p99 ms', better: 'lower', values: pick((p) => p.joinLatency?.p99) },
      { metric: 'hub CPU µs per event delivered (nodes + Redis)', better: 'lower', values: Object.fromEntries(SYSTEMS.map((s) => [s, cpuPer(results[s], results[s].rounds.churn!.reduce((n, p) => n + p.delivered, 0)).hub])) },
    ],
    delivery: SYSTEMS.map((s) => {
      const phases = results[s].rounds.churn!;
      return { system: s, unit: 'presence events', sent: phases.reduce((n, p) => n + p.expected, 0), delivered: phases.reduce((n, p) => n + p.delivered, 0), errors: 0 };
    }),
    details: {
      header: ['system', 'cycles/s per round', 'churned sessions', 'events expected / delivered', 'peak RSS per node (MB)', 'CPU s: nodes / Redis / load'],
      rows: SYSTEMS.map((s) => {
        const o = results[s];
        const phases = o.rounds.churn!;
        const sum = (f: (p: ChurnPhase) => number) => phases.reduce((n, p) => n + f(p), 0);
        const drained = phases.every((p) => p.drained) ? '' : ' (not all drained)';
        return [LABEL[s], spread(phases.map((p) => p.cyclesPerSecond)), String(sum((p) => p.sessions)), `${sum((p) => p.expected)} / ${sum((p) => p.delivered)}${drained}`, rssCell(o), cpuCell(o)];
      }),
    },
    raw: results,
  };
}
