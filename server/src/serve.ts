// `switchboard serve`: one hub node from a parsed Config, until SIGTERM/SIGINT drain it.
import { ulid } from 'ulid';
import type { Config } from './config.js';
import type { Engine } from './engine/engine.js';
import { MemoryEngine } from './engine/memory-engine.js';
import { RedisEngine } from './engine/redis/redis-engine.js';
import { Hub } from './hub.js';
import { createLogger } from './log.js';
import type { Logger } from './log.js';

const SHUTDOWN_LIMIT_MS = 10_000;

export async function serve(config: Config): Promise<void> {
  const nodeId = config.nodeId ?? `n-${ulid().slice(-8).toLowerCase()}`;
  const logger = createLogger(config.logLevel, nodeId);
  const engine = createEngine(config, logger);
  const hub = await Hub.start({
    logger,
    port: config.port,
    host: config.host,
    engine,
    nodeId,
    heartbeatMs: config.heartbeatMs,
    resumeWindowMs: config.resumeWindowMs,
    inboxLimit: config.inboxLimit,
    maxFrameBytes: config.maxFrameBytes,
    maxValueBytes: config.maxValueBytes,
    helloTimeoutMs: config.helloTimeoutMs,
    rateFrames: config.rateFrames,
    rateFramesBurst: config.rateFramesBurst,
    rateBytes: config.rateBytes,
    rateBytesBurst: config.rateBytesBurst,
    maxPending: config.maxPending,
    maxWatches: config.maxWatches,
    maxKeys: config.maxKeys,
    maxSessionsPerToken: config.maxSessionsPerToken,
    maxBufferedBytes: config.maxBufferedBytes,
    secret: config.secret,
    previousSecret: config.previousSecret,
    metricsToken: config.metricsToken,
    allowedOrigins: config.allowedOrigins,
    maxConnections: config.maxConnections,
  });
  const stop = (signal: string) => {
    hub.log.info({ signal }, 'shutting down');
    setTimeout(() => {
      hub.log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS).unref();
    hub.close().then(
      () => process.exit(0),
      (err) => {
        hub.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

function createEngine(config: Config, log: Logger): Engine {
  if (!config.redisUrl) return new MemoryEngine();
  return new RedisEngine({
    url: config.redisUrl,
    prefix: config.redisPrefix,
    onError: (err, what) => log.warn({ err: err instanceof Error ? err.message : String(err) }, what),
  });
}
