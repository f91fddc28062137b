// Slow consumers (issue 7): a client that stops reading must not make the hub buffer without
// bound. Past maxBufferedBytes the hub closes it with 1013 (reconnect) and writes nothing more;
// its direct messages wait in the inbox, so a resume gets every one of them, in order. Meanwhile
// the hub's memory stays bounded and a bystander's pings stay fast.
import { describe, expect, it } from 'vitest';
import { CloseCode } from '@switchboard/protocol';
import type { Socket } from 'node:net';
import { RawClient } from '../helpers/raw-client.js';
import { until } from '../helpers/wait.js';
import { useHubs, within } from '../hub/support.js';

const MAX_BUFFERED = 1024 * 1024;
const BROADCASTS = 4000;
const BROADCAST_BYTES = 16 * 1024;
/** Every this many broadcasts, one direct message to the slow session. */
const DIRECT_EVERY = 4;
const WINDOW = 32;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

describe('slow consumer', () => {
  const { hub: startHub, join, cleanup } = useHubs();

  it('closes a client that stops reading with 1013, keeps memory bounded and bystanders fast, and a resume loses nothing', async () => {
    // Rate limits off: the flooder is the test's instrument here, not its subject.
    const hub = await startHub({ resumeWindowMs: 30_000, maxBufferedBytes: MAX_BUFFERED, rateFrames: 0, rateBytes: 0 });
    const slow = await join(hub.url, { id: 'slow', name: 'slow', capabilities: ['bulk'] });
    const bystander = await join(hub.url, { id: 'bystander', name: 'bystander' });
    const flooder = await join(hub.url, { id: 'flooder', name: 'flooder' });
    const socket = (slow.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    const conn = hub.connections.find((c) => c.id === 'slow')!;

    const memory = () => {
      const m = process.memoryUsage();
      return { heap: m.heapUsed + m.arrayBuffers, rss: m.rss };
    };
    const base = memory();
    let peak = { heap: 0, rss: 0 };
    const sampler = setInterval(() => {
      const m = memory();
      peak = { heap: Math.max(peak.heap, m.heap - base.heap), rss: Math.max(peak.rss, m.rss - base.rss) };
    }, 10);
    cleanup(() => clearInterval(sampler));

    // The bystander pings all through the flood.
    const rtts: number[] = [];
    let flooding = true;
    const pinger = (async () => {
      for (let n = 0; flooding; n++) {
        const t = performance.now();
        bystander.send({ type: 'ping', rid: `p${n}` });
        await bystander.nextOf('pong', (f) => f.rid === `p${n}`, 5000);
        rtts.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    // Broadcasts (only the slow session has the capability) with direct messages among them.
    const padding = 'x'.repeat(BROADCAST_BYTES);
    const directSeqs: number[] = [];
    const flood = (async () => {
      let inflight: Array<Promise<unknown>> = [];
      for (let i = 0; i < BROADCASTS; i++) {
        inflight.push(flooder.ok({ type: 'broadcast', capability: 'bulk', body: { i, padding } }));
        if (i % DIRECT_EVERY === 0) {
          inflight.push(flooder.ok<{ seq: number }>({ type: 'send', to: 'slow', body: { n: i } }).then((r) => directSeqs.push(r.seq)));
        }
        if (inflight.length >= WINDOW) {
          await Promise.all(inflight);
          inflight = [];
        }
      }
      await Promise.all(inflight);
    })();

    // The hub gives up on the slow socket long before the flood (64 MiB) is over.
    await until(() => conn.ws.readyState >= conn.ws.CLOSING, 15_000, 'the hub to close the slow socket');
    const bufferedAtClose = conn.ws.bufferedAmount;
    // Reading again, the client drains what was written and then finds the close frame: 1013.
    socket.resume();
    expect((await within(slow.closed, 5000, 'the slow client to see the close')).code).toBe(CloseCode.tryAgainLater);

    await flood;
    flooding = false;
    await pinger;
    clearInterval(sampler);

    const sorted = [...rtts].sort((a, b) => a - b);
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    console.log(
      `slow consumer: ${BROADCASTS} broadcasts of ${BROADCAST_BYTES / 1024} KiB (${mb(BROADCASTS * BROADCAST_BYTES)} MiB) + ${directSeqs.length} direct messages; ` +
        `buffered at close ${mb(bufferedAtClose)} MiB (limit ${mb(MAX_BUFFERED)}); peak growth heap+arrayBuffers ${mb(peak.heap)} MiB, rss ${mb(peak.rss)} MiB; ` +
        `bystander ping RTT over ${rtts.length} pings: p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms`,
    );
    // Buffered for the slow socket: the limit plus at most one frame.
    expect(bufferedAtClose).toBeLessThan(MAX_BUFFERED + 2 * BROADCAST_BYTES);
    // Generous (measured: ~20 MiB with the limit; ~250 MiB without it, when the hub holds ~60 MiB for the paused socket).
    expect(peak.heap).toBeLessThan(48 * 1024 * 1024);
    expect(sorted[sorted.length - 1]!).toBeLessThan(1000);

    // Resuming from lastSeq 0 replays every direct message the flooder was answered ok for, in order.
    const resumed = await RawClient.open(hub.url);
    cleanup(() => resumed.close());
    resumed.send({ type: 'hello', protocol: 1, session: { name: 'slow' }, resume: { sessionId: 'slow', secret: slow.welcome.resumeSecret, lastSeq: 0 } });
    const welcome = await resumed.nextOf('welcome');
    expect(welcome).toMatchObject({ resumed: true, replayed: directSeqs.length });
    const replayed: Array<{ seq?: number; body: unknown }> = [];
    for (let k = 0; k < directSeqs.length; k++) replayed.push(await resumed.nextOf('message', (m) => m.seq !== undefined));
    expect(replayed.map((m) => m.seq)).toEqual([...directSeqs].sort((a, b) => a - b));
    expect(replayed.map((m) => m.seq)).toEqual(Array.from({ length: directSeqs.length }, (_, k) => k + 1));
    expect(replayed.map((m) => (m.body as { n: number }).n)).toEqual(Array.from({ length: directSeqs.length }, (_, k) => k * DIRECT_EVERY));
  }, 60_000);
});
