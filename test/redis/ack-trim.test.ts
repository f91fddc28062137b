// Acks let the inbox forget: a burst of acks trims the recipient's inbox stream once (after
// ACK_FLUSH_MS), the unacknowledged tail stays, and a resume still replays from the client's lastSeq.
import { afterAll, describe, expect, it } from 'vitest';
import { Keys } from '../../server/src/engine/redis/keys.js';
import { HAS_REDIS, REQUIRE_REDIS } from '../helpers/redis-server.js';
import { useRedisNodes } from '../helpers/redis-nodes.js';
import { RawClient } from '../helpers/raw-client.js';
import { until } from '../helpers/wait.js';

describe.skipIf(!HAS_REDIS && !REQUIRE_REDIS)('inbox trimming by acks (Redis engine)', () => {
  const hub = useRedisNodes(2, { 'heartbeat-ms': 1000, 'resume-window-ms': 5000 }, 'trim');
  const opened: RawClient[] = [];
  afterAll(() => opened.forEach((c) => c.close()));

  it('trims what was acked, keeps the rest, and a resume replays only after lastSeq', async () => {
    const redis = hub.redis.client();
    try {
      const inbox = new Keys('sb').inbox('default', 'r');
      const a = await hub.join(0, { id: 'a' });
      const { client: r, welcome } = await RawClient.join(hub.node(1).url, { id: 'r', name: 'r' });
      opened.push(r);
      for (let i = 1; i <= 6; i++) await a.ok({ type: 'send', to: 'r', body: i });
      for (let seq = 1; seq <= 6; seq++) expect((await r.nextOf('message', (f) => f.seq === seq)).body).toBe(seq);
      expect(await redis.xlen(inbox)).toBe(6);

      // A burst of acks: one trim, to the highest.
      for (const seq of [1, 2, 3, 4]) r.send({ type: 'ack', seq });
      await until(async () => (await redis.xlen(inbox)) === 2, 5000, 'the inbox to be trimmed to the 2 unacked entries');
      const left = await redis.xrange(inbox, '-', '+');
      expect(left.map(([id]) => id)).toEqual(['5-1', '6-1']);

      // The socket drops; a resume from lastSeq 4 replays exactly 5 and 6.
      r.close();
      const back = await RawClient.open(hub.node(0).url);
      opened.push(back);
      back.send({ type: 'hello', protocol: 1, session: { id: 'r', name: 'r' }, resume: { sessionId: 'r', secret: welcome.resumeSecret, lastSeq: 4 } });
      expect(await back.nextOf('welcome')).toMatchObject({ resumed: true, replayed: 2 });
      expect((await back.nextOf('message')).seq).toBe(5);
      expect((await back.nextOf('message')).seq).toBe(6);
    } finally {
      redis.disconnect();
    }
  });
});
