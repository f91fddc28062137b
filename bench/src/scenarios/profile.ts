// The hot path: scenario 1's max-throughput phase on Switchboard alone, longer, with node 0 under
// `node --cpu-prof`. The profile (git-ignored, bench/results/profiles/) is summarised by self time
// over the measured part of the phase only, so start-up and shutdown do not count.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoadGen } from '../lib/loadgen.js';
import { summariseProfile } from '../lib/profile.js';
import type { ProfileSummary } from '../lib/profile.js';
import { BenchRedis } from '../lib/redis.js';
import { Cluster } from '../lib/systems.js';
import type { Context } from './context.js';
import { directContender } from './direct.js';
import type { DirectPhase } from './direct.js';

const PROFILES = fileURLToPath(new URL('../../results/profiles/', import.meta.url));

export interface ProfileReport extends ProfileSummary {
  file: string;
  perSecond: number;
  seconds: number;
}

export async function profileScenario(ctx: Context): Promise<ProfileReport> {
  const dir = join(PROFILES, new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(dir, { recursive: true });
  const sizes = { ...ctx.sizes, warmupMs: 1000, measureMs: ctx.sizes.measureMs * 2 };
  const contender = directContender({ ...ctx, sizes }, 'switchboard', 2);
  const redis = await BenchRedis.start();
  ctx.log('Switchboard, 2 nodes on Redis, node 0 under --cpu-prof');
  const cluster = await Cluster.start('switchboard', { nodes: 2, redisUrl: redis.url, cpuProfDir: dir });
  let phase: DirectPhase;
  let window: { fromMs: number; toMs: number };
  try {
    const load = await LoadGen.start({ system: 'switchboard', ...contender.load(cluster.urls, redis.url) });
    const begun = performance.now() - cluster.startedAt;
    phase = await load.phase<DirectPhase>('max');
    window = { fromMs: begun + sizes.warmupMs, toMs: begun + sizes.warmupMs + sizes.measureMs };
    await load.stop();
  } finally {
    await cluster.stop();
    await redis.stop();
  }
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (tsx's loader thread writes one too).
  const file = readdirSync(dir).find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  if (!file) throw new Error(`no main-thread .cpuprofile in ${dir}: did node 0 exit cleanly?`);
  return { ...summariseProfile(join(dir, file), window), file: join(dir, file), perSecond: phase.perSecond, seconds: sizes.measureMs / 1000 };
}
