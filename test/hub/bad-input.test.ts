// Bad input on a live session: every undecodable or invalid frame gets one error frame, the
// offending socket stays open, and the hub keeps serving everyone else. Only a frame over
// maxFrameBytes ends the socket (1009), and then the session leaves.
import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_FRAME_DEPTH } from '@switchboard/protocol';
import type { ServerFrame, Session } from '@switchboard/protocol';
import WebSocket from 'ws';
import type { Hub } from '@switchboard/server';
import { pingPong, relay, useHubs } from './support.js';
import type { Joined } from './support.js';

type ErrorFrame = Extract<ServerFrame, { type: 'error' }>;

/** JSON text of `depth` arrays, one inside the other. */
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('bad input on a live session', () => {
  const { hub: startHub, join } = useHubs();
  let hub: Hub;
  let bad: Joined;
  let a: Joined;
  let b: Joined;
  let round = 0;

  beforeEach(async () => {
    hub = await startHub({ maxFrameBytes: 2048 });
    bad = await join(hub.url, { id: 'bad', name: 'bad' });
    a = await join(hub.url, { id: 'a', name: 'a' });
    b = await join(hub.url, { id: 'b', name: 'b' });
  });

  /** The offender still answers, and two other sessions still talk to each other. */
  async function stillServed(): Promise<void> {
    round++;
    await pingPong(bad, `alive-${round}`);
    expect(bad.ws.readyState).toBe(WebSocket.OPEN);
    await relay(a, b, { round });
    await relay(b, a, { back: round });
  }

  const cases: Array<{ what: string; frame: string | Buffer; code: ErrorFrame['code']; rid?: string; message?: RegExp }> = [
    { what: 'bad JSON', frame: '{"type":"ping","rid":"j1"', code: 'bad_request', message: /JSON/ },
    { what: 'a binary frame (even holding a valid ping)', frame: Buffer.from(JSON.stringify({ type: 'ping', rid: 'bin1' })), code: 'bad_request', message: /binary/ },
    { what: 'a JSON array', frame: '[1]', code: 'bad_request', message: /object/ },
    { what: 'a JSON string', frame: '"x"', code: 'bad_request', message: /object/ },
    { what: 'JSON null', frame: 'null', code: 'bad_request', message: /object/ },
    { what: 'a JSON number', frame: '42', code: 'bad_request', message: /object/ },
    { what: 'an object without type', frame: JSON.stringify({ rid: 'nt1' }), code: 'bad_request', rid: 'nt1' },
    { what: 'an unknown type', frame: JSON.stringify({ type: 'launch.rockets', rid: 'u1' }), code: 'unknown_type', rid: 'u1', message: /launch\.rockets/ },
    { what: 'memory.set with a bad key', frame: JSON.stringify({ type: 'memory.set', rid: 'k1', key: 'a b', value: 1 }), code: 'bad_request', rid: 'k1', message: /key/ },
    { what: 'send without to', frame: JSON.stringify({ type: 'send', rid: 's1', body: 'hi' }), code: 'bad_request', rid: 's1', message: /to/ },
    { what: 'send with a bad to', frame: JSON.stringify({ type: 'send', rid: 's2', to: 'a b', body: 'hi' }), code: 'bad_request', rid: 's2' },
    { what: 'memory.get without rid', frame: JSON.stringify({ type: 'memory.get', key: 'k' }), code: 'bad_request' },
    { what: 'a rid longer than 64 chars', frame: JSON.stringify({ type: 'ping', rid: 'r'.repeat(65) }), code: 'bad_request' },
    // 40 emoji are 80 UTF-16 units but 40 characters: a valid rid, so a refusal echoes it like an ok would.
    { what: 'a rid of 40 emoji on an invalid frame', frame: JSON.stringify({ type: 'memory.get', rid: '😀'.repeat(40), key: 'a b' }), code: 'bad_request', rid: '😀'.repeat(40), message: /key/ },
    // A meta nested past MAX_FRAME_DEPTH used to be stored, then broke every answer that carried the session.
    { what: 'update with meta nested deeper than MAX_FRAME_DEPTH', frame: `{"type":"update","rid":"d1","meta":{"x":${nested(MAX_FRAME_DEPTH - 1)}}}`, code: 'bad_request', rid: 'd1', message: /deeper than 128/ },
  ];

  it.each(cases)('$what → error $code, socket stays open, others served', async ({ frame, code, rid, message }) => {
    if (typeof frame === 'string') bad.send(frame);
    else bad.ws.send(frame, { binary: true });
    const error = await bad.nextOf('error', () => true, 3000);
    expect(error.code).toBe(code);
    if (rid === undefined) expect(error).not.toHaveProperty('rid');
    else expect(error.rid).toBe(rid);
    if (message) expect(error.message).toMatch(message);
    // Nothing else came of the bad frame: no pong for the ping inside the binary frame, no ok.
    await bad.none((f) => f.type === 'pong' && (f.rid === 'bin1' || f.rid === 'r'.repeat(65)));
    await bad.none((f) => f.type === 'ok' || f.type === 'error');
    await stillServed();
    // The offender's session is still registered and reachable.
    await relay(a, bad, { to: 'bad', round });
  });

  it('a second hello → error bad_request, session unchanged, others served', async () => {
    bad.send({ type: 'hello', protocol: 1, session: { id: 'other-id', name: 'renamed' } });
    const error = await bad.nextOf('error', () => true, 3000);
    expect(error.code).toBe('bad_request');
    await bad.none((f) => f.type === 'welcome');
    const { sessions } = await a.ok<{ sessions: Session[] }>({ type: 'sessions.list' });
    expect(sessions.map((s) => s.id).sort()).toEqual(['a', 'b', 'bad']);
    expect(sessions.find((s) => s.id === 'bad')?.name).toBe('bad');
    await stillServed();
  });

  it('several bad frames in a row are each answered, in order', async () => {
    bad.send('nope');
    bad.send({ type: 'zzz', rid: 'z1' });
    bad.send({ type: 'memory.get', rid: 'z2', key: '' });
    bad.send({ type: 'ping', rid: 'z3' });
    await bad.nextOf('pong', (f) => f.rid === 'z3');
    const errors = bad.frames.filter((f): f is ErrorFrame => f.type === 'error');
    expect(errors.map((e) => [e.code, e.rid])).toEqual([
      ['bad_request', undefined],
      ['unknown_type', 'z1'],
      ['bad_request', 'z2'],
    ]);
    await stillServed();
  });

  it('a frame nested exactly MAX_FRAME_DEPTH deep is served; one level more is refused, and stores nothing', async () => {
    // frame (1) → value → MAX_FRAME_DEPTH - 1 arrays = MAX_FRAME_DEPTH levels.
    const atLimit = `{"type":"memory.set","rid":"deep-ok","key":"deep","value":${nested(MAX_FRAME_DEPTH - 1)}}`;
    bad.send(atLimit);
    expect(await bad.next((f) => 'rid' in f && f.rid === 'deep-ok')).toMatchObject({ type: 'ok', entry: { version: 1 } });
    bad.send(`{"type":"memory.set","rid":"deep-no","key":"deep","value":${nested(MAX_FRAME_DEPTH)}}`);
    expect(await bad.next((f) => 'rid' in f && f.rid === 'deep-no')).toMatchObject({ type: 'error', code: 'bad_request' });
    bad.send(`{"type":"update","rid":"deep-meta","meta":{"x":${nested(MAX_FRAME_DEPTH)}}}`);
    expect(await bad.next((f) => 'rid' in f && f.rid === 'deep-meta')).toMatchObject({ type: 'error', code: 'bad_request' });
    // Refused before JSON.parse (slow on deep nesting), with the rid read from the text, even after the deep part.
    bad.send(`{"type":"memory.set","key":"deep","value":${nested(900)},"rid":"deep-far"}`);
    expect(await bad.next((f) => 'rid' in f && f.rid === 'deep-far')).toMatchObject({ type: 'error', code: 'bad_request', message: /deeper than 128/ });
    // Nothing of the refused frames was kept: the entry is still version 1, and listing sessions
    // (which carries every meta) still works for everyone.
    expect(await a.ok({ type: 'memory.get', key: 'deep' })).toMatchObject({ entry: { version: 1 } });
    const { sessions } = await a.ok<{ sessions: Session[] }>({ type: 'sessions.list' });
    expect(sessions.find((s) => s.id === 'bad')?.meta).toEqual({});
    await stillServed();
  });

  it('announces maxFrameBytes in welcome and accepts a frame under it', async () => {
    expect(bad.welcome.limits.maxFrameBytes).toBe(2048);
    const value = 'x'.repeat(1500);
    const ok = await bad.ok<{ entry: { version: number } }>({ type: 'memory.set', key: 'near-limit', value });
    expect(ok.entry.version).toBe(1);
    await stillServed();
  });

  it('a frame over maxFrameBytes → close 1009 and the session leaves; others unaffected', async () => {
    await a.ok({ type: 'presence.watch' });
    bad.send({ type: 'memory.set', rid: 'big', key: 'big', value: 'x'.repeat(4096) });
    const closed = await bad.closed;
    expect(closed.code).toBe(1009);
    const leave = await a.nextOf('presence', (p) => p.event === 'leave' && p.session.id === 'bad', 3000);
    expect(leave.session.id).toBe('bad');
    // The oversized request was never executed.
    const got = await a.ok<{ entry: unknown }>({ type: 'memory.get', key: 'big' });
    expect(got.entry).toBeNull();
    const { sessions } = await a.ok<{ sessions: Session[] }>({ type: 'sessions.list' });
    expect(sessions.map((s) => s.id).sort()).toEqual(['a', 'b']);
    await relay(a, b, 'after oversize');
    const missing = await a.request({ type: 'send', to: 'bad', body: 'gone?' });
    expect(missing).toMatchObject({ type: 'error', code: 'not_found' });
  });
});
