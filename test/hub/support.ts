// Shared pieces for the hub's end-to-end tests: in-process hubs with teardown, raw clients,
// tokens, bounded waits, and the `switchboard serve` command run as a child process.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import type WebSocket from 'ws';
import type { ServerFrame } from '@switchboard/protocol';
import { startHub } from '@switchboard/server';
import type { Hub, HubOptions } from '@switchboard/server';
import { useCleanup } from '../helpers/cluster.js';
import { RawClient } from '../helpers/raw-client.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../server/bin/switchboard.js', import.meta.url));
export const SECRET = 'hub-test-secret-0123456789abcdef';

export type Welcome = Extract<ServerFrame, { type: 'welcome' }>;
export type Joined = RawClient & { welcome: Welcome };

/** Rejects when `promise` has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** In-process hubs and clients that are torn down after each test. Call at describe level. */
export function useHubs() {
  const cleanup = useCleanup();
  return {
    cleanup,
    async hub(options: HubOptions = {}): Promise<Hub> {
      const hub = await startHub({ port: 0, logLevel: 'silent', resumeWindowMs: 0, ...options });
      cleanup(() => hub.close());
      return hub;
    },
    async open(url: string, options: WebSocket.ClientOptions = {}): Promise<RawClient> {
      const client = await RawClient.open(url, options);
      cleanup(() => client.close());
      return client;
    },
    async join(url: string, session: Record<string, unknown> & { name: string }, token?: string): Promise<Joined> {
      const { client, welcome } = await RawClient.join(url, session, token === undefined ? {} : { token });
      cleanup(() => client.close());
      return Object.assign(client, { welcome });
    },
  };
}

/** A ping round trip: proves the socket is open and the hub still serves it. */
export async function pingPong(client: RawClient, rid: string, timeoutMs = 3000): Promise<void> {
  client.send({ type: 'ping', rid });
  await client.nextOf('pong', (f) => f.rid === rid, timeoutMs);
}

/** Sends one message from `from` to `to` and waits until `to` has it. */
export async function relay(from: Joined, to: Joined, body: unknown): Promise<void> {
  await from.ok({ type: 'send', to: to.welcome.sessionId, body }, 3000);
  const from_ = from.welcome.sessionId;
  await to.nextOf('message', (m) => m.from === from_ && JSON.stringify(m.body) === JSON.stringify(body), 3000);
}

export async function token(
  claims: Record<string, unknown>,
  options: { secret?: string; expiresAt?: number } = {},
): Promise<string> {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (options.expiresAt !== undefined) jwt = jwt.setExpirationTime(options.expiresAt);
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Every env var the serve command reads, so a test starts from a known environment. */
const CONFIG_ENV = [
  'PORT', 'HOST', 'REDIS_URL', 'SWITCHBOARD_REDIS_PREFIX', 'SWITCHBOARD_SECRET', 'SWITCHBOARD_HEARTBEAT_MS', 'SWITCHBOARD_NODE_ID',
  'SWITCHBOARD_MAX_FRAME_BYTES', 'SWITCHBOARD_MAX_VALUE_BYTES', 'LOG_LEVEL', 'SWITCHBOARD_METRICS_TOKEN',
  'SWITCHBOARD_HELLO_TIMEOUT_MS', 'SWITCHBOARD_RATE_FRAMES', 'SWITCHBOARD_RATE_FRAMES_BURST', 'SWITCHBOARD_RATE_BYTES',
  'SWITCHBOARD_RATE_BYTES_BURST', 'SWITCHBOARD_MAX_PENDING', 'SWITCHBOARD_MAX_WATCHES', 'SWITCHBOARD_MAX_KEYS',
  'SWITCHBOARD_MAX_SESSIONS_PER_TOKEN', 'SWITCHBOARD_MAX_BUFFERED_BYTES',
  'SWITCHBOARD_SECRET_PREVIOUS', 'SWITCHBOARD_ALLOWED_ORIGINS', 'SWITCHBOARD_MAX_CONNECTIONS', 'SWITCHBOARD_RESUME_WINDOW_MS', 'SWITCHBOARD_INBOX_LIMIT',
];

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of CONFIG_ENV) delete base[name];
  return { ...base, ...env };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CliRun extends Exit {
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `node server/bin/switchboard.js ...args` to completion (killed after timeoutMs). */
export async function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<CliRun> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exit = await new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  clearTimeout(killer);
  return { ...exit, stdout, stderr, ms: Date.now() - started };
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  port: number;
  /** Parsed pino lines seen on stdout so far. */
  logs: Array<Record<string, unknown>>;
  stderr(): string;
  /** Resolves when the process has exited and its output is drained. */
  exited: Promise<Exit>;
}

/**
 * Starts a serve process (`command` defaults to `node server/bin/switchboard.js serve`) and
 * waits for its "hub listening" log line. The process is killed after the test if still running.
 */
export async function startServe(
  cleanup: (fn: () => unknown) => void,
  options: { args?: string[]; env?: Record<string, string>; argv?: string[] } = {},
): Promise<ServeProcess> {
  const argv = options.argv ?? [BIN, 'serve', ...(options.args ?? [])];
  const child = spawn(process.execPath, argv, {
    cwd: ROOT,
    env: childEnv({ LOG_LEVEL: 'info', ...options.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  cleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const logs: Array<Record<string, unknown>> = [];
  let onListening: ((url: string) => void) | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      entry = { raw: line };
    }
    logs.push(entry);
    if (entry.msg === 'hub listening' && typeof entry.url === 'string') onListening?.(entry.url);
  });
  const listening = new Promise<string>((resolve, reject) => {
    onListening = resolve;
    void exited.then((e) => reject(new Error(`serve exited (${JSON.stringify(e)}) before listening: ${stderr}`)));
  });
  const url = await within(listening, 10_000, 'the "hub listening" log line');
  const port = Number(new URL(url.replace(/^ws/, 'http')).port);
  return { child, url, port, logs, stderr: () => stderr, exited };
}
