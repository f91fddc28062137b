// A hub node as a child process (`switchboard serve`), so killing it is a real crash.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const BIN = fileURLToPath(new URL('../../server/bin/switchboard.js', import.meta.url));

export class HubProcess {
  readonly logs: string[] = [];
  url = '';
  private constructor(private readonly child: ChildProcess) {}

  /** Starts `switchboard serve` with the given flags; resolves once it listens. */
  static async start(flags: Record<string, string | number>, env: NodeJS.ProcessEnv = {}): Promise<HubProcess> {
    const args = ['serve', '--port', '0', '--log-level', 'info', ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, String(v)])];
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const hub = new HubProcess(child);
    const lines = createInterface({ input: child.stdout! });
    child.stderr!.on('data', (d: Buffer) => hub.logs.push(d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`hub did not start: ${hub.logs.join('')}`)), 15_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`hub exited with ${code}: ${hub.logs.join('')}`));
      });
      lines.on('line', (line) => {
        hub.logs.push(line);
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg === 'hub listening' && entry.url) {
            hub.url = entry.url;
            clearTimeout(timer);
            resolve();
          }
        } catch {
          /* not a log line */
        }
      });
    });
    return hub;
  }

  get httpUrl(): string {
    return this.url.replace(/^ws/, 'http').replace(/\/v1$/, '');
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Whether the process has not exited yet. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends a signal and waits for the exit; resolves with the exit code (null if killed). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.kill(signal);
    return exited;
  }
}
