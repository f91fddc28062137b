// The plain HTTP endpoints on the hub's port: health, readiness, the session list (behind the
// token when the hub has a secret), 404 for unknown paths, 405 for other methods.
import { describe, expect, it } from 'vitest';
import type { Session } from '@switchboard/protocol';
import { SECRET, token, useHubs } from './support.js';

async function getJson(url: string, init: RequestInit = {}): Promise<{ status: number; type: string | null; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const ids = (body: Record<string, unknown>) => (body.sessions as Session[]).map((s) => s.id).sort();

describe('HTTP endpoints', () => {
  const { hub: startHub, join } = useHubs();

  it('GET /healthz → 200 JSON naming the node', async () => {
    const hub = await startHub({ nodeId: 'node-h' });
    const res = await getJson(`${hub.httpUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^application\/json/);
    expect(res.body).toEqual({ ok: true, node: 'node-h' });
  });

  it('GET /readyz → 200 with ready and engine memory', async () => {
    const hub = await startHub();
    const res = await getJson(`${hub.httpUrl}/readyz`);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ ready: true, engine: 'memory', node: hub.nodeId });
  });

  it('GET /v1/sessions lists live sessions and drops departed ones', async () => {
    const hub = await startHub();
    const watcher = await join(hub.url, { id: 'watcher', name: 'watcher' });
    await watcher.ok({ type: 'presence.watch' });
    const a = await join(hub.url, { id: 'a', name: 'alpha', capabilities: ['code'] });
    const b = await join(hub.url, { id: 'b', name: 'beta' });
    const c = await join(hub.url, { id: 'c', name: 'gamma' });

    const before = await getJson(`${hub.httpUrl}/v1/sessions`);
    expect(before.status).toBe(200);
    expect(ids(before.body)).toEqual(['a', 'b', 'c', 'watcher']);
    expect((before.body.sessions as Session[]).find((s) => s.id === 'a')).toMatchObject({ name: 'alpha', capabilities: ['code'], node: hub.nodeId });

    b.send({ type: 'bye' });
    c.ws.terminate();
    await watcher.nextOf('presence', (p) => p.event === 'leave' && p.session.id === 'b', 3000);
    await watcher.nextOf('presence', (p) => p.event === 'leave' && p.session.id === 'c', 3000);
    const after = await getJson(`${hub.httpUrl}/v1/sessions`);
    expect(after.status).toBe(200);
    expect(ids(after.body)).toEqual(['a', 'watcher']);
    a.close();
  });

  it('an unknown path → 404 JSON not_found', async () => {
    const hub = await startHub();
    for (const path of ['/nope', '/v1/session', '/healthz/extra', '/assets/nope.js']) {
      const res = await getJson(`${hub.httpUrl}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.body.code, path).toBe('not_found');
    }
  });

  it('methods other than GET/HEAD → 405', async () => {
    const hub = await startHub();
    for (const [method, path] of [['POST', '/healthz'], ['POST', '/v1/sessions'], ['PUT', '/readyz'], ['DELETE', '/v1/sessions']] as const) {
      const res = await getJson(`${hub.httpUrl}${path}`, { method, body: method === 'DELETE' ? null : '{}' });
      expect(res.status, `${method} ${path}`).toBe(405);
    }
  });

  it('HEAD /healthz → 200 without a body', async () => {
    const hub = await startHub();
    const res = await fetch(`${hub.httpUrl}/healthz`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  describe('with a secret', () => {
    it('/v1/sessions needs a valid token; health and readiness stay open', async () => {
      const hub = await startHub({ secret: SECRET });
      const jwt = await token({ ns: 'team' });
      await join(hub.url, { id: 'member', name: 'member' }, jwt);

      const none = await getJson(`${hub.httpUrl}/v1/sessions`);
      expect(none.status).toBe(401);
      expect(none.body.code).toBe('unauthorized');
      const forged = await getJson(`${hub.httpUrl}/v1/sessions`, { headers: { authorization: `Bearer ${await token({ ns: 'team' }, { secret: 'some-other-secret-0123456789' })}` } });
      expect(forged.status).toBe(401);
      const expired = await getJson(`${hub.httpUrl}/v1/sessions`, { headers: { authorization: `Bearer ${await token({ ns: 'team' }, { expiresAt: Math.floor(Date.now() / 1000) - 60 })}` } });
      expect(expired.status).toBe(401);
      const notBearer = await getJson(`${hub.httpUrl}/v1/sessions`, { headers: { authorization: `Basic ${jwt}` } });
      expect(notBearer.status).toBe(401);

      const ok = await getJson(`${hub.httpUrl}/v1/sessions`, { headers: { authorization: `Bearer ${jwt}` } });
      expect(ok.status).toBe(200);
      expect(ids(ok.body)).toEqual(['member']);
      const viaQuery = await getJson(`${hub.httpUrl}/v1/sessions?token=${encodeURIComponent(jwt)}`);
      expect(viaQuery.status).toBe(200);
      expect(ids(viaQuery.body)).toEqual(['member']);

      expect((await getJson(`${hub.httpUrl}/healthz`)).status).toBe(200);
      expect((await getJson(`${hub.httpUrl}/readyz`)).status).toBe(200);
    });

    it('/v1/sessions lists only the token namespace', async () => {
      const hub = await startHub({ secret: SECRET });
      const red = await token({ ns: 'red' });
      const blue = await token({ ns: 'blue' });
      await join(hub.url, { id: 'r1', name: 'r1' }, red);
      await join(hub.url, { id: 'r2', name: 'r2' }, red);
      await join(hub.url, { id: 'b1', name: 'b1' }, blue);
      const asRed = await getJson(`${hub.httpUrl}/v1/sessions`, { headers: { authorization: `Bearer ${red}` } });
      expect(ids(asRed.body)).toEqual(['r1', 'r2']);
      const asBlue = await getJson(`${hub.httpUrl}/v1/sessions`, { headers: { authorization: `Bearer ${blue}` } });
      expect(ids(asBlue.body)).toEqual(['b1']);
      const asGreen = await getJson(`${hub.httpUrl}/v1/sessions`, { headers: { authorization: `Bearer ${await token({ ns: 'green' })}` } });
      expect(asGreen.status).toBe(200);
      expect(ids(asGreen.body)).toEqual([]);
    });
  });
});
