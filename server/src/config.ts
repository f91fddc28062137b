// Hub configuration: flags of `switchboard serve` over env vars over defaults, parsed once with zod.
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const int = (min: number, max: number) =>
  z.union([z.number(), z.string().regex(/^\d+$/, 'must be a whole number').transform(Number)]).pipe(z.number().int().min(min).max(max));

export const Config = z.object({
  port: int(0, 65535).default(7777),
  host: z.string().min(1).default('127.0.0.1'),
  redisUrl: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  redisPrefix: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/, 'must be 1-32 chars of [A-Za-z0-9._-]').default('sb'),
  secret: z.string().min(16, 'must be at least 16 characters').optional(),
  heartbeatMs: int(50, 600_000).default(5000),
  resumeWindowMs: int(0, 24 * 3600 * 1000).default(120_000),
  inboxLimit: int(1, 1_000_000).default(10_000),
  nodeId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 chars of [A-Za-z0-9._-]').optional(),
  maxFrameBytes: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  maxValueBytes: int(1, 64 * 1024 * 1024).default(256 * 1024),
  logLevel: z.enum(LOG_LEVELS).default('info'),
});
export type Config = z.infer<typeof Config>;

/** Where each setting may come from: its env var and its flag. */
export const SOURCES: Record<keyof Config, { env: string; flag: string }> = {
  port: { env: 'PORT', flag: '--port' },
  host: { env: 'HOST', flag: '--host' },
  redisUrl: { env: 'REDIS_URL', flag: '--redis' },
  redisPrefix: { env: 'SWITCHBOARD_REDIS_PREFIX', flag: '--redis-prefix' },
  secret: { env: 'SWITCHBOARD_SECRET', flag: '--secret' },
  heartbeatMs: { env: 'SWITCHBOARD_HEARTBEAT_MS', flag: '--heartbeat-ms' },
  resumeWindowMs: { env: 'SWITCHBOARD_RESUME_WINDOW_MS', flag: '--resume-window-ms' },
  inboxLimit: { env: 'SWITCHBOARD_INBOX_LIMIT', flag: '--inbox-limit' },
  nodeId: { env: 'SWITCHBOARD_NODE_ID', flag: '--node-id' },
  maxFrameBytes: { env: 'SWITCHBOARD_MAX_FRAME_BYTES', flag: '--max-frame-bytes' },
  maxValueBytes: { env: 'SWITCHBOARD_MAX_VALUE_BYTES', flag: '--max-value-bytes' },
  logLevel: { env: 'LOG_LEVEL', flag: '--log-level' },
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads the config from flags (already split into name → value) and env.
 * Throws ConfigError with one line naming the variable or flag at fault.
 */
export function loadConfig(flags: Record<string, string | undefined>, env: NodeJS.ProcessEnv): Config {
  const input: Record<string, string> = {};
  const origin: Record<string, string> = {};
  for (const [field, { env: envName, flag }] of Object.entries(SOURCES)) {
    const fromFlag = flags[flag.slice(2)];
    const fromEnv = env[envName];
    if (fromFlag !== undefined) {
      input[field] = fromFlag;
      origin[field] = flag;
    } else if (fromEnv !== undefined && fromEnv !== '') {
      input[field] = fromEnv;
      origin[field] = envName;
    }
  }
  const parsed = Config.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0]);
    throw new ConfigError(`invalid ${origin[field] ?? field} ${JSON.stringify(input[field])}: ${issue.message}`);
  }
  return parsed.data;
}
