// Shared pieces for the command-line tests: one in-process hub per file, SDK agents, the real
// `switchboard` binary run to completion or kept running (tail), and bounded waits on its output.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect } from 'vitest';
import { connect } from '@switchboard/client/node';
import type { Hub as Agent, HelloSession } from '@switchboard/client/node';
import { startHub } from '@switchboard/server';
import type { Hub, HubOptions } from '@switchboard/server';
import { BIN, ROOT, runCli, within } from '../hub/support.js';
import type { CliRun, Exit } from '../hub/support.js';

/** A run still going after this is killed (and fails its test); generous, for busy CI machines. */
export const CLI_KILL_MS = 30_000;

/** Per-test timeout for tests that run several commands one after another. */
export const SLOW_TEST_MS = 60_000;

/** Starts a hub before the file's tests (default resume window, so a CLI that skipped bye would linger as away). */
export function useHub(options: HubOptions = {}) {
  let hub: Hub | undefined;
  const agents: Agent[] = [];
  beforeAll(async () => {
    hub = await startHub({ port: 0, logLevel: 'silent', ...options });
  });
  afterAll(async () => {
    await Promise.all(agents.splice(0).map((a) => a.close()));
    await hub?.close();
  });
  return {
    get url(): string {
      return hub!.url;
    },
    /** An SDK agent, closed after the file's tests (or earlier by the test). */
    async agent(session: HelloSession, token?: string): Promise<Agent> {
      const agent = await connect({ url: hub!.url, session, ...(token !== undefined && { token }), connectTimeoutMs: 3000 });
      agents.push(agent);
      return agent;
    },
    /** Runs the binary against this hub (SWITCHBOARD_URL set, SWITCHBOARD_TOKEN cleared unless given). */
    cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
      return runCli(args, { SWITCHBOARD_URL: hub!.url, SWITCHBOARD_TOKEN: '', ...env }, CLI_KILL_MS);
    },
    /** Starts the binary and keeps it running (for tail). */
    spawn(args: string[], env: Record<string, string> = {}): Running {
      return spawnCli(args, { SWITCHBOARD_URL: hub!.url, SWITCHBOARD_TOKEN: '', ...env });
    },
  };
}

export interface Running {
  lines: string[];
  /** The first stdout line (from index `from` on) that `match` accepts, within `ms`. */
  line(match: (line: string) => boolean, what: string, ms?: number, from?: number): Promise<string>;
  stderr(): string;
  /** Sends `signal` and resolves with the exit, within 5 s. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

function spawnCli(args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const killer = setTimeout(() => child.kill('SIGKILL'), CLI_KILL_MS);
  void exited.then(() => clearTimeout(killer));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const wake of [...waiters]) wake();
  });
  return {
    lines,
    stderr: () => stderr,
    line(match, what, ms = 10_000, from = 0) {
      const found = () => lines.slice(from).find(match);
      const waiting = new Promise<string>((resolve, reject) => {
        const check = () => {
          const hit = found();
          if (hit !== undefined) {
            waiters.delete(check);
            resolve(hit);
          }
        };
        waiters.add(check);
        check();
        void exited.then(() => {
          check();
          reject(new Error(`the command exited before ${what}; stdout: ${lines.join('\n')} stderr: ${stderr}`));
        });
      });
      return within(waiting, ms, `${what}; stdout so far:\n${lines.join('\n')}\nstderr: ${stderr}`);
    },
    async stop(signal = 'SIGINT') {
      child.kill(signal);
      return within(exited, 5000, `the command to exit after ${signal}`);
    },
  };
}

/** The stderr of a failed run: exactly one line, returned. */
export function oneLine(run: CliRun): string {
  const lines = run.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, `stderr: ${run.stderr}`).toHaveLength(1);
  return lines[0]!;
}

/** A run that must succeed: exit 0 and nothing on stderr. */
export function ok(run: CliRun): string {
  expect(run.stderr, `stdout: ${run.stdout}`).toBe('');
  expect(run.code).toBe(0);
  return run.stdout;
}
