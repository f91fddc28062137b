// Experiment, not a change to the server: `switchboard serve` exactly as shipped, except that every
// ioredis connection in the process has auto-pipelining on — all Redis commands issued in one
// event-loop turn go out in one write. Run by the `whatif` scenario to size that optimisation.
// (The defaults object is what `Redis.defaultOptions` points at; the engine does not set this option.)
import { DEFAULT_REDIS_OPTIONS } from 'ioredis/built/redis/RedisOptions.js';

DEFAULT_REDIS_OPTIONS.enableAutoPipelining = true;
await import('../../../server/src/cli.js');
