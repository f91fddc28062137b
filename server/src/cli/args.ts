// Command-line parsing shared by every client command: the common options (hub address, token,
// output format, timeout, session name), and checked conversions of flag values.
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import type { JsonValue } from '@switchboard/client/node';
import { SessionId } from '@switchboard/protocol';
import type { z } from 'zod';
import { UsageError } from './errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

export interface Parsed {
  values: Values;
  positionals: string[];
}

export const DEFAULT_URL = 'ws://127.0.0.1:7777/v1';
export const DEFAULT_TIMEOUT_MS = 5000;

const COMMON_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  'timeout-ms': { type: 'string' },
  name: { type: 'string' },
  id: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

/** The common flags that take a value (`--url X`), for finding the command after leading flags. */
export const COMMON_VALUE_FLAGS: ReadonlySet<string> = new Set(
  Object.entries(COMMON_OPTIONS).filter(([, o]) => o.type === 'string').map(([name]) => `--${name}`),
);

export const COMMON_HELP = `Common options:
  --url <ws-url>       the hub (env SWITCHBOARD_URL; default ${DEFAULT_URL})
  --token <jwt>        token for a hub that has a secret (env SWITCHBOARD_TOKEN)
  --json               print JSON (the protocol's shapes) instead of a table
  --timeout-ms <n>     how long to wait for the hub to connect and to answer each request (default ${DEFAULT_TIMEOUT_MS})
  --name <name>        the name of this command's short-lived session (default cli-<user>)
  --id <session-id>    join with this session id instead of a new one (e.g. to list tasks handed off earlier)
  -h, --help           show this help`;

/** Splits `args` into flag values and positionals; unknown flags and missing values are UsageErrors. */
export function parse(args: string[], options: OptionSpec): Parsed {
  try {
    const { values, positionals } = parseArgs({ args, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (err) {
    // parseArgs appends a long hint about '--' to some messages; its first sentence says what is wrong.
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(message.split(/\.\s/)[0]!.replace(/\.$/, ''));
  }
}

/** How a command reaches the hub and prints, from the common options over env over defaults. */
export interface Common {
  url: string;
  token: string | undefined;
  json: boolean;
  timeoutMs: number;
  name: string;
  id: string | undefined;
  user: string | null;
}

export function common(values: Values, env: NodeJS.ProcessEnv): Common {
  const user = currentUser(env);
  const name = str(values, 'name') ?? `cli-${user ?? 'user'}`;
  if (name.length < 1 || name.length > 128) throw new UsageError('--name must be 1-128 characters');
  return {
    url: hubUrl(str(values, 'url') ?? (env.SWITCHBOARD_URL || DEFAULT_URL), values.url !== undefined ? '--url' : 'SWITCHBOARD_URL'),
    token: str(values, 'token') ?? (env.SWITCHBOARD_TOKEN || undefined),
    json: values.json === true,
    timeoutMs: wholeNumber(values, 'timeout-ms', { min: 1 }) ?? DEFAULT_TIMEOUT_MS,
    name,
    id: values.id === undefined ? undefined : checked(SessionId, values.id, '--id'),
    user,
  };
}

function currentUser(env: NodeJS.ProcessEnv): string | null {
  try {
    return userInfo().username || null;
  } catch {
    return env.USER || env.USERNAME || null;
  }
}

/** The hub address as the SDK will use it: ws:// or wss://, and /v1 when no path is given. */
function hubUrl(text: string, origin: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${origin} ${JSON.stringify(text)} is not a URL (e.g. ${DEFAULT_URL})`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new UsageError(`${origin} ${JSON.stringify(text)} must start with ws:// or wss://`);
  }
  if (url.pathname === '/') url.pathname = '/v1';
  return url.toString();
}

/** A string flag's value, or undefined when absent. */
export function str(values: Values, flag: string): string | undefined {
  const value = values[flag];
  return typeof value === 'string' ? value : undefined;
}

/** A whole-number flag (decimal digits only), within bounds; undefined when absent. */
export function wholeNumber(values: Values, flag: string, bounds: { min?: number; max?: number } = {}): number | undefined {
  const text = str(values, flag);
  if (text === undefined) return undefined;
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = bounds;
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}-${max}`;
    throw new UsageError(`--${flag} must be a whole number ${range}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** A flag whose value must be one of `choices`; undefined when absent. */
export function oneOf<T extends string>(values: Values, flag: string, choices: readonly T[]): T | undefined {
  const text = str(values, flag);
  if (text === undefined) return undefined;
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(`--${flag} must be one of ${choices.join(', ')}, got ${JSON.stringify(text)}`);
  }
  return text as T;
}

/** A comma-separated flag (`--tags a,b`) as a list; undefined when absent. */
export function list(values: Values, flag: string): string[] | undefined {
  const text = str(values, flag);
  if (text === undefined) return undefined;
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`--${flag} needs at least one value, e.g. --${flag} a,b`);
  return items;
}

/** Exactly the positionals named in `names` (trailing names ending in '?' are optional). */
export function positionals(parsed: Parsed, names: string[]): string[] {
  const required = names.filter((n) => !n.endsWith('?')).length;
  const got = parsed.positionals;
  if (got.length < required) throw new UsageError(`missing ${names[got.length]!.toUpperCase()}`);
  if (got.length > names.length) throw new UsageError(`unexpected argument ${JSON.stringify(got[names.length])}`);
  return got;
}

/** A message body or memory value: JSON when the text parses as JSON, otherwise the text itself. */
export function jsonOrString(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/** Checks a value against a protocol schema here, so a bad key is a bad command line (exit 2). */
export function checked<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new UsageError(`${what} ${JSON.stringify(value)}: ${result.error.issues[0]?.message ?? 'invalid'}`);
}
