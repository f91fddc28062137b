// The `switchboard` command line: `switchboard serve` runs a hub node until SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, SOURCES } from './config.js';
import type { Config } from './config.js';
import type { Engine } from './engine/engine.js';
import { MemoryEngine } from './engine/memory-engine.js';
import { RedisEngine } from './engine/redis/redis-engine.js';
import { Hub } from './hub.js';
import { createLogger } from './log.js';
import type { Logger } from './log.js';
import { ulid } from 'ulid';

const USAGE = `Usage: switchboard <command> [options]

Commands:
  serve     run a hub node (embedded engine unless --redis / REDIS_URL is set)

Options of serve (each also read from the env var shown):
${Object.values(SOURCES)
  .map(({ env, flag }) => `  ${`${flag} <value>`.padEnd(26)} ${env}`)
  .join('\n')}
  --help                     show this help
`;

const SHUTDOWN_LIMIT_MS = 10_000;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  if (command !== 'serve') {
    process.stderr.write(`switchboard: unknown command "${command}" (try --help)\n`);
    return 2;
  }
  const options = Object.fromEntries(
    Object.values(SOURCES).map(({ flag }) => [flag.slice(2), { type: 'string' as const }]),
  );
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: rest, options: { ...options, help: { type: 'boolean' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`switchboard serve: ${(err as Error).message}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig(values as Record<string, string | undefined>, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`switchboard serve: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  await serve(config);
  return -1;
}

async function serve(config: Config): Promise<void> {
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
    secret: config.secret,
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

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    process.stderr.write(`switchboard: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
