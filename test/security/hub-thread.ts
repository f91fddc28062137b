// The test's side of hub-worker.ts: a worker thread that runs one hub at a time, and asks it for
// stats. A worker that dies (an exception escaped the hub) is recorded in `crashed`.
import type { Worker } from 'node:worker_threads';
import type { HubStats, HubWorkerData, WorkerRequest } from './hub-worker.js';
import { reply, tsWorker } from './ts-worker.js';

export type { HubStats };

export class HubThread {
  crashed: string | null = null;
  url = '';
  private constructor(private readonly worker: Worker) {
    worker.on('error', (err) => (this.crashed ??= `hub worker threw: ${err.stack ?? err.message}`));
    worker.on('exit', (code) => (this.crashed ??= `hub worker exited with ${code}`));
  }

  static async boot(timeoutMs = 30_000): Promise<HubThread> {
    const thread = new HubThread(tsWorker(new URL('./hub-worker.ts', import.meta.url)));
    await reply(thread.worker, 'ready', timeoutMs, () => thread.crashed);
    return thread;
  }

  /** Starts a hub in the worker; resolves with its URL. */
  async start(data: HubWorkerData): Promise<string> {
    this.url = (await this.ask<{ url: string }>({ op: 'start', data }, 'started')).url;
    return this.url;
  }

  /** Heap after a forced GC, live sessions, error log lines; rejects if the hub does not answer. */
  stats(): Promise<HubStats> {
    return this.ask<HubStats>({ op: 'stats' }, 'stats');
  }

  /** Closes the hub (graceful shutdown); the worker stays. */
  async stop(): Promise<void> {
    if (!this.crashed) await this.ask({ op: 'stop' }, 'stopped');
  }

  async terminate(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private ask<T>(request: WorkerRequest, answer: string, timeoutMs = 15_000): Promise<T> {
    const answered = reply<T>(this.worker, answer, timeoutMs, () => this.crashed);
    this.worker.postMessage(request);
    return answered;
  }
}
