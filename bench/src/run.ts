// The bench: `npm run bench` (full, writes BENCHMARKS.md at the root) or `npm run bench -- --quick`
// (under a minute, writes bench/results/BENCHMARKS.quick.md). `--only direct2,idle` runs some
// scenarios (and writes to bench/results/); `--rounds N` overrides the rounds; `--profile` /
// `--no-profile` force the profile on or off; `--render` rewrites BENCHMARKS.md from the last full
// run's figures (bench/results/BENCHMARKS.json), e.g. after editing src/findings.md.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildProcesses } from './lib/build.js';
import { redisVersion } from './lib/redis.js';
import { renderReport } from './report.js';
import { SIZES } from './scenarios/context.js';
import type { Context, ScenarioReport } from './scenarios/context.js';
import { directScenario } from './scenarios/direct.js';
import { fanoutScenario } from './scenarios/fanout.js';
import { idleScenario } from './scenarios/idle.js';
import { memoryScenario } from './scenarios/memory.js';
import { presenceScenario } from './scenarios/presence.js';
import { profileScenario } from './scenarios/profile.js';
import type { ProfileReport } from './scenarios/profile.js';
import { whatIfScenario } from './scenarios/whatif.js';
import type { WhatIfReport } from './scenarios/whatif.js';

const SCENARIOS: Record<string, (ctx: Context) => Promise<ScenarioReport>> = {
  direct2: (ctx) => directScenario(ctx, 2),
  direct1: (ctx) => directScenario(ctx, 1),
  fanout: fanoutScenario,
  presence: presenceScenario,
  memory: memoryScenario,
  idle: idleScenario,
};

const path = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean' }, only: { type: 'string' }, rounds: { type: 'string' }, profile: { type: 'boolean' }, 'no-profile': { type: 'boolean' }, render: { type: 'boolean' } },
});
if (args.render) {
  const last = JSON.parse(readFileSync(path('bench/results/BENCHMARKS.json'), 'utf8'));
  writeFileSync(path('BENCHMARKS.md'), renderReport(last.info, last.reports, last.failed, { profile: last.profile, whatIf: last.whatIf }, path('bench/src/findings.md')));
  console.error(`rewrote ${path('BENCHMARKS.md')} from the run of ${last.info.date}`);
  process.exit(0);
}
const only = args.only?.split(',').map((s) => s.trim()) ?? null;
const EXTRAS = ['profile', 'whatif'];
const unknown = only?.filter((s) => !SCENARIOS[s] && !EXTRAS.includes(s)) ?? [];
if (unknown.length) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${[...Object.keys(SCENARIOS), ...EXTRAS].join(', ')}`);
  process.exit(2);
}
const quick = !!args.quick;
// The profile belongs to a full run (--quick skips it unless asked); the what-if experiments run
// only when named (`--only whatif`), being a few minutes of their own.
const withProfile = args['no-profile'] ? false : (args.profile ?? (only ? only.includes('profile') : !quick));
const withWhatIf = only?.includes('whatif') ?? false;
const started = performance.now();
const log = (message: string) => console.error(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}`);

const info = {
  date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
  cores: cpus().length,
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  redis: redisVersion(),
  loadAverage: loadavg().map((l) => l.toFixed(2)).join(', '),
  quick,
  seconds: 0,
};

await buildProcesses();
const sizes = quick ? SIZES.quick : SIZES.full;
const ctx: Context = { sizes: { ...sizes, rounds: Number(args.rounds ?? sizes.rounds) }, log };
const reports: ScenarioReport[] = [];
const failed: string[] = [];
let profile: ProfileReport | null = null;
let whatIf: WhatIfReport | null = null;
for (const [id, run] of Object.entries(SCENARIOS)) {
  if (only && !only.includes(id)) continue;
  log(`scenario ${id}`);
  try {
    reports.push(await run({ ...ctx, log: (m) => log(`  ${m}`) }));
  } catch (err) {
    failed.push(`${id}: ${(err as Error).message.split('\n')[0]}`);
    log(`  FAILED: ${(err as Error).stack}`);
  }
}
if (withProfile) {
  log('profile');
  profile = await profileScenario({ ...ctx, log: (m) => log(`  ${m}`) }).catch((err) => {
    failed.push(`profile: ${(err as Error).message.split('\n')[0]}`);
    return null;
  });
}
if (withWhatIf) {
  log('what if');
  whatIf = await whatIfScenario({ ...ctx, log: (m) => log(`  ${m}`) }).catch((err) => {
    failed.push(`whatif: ${(err as Error).message.split('\n')[0]}`);
    return null;
  });
}

info.seconds = Math.round((performance.now() - started) / 1000);
const markdown = renderReport(info, reports, failed, { profile, whatIf }, path('bench/src/findings.md'));
// Only a full run of everything replaces BENCHMARKS.md; the raw figures always go to bench/results/.
const name = quick ? 'BENCHMARKS.quick' : only ? 'BENCHMARKS.partial' : null;
const out = name ? path(`bench/results/${name}.md`) : path('BENCHMARKS.md');
mkdirSync(path('bench/results'), { recursive: true });
writeFileSync(out, markdown);
writeFileSync(path(`bench/results/${name ?? 'BENCHMARKS'}.json`), JSON.stringify({ info, reports, profile, whatIf, failed }, null, 2));
console.log(markdown.slice(markdown.indexOf('## Summary'), markdown.indexOf('## Scenarios')));
log(`wrote ${out}${failed.length ? `; ${failed.length} failed` : ''}`);
process.exit(failed.length ? 1 : 0);
