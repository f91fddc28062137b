// Broadcast fan-out: one sender, many receivers spread over the nodes. Closed loop: at most
// `inFlight` broadcasts not yet delivered to every receiver; deliveries/s and the latency of each
// delivery (send time → receipt) are measured.
import type { Connect, Job } from './agent.js';
import { Samples, pool, sentAtOf, sleep, stampedBody, waitFor } from './stats.js';

export interface FanoutConfig {
  urls: string[];
  receivers: number;
  inFlight: number;
  warmupMs: number;
  measureMs: number;
  drainMs: number;
}

export async function fanoutJob(connect: Connect, config: FanoutConfig): Promise<Job> {
  const n = config.receivers;
  let sent = 0;
  let delivered = 0;
  let scheduled = false;
  let running = false;
  let samples = new Samples();
  let [sampleFrom, sampleTo] = [Infinity, Infinity];
  const broadcast = (body: string) => {
    delivered++;
    const sentAt = sentAtOf(body);
    if (sentAt >= sampleFrom && sentAt < sampleTo) samples.add(performance.now() - sentAt);
    if (scheduled || !running) return;
    scheduled = true;
    setImmediate(pump);
  };
  const ids = Array.from({ length: n }, (_, i) => `r${i}`);
  await pool(ids, 50, (id, i) => connect(config.urls[i % config.urls.length]!, id, { broadcast }));
  const sender = await connect(config.urls[0]!, 'sender', {});
  await sleep(300);

  function pump(): void {
    scheduled = false;
    const now = performance.now();
    while (running && sent * n - delivered < config.inFlight * n) {
      sender.broadcast(stampedBody(now));
      sent++;
    }
  }

  const fanout = async () => {
    const before = { sent, delivered };
    samples = new Samples();
    const t0 = performance.now();
    [sampleFrom, sampleTo] = [t0 + config.warmupMs, t0 + config.warmupMs + config.measureMs];
    running = true;
    pump();
    await sleep(config.warmupMs);
    const [d0, m0] = [delivered, performance.now()];
    await sleep(config.measureMs);
    const [d1, m1] = [delivered, performance.now()];
    running = false;
    const drained = await waitFor(() => delivered >= sent * n, config.drainMs);
    const broadcasts = sent - before.sent;
    return {
      perSecond: Math.round(((d1 - d0) * 1000) / (m1 - m0)),
      broadcasts,
      expected: broadcasts * n,
      delivered: delivered - before.delivered,
      drained,
      latency: samples.summary(),
    };
  };
  return { phases: { fanout } };
}
