// Limits per client (issue 7): the frame and byte rate limits (rate_limited with rid and retryMs,
// the frame not executed; 4429 for a client that keeps going), requests in flight, watches per
// session, sessions per token, tags per entry, and the knobs' path from flags to the welcome.
// Elsewhere: keys per namespace on both engines (test/conformance/suite.ts, "maxKeys"), value
// size (suite.ts, "refuses values over maxValueBytes"), inbox length (test/conformance/resume.ts,
// "says gap ... past its limit"), slow consumers (slow-consumer.test.ts), hello floods
// (slowloris.test.ts).
import { describe, expect, it } from 'vitest';
import { CloseCode } from '@switchboard/protocol';
import type { Entry, ServerFrame } from '@switchboard/protocol';
import { startHub as startBareHub } from '@switchboard/server';
import { RawClient } from '../helpers/raw-client.js';
import { SECRET, pingPong, startServe, token, useHubs, within } from '../hub/support.js';
import type { Joined } from '../hub/support.js';

type Answer = Extract<ServerFrame, { type: 'ok' | 'error' }>;

/** Sends every frame at once (one write each, no waiting), then collects the answer of each rid. */
async function burst(client: Joined | RawClient, frames: Array<Record<string, unknown>>, prefix: string): Promise<Answer[]> {
  const rids = frames.map((_, i) => `${prefix}${i}`);
  frames.forEach((frame, i) => client.send({ ...frame, rid: rids[i] }));
  return Promise.all(rids.map((rid) => client.next<Answer>((f) => (f.type === 'ok' || f.type === 'error') && f.rid === rid, 5000)));
}

const sets = (n: number, prefix: string, value: unknown = 1) => Array.from({ length: n }, (_, i) => ({ type: 'memory.set', key: `${prefix}${i}`, value }));

describe('rate limit: frames per second', () => {
  const { hub: startHub, join } = useHubs();

  it('refuses frames over the burst with rate_limited (rid, retryMs) and does not execute them', async () => {
    const hub = await startHub({ rateFrames: 20, rateFramesBurst: 10 });
    const a = await join(hub.url, { id: 'a', name: 'a' });
    const reader = await join(hub.url, { id: 'reader', name: 'reader' });
    // The hello took one token.
    const answers = await burst(a, sets(15, 'k'), 'r');
    const refused = answers.filter((f) => f.type === 'error');
    expect(refused.length).toBeGreaterThanOrEqual(4);
    for (const f of refused) {
      expect(f).toMatchObject({ code: 'rate_limited', rid: expect.stringMatching(/^r\d+$/) });
      expect((f as { retryMs?: number }).retryMs).toBeGreaterThan(0);
      expect(f.message).toMatch(/20 frames\/s/);
    }
    // Exactly the keys answered ok were written (read through another connection: its own bucket).
    const written = answers.flatMap((f, i) => (f.type === 'ok' ? [`k${i}`] : []));
    const { entries } = await reader.ok<{ entries: Entry[] }>({ type: 'memory.search', prefix: 'k' });
    expect(entries.map((e) => e.key).sort()).toEqual(written.sort());
    // A client that waits as told is served again, and never closed.
    const wait = Math.max(...refused.map((f) => (f as { retryMs?: number }).retryMs!));
    await new Promise((r) => setTimeout(r, wait));
    await a.ok({ type: 'memory.set', key: 'after', value: 1 });
  });

  it('closes a client that keeps sending while refused with 4429', async () => {
    const hub = await startHub({ rateFrames: 20, rateFramesBurst: 10 });
    const flooder = await join(hub.url, { id: 'flooder', name: 'flooder' });
    const bystander = await join(hub.url, { id: 'bystander', name: 'bystander' });
    for (let i = 0; i < 100; i++) flooder.send({ type: 'memory.get', key: 'x', rid: `f${i}` });
    expect((await within(flooder.closed, 3000, 'close of the flooder')).code).toBe(CloseCode.rateLimited);
    await pingPong(bystander, 'bystander');
    const metrics = await hub.metrics.scrape();
    expect(metrics).toMatch(/switchboard_closes_total\{reason="rate_limited",node="[^"]+"\} 1/);
    expect(metrics).toMatch(/switchboard_rate_limited_total\{limit="frames",node="[^"]+"\} \d+/);
  });

  it('never refuses or counts an ack that acknowledges new messages', async () => {
    const hub = await startHub({ rateFrames: 5, rateFramesBurst: 10 });
    const sender = await join(hub.url, { id: 'sender', name: 'sender' });
    const receiver = await join(hub.url, { id: 'receiver', name: 'receiver' });
    // 8 sends spend most of the sender's burst; the receiver acks each of the 8 messages.
    for (let i = 0; i < 8; i++) await sender.ok({ type: 'send', to: 'receiver', body: i });
    for (let i = 0; i < 8; i++) {
      const m = await receiver.nextOf('message', (f) => f.body === i);
      receiver.send({ type: 'ack', seq: m.seq });
    }
    // Had the acks cost tokens, the receiver's bucket (10, hello took 1) would be nearly empty.
    const answers = await burst(receiver, sets(9, 'r'), 'q');
    expect(answers.filter((f) => f.type === 'error')).toEqual([]);
    // An ack that acknowledges nothing new is charged like any frame.
    const idle = await join(hub.url, { id: 'idle', name: 'idle' });
    for (let i = 0; i < 9; i++) idle.send({ type: 'ack', seq: 0 });
    expect(await idle.request({ type: 'memory.get', key: 'r0' })).toMatchObject({ type: 'error', code: 'rate_limited' });
  });
});

describe('rate limit: bytes per second', () => {
  const { hub: startHub, join } = useHubs();

  it('refuses frames once the byte bucket is spent, while small frames at the same time pass', async () => {
    const hub = await startHub({ rateFrames: 0, rateBytes: 2000, rateBytesBurst: 8192, maxFrameBytes: 4096 });
    expect(hub.limits).toMatchObject({ rateFrames: 0, rateBytes: 2000, rateBytesBurst: 8192 });
    const a = await join(hub.url, { id: 'a', name: 'a' });
    const answers = await burst(a, sets(6, 'big', 'x'.repeat(1900)), 'b');
    expect(answers.map((f) => f.type)).toEqual(['ok', 'ok', 'ok', 'ok', 'error', 'error']);
    expect(answers[4]).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/2000 bytes\/s/) });
    // The next big frame needs ~2000 bytes the bucket does not have: about one second.
    expect((answers[4] as { retryMs?: number }).retryMs).toBeGreaterThan(500);
    expect((await a.request({ type: 'memory.get', key: 'big4' })).type).toBe('ok');
  });

  it('rejects settings where a legal frame could never pass, at start', async () => {
    await expect(startBareHub({ port: 0, logLevel: 'silent', maxFrameBytes: 4096, rateBytes: 1000, rateBytesBurst: 1000 })).rejects.toThrow(TypeError);
    await expect(startBareHub({ port: 0, logLevel: 'silent', maxPending: -1 })).rejects.toThrow(/maxPending/);
  });
});

describe('caps', () => {
  const { hub: startHub, join, open } = useHubs();

  it('answers requests beyond maxPending in flight with rate_limited; pings still pass', async () => {
    const hub = await startHub({ maxPending: 3 });
    const holder = await join(hub.url, { id: 'holder', name: 'holder' });
    const waiter = await join(hub.url, { id: 'waiter', name: 'waiter' });
    const tokens: string[] = [];
    for (const name of ['l1', 'l2', 'l3']) tokens.push((await holder.ok<{ token: string }>({ type: 'lock.acquire', name, ttlMs: 30_000 })).token);
    // Three acquires that wait for the holder: three requests in flight.
    for (const name of ['l1', 'l2', 'l3']) waiter.send({ type: 'lock.acquire', name, ttlMs: 30_000, wait: true, rid: `w-${name}` });
    await pingPong(waiter, 'p1');
    expect(await waiter.request({ type: 'memory.get', key: 'k' })).toMatchObject({ type: 'error', code: 'rate_limited', message: expect.stringMatching(/3 requests/) });
    await pingPong(waiter, 'p2');
    // Answers free the slots.
    await holder.ok({ type: 'lock.release', name: 'l1', token: tokens[0] });
    await waiter.nextOf('ok', (f) => f.rid === 'w-l1');
    await waiter.ok({ type: 'memory.get', key: 'k' });
  });

  it('refuses a memory.watch beyond maxWatches with limit_exceeded; re-watching and unwatching are fine', async () => {
    const hub = await startHub({ maxWatches: 2 });
    const a = await join(hub.url, { id: 'a', name: 'a' });
    await a.ok({ type: 'memory.watch', prefix: 'a/' });
    await a.ok({ type: 'memory.watch', prefix: 'b/' });
    expect(await a.request({ type: 'memory.watch', prefix: 'c/' })).toMatchObject({ type: 'error', code: 'limit_exceeded', message: expect.stringMatching(/2 prefixes/) });
    await a.ok({ type: 'memory.watch', prefix: 'a/' });
    await a.ok({ type: 'memory.unwatch', prefix: 'a/' });
    await a.ok({ type: 'memory.watch', prefix: 'c/' });
    // The refused prefix was not watched.
    await a.ok({ type: 'memory.set', key: 'c/1', value: 1 });
    await a.nextOf('memory.changed', (f) => f.key === 'c/1');
  });

  it('caps sessions per token (by sub, else by token) per node: limit_exceeded and 4429; a leave frees a slot', async () => {
    const hub = await startHub({ secret: SECRET, maxSessionsPerToken: 2 });
    const alice = await token({ ns: 'team', sub: 'alice' });
    const alice2 = await token({ ns: 'team', sub: 'alice', role: 'agent' });
    const watcher = await join(hub.url, { id: 'watcher', name: 'watcher' }, await token({ ns: 'team', sub: 'watcher' }));
    await watcher.ok({ type: 'presence.watch' });
    const first = await join(hub.url, { id: 'a1', name: 'a1' }, alice);
    await join(hub.url, { id: 'a2', name: 'a2' }, alice2);
    const third = await open(hub.url);
    third.send({ type: 'hello', protocol: 1, token: alice, session: { id: 'a3', name: 'a3' } });
    expect(await third.nextOf('error')).toMatchObject({ code: 'limit_exceeded', message: expect.stringMatching(/2 sessions/) });
    expect((await third.closed).code).toBe(CloseCode.rateLimited);
    // Another subject has its own count; a token without sub counts by the token itself.
    await join(hub.url, { id: 'b1', name: 'b1' }, await token({ ns: 'team', sub: 'bob' }));
    const anon = await token({ ns: 'team' });
    await join(hub.url, { id: 'n1', name: 'n1' }, anon);
    await join(hub.url, { id: 'n2', name: 'n2' }, anon);
    const n3 = await open(hub.url);
    n3.send({ type: 'hello', protocol: 1, token: anon, session: { id: 'n3', name: 'n3' } });
    expect((await n3.closed).code).toBe(CloseCode.rateLimited);
    // When alice's first session leaves, she may open another.
    first.send({ type: 'bye' });
    await watcher.nextOf('presence', (f) => f.event === 'leave' && f.session.id === 'a1');
    await join(hub.url, { id: 'a3', name: 'a3' }, alice);
  });

  it('does not cap sessions on an open hub (no tokens to count by)', async () => {
    const hub = await startHub({ maxSessionsPerToken: 1 });
    await join(hub.url, { id: 'o1', name: 'o1' });
    await join(hub.url, { id: 'o2', name: 'o2' });
  });

  it('caps tags per memory entry at 32 (the schema), announced in the welcome', async () => {
    const hub = await startHub();
    const a = await join(hub.url, { id: 'a', name: 'a' });
    expect(a.welcome.limits.maxTags).toBe(32);
    const tags = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);
    expect(await a.request({ type: 'memory.set', key: 'many', value: 1, tags: tags(33) })).toMatchObject({ type: 'error', code: 'bad_request' });
    await a.ok({ type: 'memory.set', key: 'many', value: 1, tags: tags(32) });
  });
});

describe('limit settings', () => {
  const { cleanup } = useHubs();

  it('reach the hub from flags and env of `switchboard serve`, and the welcome announces them', async () => {
    const served = await startServe(cleanup, {
      args: ['--port', '0', '--rate-frames', '300', '--rate-frames-burst', '600', '--max-pending', '7', '--max-watches', '5', '--max-keys', '999', '--max-buffered-bytes', '65536'],
      env: { SWITCHBOARD_RATE_BYTES: '123456', SWITCHBOARD_HELLO_TIMEOUT_MS: '300', SWITCHBOARD_MAX_SESSIONS_PER_TOKEN: '3' },
    });
    const { client, welcome } = await RawClient.join(served.url, { name: 'probe' });
    cleanup(() => client.close());
    expect(welcome.limits).toEqual({
      maxFrameBytes: 1024 * 1024,
      maxValueBytes: 256 * 1024,
      rateFrames: 300,
      rateFramesBurst: 600,
      rateBytes: 123456,
      rateBytesBurst: 2 * 1024 * 1024,
      maxPending: 7,
      maxWatches: 5,
      maxKeys: 999,
      maxTags: 32,
      inboxLimit: 10_000,
    });
    // The hello timeout came from the env: a silent socket is closed 4408 well before the default 10 s.
    const silent = await RawClient.open(served.url);
    cleanup(() => silent.close());
    expect((await within(silent.closed, 3000, 'hello timeout')).code).toBe(CloseCode.timeout);
  });
});
