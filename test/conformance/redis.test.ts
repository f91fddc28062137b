// The conformance suite on the Redis engine: one node, then three nodes with clients spread
// across them. Same cases as the embedded engine; any difference is a bug.
import { describe } from 'vitest';
import { redisCluster } from '../helpers/cluster.js';
import { HAS_REDIS, REQUIRE_REDIS } from '../helpers/redis-server.js';
import { conformanceSuite } from './suite.js';

describe.skipIf(!HAS_REDIS && !REQUIRE_REDIS)('redis', () => {
  conformanceSuite('redis engine, one node', redisCluster(1));
  conformanceSuite('redis engine, three nodes', redisCluster(3));
});
