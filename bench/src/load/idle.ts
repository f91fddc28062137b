// Idle sessions: connect `sessions` sessions to one node and hold them; the hub's heartbeats keep
// flowing (ws answers pings by itself). The orchestrator measures the hub meanwhile.
import type { Connect, Job } from './agent.js';
import { pool } from './stats.js';

export interface IdleConfig {
  url: string;
  sessions: number;
}

export async function idleJob(connect: Connect, config: IdleConfig): Promise<Job> {
  const ids = Array.from({ length: config.sessions }, (_, i) => `i${i}`);
  await pool(ids, 100, (id) => connect(config.url, id, {}));
  return { phases: {} };
}
