// The bench's own redis-server: a fresh one on a free port (never 6379), no persistence.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { cpuSecondsOf, memoryOf, sleep, stopChild } from './proc.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function redisVersion(): string {
  const out = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error('redis-server is not on PATH (apt-get install redis-server)');
  return /v=(\S+)/.exec(out.stdout)?.[1] ?? out.stdout.trim();
}

export class BenchRedis {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(): Promise<BenchRedis> {
    const port = await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const redis = new BenchRedis(`redis://127.0.0.1:${port}`, child);
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      try {
        await redis.command((r) => r.ping());
        return redis;
      } catch {
        await sleep(50);
      }
    }
    throw new Error(`redis-server on ${port} did not answer`);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Empties Redis between scenarios, so each starts from the same state. */
  flush(): Promise<unknown> {
    return this.command((r) => r.flushall());
  }

  /** Calls per command since start (`INFO commandstats`; commands run by scripts count too). */
  async commandCalls(): Promise<Record<string, number>> {
    const info = await this.command((r) => r.info('commandstats'));
    return Object.fromEntries([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
  }

  peakRss(): number {
    return memoryOf(this.pid).peak;
  }

  cpuSeconds(): number {
    return cpuSecondsOf(this.pid);
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }

  private async command<T>(fn: (r: Redis) => Promise<T>): Promise<T> {
    const r = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => {});
    try {
      await r.connect();
      return await fn(r);
    } finally {
      r.disconnect();
    }
  }
}
