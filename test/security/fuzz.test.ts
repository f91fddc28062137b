// Issue 7, "attacks and faults as tests": at least 100 000 generated and mutated frames (frames.ts)
// sent to a live hub over real sockets. Every frame that carries a string rid gets exactly one
// answer with that rid, every frame the hub sends parses as a ServerFrame, no input provokes
// `internal`, the hub logs no error, nothing pollutes a prototype, heap and session state stay
// bounded, and a bystander session on the same hub sees no error and keeps answering pings.
//
// Replay a failure with FUZZ_SEED=<seed> (printed, and in every failure message); FUZZ_FRAMES
// changes the count.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, decodeClientFrame, MAX_FRAME_DEPTH, nestsDeeperThan, Rid, topLevelRid } from '@switchboard/protocol';
import type { Session } from '@switchboard/protocol';
import type { HubOptions } from '@switchboard/server';
import { HAS_REDIS, REQUIRE_REDIS, RedisServer } from '../helpers/redis-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { pingPong, useHubs, within } from '../hub/support.js';
import { FUZZ_TYPES, fuzzFrame, validFrame } from './frames.js';
import type { FuzzFrame, FuzzTargets } from './frames.js';
import { FuzzSession } from './fuzz-session.js';
import { BystanderThread } from './bystander-thread.js';
import { HubThread } from './hub-thread.js';
import type { HubStats } from './hub-thread.js';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const FRAMES = Number(process.env.FUZZ_FRAMES ?? 100_000);
const REDIS_FRAMES = Math.min(FRAMES, 5000);
const FUZZERS = 4;
const BATCH = 100;
/** Small limits, so "near and over the limit" is cheap to reach. */
const LIMITS = { maxFrameBytes: 64 * 1024, maxValueBytes: 16 * 1024, inboxLimit: 500 } satisfies HubOptions;
/** Closes the hub may legitimately use mid-fuzz besides 1009 for an oversized frame; the socket reconnects. */
const TOLERATED_CLOSES = new Set<number>([CloseCode.rateLimited, ...('kicked' in CloseCode ? [CloseCode.kicked as number] : [])]);
const replay = `seed ${SEED} (replay with FUZZ_SEED=${SEED})`;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** The protocol's Rid: a string of 1–64 characters (code points, as zod counts them). */
function isRid(rid: unknown): rid is string {
  return typeof rid === 'string' && rid.length > 0 && (rid.length <= 64 || Rid.safeParse(rid).success);
}

/** What sending `text` obliges the hub to: answer a rid (once), or an error without rid. */
function obligation(text: string): { rid?: string; errorWithoutRid: boolean; skip: boolean } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { errorWithoutRid: true, skip: false };
  }
  const obj = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : null;
  if (obj && (obj.type === 'hello' || obj.type === 'bye')) return { errorWithoutRid: false, skip: true };
  const rid = obj && isRid(obj.rid) ? obj.rid : undefined;
  if (rid !== undefined && obj!.type !== 'ack') return { rid, errorWithoutRid: false, skip: false };
  // Only here does validity matter: a valid ack is never answered (protocol §4.6.1), rid or not;
  // an invalid frame without rid gets an error without rid.
  const decoded = decodeClientFrame(text);
  if (decoded.ok && decoded.frame.type === 'ack') return { errorWithoutRid: false, skip: false };
  return { ...(rid !== undefined && { rid }), errorWithoutRid: !decoded.ok && rid === undefined, skip: false };
}

/** fc.sample's seed for one batch of one fuzzer, so any batch can be regenerated on its own. */
function batchSeed(fuzzer: number, batch: number): number {
  return (SEED ^ Math.imul(fuzzer + 1, 0x9e3779b1) ^ Math.imul(batch + 1, 0x85ebca6b)) | 0;
}

interface Totals {
  sent: number;
  binary: number;
  oversized: number;
  errors: Record<string, number>;
  reconnects: number;
  closes: Record<string, number>;
}

/**
 * One fuzzer: joins, sends its share of frames in batches, and after each batch waits (bounded)
 * until every owed rid is answered, a ping barrier included. An oversized frame goes alone and
 * must end the socket with 1009; then the fuzzer joins again under a new id.
 */
async function fuzzer(hub: { url: string }, index: number, share: number, targets: FuzzTargets, totals: Totals, failures: string[]): Promise<FuzzSession> {
  const base = `fuzz-${index}`;
  let generation = 0;
  let session = await FuzzSession.join(hub.url, base);
  const arbitrary = fuzzFrame(targets);
  const tally = (s: FuzzSession) => {
    for (const [code, n] of Object.entries(s.errorCodes)) totals.errors[code] = (totals.errors[code] ?? 0) + n;
  };
  const reconnect = async (why: string) => {
    failures.push(...session.failures);
    tally(session);
    totals.reconnects++;
    totals.closes[why] = (totals.closes[why] ?? 0) + 1;
    session = await FuzzSession.join(hub.url, `${base}-${++generation}`);
  };
  let withoutRid = 0;
  /**
   * Waits until everything sent so far is answered: a ping barrier (the hub writes decode errors
   * before the pong, so every error without rid owed is here by then), then every owed rid.
   */
  const checkpoint = async (batch: number) => {
    // Acknowledge what arrived, as a client should, so inboxes do not fill up.
    if (session.open && session.maxSeq > 0) session.ws.send(JSON.stringify({ type: 'ack', seq: session.maxSeq }));
    if (session.open) await session.ping(15_000).catch((err: Error) => session.open && failures.push(`${err.message} (${replay}, fuzzer ${index} batch ${batch})`));
    await within(session.settled(15_000), 16_000, `every rid of fuzzer ${index} batch ${batch} answered (${replay})`).catch((err: Error) => failures.push(err.message));
    if (session.open && session.errorsWithoutRid < withoutRid) {
      failures.push(`fuzzer ${index} batch ${batch}: ${withoutRid} frames owed an error without rid, got ${session.errorsWithoutRid} (${replay})`);
    }
    session.errorsWithoutRid = 0;
    withoutRid = 0;
  };
  // `sent` counts what went on the wire; a frame skipped (a hello or bye) or cut off by a close is made up for.
  for (let batch = 0, sent = 0; sent < share; batch++) {
    const frames = fc.sample(arbitrary, { seed: batchSeed(index, batch), numRuns: Math.min(BATCH, share - sent) });
    const where = (f: FuzzFrame) => `${replay}, fuzzer ${index} batch ${batch}: [${f.how}] ${String(f.data).slice(0, 400)}`;
    for (const [i, frame] of frames.entries()) {
      // Let the bystander's pongs (and the answers) in now and then: one event-loop turn per 20 frames.
      if (i % 20 === 19) await new Promise((resolve) => setImmediate(resolve));
      if (Buffer.byteLength(frame.data) > LIMITS.maxFrameBytes) {
        // Alone: whatever was in flight is answered first, then the oversized frame ends the socket.
        await checkpoint(batch);
        session.ws.send(frame.data, { binary: frame.binary });
        sent++;
        totals.oversized++;
        const closed = await within(session.closed, 5000, `close 1009 after ${where(frame)}`);
        if (closed.code !== CloseCode.tooLarge) failures.push(`oversized frame closed with ${closed.code} (want 1009): ${where(frame)}`);
        await reconnect(String(closed.code));
        continue;
      }
      if (!session.open) break;
      if (frame.binary) {
        sent++;
        totals.binary++;
        withoutRid++;
        session.ws.send(frame.data, { binary: true });
        continue;
      }
      const text = frame.data as string;
      const duty = obligation(text);
      if (duty.skip) continue;
      if (duty.rid !== undefined) session.owe(duty.rid, where(frame));
      if (duty.errorWithoutRid) withoutRid++;
      sent++;
      totals.sent++;
      session.ws.send(text);
    }
    await checkpoint(batch);
    if (!session.open) {
      const closed = session.closedWith;
      if (!closed || !TOLERATED_CLOSES.has(closed.code)) failures.push(`fuzzer ${index} batch ${batch}: socket closed ${JSON.stringify(closed)} (${replay})`);
      session.forgive();
      await reconnect(String(closed?.code));
    }
    if (failures.length + session.failures.length > 0) break;
  }
  tally(session);
  failures.push(...session.failures);
  session.failures.length = 0;
  return session;
}

interface FuzzRun {
  frames: number;
  failures: string[];
  totals: Totals;
  before: { p50: number; p99: number };
  during: { p50: number; p99: number; pings: number };
  heap: Record<'before' | 'after' | 'left', HubStats>;
  ms: number;
}

/** The whole run against one hub: bystander baseline, fuzzers with the bystander pinging, teardown checks. */
async function fuzzHub(hub: HubThread, bystander: BystanderThread, frames: number, label: string): Promise<FuzzRun> {
  const warm = await bystander.join(hub.url);
  const before = { p50: percentile(warm, 50), p99: percentile(warm, 99) };
  const heapBefore = await hub.stats();
  const ids = Array.from({ length: FUZZERS }, (_, i) => `fuzz-${i}`);
  const targets: FuzzTargets = { sessionIds: [...ids, 'bystander', 'nobody'], kickable: ids };
  const totals: Totals = { sent: 0, binary: 0, oversized: 0, errors: {}, reconnects: 0, closes: {} };
  const failures: string[] = [];
  const started = performance.now();
  await bystander.run();
  const share = Math.ceil(frames / FUZZERS);
  const sessions = await Promise.all(ids.map((_, i) => fuzzer(hub, i, share, targets, totals, failures)));
  const seen = await bystander.stop();
  const during = seen.rtts;
  const ms = performance.now() - started;
  const heapAfter = await hub.stats();

  // Hub-side state is what the fuzzers legitimately made: one live session each, plus the bystander.
  expect(heapAfter.connections).toBe(FUZZERS + 1);
  const listed = await RawClient.join(hub.url, { name: 'lister' });
  const { sessions: live } = await listed.client.ok<{ sessions: Session[] }>({ type: 'sessions.list' });
  expect(live.map((s) => s.id).sort()).toEqual([...sessions.map((s) => s.id), 'bystander', listed.welcome.sessionId].sort());
  listed.client.send({ type: 'bye' });
  await listed.client.closed;
  for (const s of sessions) s.ws.send(JSON.stringify({ type: 'bye' }));
  await Promise.all([...sessions.map((s) => within(s.closed, 5000, 'bye')), bystander.leave()]);
  let heapLeft = await hub.stats();
  for (const deadline = Date.now() + 5000; heapLeft.connections > 0 && Date.now() < deadline; ) heapLeft = await hub.stats();
  expect(heapLeft.connections, 'every session left').toBe(0);

  failures.push(...seen.failures);
  if (seen.errors > 0) failures.push(`the bystander got ${seen.errors} error frames`);
  // The fuzzers did reach it (sends, broadcasts, handoffs aimed at its id), so "no error" means something.
  if (seen.delivered === 0) failures.push('the bystander received nothing from the fuzzers');
  const run: FuzzRun = {
    frames: totals.sent + totals.binary + totals.oversized,
    failures,
    totals,
    before,
    during: { p50: percentile(during, 50), p99: percentile(during, 99), pings: during.length },
    heap: { before: heapBefore, after: heapAfter, left: heapLeft },
    ms,
  };
  console.log(
    `[fuzz ${label}] ${replay}: ${run.frames} frames (${totals.binary} binary, ${totals.oversized} oversized) in ${(ms / 1000).toFixed(1)} s, ` +
      `errors by code ${JSON.stringify(totals.errors)}, ${totals.reconnects} reconnects (by close code ${JSON.stringify(totals.closes)}); ` +
      `bystander got ${seen.delivered} messages/offers, ping p50/p99 before ${before.p50.toFixed(2)}/${before.p99.toFixed(2)} ms, during ${run.during.p50.toFixed(2)}/${run.during.p99.toFixed(2)} ms (${during.length} pings); ` +
      `heap MB before ${heapBefore.heapMB.toFixed(1)}, after ${heapAfter.heapMB.toFixed(1)}, after leave ${heapLeft.heapMB.toFixed(1)}; ` +
      `RSS MB ${heapBefore.rssMB.toFixed(0)} → ${heapAfter.rssMB.toFixed(0)} → ${heapLeft.rssMB.toFixed(0)}`,
  );
  return run;
}

function expectHealthy(run: FuzzRun, hub: HubThread, frames: number): void {
  expect(run.failures.slice(0, 10), run.failures.slice(0, 10).join('\n')).toEqual([]);
  expect(hub.crashed, `the hub crashed (${replay})`).toBeNull();
  expect(run.heap.left.errors.slice(0, 5), `hub logged errors (${replay})`).toEqual([]);
  // No frame reached a prototype: the hub's realm has the same Object/Array prototypes as before.
  expect(run.heap.left.prototypes).toBe(run.heap.before.prototypes);
  expect(run.frames).toBeGreaterThanOrEqual(frames);
  // Liveness, not a benchmark: the bystander kept being served while the fuzz ran.
  expect(run.during.pings).toBeGreaterThan(10);
  // Generous: this box has 2 cores, shared by the test, the hub and whatever else runs.
  expect(run.during.p99).toBeLessThan(500);
  expect(run.heap.after.heapMB - run.heap.before.heapMB).toBeLessThan(64);
  expect(run.heap.left.heapMB - run.heap.before.heapMB).toBeLessThan(64);
}

describe('fuzzing a live hub', () => {
  const { hub: startHub, open, join } = useHubs();
  let thread: HubThread;
  let bystander: BystanderThread;
  beforeAll(async () => {
    [thread, bystander] = await Promise.all([HubThread.boot(), BystanderThread.boot()]);
  }, 60_000);
  afterAll(() => Promise.all([thread?.terminate(), bystander?.terminate()]));

  it('the valid-frame generators make frames the protocol accepts, for every client frame type but hello and bye', () => {
    const targets: FuzzTargets = { sessionIds: ['a', 'b'], kickable: ['a'] };
    const { byType, unknown } = validFrame(targets);
    if (unknown.length > 0) console.warn(`[fuzz] no valid-frame generator yet for ${unknown.join(', ')}: add one to test/security/frames.ts`);
    expect(Object.keys(byType).sort()).toEqual([...FUZZ_TYPES].sort());
    for (const [type, arbitrary] of Object.entries(byType)) {
      fc.assert(
        fc.property(arbitrary, (frame) => {
          const decoded = decodeClientFrame(JSON.stringify(frame));
          if (!decoded.ok) throw new Error(`${type}: ${decoded.message} in ${JSON.stringify(frame)}`);
        }),
        { seed: SEED, numRuns: 200 },
      );
    }
  });

  it('the depth check agrees with the real nesting of any JSON text', () => {
    const depthOf = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0);
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 8 }), (value, max) => {
        const text = JSON.stringify(value);
        expect(nestsDeeperThan(text, max)).toBe(depthOf(value) > max);
      }),
      { seed: SEED, numRuns: 2000 },
    );
    expect(nestsDeeperThan(`{"a":"[[[[\\"{{{{","b":[]}`, 2)).toBe(false);
    expect(nestsDeeperThan('['.repeat(MAX_FRAME_DEPTH + 1) + ']'.repeat(MAX_FRAME_DEPTH + 1), MAX_FRAME_DEPTH)).toBe(true);
  });

  it('the rid of a frame refused for its depth is read from the text as JSON.parse would', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 3 })), fc.option(fc.jsonValue({ maxDepth: 2 })), fc.boolean(), (obj, rid, pretty) => {
        const frame = rid === null ? obj : { ...obj, rid };
        const text = JSON.stringify(frame, null, pretty ? 2 : undefined);
        expect(topLevelRid(text)).toBe(typeof frame.rid === 'string' ? frame.rid : undefined);
      }),
      { seed: SEED, numRuns: 2000 },
    );
    expect(topLevelRid('{"rid":"a","x":{"rid":"inner"},"rid":"b"}')).toBe('b');
    expect(topLevelRid('{"\\u0072id" : "esc\\"aped"}')).toBe('esc"aped');
    expect(topLevelRid('{"rid":"a","rid":5}')).toBeUndefined();
    expect(topLevelRid('["rid","x"]')).toBeUndefined();
  });

  it('hello fuzzed as the first frame: welcome, or one error and a documented close; a second hello is refused; bye ends the socket', async () => {
    const hub = await startHub(LIMITS);
    // Mostly valid values, so both outcomes come up often.
    const mostly = (valid: unknown, ...broken: unknown[]) => fc.oneof({ weight: 4, arbitrary: fc.constant(valid) }, fc.constantFrom(...broken));
    const hello = fc.record(
      {
        type: mostly('hello', 'Hello', 1, 'bye'),
        protocol: mostly(1, 2, '1', 0, null, 1e999),
        token: mostly(undefined, 'x', 'x'.repeat(9000), 5),
        session: fc.record(
          {
            id: mostly(undefined, 'ok-id', '', 'a b', '__proto__', 'x'.repeat(65)),
            name: mostly('n', '', 'x'.repeat(129), 5, '\ud800', '😀'.repeat(128)),
            meta: mostly({}, { x: 1 }, [], JSON.parse('{"__proto__":{"polluted":1}}')),
          },
          { requiredKeys: [] },
        ),
        resume: mostly(undefined, { sessionId: 'gone', secret: 's', lastSeq: 0 }, { sessionId: 'gone' }, 'x'),
      },
      { requiredKeys: ['type', 'session'] },
    );
    const samples = fc.sample(hello, { seed: SEED, numRuns: 60 });
    let welcomed = 0;
    for (const [i, frame] of samples.entries()) {
      const client = await open(hub.url);
      client.send(JSON.stringify(frame).replace('"ok-id"', `"ok-id-${i}"`));
      const answer = await client.next((f) => f.type === 'welcome' || f.type === 'error', 3000);
      if (answer.type === 'welcome') {
        welcomed++;
        client.send({ type: 'hello', protocol: 1, rid: 'again', session: { name: 'again' } });
        const again = await client.nextOf('error', () => true, 3000);
        expect(again).toMatchObject({ code: 'bad_request' });
        expect(again).not.toHaveProperty('rid');
        client.send({ type: 'bye' });
        client.send({ type: 'ping', rid: 'after-bye' });
        expect((await within(client.closed, 3000, 'close after bye')).code).toBe(CloseCode.normal);
        expect(client.frames.some((f) => f.type === 'pong')).toBe(false);
      } else {
        const closed = await within(client.closed, 3000, `close after a refused hello ${JSON.stringify(frame).slice(0, 200)}`);
        expect([CloseCode.badHello, CloseCode.unauthorized], `${replay}: ${JSON.stringify(frame).slice(0, 300)}`).toContain(closed.code);
      }
      client.close();
    }
    expect(welcomed).toBeGreaterThan(0);
    expect(welcomed).toBeLessThan(samples.length);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('below the frames: a 1 MiB nesting bomb is refused with its rid; a text frame that is not UTF-8 closes 1007; others are served', async () => {
    const hub = await startHub();
    const other = await join(hub.url, { id: 'other', name: 'other' });
    const bomber = await join(hub.url, { id: 'bomber', name: 'bomber' });
    await other.ok({ type: 'presence.watch' });
    // Half a million levels inside the default 1 MiB frame, the rid after them.
    const depth = 500_000;
    bomber.send(`{"type":"memory.set","key":"bomb","value":${'['.repeat(depth)}${']'.repeat(depth)},"rid":"bomb"}`);
    expect(await bomber.next((f) => 'rid' in f && f.rid === 'bomb')).toMatchObject({ type: 'error', code: 'bad_request' });
    expect(await other.ok({ type: 'memory.get', key: 'bomb' })).toMatchObject({ entry: null });
    // Invalid UTF-8 in a text frame: the WebSocket layer ends the socket, and the session leaves.
    bomber.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await within(bomber.closed, 3000, 'close 1007')).code).toBe(1007);
    await other.nextOf('presence', (p) => p.event === 'leave' && p.session.id === 'bomber', 3000);
    await pingPong(other, 'still');
  });

  it(`${FRAMES} fuzzed frames on the memory engine: every rid answered once, every server frame valid, bystander served, no leak`, { timeout: 120_000 }, async () => {
    await thread.start({ options: LIMITS });
    try {
      const run = await fuzzHub(thread, bystander, FRAMES, 'memory');
      expectHealthy(run, thread, FRAMES);
      // Still serving: a fresh session joins and talks.
      const after = await RawClient.join(thread.url, { name: 'after' });
      expect(await after.client.ok({ type: 'memory.get', key: 'k' })).toMatchObject({ type: 'ok' });
      after.client.close();
    } finally {
      await thread.stop();
    }
  });

  describe.skipIf(!HAS_REDIS && !REQUIRE_REDIS)('on the Redis engine', () => {
    it(`a shorter pass (${REDIS_FRAMES} frames) holds the same rules`, { timeout: 90_000 }, async () => {
      const redis = await RedisServer.start();
      try {
        await thread.start({ options: LIMITS, redisUrl: redis.url });
        try {
          expectHealthy(await fuzzHub(thread, bystander, REDIS_FRAMES, 'redis'), thread, REDIS_FRAMES);
        } finally {
          await thread.stop();
        }
      } finally {
        await redis.stop();
      }
    });
  });
});
