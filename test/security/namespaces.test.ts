// Namespace isolation (issue 7): the namespace a token names isolates everything. The same cases
// (namespace-cases.ts) run on the embedded engine and on two hub nodes over a real redis-server.
import { describe } from 'vitest';
import { HAS_REDIS, REQUIRE_REDIS } from '../helpers/redis-server.js';
import { isolationSuite } from './namespace-cases.js';
import { useMemoryHub, useRedisHubs } from './namespace-world.js';

describe('namespace isolation', () => {
  describe('memory engine', () => isolationSuite('memory engine', useMemoryHub()));
  describe.skipIf(!HAS_REDIS && !REQUIRE_REDIS)('redis engine, two nodes', () => isolationSuite('redis engine', useRedisHubs()));
});
