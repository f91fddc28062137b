// Scenario 6: idle sessions on one node — RSS per session and CPU at rest, with heartbeats every
// 5 s (Switchboard's default). Floor: a bare ws server pinging its sockets at the same interval.
import { LoadGen } from '../lib/loadgen.js';
import { cpuSecondsOf, memoryOf, sleep } from '../lib/proc.js';
import { Cluster, LABEL } from '../lib/systems.js';
import type { SystemName } from '../lib/systems.js';
import type { Context, ScenarioReport } from './context.js';

interface IdleResult {
  sessions: number;
  connectMs: number;
  baseRss: number;
  rss: number;
  peakRss: number;
  perSession: number;
  cpuPercent: number;
}

const IDLE_SYSTEMS: SystemName[] = ['switchboard', 'floor'];

export async function idleScenario(ctx: Context): Promise<ScenarioReport> {
  const results = {} as Record<SystemName, IdleResult>;
  for (const system of IDLE_SYSTEMS) results[system] = await idle(ctx, system);
  const { idleSessions: sessions, restMs } = ctx.sizes;
  const kb = (r: IdleResult) => Math.round(r.perSession / 102.4) / 10;
  const caveat = sessions < 10_000 ? `measured with ${sessions} sessions, not 10,000` : undefined;
  return {
    id: 'idle',
    title: '6. Idle sessions, one node',
    setup:
      `${sessions} sessions connected to one node (Switchboard: embedded engine, hello → welcome; floor: a bare ws server), ` +
      `pinged every 5 s. RSS per session = (hub RSS at the end of the rest − RSS before the sessions) / sessions; ` +
      `CPU = hub CPU time over ${restMs / 1000} s at rest / wall time.`,
    columns: { floor: 'bare ws + pings' },
    rows: [
      { metric: 'RSS per session (KB)', better: 'lower', values: { switchboard: kb(results.switchboard), floor: kb(results.floor) }, targets: [{ versus: 'floor', op: '<=', value: 2.0 }] },
      {
        metric: `CPU at rest, % of one core (${sessions} sessions)`,
        better: 'lower',
        values: { switchboard: results.switchboard.cpuPercent, floor: results.floor.cpuPercent },
        targets: [{ versus: 'absolute', op: '<=', value: 2, ...(caveat && { caveat }) }],
      },
    ],
    details: {
      header: ['system', 'sessions', 'connected in (ms)', 'RSS before / after (MB)', 'peak RSS (MB)'],
      rows: IDLE_SYSTEMS.map((s) => {
        const r = results[s];
        const mbs = (b: number) => (b / 1024 / 1024).toFixed(1);
        return [LABEL[s], String(r.sessions), String(r.connectMs), `${mbs(r.baseRss)} / ${mbs(r.rss)}`, mbs(r.peakRss)];
      }),
    },
    raw: results,
  };
}

async function idle(ctx: Context, system: SystemName): Promise<IdleResult> {
  ctx.log(`${LABEL[system]}, ${ctx.sizes.idleSessions} idle sessions`);
  const cluster = await Cluster.start(system, { nodes: 1 });
  const pid = cluster.pids[0]!;
  try {
    await sleep(ctx.sizes.settleMs);
    const baseRss = memoryOf(pid).rss;
    const started = performance.now();
    const load = await LoadGen.start({ job: 'idle', system, url: cluster.urls[0], sessions: ctx.sizes.idleSessions });
    const connectMs = Math.round(performance.now() - started);
    await sleep(ctx.sizes.settleMs);
    const [cpu0, t0] = [cpuSecondsOf(pid), performance.now()];
    await sleep(ctx.sizes.restMs);
    const cpuPercent = Math.round(((cpuSecondsOf(pid) - cpu0) / ((performance.now() - t0) / 1000)) * 1000) / 10;
    const { rss, peak } = memoryOf(pid);
    await load.stop();
    const sessions = ctx.sizes.idleSessions;
    return { sessions, connectMs, baseRss, rss, peakRss: peak, perSession: (rss - baseRss) / sessions, cpuPercent };
  } finally {
    await cluster.stop();
  }
}
