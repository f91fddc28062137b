// A load generator process: `node load.mjs '<json config>'` (compiled from this file). It runs one
// job against one system: connects the job's sessions and prints {"ready":{…}}, then for each line
// `phase <name>` on stdin runs that phase and prints {"phase":{…}}; on `stop` (or end of stdin) it
// prints {"result":{answers, cpuSeconds}} and exits.
import { createInterface } from 'node:readline';
import { answers } from './agent.js';
import type { Connect, Job } from './agent.js';
import { directJob } from './direct.js';
import { fanoutJob } from './fanout.js';
import { connectFloor } from './floor.js';
import { idleJob } from './idle.js';
import { memoryJob } from './memory.js';
import { connectPeer } from './peer.js';
import { presenceJob } from './presence.js';
import { SwitchboardAgent } from './switchboard.js';

const config = JSON.parse(process.argv[2] ?? '{}');
const CONNECT: Record<string, Connect> = {
  switchboard: (url, id, handlers, options) => SwitchboardAgent.connect(url, id, handlers, { ...options, ackEveryMs: config.ackEveryMs }),
  floor: connectFloor,
  peer: connectPeer,
};
const connect = CONNECT[config.system]!;
const JOBS: Record<string, () => Promise<Job>> = {
  direct: () => directJob(connect, config),
  fanout: () => fanoutJob(connect, config),
  presence: () => presenceJob(connect, config),
  memory: () => memoryJob(config),
  idle: () => idleJob(connect, config),
};
const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

const start = performance.now();
const job = await JOBS[config.job]!();
print({ ready: { setupMs: Math.round(performance.now() - start) } });
for await (const line of createInterface({ input: process.stdin })) {
  const [command, name] = line.trim().split(' ');
  if (command === 'stop') break;
  const phase = job.phases[name ?? ''];
  if (command !== 'phase' || !phase) throw new Error(`unknown command: ${line}`);
  print({ phase: await phase() });
}
const { user, system } = process.cpuUsage();
const cpuSeconds = Math.round((user + system) / 1e4) / 100;
process.stdout.write(`${JSON.stringify({ result: { answers, cpuSeconds } })}\n`, () => process.exit(0));
