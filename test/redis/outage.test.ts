// Redis goes away and comes back empty (no persistence): the hub keeps its sockets, answers
// `unavailable` quickly meanwhile, turns /readyz 503, and afterwards registers its sessions
// again and serves on — without any client reconnecting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '@switchboard/protocol';
import { HubProcess } from '../helpers/hub-process.js';
import { RawClient } from '../helpers/raw-client.js';
import { HAS_REDIS, REQUIRE_REDIS, RedisServer } from '../helpers/redis-server.js';
import { until } from '../helpers/wait.js';

const HEARTBEAT_MS = 250;

describe.skipIf(!HAS_REDIS && !REQUIRE_REDIS)('Redis outage and restart', () => {
  let redis: RedisServer;
  let nodes: HubProcess[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    nodes = await Promise.all([0, 1].map((i) => HubProcess.start({ redis: redis.url, 'heartbeat-ms': HEARTBEAT_MS, 'node-id': `out${i}` })));
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.kill('SIGTERM')));
    await redis.stop();
  });

  it('survives a Redis restart mid-traffic without client reconnects', async () => {
    const { client: a } = await RawClient.join(nodes[0]!.url, { id: 'a', name: 'a' });
    const { client: b } = await RawClient.join(nodes[1]!.url, { id: 'b', name: 'b' });
    const { client: w } = await RawClient.join(nodes[1]!.url, { id: 'w', name: 'w' });
    try {
      await w.ok({ type: 'memory.watch', prefix: 'k' });
      // Traffic: a sends to b (across nodes) continuously; every message the hub acknowledged
      // must reach b.
      const acked: number[] = [];
      const refused = new Map<string, number>();
      let n = 0;
      let running = true;
      const traffic = (async () => {
        while (running) {
          const i = n++;
          const answer = await a.request({ type: 'send', to: 'b', body: i }, 5000);
          if (answer.type === 'ok') acked.push(i);
          else refused.set(answer.code!, (refused.get(answer.code!) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      await until(() => acked.length >= 20, 5000, 'traffic before the outage');

      await redis.kill();
      const started = Date.now();
      const during = await a.request({ type: 'memory.set', key: 'k1', value: 1 });
      expect(during).toMatchObject({ type: 'error', code: 'unavailable' });
      expect(Date.now() - started).toBeLessThan(2500);
      expect((await fetch(`${nodes[0]!.httpUrl}/readyz`)).status).toBe(503);
      expect((await fetch(`${nodes[0]!.httpUrl}/healthz`)).status).toBe(200);
      a.send({ type: 'ping', rid: 'still-open' });
      await a.nextOf('pong', (f) => f.rid === 'still-open');
      await until(() => refused.get('unavailable'), 5000, 'sends refused as unavailable during the outage');

      await redis.boot();
      await until(async () => (await fetch(`${nodes[0]!.httpUrl}/readyz`)).status === 200, 5000, 'readyz 200 again');
      await until(async () => {
        const listed = await a.request<{ sessions: Session[] }>({ type: 'sessions.list' });
        return listed.type === 'ok' && listed.sessions.map((s) => s.id).sort().join() === 'a,b,w';
      }, 5000, 'sessions registered again');
      const countBefore = acked.length;
      await until(() => acked.length >= countBefore + 20, 5000, 'traffic after the restart');
      running = false;
      await traffic;

      const received = new Set<number>();
      for (;;) {
        const msg = await b.nextOf('message', () => true, 1000).catch(() => null);
        if (!msg) break;
        received.add(msg.body as number);
      }
      const lost = acked.filter((i) => !received.has(i));
      console.log(`outage: ${acked.length} acked, ${refused.get('unavailable') ?? 0} refused as unavailable, ${lost.length} acked but not delivered`);
      expect(lost).toEqual([]);

      await a.ok({ type: 'memory.set', key: 'k2', value: 'after' });
      expect(await w.nextOf('memory.changed', (f) => f.key === 'k2')).toMatchObject({ op: 'set', by: 'a' });
      // Nobody reconnected: the original sockets are still open and said hello once.
      for (const c of [a, b, w]) expect(c.ws.readyState).toBe(c.ws.OPEN);
    } finally {
      [a, b, w].forEach((c) => c.close());
    }
  });
});
