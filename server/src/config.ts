// Hub configuration: flags of `switchboard serve` over env vars over defaults, parsed once with zod.
import { z } from 'zod';
import { openHubRefusal } from './auth.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const int = (min: number, max: number) =>
  z.union([z.number(), z.string().regex(/^\d+$/, 'must be a whole number').transform(Number)]).pipe(z.number().int().min(min).max(max));

export const Config = z.object({
  port: int(0, 65535).default(7777),
  host: z.string().min(1).default('127.0.0.1'),
  redisUrl: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  redisPrefix: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/, 'must be 1-32 chars of [A-Za-z0-9._-]').default('sb'),
  secret: z.string().min(16, 'must be at least 16 characters').optional(),
  previousSecret: z.string().min(16, 'must be at least 16 characters').optional(),
  metricsToken: z.string().min(16, 'must be at least 16 characters').optional(),
  allowedOrigins: z
    .string()
    .transform((s) => s.split(',').map((o) => o.trim()).filter((o) => o !== ''))
    .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'must be a comma-separated list of origins like https://app.example.com')))
    .optional(),
  maxConnections: int(1, 10_000_000).optional(),
  heartbeatMs: int(50, 600_000).default(5000),
  resumeWindowMs: int(0, 24 * 3600 * 1000).default(120_000),
  inboxLimit: int(1, 1_000_000).default(10_000),
  nodeId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 chars of [A-Za-z0-9._-]').optional(),
  maxFrameBytes: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  maxValueBytes: int(1, 64 * 1024 * 1024).default(256 * 1024),
  // Limits per client: unset = the hub's defaults (LIMIT_DEFAULTS in limits.ts); 0 = no limit where the README says so.
  helloTimeoutMs: int(100, 600_000).optional(),
  rateFrames: int(0, 10_000_000).optional(),
  rateFramesBurst: int(1, 10_000_000).optional(),
  rateBytes: int(0, 10 * 1024 * 1024 * 1024).optional(),
  rateBytesBurst: int(1, 10 * 1024 * 1024 * 1024).optional(),
  maxPending: int(1, 1_000_000).optional(),
  maxWatches: int(1, 1_000_000).optional(),
  maxKeys: int(0, 1_000_000_000).optional(),
  maxSessionsPerToken: int(0, 1_000_000).optional(),
  maxBufferedBytes: int(0, 10 * 1024 * 1024 * 1024).optional(),
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
  previousSecret: { env: 'SWITCHBOARD_SECRET_PREVIOUS', flag: '--secret-previous' },
  metricsToken: { env: 'SWITCHBOARD_METRICS_TOKEN', flag: '--metrics-token' },
  allowedOrigins: { env: 'SWITCHBOARD_ALLOWED_ORIGINS', flag: '--allowed-origins' },
  maxConnections: { env: 'SWITCHBOARD_MAX_CONNECTIONS', flag: '--max-connections' },
  heartbeatMs: { env: 'SWITCHBOARD_HEARTBEAT_MS', flag: '--heartbeat-ms' },
  resumeWindowMs: { env: 'SWITCHBOARD_RESUME_WINDOW_MS', flag: '--resume-window-ms' },
  inboxLimit: { env: 'SWITCHBOARD_INBOX_LIMIT', flag: '--inbox-limit' },
  nodeId: { env: 'SWITCHBOARD_NODE_ID', flag: '--node-id' },
  maxFrameBytes: { env: 'SWITCHBOARD_MAX_FRAME_BYTES', flag: '--max-frame-bytes' },
  maxValueBytes: { env: 'SWITCHBOARD_MAX_VALUE_BYTES', flag: '--max-value-bytes' },
  helloTimeoutMs: { env: 'SWITCHBOARD_HELLO_TIMEOUT_MS', flag: '--hello-timeout-ms' },
  rateFrames: { env: 'SWITCHBOARD_RATE_FRAMES', flag: '--rate-frames' },
  rateFramesBurst: { env: 'SWITCHBOARD_RATE_FRAMES_BURST', flag: '--rate-frames-burst' },
  rateBytes: { env: 'SWITCHBOARD_RATE_BYTES', flag: '--rate-bytes' },
  rateBytesBurst: { env: 'SWITCHBOARD_RATE_BYTES_BURST', flag: '--rate-bytes-burst' },
  maxPending: { env: 'SWITCHBOARD_MAX_PENDING', flag: '--max-pending' },
  maxWatches: { env: 'SWITCHBOARD_MAX_WATCHES', flag: '--max-watches' },
  maxKeys: { env: 'SWITCHBOARD_MAX_KEYS', flag: '--max-keys' },
  maxSessionsPerToken: { env: 'SWITCHBOARD_MAX_SESSIONS_PER_TOKEN', flag: '--max-sessions-per-token' },
  maxBufferedBytes: { env: 'SWITCHBOARD_MAX_BUFFERED_BYTES', flag: '--max-buffered-bytes' },
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
  const refusal = openHubRefusal(parsed.data.host, parsed.data.secret);
  if (refusal) throw new ConfigError(refusal);
  return parsed.data;
}
