// The test's side of bystander-worker.ts.
import type { Worker } from 'node:worker_threads';
import type { BystanderReport, BystanderRequest } from './bystander-worker.js';
import { reply, tsWorker } from './ts-worker.js';

export type { BystanderReport };

export class BystanderThread {
  private constructor(private readonly worker: Worker) {}

  static async boot(timeoutMs = 30_000): Promise<BystanderThread> {
    const worker = tsWorker(new URL('./bystander-worker.ts', import.meta.url));
    await reply(worker, 'ready', timeoutMs);
    return new BystanderThread(worker);
  }

  /** Joins the hub as `bystander`; resolves with 200 ping round trips taken before any fuzzing. */
  async join(url: string): Promise<number[]> {
    return (await this.ask<{ rtts: number[] }>({ op: 'join', url }, 'joined')).rtts;
  }

  /** Starts pinging. */
  async run(): Promise<void> {
    await this.ask({ op: 'run' }, 'running');
  }

  /** Stops pinging and pings once more; what it saw. */
  stop(): Promise<BystanderReport> {
    return this.ask<BystanderReport>({ op: 'stop' }, 'stopped');
  }

  /** Says bye. */
  async leave(): Promise<void> {
    await this.ask({ op: 'leave' }, 'left');
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }

  private ask<T>(request: BystanderRequest, answer: string, timeoutMs = 15_000): Promise<T> {
    const answered = reply<T>(this.worker, answer, timeoutMs);
    this.worker.postMessage(request);
    return answered;
  }
}
