// Auth on the socket: with a secret, hello must carry a valid HS256 token (else 4401), and the
// token's `ns` claim puts the session in a namespace it cannot see out of.
import { UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { CloseCode } from '@switchboard/protocol';
import type { Entry, Session } from '@switchboard/protocol';
import { pingPong, relay, SECRET, token, useHubs, within } from './support.js';

describe('auth on the socket', () => {
  const { hub: startHub, open, join } = useHubs();

  async function refused(url: string, extra: Record<string, unknown>): Promise<void> {
    const c = await open(url);
    c.send({ type: 'hello', protocol: 1, session: { id: 'intruder', name: 'intruder' }, ...extra });
    const error = await c.nextOf('error', () => true, 3000);
    expect(error.code).toBe('unauthorized');
    expect((await within(c.closed, 3000, 'close')).code).toBe(CloseCode.unauthorized);
    expect(c.frames.some((f) => f.type === 'welcome')).toBe(false);
  }

  it.each<[string, () => Promise<Record<string, unknown>>]>([
    ['no token', async () => ({})],
    ['an empty token', async () => ({ token: '' })],
    ['a token that is not a JWT', async () => ({ token: 'not-a-jwt' })],
    ['a bad signature', async () => ({ token: await token({ ns: 'a' }, { secret: 'another-secret-0123456789abc' }) })],
    ['a tampered payload', async () => {
      const [h, , s] = (await token({ ns: 'a' })).split('.');
      return { token: `${h}.${Buffer.from(JSON.stringify({ ns: 'admin' })).toString('base64url')}.${s}` };
    }],
    ['an expired token', async () => ({ token: await token({ ns: 'a' }, { expiresAt: Math.floor(Date.now() / 1000) - 60 }) })],
    ['an unsigned (alg none) token', async () => ({ token: new UnsecuredJWT({ ns: 'a' }).encode() })],
    ['a valid signature but an invalid ns claim "a b"', async () => ({ token: await token({ ns: 'a b' }) })],
    ['a valid signature but a non-string ns claim', async () => ({ token: await token({ ns: 7 }) })],
  ])('hello with %s → error unauthorized, close 4401, no session', async (_what, extra) => {
    const hub = await startHub({ secret: SECRET });
    const member = await join(hub.url, { id: 'member', name: 'member' }, await token({ ns: 'a' }));
    await refused(hub.url, await extra());
    const { sessions } = await member.ok<{ sessions: Session[] }>({ type: 'sessions.list' });
    expect(sessions.map((s) => s.id)).toEqual(['member']);
    await pingPong(member, 'member-ok');
  });

  it('hello with a valid token → welcome; a token with a future exp works too', async () => {
    const hub = await startHub({ secret: SECRET });
    const a = await join(hub.url, { id: 'a', name: 'a' }, await token({ ns: 'a' }));
    expect(a.welcome.sessionId).toBe('a');
    const b = await join(hub.url, { id: 'b', name: 'b' }, await token({ ns: 'a' }, { expiresAt: Math.floor(Date.now() / 1000) + 3600 }));
    expect(b.welcome.sessionId).toBe('b');
    await relay(a, b, 'authorized');
  });

  it('a valid token without an ns claim joins the default namespace, apart from named ones', async () => {
    const hub = await startHub({ secret: SECRET });
    const plain = await join(hub.url, { id: 'plain', name: 'plain' }, await token({}));
    const explicit = await join(hub.url, { id: 'explicit', name: 'explicit' }, await token({ ns: 'default' }));
    await join(hub.url, { id: 'named', name: 'named' }, await token({ ns: 'team-a' }));
    const { sessions } = await plain.ok<{ sessions: Session[] }>({ type: 'sessions.list' });
    expect(sessions.map((s) => s.id).sort()).toEqual(['explicit', 'plain']);
    await relay(plain, explicit, 'same default namespace');
  });

  it('an open hub (no secret) accepts hello without a token', async () => {
    const hub = await startHub();
    const a = await join(hub.url, { id: 'a', name: 'a' });
    expect(a.welcome.sessionId).toBe('a');
  });

  describe('namespace isolation', () => {
    it('sessions in ns A cannot see, reach or share memory with ns B', async () => {
      const hub = await startHub({ secret: SECRET });
      const tokA = await token({ ns: 'team-a' });
      const tokB = await token({ ns: 'team-b' });

      const a1 = await join(hub.url, { id: 'a1', name: 'a1' }, tokA);
      await a1.ok({ type: 'presence.watch' });
      await a1.ok({ type: 'memory.watch', prefix: '' });
      const b1 = await join(hub.url, { id: 'b1', name: 'b1' }, tokB);
      await b1.ok({ type: 'presence.watch' });
      await b1.ok({ type: 'memory.watch', prefix: '' });
      // Joined after b1: a1's watcher sees a2, and b1's join (earlier) must not have reached it.
      const a2 = await join(hub.url, { id: 'a2', name: 'a2' }, tokA);
      await a1.nextOf('presence', (p) => p.event === 'join' && p.session.id === 'a2', 3000);
      await a1.none((f) => f.type === 'presence' && f.session.id.startsWith('b'));
      await b1.none((f) => f.type === 'presence');

      // sessions.list
      const listA = await a1.ok<{ sessions: Session[] }>({ type: 'sessions.list' });
      expect(listA.sessions.map((s) => s.id).sort()).toEqual(['a1', 'a2']);
      const listB = await b1.ok<{ sessions: Session[] }>({ type: 'sessions.list' });
      expect(listB.sessions.map((s) => s.id)).toEqual(['b1']);

      // send across namespaces
      const cross = await a1.request({ type: 'send', to: 'b1', body: 'psst' });
      expect(cross).toMatchObject({ type: 'error', code: 'not_found' });
      await b1.none((f) => f.type === 'message');

      // broadcast stays in the namespace
      const cast = await a1.ok<{ recipients: number }>({ type: 'broadcast', body: 'all of A' });
      expect(cast.recipients).toBe(1);
      expect((await a2.nextOf('message', (m) => m.broadcast === true, 3000)).body).toBe('all of A');
      await b1.none((f) => f.type === 'message');

      // memory
      await a1.ok({ type: 'memory.set', key: 'shared/plan', value: 'A only' });
      await a1.nextOf('memory.changed', (m) => m.key === 'shared/plan', 3000);
      expect((await b1.ok<{ entry: Entry | null }>({ type: 'memory.get', key: 'shared/plan' })).entry).toBeNull();
      expect((await b1.ok<{ entries: Entry[] }>({ type: 'memory.search', prefix: '' })).entries).toEqual([]);
      await b1.none((f) => f.type === 'memory.changed');
      // The same key in B is its own entry (version 1), and A's entry is untouched.
      const inB = await b1.ok<{ entry: Entry }>({ type: 'memory.set', key: 'shared/plan', value: 'B only' });
      expect(inB.entry.version).toBe(1);
      expect((await a2.ok<{ entry: Entry | null }>({ type: 'memory.get', key: 'shared/plan' })).entry?.value).toBe('A only');
      await a1.none((f) => f.type === 'memory.changed' && f.entry?.value === 'B only');

      // B's leave is not seen in A either.
      b1.send({ type: 'bye' });
      await within(b1.closed, 3000, 'b1 to close');
      await a1.none((f) => f.type === 'presence' && f.session.id === 'b1');
    });

    it('the same session id may live in two namespaces at once', async () => {
      const hub = await startHub({ secret: SECRET });
      const inA = await join(hub.url, { id: 'same', name: 'in A' }, await token({ ns: 'team-a' }));
      const inB = await join(hub.url, { id: 'same', name: 'in B' }, await token({ ns: 'team-b' }));
      const peerA = await join(hub.url, { id: 'peer', name: 'peer A' }, await token({ ns: 'team-a' }));
      await peerA.ok({ type: 'send', to: 'same', body: 'for A' });
      expect((await inA.nextOf('message', () => true, 3000)).body).toBe('for A');
      await inB.none((f) => f.type === 'message');
    });
  });
});
