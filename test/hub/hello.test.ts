// Before hello: the first frame must be a valid hello, sent in time, proposing an id no live
// session holds. Anything else ends the socket with the close code the protocol names.
import { describe, expect, it } from 'vitest';
import { CloseCode } from '@switchboard/protocol';
import type { Session } from '@switchboard/protocol';
import { RawClient } from '../helpers/raw-client.js';
import { pingPong, relay, useHubs, within } from './support.js';

describe('before hello', () => {
  const { hub: startHub, open, join } = useHubs();

  it('a WebSocket on a path other than /v1 is refused at the upgrade (404)', async () => {
    const hub = await startHub();
    for (const path of ['/v2', '/', '/v1/extra']) {
      const url = hub.url.replace(/\/v1$/, path);
      await expect(RawClient.open(url), path).rejects.toThrow(/404/);
    }
  });

  it('a first frame that is not hello → error bad_request, then close 4400; nothing is executed', async () => {
    const hub = await startHub();
    const watcher = await join(hub.url, { id: 'w', name: 'w' });
    const c = await open(hub.url);
    c.send({ type: 'memory.set', rid: 'm1', key: 'early', value: 1 });
    const error = await c.nextOf('error', () => true, 3000);
    expect(error.code).toBe('bad_request');
    expect((await within(c.closed, 3000, 'close')).code).toBe(CloseCode.badHello);
    expect(c.frames.some((f) => f.type === 'ok' || f.type === 'welcome')).toBe(false);
    expect((await watcher.ok<{ entry: unknown }>({ type: 'memory.get', key: 'early' })).entry).toBeNull();
  });

  it.each([
    ['bad JSON', '{"type":"hello",'],
    ['a JSON array', '[{"type":"hello"}]'],
    ['an unknown type', JSON.stringify({ type: 'helo', protocol: 1, session: { name: 'x' } })],
  ])('%s as the first frame → close 4400', async (_what, text) => {
    const hub = await startHub();
    const c = await open(hub.url);
    c.send(text);
    expect((await within(c.closed, 3000, 'close')).code).toBe(CloseCode.badHello);
    expect(c.frames.filter((f) => f.type === 'error')).toHaveLength(1);
  });

  it('a binary first frame (holding a valid hello) → close 4400', async () => {
    const hub = await startHub();
    const c = await open(hub.url);
    c.ws.send(Buffer.from(JSON.stringify({ type: 'hello', protocol: 1, session: { name: 'x' } })), { binary: true });
    expect((await within(c.closed, 3000, 'close')).code).toBe(CloseCode.badHello);
    expect(c.frames.some((f) => f.type === 'welcome')).toBe(false);
  });

  it.each([
    ['protocol 2', { type: 'hello', protocol: 2, session: { name: 'x' } }],
    ['no protocol', { type: 'hello', session: { name: 'x' } }],
    ['no session', { type: 'hello', protocol: 1 }],
    ['no name', { type: 'hello', protocol: 1, session: { id: 'ok-id' } }],
    ['an empty name', { type: 'hello', protocol: 1, session: { name: '' } }],
    ['a bad id "a b"', { type: 'hello', protocol: 1, session: { id: 'a b', name: 'x' } }],
    ['an id of 65 chars', { type: 'hello', protocol: 1, session: { id: 'i'.repeat(65), name: 'x' } }],
    ['a bad status', { type: 'hello', protocol: 1, session: { name: 'x', status: 'asleep' } }],
    ['a non-string token', { type: 'hello', protocol: 1, token: 42, session: { name: 'x' } }],
  ])('an invalid hello (%s) → error bad_request, close 4400, no session', async (_what, hello) => {
    const hub = await startHub();
    const watcher = await join(hub.url, { id: 'w', name: 'w' });
    const c = await open(hub.url);
    c.send(hello);
    const error = await c.nextOf('error', () => true, 3000);
    expect(error.code).toBe('bad_request');
    expect((await within(c.closed, 3000, 'close')).code).toBe(CloseCode.badHello);
    const { sessions } = await watcher.ok<{ sessions: Session[] }>({ type: 'sessions.list' });
    expect(sessions.map((s) => s.id)).toEqual(['w']);
  });

  it('no hello within helloTimeoutMs → close 4408; a session that said hello is not affected', async () => {
    const hub = await startHub({ helloTimeoutMs: 200 });
    const early = await join(hub.url, { id: 'early', name: 'early' });
    const opened = Date.now();
    const silent = await open(hub.url);
    const closed = await within(silent.closed, 3000, 'the hello timeout');
    expect(closed.code).toBe(CloseCode.timeout);
    // It is the hello timer, not something quicker.
    expect(Date.now() - opened).toBeGreaterThanOrEqual(150);
    expect(silent.frames.some((f) => f.type === 'welcome')).toBe(false);
    // `early` joined before `silent` opened, so its hello timer would have fired by now: it did not.
    await pingPong(early, 'still-here');
    const { sessions } = await early.ok<{ sessions: Session[] }>({ type: 'sessions.list' });
    expect(sessions.map((s) => s.id)).toEqual(['early']);
  });

  it('a proposed id held by a live session → error conflict, close 4409; the holder is unaffected', async () => {
    const hub = await startHub();
    const holder = await join(hub.url, { id: 'taken', name: 'first' });
    const watcher = await join(hub.url, { id: 'w', name: 'w' });
    await watcher.ok({ type: 'presence.watch' });
    const intruder = await open(hub.url);
    intruder.send({ type: 'hello', protocol: 1, session: { id: 'taken', name: 'second' } });
    const error = await intruder.nextOf('error', () => true, 3000);
    expect(error.code).toBe('conflict');
    expect((await within(intruder.closed, 3000, 'close')).code).toBe(CloseCode.sessionInUse);
    // The holder still gets messages, is still listed as itself, and never left.
    await relay(watcher, holder, 'still yours');
    const { sessions } = await watcher.ok<{ sessions: Session[] }>({ type: 'sessions.list' });
    const listed = sessions.filter((s) => s.id === 'taken');
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ name: 'first', connectedAt: holder.welcome.session.connectedAt });
    await watcher.none((f) => f.type === 'presence' && f.session.id === 'taken');
    await pingPong(holder, 'holder-ok');
  });

  it('an id becomes free again once its holder has left', async () => {
    const hub = await startHub();
    const holder = await join(hub.url, { id: 'reused', name: 'first' });
    const watcher = await join(hub.url, { id: 'w', name: 'w' });
    await watcher.ok({ type: 'presence.watch' });
    holder.send({ type: 'bye' });
    expect((await within(holder.closed, 3000, 'close after bye')).code).toBe(CloseCode.normal);
    const left = await watcher.nextOf('presence', (p) => p.event === 'leave' && p.session.id === 'reused', 3000);
    expect(left.reason).toBe('bye');
    const again = await join(hub.url, { id: 'reused', name: 'second' });
    expect(again.welcome.sessionId).toBe('reused');
    await relay(watcher, again, 'welcome back');
  });
});
