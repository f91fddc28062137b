// Shared memory ops/s: `memory.set` then `memory.get` through a hub node, or (the floor) raw
// HSET then HGETALL with ioredis from this one process on the same Redis. Closed loop: `clients`
// sessions (one ioredis connection for the floor) with `depth` requests outstanding each.
import { Redis } from 'ioredis';
import type { Job } from './agent.js';
import { SwitchboardAgent } from './switchboard.js';
import { Samples, pool, sleep, stampedBody } from './stats.js';

export interface MemoryConfig {
  /** A hub's URL, or a redis:// URL for the raw floor. */
  url: string;
  clients: number;
  depth: number;
  keys: number;
  warmupMs: number;
  measureMs: number;
}

type Op = (worker: number, key: string) => Promise<boolean>;

export async function memoryJob(config: MemoryConfig): Promise<Job> {
  const value = stampedBody(0);
  if (config.url.startsWith('redis:')) {
    const redis = new Redis(config.url);
    const set: Op = async (w, key) => (await redis.hset(`floor:m:${key}`, 'value', JSON.stringify(value), 'author', `m${w}`, 'updatedAt', Date.now())) >= 0;
    const get: Op = async (_w, key) => (await redis.hgetall(`floor:m:${key}`)) !== null;
    return { phases: { set: () => measure(set, config), get: () => measure(get, config) } };
  }
  const ids = Array.from({ length: config.clients }, (_, i) => `m${i}`);
  const agents = await pool(ids, 50, (id) => SwitchboardAgent.connect(config.url, id, {}));
  const ok = (f: { type: string }) => f.type === 'ok';
  const set: Op = async (w, key) => ok(await agents[w % agents.length]!.request({ type: 'memory.set', key, value }));
  const get: Op = async (w, key) => ok(await agents[w % agents.length]!.request({ type: 'memory.get', key }));
  return { phases: { set: () => measure(set, config), get: () => measure(get, config) } };
}

async function measure(op: Op, config: MemoryConfig) {
  let ops = 0;
  let failed = 0;
  let running = true;
  const samples = new Samples();
  let measuring = false;
  const worker = async (w: number) => {
    while (running) {
      const key = `k/${Math.floor(Math.random() * config.keys)}`;
      const t = performance.now();
      if (!(await op(w, key))) failed++;
      ops++;
      if (measuring) samples.add(performance.now() - t);
    }
  };
  const workers = Array.from({ length: config.clients * config.depth }, (_, w) => worker(w));
  await sleep(config.warmupMs);
  const [o0, m0] = [ops, performance.now()];
  measuring = true;
  await sleep(config.measureMs);
  const [o1, m1] = [ops, performance.now()];
  running = false;
  await Promise.all(workers);
  return { perSecond: Math.round(((o1 - o0) * 1000) / (m1 - m0)), ops, failed, latency: samples.summary() };
}
