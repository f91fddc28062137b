// The inbox and resume cases of the conformance suite: direct messages are numbered per
// recipient, a session that drops without bye turns away and stays resumable, a resume on any
// node replays every message after lastSeq in order (or says why it cannot), and a retried send
// with an idempotencyKey is not sent twice. conformanceSuite calls resumeCases with its helpers.
import { describe, expect, it } from 'vitest';
import type { ServerFrame, Session } from '@switchboard/protocol';
import type { Cluster, ClusterOptions } from '../helpers/cluster.js';
import { RawClient } from '../helpers/raw-client.js';

type Scoped = Cluster & { ns: string };
type Welcome = Extract<ServerFrame, { type: 'welcome' }>;

export interface ResumeCaseHelpers {
  cluster(options?: Omit<ClusterOptions, 'secret'>): Promise<Scoped>;
  join(c: Scoped, node: number, session: Record<string, unknown> & { name: string }): Promise<RawClient & { welcome: Welcome }>;
  open(c: Scoped, node: number): Promise<RawClient>;
  tokenFor(ns: string): Promise<string>;
}

const WINDOW = { resumeWindowMs: 1500 };

export function resumeCases({ cluster, join, open, tokenFor }: ResumeCaseHelpers): void {
  /** Says hello with a resume; resolves with the welcome (or throws with what came instead). */
  async function resume(c: Scoped, node: number, id: string, secret: string, lastSeq: number, name = id) {
    const client = await open(c, node);
    client.send({ type: 'hello', protocol: 1, token: await tokenFor(c.ns), session: { id, name }, resume: { sessionId: id, secret, lastSeq } });
    const first = await client.next((f) => f.type === 'welcome' || f.type === 'error');
    if (first.type !== 'welcome') throw new Error(`resume refused: ${JSON.stringify(first)}`);
    return Object.assign(client, { welcome: first });
  }

  describe('inbox and resume', () => {
    it('numbers direct messages per recipient; broadcasts carry no seq', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      const b = await join(c, 1, { id: 'b', name: 'b' });
      const first = await a.ok<{ seq: number }>({ type: 'send', to: 'b', body: 1 });
      const second = await a.ok<{ seq: number; queued?: boolean }>({ type: 'send', to: 'b', body: 2 });
      expect([first.seq, second.seq]).toEqual([1, 2]);
      expect(second.queued).toBeUndefined();
      expect((await b.nextOf('message')).seq).toBe(1);
      expect((await b.nextOf('message')).seq).toBe(2);
      await b.ok({ type: 'broadcast', body: 'all' });
      expect((await a.nextOf('message')).seq).toBeUndefined();
      await b.ok({ type: 'send', to: 'a', body: 'x' });
      expect((await a.nextOf('message')).seq).toBe(1);
    });

    it('keeps a dropped session away, queues its messages, and replays them in order on resume (on any node)', async () => {
      const c = await cluster(WINDOW);
      const w = await join(c, 0, { id: 'w', name: 'w' });
      await w.ok({ type: 'presence.watch' });
      const b = await join(c, 1, { id: 'b', name: 'b', status: 'working' });
      await w.nextOf('presence', (f) => f.session.id === 'b' && f.event === 'join');
      const secret = b.welcome.resumeSecret;
      expect(b.welcome.resumeWindowMs).toBe(1500);
      await w.ok({ type: 'send', to: 'b', body: 'seen live' });
      const live = await b.nextOf('message');
      expect(live.seq).toBe(1);
      b.send({ type: 'ack', seq: 1 });

      b.ws.terminate();
      const away = await w.nextOf('presence', (f) => f.session.id === 'b');
      expect(away).toMatchObject({ event: 'update', reason: 'timeout', session: { status: 'away' } });
      const listed = await w.ok<{ sessions: Session[] }>({ type: 'sessions.list' });
      expect(listed.sessions.find((s) => s.id === 'b')?.status).toBe('away');
      for (const body of ['q1', 'q2', 'q3']) {
        expect(await w.ok({ type: 'send', to: 'b', body })).toMatchObject({ queued: true });
      }

      const back = await resume(c, 2, 'b', secret, 1);
      expect(back.welcome).toMatchObject({ sessionId: 'b', resumed: true, replayed: 3 });
      expect(back.welcome.resumeSecret).not.toBe(secret);
      const replayed = [await back.nextOf('message'), await back.nextOf('message'), await back.nextOf('message')];
      expect(replayed.map((m) => [m.seq, m.body])).toEqual([[2, 'q1'], [3, 'q2'], [4, 'q3']]);
      await w.ok({ type: 'send', to: 'b', body: 'live again' });
      expect(await back.nextOf('message')).toMatchObject({ seq: 5, body: 'live again' });
      const restored = await w.nextOf('presence', (f) => f.session.id === 'b' && f.event === 'update' && f.session.status !== 'away');
      expect(restored.session.status).toBe('working');
      await w.none((f) => f.type === 'presence' && f.event === 'leave');
    });

    it('takes over a session whose old socket is still open: the old one is closed, nothing leaves', async () => {
      const c = await cluster(WINDOW);
      const w = await join(c, 0, { id: 'w', name: 'w' });
      await w.ok({ type: 'presence.watch' });
      const old = await join(c, 1, { id: 'b', name: 'b' });
      await w.ok({ type: 'send', to: 'b', body: 'before' });
      expect((await old.nextOf('message')).seq).toBe(1);
      const fresh = await resume(c, 0, 'b', old.welcome.resumeSecret, 1);
      expect(fresh.welcome).toMatchObject({ resumed: true, replayed: 0 });
      expect((await old.closed).code).toBe(4409);
      await w.ok({ type: 'send', to: 'b', body: 'after' });
      expect(await fresh.nextOf('message')).toMatchObject({ seq: 2, body: 'after' });
      await w.none((f) => f.type === 'presence' && f.session.id === 'b' && (f.event === 'leave' || f.session.status === 'away'), c.nodes > 1 ? 200 : 0);
    });

    it('refuses a wrong secret: the away session keeps its id (4409)', async () => {
      const c = await cluster(WINDOW);
      const b = await join(c, 0, { id: 'b', name: 'b' });
      const w = await join(c, 1, { id: 'w', name: 'w' });
      await w.ok({ type: 'presence.watch' });
      b.ws.terminate();
      await w.nextOf('presence', (f) => f.session.id === 'b' && f.session.status === 'away');
      const intruder = await open(c, 1);
      intruder.send({ type: 'hello', protocol: 1, token: await tokenFor(c.ns), session: { id: 'b', name: 'b' }, resume: { sessionId: 'b', secret: 'guessed', lastSeq: 0 } });
      expect((await intruder.closed).code).toBe(4409);
      expect((await w.request({ type: 'send', to: 'b', body: 1 })).queued).toBe(true);
    });

    it('ends an away session after the window (leave, timeout); a late resume says expired and starts fresh', async () => {
      const c = await cluster({ resumeWindowMs: 300 });
      const w = await join(c, 0, { id: 'w', name: 'w' });
      await w.ok({ type: 'presence.watch' });
      const b = await join(c, 1, { id: 'b', name: 'b' });
      await w.ok({ type: 'send', to: 'b', body: 'lost with the session' });
      b.ws.terminate();
      await w.nextOf('presence', (f) => f.session.id === 'b' && f.session.status === 'away');
      const left = await w.nextOf('presence', (f) => f.session.id === 'b' && f.event === 'leave', 5000);
      expect(left.reason).toBe('timeout');
      expect((await w.request({ type: 'send', to: 'b', body: 1 })).code).toBe('not_found');
      const late = await resume(c, 0, 'b', b.welcome.resumeSecret, 0);
      expect(late.welcome).toMatchObject({ sessionId: 'b', resumed: false, reason: 'expired' });
      expect(late.welcome.replayed).toBeUndefined();
      await w.ok({ type: 'send', to: 'b', body: 'fresh' });
      expect(await late.nextOf('message')).toMatchObject({ seq: 1, body: 'fresh' });
    });

    it('says gap, never a silent hole, when the inbox dropped messages past its limit', async () => {
      const c = await cluster({ ...WINDOW, inboxLimit: 3 });
      const w = await join(c, 0, { id: 'w', name: 'w' });
      await w.ok({ type: 'presence.watch' });
      const b = await join(c, 1, { id: 'b', name: 'b' });
      b.ws.terminate();
      await w.nextOf('presence', (f) => f.session.id === 'b' && f.session.status === 'away');
      for (let i = 1; i <= 5; i++) await w.ok({ type: 'send', to: 'b', body: i });
      const back = await resume(c, 2, 'b', b.welcome.resumeSecret, 0);
      expect(back.welcome).toMatchObject({ sessionId: 'b', resumed: false, reason: 'gap' });
      expect(await w.nextOf('presence', (f) => f.session.id === 'b' && f.event === 'leave')).toMatchObject({ reason: 'timeout' });
      await back.none((f) => f.type === 'message');
      // Within the limit, the same resume replays everything.
      back.ws.terminate();
      await w.nextOf('presence', (f) => f.session.id === 'b' && f.session.status === 'away');
      for (let i = 1; i <= 3; i++) await w.ok({ type: 'send', to: 'b', body: i });
      const again = await resume(c, 0, 'b', back.welcome.resumeSecret, 0);
      expect(again.welcome).toMatchObject({ resumed: true, replayed: 3 });
    });

    it('sends once per idempotencyKey and answers a retry with the first msgId', async () => {
      const c = await cluster();
      const a = await join(c, 0, { id: 'a', name: 'a' });
      const b = await join(c, 1, { id: 'b', name: 'b' });
      const first = await a.ok<{ msgId: string; duplicate?: boolean }>({ type: 'send', to: 'b', body: 'once', idempotencyKey: 'k-1' });
      const retry = await a.ok<{ msgId: string; duplicate?: boolean }>({ type: 'send', to: 'b', body: 'once', idempotencyKey: 'k-1' });
      expect(retry).toMatchObject({ msgId: first.msgId, duplicate: true });
      expect(first.duplicate).toBeUndefined();
      await a.ok({ type: 'send', to: 'b', body: 'other', idempotencyKey: 'k-2' });
      expect((await b.nextOf('message')).body).toBe('once');
      expect((await b.nextOf('message')).body).toBe('other');
      await b.none((f) => f.type === 'message');
      // Keys are per sender: the same key from another session is another message.
      await b.ok({ type: 'send', to: 'b', body: 'mine', idempotencyKey: 'k-1' });
      expect((await b.nextOf('message')).body).toBe('mine');
    });
  });
}
