// Heartbeat: the hub pings every heartbeatMs; a session silent for 3 of them is closed with
// 4408 and leaves with reason 'timeout'. Sockets that answer pings stay, and lastSeen advances.
import { describe, expect, it } from 'vitest';
import { CloseCode } from '@switchboard/protocol';
import type { Session } from '@switchboard/protocol';
import WebSocket from 'ws';
import { RawClient } from '../helpers/raw-client.js';
import { until } from '../helpers/wait.js';
import { pingPong, useHubs, within } from './support.js';
import type { Joined, Welcome } from './support.js';

const HEARTBEAT_MS = 100;

describe('heartbeat', () => {
  const { hub: startHub, open, join } = useHubs();

  /** A session whose client never answers WebSocket pings (and, after hello, sends nothing). */
  async function joinSilent(url: string, id: string): Promise<{ client: RawClient; welcome: Welcome; at: number }> {
    const client = await open(url, { autoPong: false });
    client.send({ type: 'hello', protocol: 1, session: { id, name: id } });
    const welcome = await client.nextOf('welcome', () => true, 3000);
    return { client, welcome, at: Date.now() };
  }

  it('closes a session that does not answer pings with 4408; a watcher sees leave reason timeout', async () => {
    const hub = await startHub({ heartbeatMs: HEARTBEAT_MS });
    const watcher = await join(hub.url, { id: 'watcher', name: 'watcher' });
    await watcher.ok({ type: 'presence.watch' });
    const normal = await join(hub.url, { id: 'normal', name: 'normal' });
    expect(normal.welcome.heartbeatMs).toBe(HEARTBEAT_MS);
    let pings = 0;
    const silent = await joinSilent(hub.url, 'silent');
    silent.client.ws.on('ping', () => pings++);

    const closed = await within(silent.client.closed, 3000, 'the silent session to be closed');
    expect(closed.code).toBe(CloseCode.timeout);
    // Silence is measured over 3 heartbeats, not one.
    expect(Date.now() - silent.at).toBeGreaterThanOrEqual(2.5 * HEARTBEAT_MS);
    expect(pings).toBeGreaterThanOrEqual(2);
    const leave = await watcher.nextOf('presence', (p) => p.event === 'leave' && p.session.id === 'silent', 3000);
    expect(leave.reason).toBe('timeout');

    // Over the same period the sessions whose clients answer pings stayed.
    expect(normal.ws.readyState).toBe(WebSocket.OPEN);
    await pingPong(normal, 'n1');
    await pingPong(watcher, 'w1');
    await watcher.none((f) => f.type === 'presence' && f.event === 'leave' && f.session.id !== 'silent');
    const { sessions } = await watcher.ok<{ sessions: Session[] }>({ type: 'sessions.list' });
    expect(sessions.map((s) => s.id).sort()).toEqual(['normal', 'watcher']);
  });

  it('a client that answers pings outlives many heartbeats', async () => {
    const hub = await startHub({ heartbeatMs: HEARTBEAT_MS });
    const normal = await join(hub.url, { id: 'normal', name: 'normal' });
    let pings = 0;
    const enough = new Promise<void>((resolve) =>
      normal.ws.on('ping', () => {
        if (++pings === 8) resolve();
      }),
    );
    // 8 pings ≈ 8 heartbeats: far past the 3-heartbeat limit for a silent socket.
    await within(enough, 3000, '8 heartbeat pings');
    expect(normal.ws.readyState).toBe(WebSocket.OPEN);
    await pingPong(normal, 'after-8');
  });

  it('frames count as activity: a client that does not pong but keeps talking stays', async () => {
    const hub = await startHub({ heartbeatMs: HEARTBEAT_MS });
    const talker = await joinSilent(hub.url, 'talker');
    const quiet = await joinSilent(hub.url, 'quiet');
    let n = 0;
    const chatter = setInterval(() => talker.client.send({ type: 'ping', rid: `t${n++}` }), HEARTBEAT_MS / 2);
    try {
      expect((await within(quiet.client.closed, 3000, 'the quiet session to be closed')).code).toBe(CloseCode.timeout);
      expect(talker.client.ws.readyState).toBe(WebSocket.OPEN);
    } finally {
      clearInterval(chatter);
    }
    await pingPong(talker.client, 'talker-alive');
  });

  it('an abruptly dropped socket → the session leaves with reason timeout', async () => {
    const hub = await startHub({ heartbeatMs: HEARTBEAT_MS });
    const watcher = await join(hub.url, { id: 'watcher', name: 'watcher' });
    await watcher.ok({ type: 'presence.watch' });
    const dropped = await join(hub.url, { id: 'dropped', name: 'dropped' });
    dropped.ws.terminate();
    const leave = await watcher.nextOf('presence', (p) => p.event === 'leave' && p.session.id === 'dropped', 3000);
    expect(leave.reason).toBe('timeout');
    const { sessions } = await watcher.ok<{ sessions: Session[] }>({ type: 'sessions.list' });
    expect(sessions.map((s) => s.id)).toEqual(['watcher']);
  });

  it('a destroyed underlying TCP socket → the session leaves with reason timeout', async () => {
    const hub = await startHub({ heartbeatMs: HEARTBEAT_MS });
    const watcher = await join(hub.url, { id: 'watcher', name: 'watcher' });
    await watcher.ok({ type: 'presence.watch' });
    const dropped = await join(hub.url, { id: 'dropped', name: 'dropped' });
    (dropped.ws as unknown as { _socket: { destroy(): void } })._socket.destroy();
    const leave = await watcher.nextOf('presence', (p) => p.event === 'leave' && p.session.id === 'dropped', 3000);
    expect(leave.reason).toBe('timeout');
  });

  it('lastSeen of a live session advances with heartbeats', async () => {
    const hub = await startHub({ heartbeatMs: HEARTBEAT_MS });
    const a: Joined = await join(hub.url, { id: 'a', name: 'a' });
    const observer = await join(hub.url, { id: 'observer', name: 'observer' });
    const lastSeen = async () => {
      const { sessions } = await observer.ok<{ sessions: Session[] }>({ type: 'sessions.list' });
      return sessions.find((s) => s.id === 'a')!.lastSeen;
    };
    const joinedAt = a.welcome.session.lastSeen;
    const first = await until(async () => {
      const v = await lastSeen();
      return v > joinedAt ? v : 0;
    }, 2000, 'lastSeen to advance');
    const second = await until(async () => {
      const v = await lastSeen();
      return v > first ? v : 0;
    }, 2000, 'lastSeen to advance again');
    expect(second).toBeGreaterThan(first);
    expect(first).toBeGreaterThan(joinedAt);
    expect(second).toBeLessThanOrEqual(Date.now());
  });
});
