// GET /metrics: a real hub scraped over HTTP, its Prometheus text parsed, and every metric shown
// to move with real traffic: frames, errors, sessions by status, connections, message latency,
// engine call latency (memory and Redis), unacknowledged messages, and closes by reason. The
// optional bearer token is checked on a hub in process and on `switchboard serve`.
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CloseCode } from '@switchboard/protocol';
import { loadConfig, ConfigError, RedisEngine } from '@switchboard/server';
import type { Hub } from '@switchboard/server';
import { TallyHistogram } from '../../server/src/tally-histogram.js';
import { HAS_REDIS, REQUIRE_REDIS, RedisServer } from '../helpers/redis-server.js';
import { until } from '../helpers/wait.js';
import { startServe, useHubs, within } from './support.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (0.0.4); comments and blank lines skipped. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

class Scrape {
  constructor(readonly samples: Sample[]) {}

  /** Sum of the samples named `name` whose labels include `labels` (0 when there are none). */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.samples
      .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((sum, s) => sum + s.value, 0);
  }

  has(name: string): boolean {
    return this.samples.some((s) => s.name === name);
  }
}

async function get(hub: { httpUrl: string }, authorization?: string): Promise<Response> {
  return fetch(`${hub.httpUrl}/metrics`, authorization === undefined ? {} : { headers: { authorization } });
}

async function scrape(hub: Hub): Promise<Scrape> {
  const res = await get(hub);
  expect(res.status).toBe(200);
  return new Scrape(parse(await res.text()));
}

describe('GET /metrics', () => {
  const { hub: startHub, open, join, cleanup } = useHubs();

  it('is Prometheus text with this node as a label on every sample, process metrics included', async () => {
    const hub = await startHub({ nodeId: 'metrics-node' });
    const res = await get(hub);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = new Scrape(parse(await res.text()));
    expect(m.samples.length).toBeGreaterThan(20);
    expect(m.samples.every((s) => s.labels.node === 'metrics-node')).toBe(true);
    expect(m.has('process_cpu_user_seconds_total')).toBe(true);
    expect(m.has('nodejs_eventloop_lag_seconds')).toBe(true);
    expect(m.value('switchboard_connections')).toBe(0);
    // Two hubs in one process keep separate counts.
    const other = await startHub({ nodeId: 'other-node' });
    await join(hub.url, { id: 'a', name: 'a' });
    expect((await scrape(hub)).value('switchboard_frames_in_total', { type: 'hello' })).toBe(1);
    expect((await scrape(other)).value('switchboard_frames_in_total', { type: 'hello' })).toBe(0);
  });

  it('counts frames in and out by type, errors by code, delivery latency, engine calls and connections', async () => {
    const hub = await startHub();
    const a = await join(hub.url, { id: 'a', name: 'a' });
    const b = await join(hub.url, { id: 'b', name: 'b' });
    expect((await scrape(hub)).value('switchboard_connections')).toBe(2);

    for (let i = 0; i < 3; i++) await a.ok({ type: 'send', to: 'b', body: { i } });
    for (let i = 0; i < 3; i++) await b.nextOf('message', (f) => (f.body as { i: number }).i === i, 3000);
    await a.ok({ type: 'broadcast', body: 'all' });
    await b.nextOf('message', (f) => f.body === 'all', 3000);
    expect((await a.request({ type: 'send', to: 'nobody', body: 1 })).code).toBe('not_found');
    a.send({ type: 'no.such.frame', rid: 'x' });
    await a.nextOf('error', (f) => f.rid === 'x');
    a.send('{not json');
    await a.nextOf('error', (f) => f.code === 'bad_request');

    const m = await scrape(hub);
    expect(m.value('switchboard_frames_in_total', { type: 'hello' })).toBe(2);
    expect(m.value('switchboard_frames_in_total', { type: 'send' })).toBe(4);
    expect(m.value('switchboard_frames_in_total', { type: 'broadcast' })).toBe(1);
    expect(m.value('switchboard_frames_in_total', { type: 'invalid' })).toBe(2);
    expect(m.value('switchboard_frames_out_total', { type: 'welcome' })).toBe(2);
    expect(m.value('switchboard_frames_out_total', { type: 'message' })).toBe(4);
    expect(m.value('switchboard_frames_out_total', { type: 'ok' })).toBe(4);
    expect(m.value('switchboard_frames_out_total', { type: 'error' })).toBe(3);
    expect(m.value('switchboard_errors_total', { code: 'not_found' })).toBe(1);
    expect(m.value('switchboard_errors_total', { code: 'unknown_type' })).toBe(1);
    expect(m.value('switchboard_errors_total', { code: 'bad_request' })).toBe(1);
    // Direct messages only: the three sends, each timed once when written to b's socket.
    expect(m.value('switchboard_message_latency_seconds_count')).toBe(3);
    expect(m.value('switchboard_message_latency_seconds_bucket', { le: '+Inf' })).toBe(3);
    expect(m.value('switchboard_engine_op_seconds_count', { op: 'send', engine: 'memory' })).toBe(4);
    expect(m.value('switchboard_engine_op_seconds_count', { op: 'join', engine: 'memory' })).toBe(2);
    expect(m.value('switchboard_engine_op_seconds_count', { op: 'broadcast', engine: 'memory' })).toBe(1);

    b.close();
    await until(async () => (await scrape(hub)).value('switchboard_connections') === 1, 3000, 'connections to drop to 1');
  });

  it('counts sessions by status as they change', async () => {
    const hub = await startHub();
    const a = await join(hub.url, { id: 'a', name: 'a' });
    await join(hub.url, { id: 'b', name: 'b', status: 'idle' });
    let m = await scrape(hub);
    expect(m.value('switchboard_sessions', { status: 'active' })).toBe(1);
    expect(m.value('switchboard_sessions', { status: 'idle' })).toBe(1);
    expect(m.value('switchboard_sessions', { status: 'working' })).toBe(0);
    expect(m.samples.filter((s) => s.name === 'switchboard_sessions').map((s) => s.labels.status).sort()).toEqual(['active', 'away', 'idle', 'working']);

    await a.ok({ type: 'update', status: 'working' });
    m = await until(async () => {
      const now = await scrape(hub);
      return now.value('switchboard_sessions', { status: 'working' }) === 1 ? now : null;
    }, 3000, 'a to count as working');
    expect(m.value('switchboard_sessions', { status: 'active' })).toBe(0);
    expect(m.value('switchboard_sessions', { status: 'idle' })).toBe(1);
  });

  it('counts direct messages written and not yet acknowledged, back to 0 after the ack', async () => {
    const hub = await startHub();
    const a = await join(hub.url, { id: 'a', name: 'a' });
    const b = await join(hub.url, { id: 'b', name: 'b' });
    const c = await join(hub.url, { id: 'c', name: 'c' });
    for (let i = 1; i <= 3; i++) await a.ok({ type: 'send', to: 'b', body: i });
    await a.ok({ type: 'send', to: 'c', body: 'x' });
    let last = 0;
    for (let i = 1; i <= 3; i++) last = (await b.nextOf('message', (f) => f.body === i, 3000)).seq!;
    const toC = await c.nextOf('message', (f) => f.body === 'x', 3000);

    let m = await scrape(hub);
    expect(m.value('switchboard_inbox_pending')).toBe(4);
    expect(m.value('switchboard_inbox_pending_max')).toBe(3);

    b.send({ type: 'ack', seq: last - 1 });
    await until(async () => (await scrape(hub)).value('switchboard_inbox_pending') === 2, 3000, 'pending 2 after a partial ack');
    b.send({ type: 'ack', seq: last });
    c.send({ type: 'ack', seq: toC.seq });
    m = await until(async () => {
      const now = await scrape(hub);
      return now.value('switchboard_inbox_pending') === 0 ? now : null;
    }, 3000, 'pending 0 after the acks');
    expect(m.value('switchboard_inbox_pending_max')).toBe(0);
  });

  it('counts the sockets the hub closes itself, by reason', async () => {
    const hub = await startHub({ helloTimeoutMs: 150, heartbeatMs: 100 });
    const mute = await open(hub.url);
    expect((await within(mute.closed, 3000, 'the hello timeout')).code).toBe(CloseCode.timeout);
    const rude = await open(hub.url);
    rude.send({ type: 'ping' });
    expect((await within(rude.closed, 3000, 'the bad hello close')).code).toBe(CloseCode.badHello);
    const silent = await open(hub.url, { autoPong: false });
    silent.send({ type: 'hello', protocol: 1, session: { id: 'silent', name: 'silent' } });
    await silent.nextOf('welcome');
    expect((await within(silent.closed, 3000, 'the heartbeat timeout')).code).toBe(CloseCode.timeout);
    const polite = await join(hub.url, { id: 'polite', name: 'polite' });
    polite.send({ type: 'bye' });
    await within(polite.closed, 3000, 'the bye close');

    const m = await scrape(hub);
    expect(m.value('switchboard_closes_total', { reason: 'hello_timeout' })).toBe(1);
    expect(m.value('switchboard_closes_total', { reason: 'bad_hello' })).toBe(1);
    expect(m.value('switchboard_closes_total', { reason: 'heartbeat_timeout' })).toBe(1);
    // bye is the client's choice, not the hub's.
    expect(m.value('switchboard_closes_total')).toBe(3);

    const last = await join(hub.url, { id: 'last', name: 'last' });
    await hub.close();
    await last.nextOf('drain');
    const after = new Scrape(parse(await hub.metrics.scrape()));
    expect(after.value('switchboard_closes_total', { reason: 'drain' })).toBe(1);
    expect(after.value('switchboard_frames_out_total', { type: 'drain' })).toBe(1);
  });

  it('counts rate-limited requests by limit through HubMetrics.rateLimited', async () => {
    const hub = await startHub();
    hub.metrics.rateLimited('frames');
    hub.metrics.rateLimited('frames');
    hub.metrics.closed('slow_consumer');
    const m = await scrape(hub);
    expect(m.value('switchboard_rate_limited_total', { limit: 'frames' })).toBe(2);
    expect(m.value('switchboard_closes_total', { reason: 'slow_consumer' })).toBe(1);
  });

  it('wants the bearer metrics token when one is set: 401 without it or with a wrong one', async () => {
    const hub = await startHub({ metricsToken: METRICS_TOKEN });
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${METRICS_TOKEN.slice(0, -1)}x`, `Bearer ${METRICS_TOKEN}x`, METRICS_TOKEN]) {
      const res = await get(hub, authorization);
      expect(res.status, `authorization ${authorization}`).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('unauthorized');
    }
    const res = await get(hub, `Bearer ${METRICS_TOKEN}`);
    expect(res.status).toBe(200);
    expect(new Scrape(parse(await res.text())).has('switchboard_connections')).toBe(true);
  });

  it('takes the token from SWITCHBOARD_METRICS_TOKEN or --metrics-token, at least 16 characters', async () => {
    expect(loadConfig({}, {}).metricsToken).toBeUndefined();
    expect(loadConfig({}, { SWITCHBOARD_METRICS_TOKEN: METRICS_TOKEN }).metricsToken).toBe(METRICS_TOKEN);
    expect(loadConfig({ 'metrics-token': `${METRICS_TOKEN}!` }, { SWITCHBOARD_METRICS_TOKEN: METRICS_TOKEN }).metricsToken).toBe(`${METRICS_TOKEN}!`);
    expect(() => loadConfig({}, { SWITCHBOARD_METRICS_TOKEN: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig({}, { SWITCHBOARD_METRICS_TOKEN: 'short' })).toThrow(/SWITCHBOARD_METRICS_TOKEN/);

    const served = await startServe(cleanup, { args: ['--port', '0'], env: { SWITCHBOARD_METRICS_TOKEN: METRICS_TOKEN } });
    const httpUrl = `http://127.0.0.1:${served.port}`;
    expect((await get({ httpUrl })).status).toBe(401);
    expect((await get({ httpUrl }, `Bearer ${METRICS_TOKEN}`)).status).toBe(200);
  });
});

describe('TallyHistogram', () => {
  it('renders exactly what a prom-client Histogram renders for the same observations', async () => {
    const buckets = [0.001, 0.01, 0.1, 1];
    const values = [0, 0.0005, 0.001, 0.0011, 0.01, 0.05, 0.1, 0.5, 1, 1.5, 20];
    const ours = new Registry();
    const theirs = new Registry();
    const tally = new TallyHistogram('h_seconds', 'help', ['op'], buckets, ours);
    const reference = new Histogram({ name: 'h_seconds', help: 'help', labelNames: ['op'], buckets, registers: [theirs] });
    for (const [i, v] of values.entries()) {
      const op = i % 2 === 0 ? 'even' : 'odd';
      tally.labels({ op }).observe(v);
      reference.observe({ op }, v);
    }
    // Same samples; label order within a line may differ.
    const key = (s: Sample) => `${s.name}{${Object.entries(s.labels).sort().join(',')}}`;
    const sorted = async (r: Registry) => parse(await r.metrics()).sort((a, b) => key(a).localeCompare(key(b)));
    expect(await sorted(ours)).toEqual(await sorted(theirs));
    expect(new Scrape(await sorted(ours)).value('h_seconds_bucket', { op: 'even', le: '0.001' })).toBe(2);
  });
});

describe.skipIf(!HAS_REDIS && !REQUIRE_REDIS)('GET /metrics on the Redis engine', () => {
  const { hub: startHub, join, cleanup } = useHubs();

  it('times the Redis engine calls the hub makes', async () => {
    const redis = await RedisServer.start();
    cleanup(() => redis.stop());
    const hub = await startHub({ engine: new RedisEngine({ url: redis.url }) });
    const a = await join(hub.url, { id: 'a', name: 'a' });
    const b = await join(hub.url, { id: 'b', name: 'b' });
    for (let i = 0; i < 5; i++) await a.ok({ type: 'send', to: 'b', body: i });
    for (let i = 0; i < 5; i++) await b.nextOf('message', (f) => f.body === i, 3000);
    await a.ok({ type: 'memory.set', key: 'k', value: 1 });
    await a.ok({ type: 'lock.acquire', name: 'l', ttlMs: 1000 });

    const m = await scrape(hub);
    const redisOp = (op: string) => ({ op, engine: 'redis' });
    expect(m.value('switchboard_engine_op_seconds_count', redisOp('send'))).toBe(5);
    expect(m.value('switchboard_engine_op_seconds_sum', redisOp('send'))).toBeGreaterThan(0);
    expect(m.value('switchboard_engine_op_seconds_count', redisOp('join'))).toBe(2);
    expect(m.value('switchboard_engine_op_seconds_count', redisOp('memorySet'))).toBe(1);
    expect(m.value('switchboard_engine_op_seconds_count', redisOp('locks.acquire'))).toBe(1);
    expect(m.value('switchboard_engine_op_seconds_count', { engine: 'memory' })).toBe(0);
    expect(m.value('switchboard_message_latency_seconds_count')).toBe(5);
  });
});
