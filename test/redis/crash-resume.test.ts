// Sessions of a crashed node are resumable: they turn away (reason node_down) within 3
// heartbeats, messages sent to them queue, and a resume on a surviving node replays them; those
// not resumed within the window leave with reason node_down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubProcess } from '../helpers/hub-process.js';
import { RawClient } from '../helpers/raw-client.js';
import { HAS_REDIS, REQUIRE_REDIS, RedisServer } from '../helpers/redis-server.js';

const HEARTBEAT_MS = 300;
const WINDOW_MS = 2500;

describe.skipIf(!HAS_REDIS && !REQUIRE_REDIS)('resume after a node crash (Redis engine)', () => {
  let redis: RedisServer;
  let nodes: HubProcess[] = [];
  const clients: RawClient[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    nodes = await Promise.all([0, 1].map((i) => HubProcess.start({ redis: redis.url, 'heartbeat-ms': HEARTBEAT_MS, 'resume-window-ms': WINDOW_MS, 'node-id': `cr${i}` })));
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await Promise.all(nodes.map((n) => n.kill('SIGTERM')));
    await redis.stop();
  });

  it('turns a crashed node’s sessions away, queues for them, and replays on resume elsewhere', async () => {
    const join = async (node: number, id: string) => {
      const joined = await RawClient.join(nodes[node]!.url, { id, name: id });
      clients.push(joined.client);
      return joined;
    };
    const { client: w } = await join(0, 'w');
    await w.ok({ type: 'presence.watch' });
    const { client: doomed, welcome } = await join(1, 'doomed');
    await join(1, 'forgotten');
    await w.ok({ type: 'send', to: 'doomed', body: 'before' });
    expect((await doomed.nextOf('message')).seq).toBe(1);

    const crashedAt = Date.now();
    await nodes[1]!.kill('SIGKILL');
    const away = await w.nextOf('presence', (f) => f.session.id === 'doomed' && f.event !== 'join', 5000);
    const elapsed = Date.now() - crashedAt;
    console.log(`crashed sessions away ${elapsed} ms after SIGKILL (heartbeat ${HEARTBEAT_MS} ms)`);
    expect(away).toMatchObject({ event: 'update', reason: 'node_down', session: { status: 'away' } });
    expect(elapsed).toBeLessThanOrEqual(3 * HEARTBEAT_MS);
    expect(await w.ok({ type: 'send', to: 'doomed', body: 'while away' })).toMatchObject({ queued: true, seq: 2 });

    const back = await RawClient.open(nodes[0]!.url);
    clients.push(back);
    back.send({ type: 'hello', protocol: 1, session: { id: 'doomed', name: 'doomed' }, resume: { sessionId: 'doomed', secret: welcome.resumeSecret, lastSeq: 1 } });
    expect(await back.nextOf('welcome')).toMatchObject({ resumed: true, replayed: 1, node: 'cr0' });
    expect(await back.nextOf('message')).toMatchObject({ seq: 2, body: 'while away' });

    const left = await w.nextOf('presence', (f) => f.session.id === 'forgotten' && f.event === 'leave', WINDOW_MS + 3000);
    expect(left.reason).toBe('node_down');
    await w.none((f) => f.type === 'presence' && f.session.id === 'doomed' && f.event === 'leave');
  });
});
