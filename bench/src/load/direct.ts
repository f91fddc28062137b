// Direct messages between agents, each to a random other agent, 64-byte bodies that carry their
// send time. Two phases, run on the same sessions as often as the orchestrator asks:
// - max: closed loop — keep `window` messages sent but not yet delivered; delivered/s is the
//   maximum sustained rate (the window keeps queues bounded, so it is sustainable).
// - rate: open loop — sends scheduled by time at a fixed rate; latency is from the scheduled
//   send time to receipt, so a sender that falls behind counts against the system, not hidden.
import type { Agent, Connect, Job } from './agent.js';
import { Samples, pool, sentAtOf, sleep, stampedBody, waitFor } from './stats.js';

export interface DirectConfig {
  urls: string[];
  agents: number;
  window: number;
  ratePerSecond: number;
  warmupMs: number;
  measureMs: number;
  drainMs: number;
}

export async function directJob(connect: Connect, config: DirectConfig): Promise<Job> {
  let sent = 0;
  let delivered = 0;
  let samples = new Samples();
  let [sampleFrom, sampleTo] = [Infinity, Infinity];
  let onDelivered: (() => void) | null = null;
  const direct = (body: string) => {
    delivered++;
    const sentAt = sentAtOf(body);
    if (sentAt >= sampleFrom && sentAt < sampleTo) samples.add(performance.now() - sentAt);
    onDelivered?.();
  };
  const ids = Array.from({ length: config.agents }, (_, i) => `a${i}`);
  const agents: Agent[] = await pool(ids, 50, (id, i) => connect(config.urls[i % config.urls.length]!, id, { direct }));
  await sleep(300);

  const sendOne = (sentAt: number) => {
    const from = Math.floor(Math.random() * agents.length);
    let to = Math.floor(Math.random() * (agents.length - 1));
    if (to >= from) to++;
    agents[from]!.send(agents[to]!.id, stampedBody(sentAt));
    sent++;
  };
  /** Runs one phase: `load` sends from t0 and returns the measured rate; then waits for delivery. */
  const phase = async (load: (t0: number) => Promise<number>) => {
    const before = { sent, delivered };
    samples = new Samples();
    const t0 = performance.now();
    [sampleFrom, sampleTo] = [t0 + config.warmupMs, t0 + config.warmupMs + config.measureMs];
    const perSecond = await load(t0);
    onDelivered = null;
    const drained = await waitFor(() => delivered >= sent, config.drainMs);
    return { perSecond: Math.round(perSecond), sent: sent - before.sent, delivered: delivered - before.delivered, drained, latency: samples.summary() };
  };

  const max = (t0: number) => {
    let scheduled = false;
    const pump = () => {
      scheduled = false;
      const now = performance.now();
      while (onDelivered && sent - delivered < config.window) sendOne(now);
    };
    onDelivered = () => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(pump);
    };
    pump();
    return measureDelivered(t0);
  };
  const measureDelivered = async (t0: number) => {
    await sleep(t0 + config.warmupMs - performance.now());
    const [d0, m0] = [delivered, performance.now()];
    await sleep(config.measureMs);
    return ((delivered - d0) * 1000) / (performance.now() - m0);
  };

  const rate = async (t0: number) => {
    const perMs = config.ratePerSecond / 1000;
    const total = Math.round(perMs * (config.warmupMs + config.measureMs));
    let n = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const due = Math.min(total, Math.floor((performance.now() - t0) * perMs));
        for (; n < due; n++) sendOne(t0 + n / perMs);
        if (n < total) return;
        clearInterval(timer);
        resolve();
      }, 1);
    });
    return n / (performance.now() - t0) * 1000;
  };

  return { phases: { max: () => phase(max), rate: () => phase(rate) } };
}
