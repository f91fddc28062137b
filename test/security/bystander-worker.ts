// The fuzz test's bystander on a thread of its own: one session on the fuzzed hub that pings,
// acknowledges what it is sent, and must see no error. Its round trips measure the hub, not the
// test's main thread, which is busy generating frames.
// Messages in: join {url} | run | stop | leave. Out: joined {rtts} | running | stopped {BystanderReport} | left.
import { parentPort } from 'node:worker_threads';
import { FuzzSession } from './fuzz-session.js';
import { serve } from './ts-worker.js';

export interface BystanderReport {
  /** Ping round trips while the fuzz ran, ms. */
  rtts: number[];
  failures: string[];
  errors: number;
  /** Messages and task frames the fuzzers caused. */
  delivered: number;
}

export type BystanderRequest = { op: 'join'; url: string } | { op: 'run' } | { op: 'stop' } | { op: 'leave' };

let session: FuzzSession | null = null;
let running = false;
let loop: Promise<number[]> = Promise.resolve([]);

/** Pings back to back, paced (not synchronised) by a short pause, acking what arrived. */
async function pingLoop(s: FuzzSession): Promise<number[]> {
  const rtts: number[] = [];
  let acked = 0;
  while (running) {
    rtts.push(await s.ping(5000));
    if (s.maxSeq > acked) s.ws.send(JSON.stringify({ type: 'ack', seq: (acked = s.maxSeq) }));
    await new Promise((r) => setTimeout(r, 5));
  }
  return rtts;
}

serve<BystanderRequest>(parentPort!, async (request) => {
  switch (request.op) {
    case 'join': {
      session = await FuzzSession.join(request.url, 'bystander');
      const rtts = [];
      for (let i = 0; i < 200; i++) rtts.push(await session.ping());
      return { op: 'joined', rtts };
    }
    case 'run':
      running = true;
      loop = pingLoop(session!);
      return { op: 'running' };
    case 'stop': {
      running = false;
      const rtts = await loop;
      // One more round trip after the fuzz: still served.
      await session!.ping();
      const report: BystanderReport = { rtts, failures: session!.failures, errors: session!.errors, delivered: session!.delivered };
      return { op: 'stopped', ...report };
    }
    case 'leave':
      session!.ws.send(JSON.stringify({ type: 'bye' }));
      await session!.closed;
      return { op: 'left' };
  }
});
