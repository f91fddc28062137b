// A worker thread that runs hubs for the fuzz test: the hub gets a core (and a V8 heap) of its
// own, so its heap can be measured alone after a forced GC and the test's own frame generation
// does not slow it down. An exception that escapes a hub ends the worker, which the test sees as
// a crash. One hub at a time; the worker outlives it, so a second run skips the worker's startup.
// Messages in: start {data} | stats | stop. Out: started {url} | stats {...HubStats} | stopped | failed {message}.
import v8 from 'node:v8';
import vm from 'node:vm';
import { Writable } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { pino } from 'pino';
import { RedisEngine, startHub } from '@switchboard/server';
import type { Hub, HubOptions } from '@switchboard/server';
import { serve } from './ts-worker.js';

export interface HubWorkerData {
  options: HubOptions;
  /** Use a RedisEngine on this URL instead of the memory engine. */
  redisUrl?: string;
}

export interface HubStats {
  /** V8 heap in use by the worker's isolate (the hub) after a forced GC, in MB. */
  heapMB: number;
  /** The whole test process. */
  rssMB: number;
  /** Sockets the hub holds as live sessions. */
  connections: number;
  /** Lines the hub logged at level error or above. */
  errors: string[];
  /** The own keys of Object.prototype and Array.prototype, and any `polluted`/`isAdmin` an object inherits. */
  prototypes: string;
}

export type WorkerRequest = { op: 'start'; data: HubWorkerData } | { op: 'stats' } | { op: 'stop' };

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const port = parentPort!;
let hub: Hub | null = null;
let errors: string[] = [];

async function start({ options, redisUrl }: HubWorkerData): Promise<string> {
  errors = [];
  const lines = errors;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  hub = await startHub({
    port: 0,
    resumeWindowMs: 0,
    ...options,
    logger: pino({ level: 'error' }, stream),
    ...(redisUrl !== undefined && { engine: new RedisEngine({ url: redisUrl }) }),
  });
  return hub.url;
}

function stats(): HubStats {
  gc();
  gc();
  return {
    heapMB: v8.getHeapStatistics().used_heap_size / 2 ** 20,
    rssMB: process.memoryUsage().rss / 2 ** 20,
    connections: hub?.connections.length ?? 0,
    errors: [...errors],
    prototypes: JSON.stringify([
      Object.getOwnPropertyNames(Object.prototype),
      Object.getOwnPropertyNames(Array.prototype),
      ({} as Record<string, unknown>).polluted,
      ({} as Record<string, unknown>).isAdmin,
    ]),
  };
}

serve<WorkerRequest>(port, async (request) => {
  switch (request.op) {
    case 'start':
      return { op: 'started', url: await start(request.data) };
    case 'stats':
      return { op: 'stats', ...stats() };
    case 'stop':
      await hub?.close();
      hub = null;
      return { op: 'stopped' };
  }
});
