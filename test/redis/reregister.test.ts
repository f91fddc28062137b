// Redis came back empty and two refreshes of a node overlap (its heartbeat, and the resync the
// engine runs when Redis is ready again): the node registers its sessions again once and keeps
// their sockets. Two overlapping refreshes used to both register them, and the second join,
// finding the first one's, kicked every session off its own socket (close 4409).
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RedisEngine } from '@switchboard/server';
import { HAS_REDIS, REQUIRE_REDIS, RedisServer } from '../helpers/redis-server.js';
import { relay, useHubs } from '../hub/support.js';

describe.skipIf(!HAS_REDIS && !REQUIRE_REDIS)('registering sessions again after Redis lost them', () => {
  const { cleanup, hub: startHub, join } = useHubs();

  it('registers them once when two refreshes overlap, and keeps their sockets', async () => {
    const redis = await RedisServer.start();
    cleanup(() => redis.stop());
    // A heartbeat too long to run during the test: the two refreshes below are the only ones.
    const hub = await startHub({ engine: new RedisEngine({ url: redis.url }), heartbeatMs: 60_000, resumeWindowMs: 10_000 });
    const a = await join(hub.url, { id: 'a', name: 'a' });
    const b = await join(hub.url, { id: 'b', name: 'b' });
    const direct = redis.client();
    cleanup(() => direct.disconnect());

    await direct.flushall();
    await Promise.all([hub.engine.touch([], Date.now()), hub.engine.touch([], Date.now())]);

    expect((await direct.smembers('sb:{default}:sessions')).sort()).toEqual(['a', 'b']);
    // Both sockets still serve; a close (4409 when kicked) would win this race.
    const closed = await Promise.race([
      relay(a, b, 'after the flush').then(() => relay(b, a, 'and back')).then(() => null),
      a.closed,
      b.closed,
    ]);
    expect(closed).toBeNull();
    expect([a.ws.readyState, b.ws.readyState]).toEqual([WebSocket.OPEN, WebSocket.OPEN]);
    expect(a.frames.concat(b.frames).filter((f) => f.type === 'error')).toEqual([]);
  });
});
