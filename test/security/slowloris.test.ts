// Slowloris and hello floods (issue 7): sockets that open and never say hello are closed 4408
// after helloTimeoutMs; TCP connections that never finish their HTTP request (silent, or dribbling
// header lines) are dropped after the same timeout by the HTTP server. A session keeps being served
// throughout.
import { describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { CloseCode } from '@switchboard/protocol';
import { RawClient } from '../helpers/raw-client.js';
import { until } from '../helpers/wait.js';
import { useHubs, within } from '../hub/support.js';
import type { Joined } from '../hub/support.js';

const HELLO_TIMEOUT_MS = 500;

/** Pings `client` until stop() and returns the round trips (ms). */
function pingLoop(client: Joined): { stop: () => Promise<number[]> } {
  const rtts: number[] = [];
  let running = true;
  const loop = (async () => {
    for (let n = 0; running; n++) {
      const t = performance.now();
      client.send({ type: 'ping', rid: `p${n}` });
      await client.nextOf('pong', (f) => f.rid === `p${n}`, 5000);
      rtts.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return rtts;
    },
  };
}

const summary = (rtts: number[]) => {
  const s = [...rtts].sort((a, b) => a - b);
  return `${s.length} pings, p50 ${s[Math.floor(s.length / 2)]!.toFixed(1)} ms, max ${s[s.length - 1]!.toFixed(1)} ms`;
};

describe('slowloris', () => {
  const { hub: startHub, join, cleanup } = useHubs();

  it('closes 200 sockets that never say hello with 4408 after helloTimeoutMs while a session is served', async () => {
    const hub = await startHub({ helloTimeoutMs: HELLO_TIMEOUT_MS });
    const session = await join(hub.url, { id: 'worker', name: 'worker' });
    const pings = pingLoop(session);
    const started = Date.now();
    const silent = await Promise.all(Array.from({ length: 200 }, () => RawClient.open(hub.url)));
    for (const client of silent) cleanup(() => client.close());
    expect(hub.sockets).toBeGreaterThanOrEqual(201);
    const closes = await within(Promise.all(silent.map((c) => c.closed)), 10_000, '200 hello timeouts');
    const elapsed = Date.now() - started;
    const rtts = await pings.stop();
    const codes = new Map<number, number>();
    for (const { code } of closes) codes.set(code, (codes.get(code) ?? 0) + 1);
    console.log(`hello flood: 200 silent sockets closed in ${elapsed} ms, codes ${JSON.stringify(Object.fromEntries(codes))}; session ${summary(rtts)}`);
    expect(codes.get(CloseCode.timeout)).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(HELLO_TIMEOUT_MS);
    expect(Math.max(...rtts)).toBeLessThan(1000);
    await until(() => hub.sockets === 1, 3000, 'only the session to be left');
    await session.ok({ type: 'sessions.list' });
  });

  it('drops TCP connections that never finish the HTTP request, silent or dribbling headers', async () => {
    const hub = await startHub({ helloTimeoutMs: HELLO_TIMEOUT_MS });
    const session = await join(hub.url, { id: 'worker', name: 'worker' });
    const pings = pingLoop(session);
    const started = Date.now();
    const open = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const socket = connect(hub.port, '127.0.0.1', () => resolve(socket));
        socket.on('error', reject);
        cleanup(() => socket.destroy());
      });
    const sockets = await Promise.all(Array.from({ length: 60 }, () => open()));
    const closed = sockets.map((s) => new Promise<number>((resolve) => s.once('close', () => resolve(Date.now() - started))));
    // Half say nothing; half send a request line and then one header line every 100 ms, forever.
    const dribblers = sockets.slice(30);
    for (const s of dribblers) s.write('GET /ws HTTP/1.1\r\nHost: localhost\r\n');
    let n = 0;
    const dribble = setInterval(() => {
      n++;
      for (const s of dribblers) if (!s.destroyed) s.write(`X-Slow-${n}: ${n}\r\n`);
    }, 100);
    cleanup(() => clearInterval(dribble));
    const times = await within(Promise.all(closed), 10_000, 'the HTTP server to drop 60 unfinished requests');
    clearInterval(dribble);
    const rtts = await pings.stop();
    console.log(
      `slowloris: 30 silent and 30 dribbling TCP connections dropped after ${Math.min(...times)}-${Math.max(...times)} ms ` +
        `(timeout ${HELLO_TIMEOUT_MS} ms); session ${summary(rtts)}`,
    );
    expect(Math.min(...times)).toBeGreaterThanOrEqual(HELLO_TIMEOUT_MS - 50);
    expect(Math.max(...rtts)).toBeLessThan(1000);
    await session.ok({ type: 'sessions.list' });
  });
});
