// Drives a load generator process (bench/src/load/main.ts, compiled): start it (it connects its
// sessions), ask it for phases one at a time, then stop it and get its totals.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { COMPILED } from './build.js';

export interface Answers {
  ok: number;
  error: number;
  firstError: string;
}

/** What a load generator reports when it stops. */
export interface LoadStats {
  answers: Answers;
  /** CPU seconds the load generator used. */
  cpuSeconds: number;
}

type Line = { ready?: object; phase?: object; result?: LoadStats };

export class LoadGen {
  private waiting: { key: keyof Line; resolve: (value: never) => void; reject: (err: Error) => void } | null = null;
  private readonly errors: string[] = [];

  private constructor(private readonly child: ChildProcess) {
    child.stderr!.on('data', (d: Buffer) => this.errors.push(d.toString()));
    createInterface({ input: child.stdout! }).on('line', (text) => {
      const line = JSON.parse(text) as Line;
      const waiting = this.waiting;
      if (!waiting || line[waiting.key] === undefined) return;
      this.waiting = null;
      waiting.resolve(line[waiting.key] as never);
    });
    child.once('exit', (code) => this.waiting?.reject(new Error(`load generator exited with ${code}:\n${this.errors.join('').slice(-3000)}`)));
  }

  /** Starts a generator and resolves once its sessions are connected. */
  static async start(config: Record<string, unknown>): Promise<LoadGen> {
    const load = new LoadGen(spawn(process.execPath, [COMPILED.load, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] }));
    await load.next('ready');
    return load;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Runs one phase of the job and resolves with what it measured. */
  phase<T>(name: string): Promise<T> {
    const result = this.next<T>('phase');
    this.child.stdin!.write(`phase ${name}\n`);
    return result;
  }

  stop(): Promise<LoadStats> {
    const result = this.next<LoadStats>('result');
    this.child.stdin!.end('stop\n');
    return result;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  private next<T>(key: keyof Line): Promise<T> {
    if (this.child.exitCode !== null) return Promise.reject(new Error(`load generator has exited:\n${this.errors.join('').slice(-3000)}`));
    return new Promise<T>((resolve, reject) => (this.waiting = { key, resolve: resolve as (value: never) => void, reject }));
  }
}
