// Turns scenario reports into BENCHMARKS.md: the machine, a summary table with ratios and the
// issue's targets (reported, never asserted), per-scenario details, and where the time goes.
import { readFileSync } from 'node:fs';
import { LABEL, SYSTEMS } from './lib/systems.js';
import type { SystemName } from './lib/systems.js';
import type { ProfileReport } from './scenarios/profile.js';
import type { WhatIfReport } from './scenarios/whatif.js';
import type { Row, ScenarioReport, Target } from './scenarios/context.js';

export interface RunInfo {
  date: string;
  command: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  redis: string;
  loadAverage: string;
  seconds: number;
  quick: boolean;
}

export function fmt(n: number | null | undefined): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(Math.abs(n) < 10 ? 2 : 1);
}

const ratio = (row: Row, versus: SystemName) => {
  const [a, b] = [row.values.switchboard, row.values[versus]];
  return a == null || b == null || b === 0 ? null : a / b;
};

function judge(row: Row, t: Target): { text: string; met: boolean | null } {
  const measured = t.versus === 'absolute' ? (row.values.switchboard ?? null) : ratio(row, t.versus);
  const bound = t.versus === 'absolute' ? `${t.op} ${t.value}` : `${t.op} ${t.value.toFixed(1)}× ${t.versus === 'peer' ? 'Socket.IO' : 'floor'}`;
  if (measured === null) return { text: `${bound}: no figure`, met: null };
  const met = t.op === '>=' ? measured >= t.value : measured <= t.value;
  const got = t.versus === 'absolute' ? fmt(measured) : `${measured.toFixed(2)}×`;
  return { text: `${bound} (got ${got}${t.caveat ? `; ${t.caveat}` : ''})`, met };
}

const mark = (met: boolean | null) => (met === null ? '?' : met ? 'met' : '**not met**');

function summary(scenarios: ScenarioReport[]): string[] {
  const lines = [
    '| scenario | metric | Switchboard | floor | Socket.IO | SB / floor | SB / Socket.IO | target (issue) | |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  for (const s of scenarios) {
    for (const row of s.rows) {
      const cells = SYSTEMS.map((sys) => fmt(row.values[sys]));
      const ratios = (['floor', 'peer'] as const).map((v) => (ratio(row, v) === null ? '—' : `${ratio(row, v)!.toFixed(2)}×`));
      const judged = (row.targets ?? []).map((t) => judge(row, t));
      lines.push(
        `| ${s.title.replace(/, .*/, '')} | ${row.metric} | ${cells.join(' | ')} | ${ratios.join(' | ')} | ${judged.map((j) => j.text).join('; ') || ''} | ${judged.map((j) => mark(j.met)).join(', ')} |`,
      );
    }
  }
  return lines;
}

function targets(scenarios: ScenarioReport[]): string[] {
  const lines: string[] = [];
  for (const s of scenarios) {
    for (const row of s.rows) {
      for (const t of row.targets ?? []) {
        const { text, met } = judge(row, t);
        lines.push(`- ${met ? 'Met' : met === null ? 'Unknown' : '**Not met**'}: ${s.title.replace(/^\d+\. /, '')}, ${row.metric} ${text}.`);
      }
    }
  }
  return lines;
}

function deliveryCheck(scenarios: ScenarioReport[]): string[] {
  const lines: string[] = [];
  for (const s of scenarios) {
    for (const d of s.delivery ?? []) {
      if (d.sent === d.delivered && d.errors === 0) continue;
      const lost = d.sent - d.delivered;
      const what = lost > 0 ? `${fmt(lost)} of ${fmt(d.sent)} ${d.unit} never arrived` : `all ${fmt(d.sent)} ${d.unit} arrived`;
      const errors = d.errors > 0 ? `, ${lost > 0 ? 'and ' : 'yet '}${fmt(d.errors)} requests were answered with an error (first: \`${d.firstError || 'failed'}\`)` : '';
      lines.push(`- ${s.title.replace(/^\d+\. /, '')}, ${LABEL[d.system]}: ${what}${errors}.`);
    }
  }
  return lines.length ? lines : ['Every system delivered everything it was sent in every scenario, and no request was answered with an error.'];
}

function scenarioSection(s: ScenarioReport): string[] {
  const columns = Object.entries(s.columns ?? {}).map(([sys, what]) => `the ${LABEL[sys as SystemName]} column is ${what}`);
  return [
    `### ${s.title}`,
    '',
    s.setup + (columns.length ? ` Here ${columns.join(', ')}.` : ''),
    '',
    `| ${s.details.header.join(' | ')} |`,
    `| ${s.details.header.map(() => '---').join(' | ')} |`,
    ...s.details.rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ];
}

function whatIfSection(w: WhatIfReport | null): string[] {
  if (!w) return [];
  const cell = (v: number | null, base: number | null, i: number) => (i === 0 || !v || !base ? fmt(v) : `${fmt(v)} (${(v / base).toFixed(2)}×)`);
  return [
    '### What if',
    '',
    w.setup,
    '',
    `| metric | ${w.columns.join(' | ')} |`,
    `| --- | ${w.columns.map(() => '---:').join(' | ')} |`,
    ...w.rows.map((r) => `| ${r.metric} | ${r.values.map((v, i) => cell(v, r.values[0] ?? null, i)).join(' | ')} |`),
    '',
  ];
}

function profileSection(p: ProfileReport | null, w: WhatIfReport | null, findings: string): string[] {
  if (!p) return ['## Where the time goes', '', 'Not profiled in this run (`--quick` skips it; `--profile` adds it).', '', ...whatIfSection(w), findings];
  return [
    '## Where the time goes',
    '',
    `\`node --cpu-prof\` on Switchboard node 0 during scenario 1's max-throughput phase, run again on its own for ${p.seconds} s ` +
      `(${fmt(p.perSecond)} delivered msg/s with the profiler on); ${p.busySeconds} s of busy (non-idle) CPU in that window. ` +
      `Native and Node-internal frames (socket writes, string encoding, streams) are charged to their nearest caller in a package or ` +
      `a server source file. Profile: \`${p.file.replace(/^.*\/bench\//, 'bench/')}\` (git-ignored).`,
    '',
    '| self time by area | % of busy | | top functions by self time | % of busy |',
    '| --- | ---: | --- | --- | ---: |',
    ...Array.from({ length: Math.max(p.areas.length, p.functions.length) }, (_, i) => {
      const [a, f] = [p.areas[i], p.functions[i]];
      return `| ${a ? `\`${a.name}\`` : ''} | ${a?.percent ?? ''} | | ${f ? `\`${f.name}\`` : ''} | ${f?.percent ?? ''} |`;
    }),
    '',
    ...whatIfSection(w),
    findings,
  ];
}

export function renderReport(
  info: RunInfo,
  scenarios: ScenarioReport[],
  failed: string[],
  extras: { profile: ProfileReport | null; whatIf: WhatIfReport | null },
  findingsPath: string,
): string {
  const findings = readFileSync(findingsPath, 'utf8').trim();
  return [
    '# Benchmarks',
    '',
    `Written by \`${info.command}\` on ${info.date}${info.quick ? ' (quick mode: short windows, fewer sessions — for a smoke check, not for numbers)' : ''}. ` +
      `Machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGb} GB; Node ${info.node}; Redis ${info.redis}; load average at start ${info.loadAverage}. ` +
      `The run took ${info.seconds} s.`,
    '',
    'Every system ran in this same run, one after another, with its nodes, its Redis and the load generator as separate processes on ' +
      'loopback on the same two cores, while other work was using them too. Absolute numbers move from run to run: **read the ratios**. ' +
      'How each scenario is measured, the floor and the peer: [bench/README.md](bench/README.md).',
    '',
    '## Summary',
    '',
    ...summary(scenarios),
    '',
    '## Targets from the issue',
    '',
    ...targets(scenarios),
    ...(failed.length ? ['', ...failed.map((f) => `- **Scenario failed**: ${f}`)] : []),
    '',
    '## Delivery check',
    '',
    ...deliveryCheck(scenarios),
    '',
    '## Scenarios',
    '',
    ...scenarios.flatMap(scenarioSection),
    ...profileSection(extras.profile, extras.whatIf, findings),
    '',
  ].join('\n');
}
