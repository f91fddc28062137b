// The three systems under test, each started as real processes on loopback: Switchboard as users
// run it (`switchboard serve`), the floor (bench/src/floor) and the peer (Socket.IO, bench/src/peer).
import { fileURLToPath } from 'node:url';
import { COMPILED } from './build.js';
import { cpuSecondsOf, jsonLine, memoryOf, startChild, stopChild } from './proc.js';
import type { Child } from './proc.js';

export type SystemName = 'switchboard' | 'floor' | 'peer';
export const SYSTEMS: SystemName[] = ['switchboard', 'floor', 'peer'];
export const LABEL: Record<SystemName, string> = { switchboard: 'Switchboard', floor: 'floor', peer: 'Socket.IO' };

const root = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
export const SWITCHBOARD_BIN = root('server/bin/switchboard.js');

export interface ClusterOptions {
  nodes: number;
  /** Unset = one process on its own (embedded engine, local routing, in-memory adapter). */
  redisUrl?: string;
  /** Where node 0 writes a V8 CPU profile (`node --cpu-prof`), if set. */
  cpuProfDir?: string;
  /** Heartbeat / ping interval; every system uses Switchboard's default unless told. */
  heartbeatMs?: number;
  /** Switchboard only: a script to run instead of server/bin/switchboard.js (an experiment's variant). */
  entry?: string;
}

export class Cluster {
  private constructor(
    readonly system: SystemName,
    readonly urls: string[],
    private readonly children: Child<string>[],
    /** performance.now() when the nodes were spawned (a CPU profile's time 0, within a few ms). */
    readonly startedAt: number,
  ) {}

  static async start(system: SystemName, options: ClusterOptions): Promise<Cluster> {
    const startedAt = performance.now();
    const nodes = Array.from({ length: options.nodes }, (_, i) => startNode(system, i, options));
    const children = await Promise.all(nodes);
    return new Cluster(system, children.map((c) => c.ready), children, startedAt);
  }

  get pids(): number[] {
    return this.children.map((c) => c.child.pid!);
  }

  /** Peak RSS of each node so far, in bytes. */
  peakRss(): number[] {
    return this.pids.map((pid) => memoryOf(pid).peak);
  }

  /** CPU seconds used by all nodes so far. */
  cpuSeconds(): number {
    return this.pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((c) => stopChild(c.child, 12_000)));
  }
}

function startNode(system: SystemName, index: number, options: ClusterOptions): Promise<Child<string>> {
  const heartbeat = String(options.heartbeatMs ?? 5000);
  const prof = index === 0 && options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : [];
  if (system === 'switchboard') {
    const redis = options.redisUrl ? ['--redis', options.redisUrl] : [];
    const bin = options.entry ? ['--import', 'tsx', options.entry] : [SWITCHBOARD_BIN];
    const args = [...prof, ...bin, 'serve', '--port', '0', '--node-id', `sb-${index}`, '--heartbeat-ms', heartbeat, ...redis];
    return startChild(process.execPath, args, (line) => {
      const entry = jsonLine(line);
      return entry?.msg === 'hub listening' ? String(entry.url) : undefined;
    });
  }
  const redis = options.redisUrl ? ['--redis', options.redisUrl] : [];
  const args = [...prof, COMPILED[system], '--node-id', `${system}-${index}`, '--ping-ms', heartbeat, ...redis];
  return startChild(process.execPath, args, (line) => {
    const entry = jsonLine(line);
    return entry?.msg === 'listening' ? String(entry.url) : undefined;
  });
}
