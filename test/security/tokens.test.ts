// Tokens at the door: checked during the HTTP upgrade when the client sends one there (401 before a
// WebSocket exists), the claims a hello must respect (role, sid, caps), browser origins, the
// connection cap, open mode only on loopback, and `switchboard token`.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { CloseCode } from '@switchboard/protocol';
import { startHub } from '@switchboard/server';
import { RawClient } from '../helpers/raw-client.js';
import { pingPong, runCli, SECRET, startServe, token, useHubs, within } from '../hub/support.js';
import { useCleanup } from '../helpers/cluster.js';

/** Opens a WebSocket and reports either `open` or the HTTP status of the refused upgrade. */
async function attempt(url: string, options: WebSocket.ClientOptions & { protocols?: string[] } = {}): Promise<{ status: number; body: string; ws?: WebSocket }> {
  const { protocols, ...rest } = options;
  const ws = new WebSocket(url, protocols ?? [], rest);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ status: 101, body: '', ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', (err) => reject(err));
  });
}

describe('tokens at the upgrade', () => {
  const { hub, join, cleanup } = useHubs();

  it('a token in the query or in Sec-WebSocket-Protocol is checked at the upgrade: hello needs none, the namespace is the token\'s', async () => {
    const h = await hub({ secret: SECRET });
    const inQuery = await attempt(`${h.url}?token=${await token({ ns: 'q', role: 'observer' })}`);
    expect(inQuery.status).toBe(101);
    const viaQuery = await wrap(inQuery.ws!, cleanup);
    viaQuery.send({ type: 'hello', protocol: 1, session: { name: 'q' } });
    expect(await viaQuery.nextOf('welcome')).toMatchObject({ ns: 'q', role: 'observer' });

    const inHeader = await attempt(h.url, { protocols: ['switchboard.v1', `switchboard.token.${await token({ ns: 'p' })}`] });
    expect(inHeader.status).toBe(101);
    expect(inHeader.ws!.protocol).toBe('switchboard.v1');
    const viaHeader = await wrap(inHeader.ws!, cleanup);
    viaHeader.send({ type: 'hello', protocol: 1, session: { name: 'p' } });
    expect(await viaHeader.nextOf('welcome')).toMatchObject({ ns: 'p', role: 'agent' });
  });

  it('a bad token at the upgrade → HTTP 401 and no WebSocket; sessions already in are served on', async () => {
    const h = await hub({ secret: SECRET });
    const member = await join(h.url, { name: 'member' }, await token({ ns: 'a' }));
    const expired = await token({ ns: 'a' }, { expiresAt: Math.floor(Date.now() / 1000) - 10 });
    for (const bad of ['nonsense', expired, await token({ ns: 'a' }, { secret: 'some-other-secret-0123456789' }), await token({ ns: 'a', role: 'root' })]) {
      const viaQuery = await attempt(`${h.url}?token=${bad}`);
      expect(viaQuery.status).toBe(401);
      expect(JSON.parse(viaQuery.body)).toMatchObject({ code: 'unauthorized' });
      expect((await attempt(h.url, { protocols: ['switchboard.v1', `switchboard.token.${bad}`] })).status).toBe(401);
    }
    expect(h.sockets).toBe(1);
    await pingPong(member, 'still-served');
  });

  it('a token claim of an unknown role is refused at hello too (4401), and the log line never holds the token', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    const h = await startHub({ port: 0, secret: SECRET, logger, resumeWindowMs: 0 });
    cleanup(() => h.close());
    const bad = await token({ ns: 'a', role: 'superuser' });
    const c = await RawClient.open(h.url);
    cleanup(() => c.close());
    c.send({ type: 'hello', protocol: 1, token: bad, session: { name: 'x' } });
    expect(await c.nextOf('error')).toMatchObject({ code: 'unauthorized', message: expect.stringContaining('role') });
    expect((await within(c.closed, 3000, 'close')).code).toBe(CloseCode.unauthorized);
    expect((await attempt(`${h.url}?token=${bad}`)).status).toBe(401);
    const refusals = lines.filter((l) => l.includes('refused'));
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).not.toContain(bad.split('.')[2]!);
  });

  it('sid: the token takes only its own session id, by hello or by resume', async () => {
    const h = await hub({ secret: SECRET, resumeWindowMs: 10_000 });
    const t = await token({ ns: 'a', sid: 'bot-7' });
    const first = await join(h.url, { name: 'bot' }, t);
    expect(first.welcome.sessionId).toBe('bot-7');
    first.close();
    for (const extra of [{ session: { id: 'bot-8', name: 'bot' } }, { session: { name: 'bot' }, resume: { sessionId: 'other', secret: 'x', lastSeq: 0 } }]) {
      const c = await RawClient.open(h.url);
      cleanup(() => c.close());
      c.send({ type: 'hello', protocol: 1, token: t, ...extra });
      expect(await c.nextOf('error')).toMatchObject({ code: 'forbidden', message: expect.stringContaining('bot-7') });
      expect((await c.closed).code).toBe(CloseCode.forbidden);
    }
    const back = await RawClient.open(h.url);
    cleanup(() => back.close());
    back.send({ type: 'hello', protocol: 1, token: t, session: { name: 'bot' }, resume: { sessionId: 'bot-7', secret: first.welcome.resumeSecret, lastSeq: 0 } });
    expect(await back.nextOf('welcome')).toMatchObject({ sessionId: 'bot-7', resumed: true });
  });

  it('rotation: with SWITCHBOARD_SECRET_PREVIOUS the old secret\'s tokens still open sessions; other secrets and expired old tokens do not', async () => {
    const oldSecret = 'the-old-secret-0123456789';
    const h = await hub({ secret: SECRET, previousSecret: oldSecret });
    const viaOld = await join(h.url, { name: 'old' }, await token({ ns: 'a' }, { secret: oldSecret }));
    expect(viaOld.welcome.ns).toBe('a');
    await join(h.url, { name: 'new' }, await token({ ns: 'a' }));
    const expiredOld = await token({ ns: 'a' }, { secret: oldSecret, expiresAt: Math.floor(Date.now() / 1000) - 10 });
    for (const bad of [expiredOld, await token({ ns: 'a' }, { secret: 'a-third-secret-0123456789' })]) {
      expect((await attempt(`${h.url}?token=${bad}`)).status).toBe(401);
    }
    const without = await hub({ secret: SECRET });
    expect((await attempt(`${without.url}?token=${await token({ ns: 'a' }, { secret: oldSecret })}`)).status).toBe(401);
  });

  it('caps: the token limits which capabilities hello and update may claim', async () => {
    const h = await hub({ secret: SECRET });
    const t = await token({ ns: 'a', caps: ['review', 'test'] });
    const ok = await join(h.url, { name: 'reviewer', capabilities: ['review'] }, t);
    expect(await ok.request({ type: 'update', capabilities: ['review', 'deploy'] })).toMatchObject({ type: 'error', code: 'forbidden' });
    expect((await ok.ok<{ session: { capabilities: string[] } }>({ type: 'update', capabilities: ['test'] })).session.capabilities).toEqual(['test']);
    const c = await RawClient.open(h.url);
    cleanup(() => c.close());
    c.send({ type: 'hello', protocol: 1, token: t, session: { name: 'deployer', capabilities: ['deploy'] } });
    expect(await c.nextOf('error')).toMatchObject({ code: 'forbidden', message: expect.stringContaining('deploy') });
  });
});

describe('the door: origins, capacity, open mode', () => {
  const { hub, join } = useHubs();

  it('SWITCHBOARD_ALLOWED_ORIGINS: a browser from another origin gets 403; listed origins and non-browser clients get in', async () => {
    const h = await hub({ allowedOrigins: ['https://app.example.com'] });
    const evil = await attempt(h.url, { origin: 'https://evil.example.com' });
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body)).toMatchObject({ code: 'forbidden' });
    const good = await attempt(h.url, { origin: 'https://app.example.com' });
    expect(good.status).toBe(101);
    good.ws!.terminate();
    await join(h.url, { name: 'cli-no-origin' });
  });

  it('beyond maxConnections an upgrade gets 503 while the sessions already in are served; a freed slot is usable again', async () => {
    const h = await hub({ maxConnections: 5 });
    const members = await Promise.all(Array.from({ length: 5 }, (_, i) => join(h.url, { name: `m${i}` })));
    const flood = await Promise.all(Array.from({ length: 20 }, () => attempt(h.url)));
    expect(flood.map((r) => r.status)).toEqual(Array(20).fill(503));
    expect(JSON.parse(flood[0]!.body)).toMatchObject({ code: 'unavailable' });
    console.log(`connection flood: ${flood.length} upgrades beyond maxConnections=5 refused with 503`);
    await Promise.all(members.map((m, i) => pingPong(m, `m${i}`)));
    members[0]!.close();
    await within(members[0]!.closed, 3000, 'close');
    const deadline = Date.now() + 3000;
    while (h.sockets >= 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await join(h.url, { name: 'late' });
  });

  it('without a secret the hub runs only on loopback: Hub.start and `switchboard serve` refuse 0.0.0.0 with one line', async () => {
    await expect(startHub({ port: 0, host: '0.0.0.0', logLevel: 'silent' })).rejects.toThrow(/refusing to start an open hub on 0\.0\.0\.0/);
    const run = await runCli(['serve', '--host', '0.0.0.0', '--port', '0']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/SWITCHBOARD_SECRET/);
    const secured = await hub({ host: '0.0.0.0', secret: SECRET });
    expect(secured.port).toBeGreaterThan(0);
    const open = await hub({ host: '127.0.0.1' });
    await join(open.url, { name: 'local' });
  });
});

describe('switchboard token, and the README walk-through', () => {
  const cleanup = useCleanup();

  it('a secured hub; tokens for an agent and an observer; the observer reads but is refused when it writes', async () => {
    const secret = 'readme-secret-0123456789';
    const serve = await startServe(cleanup, { env: { SWITCHBOARD_SECRET: secret, PORT: '0' } });
    const env = { SWITCHBOARD_SECRET: secret };
    const agent = await runCli(['token', '--ns', 'team', '--role', 'agent', '--ttl', '1h', '--sub', 'alice'], env);
    const observer = await runCli(['token', '--ns', 'team', '--role', 'observer', '--ttl', '15m'], env);
    expect(agent.code).toBe(0);
    expect(observer.code).toBe(0);
    const [agentToken, observerToken] = [agent.stdout.trim(), observer.stdout.trim()];
    const claims = JSON.parse(Buffer.from(agentToken.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ ns: 'team', role: 'agent', sub: 'alice' });
    expect(claims.exp - claims.iat).toBe(3600);

    const url = serve.url;
    const write = await runCli(['memory', 'set', 'plan', '"ship it"', '--url', url, '--token', agentToken]);
    expect(write.code, write.stderr).toBe(0);
    const read = await runCli(['memory', 'get', 'plan', '--json', '--url', url, '--token', observerToken]);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout).toContain('ship it');
    const refused = await runCli(['memory', 'set', 'plan', '"mine now"', '--url', url, '--token', observerToken]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/forbidden/);
    const anonymous = await runCli(['sessions', '--url', url]);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(/unauthorized|token/);

    // An admin kicks a live agent by name; the agent's token may not.
    const admin = (await runCli(['token', '--ns', 'team', '--role', 'admin'], env)).stdout.trim();
    const { client: worker } = await RawClient.join(url, { name: 'worker' }, { token: agentToken });
    cleanup(() => worker.close());
    const notAllowed = await runCli(['kick', 'worker', '--url', url, '--token', agentToken]);
    expect(notAllowed.code).toBe(1);
    expect(notAllowed.stderr).toMatch(/forbidden/);
    const kicked = await runCli(['kick', 'worker', '--url', url, '--token', admin]);
    expect(kicked.code, kicked.stderr).toBe(0);
    expect(kicked.stdout).toContain(`kicked worker (${worker.id})`);
    expect((await within(worker.closed, 5000, 'the kicked socket to close')).code).toBe(CloseCode.forbidden);
  });

  it('bad options → one line on stderr, exit 2', async () => {
    for (const args of [['--role', 'root'], ['--ttl', 'soon'], ['--ns', 'a b'], []]) {
      const run = await runCli(['token', ...args], args.length === 0 ? {} : { SWITCHBOARD_SECRET: SECRET });
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

/** A RawClient around an already open socket. */
async function wrap(ws: WebSocket, cleanup: (fn: () => unknown) => void): Promise<RawClient> {
  const client = RawClient.fromSocket(ws);
  cleanup(() => client.close());
  return client;
}
