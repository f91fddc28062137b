// Presence churn: watchers spread over the nodes receive presence events while `churners`
// concurrent loops each connect a fresh session (hello), then leave, as fast as they can.
// Measured: completed join+leave cycles/s, events delivered to watchers/s, and the latency from the
// start of a connect to a watcher seeing its join.
import type { Connect, Job } from './agent.js';
import { Samples, pool, sleep, waitFor } from './stats.js';

export interface PresenceConfig {
  urls: string[];
  watchers: number;
  churners: number;
  warmupMs: number;
  measureMs: number;
  drainMs: number;
}

export async function presenceJob(connect: Connect, config: PresenceConfig): Promise<Job> {
  const startedAt = new Map<string, number>();
  let samples = new Samples();
  let [sampleFrom, sampleTo] = [Infinity, Infinity];
  let events = 0;
  let cycles = 0;
  let round = 0;
  const presence = (event: 'join' | 'leave', id: string) => {
    const t = startedAt.get(id);
    if (t === undefined) return;
    events++;
    if (event === 'join' && t >= sampleFrom && t < sampleTo) samples.add(performance.now() - t);
  };
  const ids = Array.from({ length: config.watchers }, (_, i) => `w${i}`);
  const started = performance.now();
  await pool(ids, 50, (id, i) => connect(config.urls[i % config.urls.length]!, id, { presence }, { watch: true }));
  const watchersConnectMs = Math.round(performance.now() - started);
  await sleep(300);

  const churn = async () => {
    round++;
    let running = true;
    const loop = async (worker: number) => {
      for (let k = 0; running; k++) {
        const id = `c${round}-${worker}-${k}`;
        startedAt.set(id, performance.now());
        const agent = await connect(config.urls[(worker + k) % config.urls.length]!, id, {});
        await agent.leave();
        cycles++;
      }
    };
    const before = { sessions: startedAt.size, events };
    samples = new Samples();
    const t0 = performance.now();
    [sampleFrom, sampleTo] = [t0 + config.warmupMs, t0 + config.warmupMs + config.measureMs];
    const loops = Array.from({ length: config.churners }, (_, w) => loop(w));
    await sleep(config.warmupMs);
    const [c0, e0, m0] = [cycles, events, performance.now()];
    await sleep(config.measureMs);
    const [c1, e1, m1] = [cycles, events, performance.now()];
    running = false;
    await Promise.all(loops);
    const sessions = startedAt.size - before.sessions;
    const expected = sessions * 2 * config.watchers;
    const drained = await waitFor(() => events - before.events >= expected, config.drainMs);
    const seconds = (m1 - m0) / 1000;
    return {
      watchersConnectMs,
      cyclesPerSecond: Math.round((c1 - c0) / seconds),
      eventsPerSecond: Math.round((e1 - e0) / seconds),
      sessions,
      expected,
      delivered: events - before.events,
      drained,
      joinLatency: samples.summary(),
    };
  };
  return { phases: { churn } };
}
