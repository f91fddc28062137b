// Child processes of a bench run: start one and wait for the line that says it is ready, stop it,
// and read its memory and CPU time from /proc (Linux only, like the machines the bench runs on).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface Child<T> {
  child: ChildProcess;
  /** What the ready line gave. */
  ready: T;
  /** The last lines of stderr, for error messages. */
  errors: string[];
}

/**
 * Spawns a process and resolves once `ready` returns a value for one of its stdout lines.
 * Later stdout lines go to `onLine` (or are read and dropped, so a full pipe never blocks it).
 */
export function startChild<T>(
  command: string,
  args: string[],
  ready: (line: string) => T | undefined,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; onLine?: (line: string) => void } = {},
): Promise<Child<T>> {
  const child = spawn(command, args, { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const errors: string[] = [];
  child.stderr!.on('data', (d: Buffer) => {
    errors.push(d.toString());
    if (errors.length > 20) errors.shift();
  });
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    let started = false;
    const timer = setTimeout(() => fail(`not ready within ${options.timeoutMs ?? 20_000} ms`), options.timeoutMs ?? 20_000);
    const fail = (why: string) => {
      if (started) return;
      started = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${args.find((a) => a.endsWith('.ts') || a.endsWith('.js')) ?? command}: ${why}\n${errors.join('')}`));
    };
    child.once('exit', (code, signal) => fail(`exited with ${code ?? signal}`));
    lines.on('line', (line) => {
      if (started) return options.onLine?.(line);
      const value = ready(line);
      if (value === undefined) return;
      started = true;
      clearTimeout(timer);
      resolve({ child, ready: value, errors });
    });
  });
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Parses a line of JSON, or undefined. */
export function jsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Resident and peak resident memory of a live process, in bytes. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

const TICKS_PER_SECOND = 100;

/** User + system CPU time a process has used, in seconds. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at state, field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
