// Memory TTL on the Redis engine is Redis's own key expiry, not a timer in a hub process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Entry } from '@switchboard/protocol';
import { startHub, RedisEngine } from '@switchboard/server';
import type { Hub } from '@switchboard/server';
import { RawClient } from '../helpers/raw-client.js';
import { HAS_REDIS, REQUIRE_REDIS, RedisServer } from '../helpers/redis-server.js';

describe.skipIf(!HAS_REDIS && !REQUIRE_REDIS)('memory TTL on Redis', () => {
  let redis: RedisServer;
  let hub: Hub;
  beforeAll(async () => {
    redis = await RedisServer.start();
    hub = await startHub({ port: 0, logLevel: 'silent', heartbeatMs: 500, engine: new RedisEngine({ url: redis.url }) });
  });
  afterAll(async () => {
    await hub.close();
    await redis.stop();
  });

  it('sets a real PTTL on the entry hash, keeps keys under one hash tag, and expires with an event', async () => {
    const { client } = await RawClient.join(hub.url, { id: 'a', name: 'a' });
    const direct = redis.client();
    try {
      await client.ok({ type: 'memory.watch', prefix: 'ttl/' });
      const { entry } = await client.ok<{ entry: Entry }>({ type: 'memory.set', key: 'ttl/x', value: { v: 1 }, ttlMs: 1500 });
      const pttl = await direct.pttl('sb:{default}:m:ttl/x');
      expect(pttl).toBeGreaterThan(1000);
      expect(pttl).toBeLessThanOrEqual(1500);
      expect(await direct.hget('sb:{default}:m:ttl/x', 'version')).toBe('1');
      const keys = await direct.keys('sb:*');
      expect(keys.filter((k) => !k.startsWith('sb:{default}:') && !k.startsWith('sb:node')).length).toBe(0);
      const expired = await client.nextOf('memory.changed', (f) => f.op === 'expire', 5000);
      expect(expired).toMatchObject({ key: 'ttl/x', version: entry.version });
      expect(await direct.exists('sb:{default}:m:ttl/x')).toBe(0);
      expect(await direct.zscore('sb:{default}:mi', 'ttl/x')).toBeNull();
      // A write without ttlMs persists the key.
      await client.ok({ type: 'memory.set', key: 'ttl/y', value: 1, ttlMs: 1000 });
      await client.ok({ type: 'memory.set', key: 'ttl/y', value: 2 });
      expect(await direct.pttl('sb:{default}:m:ttl/y')).toBe(-1);
    } finally {
      client.close();
      direct.disconnect();
    }
  });
});
