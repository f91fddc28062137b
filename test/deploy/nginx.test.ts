// deploy/nginx.conf, the load balancer of docker-compose.yml, run by the real nginx on loopback
// in front of two real hub nodes on Redis: WebSocket upgrade, spreading, messages across nodes.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubProcess } from '../helpers/hub-process.js';
import { RawClient } from '../helpers/raw-client.js';
import { freePort, HAS_REDIS, REQUIRE_REDIS, RedisServer } from '../helpers/redis-server.js';
import { until } from '../helpers/wait.js';

const NGINX = ['/usr/sbin/nginx', 'nginx'].find((bin) => spawnSync(bin, ['-v']).status === 0);
const REQUIRE_NGINX = process.env.SWITCHBOARD_REQUIRE_NGINX === '1';
if (!NGINX && !REQUIRE_NGINX) console.warn('\n*** nginx not found: the load balancer test is SKIPPED (apt-get install nginx-light). ***\n');
const CONFIG = fileURLToPath(new URL('../../deploy/nginx.conf', import.meta.url));

describe.skipIf((!NGINX && !REQUIRE_NGINX) || (!HAS_REDIS && !REQUIRE_REDIS))('nginx in front of two hub nodes', () => {
  let redis: RedisServer;
  let hubs: HubProcess[] = [];
  let nginx: ChildProcess;
  let dir: string;
  let lbPort: number;

  beforeAll(async () => {
    redis = await RedisServer.start();
    hubs = await Promise.all([1, 2].map((i) => HubProcess.start({ redis: redis.url, 'node-id': `hub${i}`, 'heartbeat-ms': 1000 })));
    lbPort = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'sb-nginx-'));
    // The shipped config, with only its addresses moved to loopback.
    let config = readFileSync(CONFIG, 'utf8');
    for (const [i, hub] of hubs.entries()) config = config.replace(`server hub${i + 1}:7777`, `server ${new URL(hub.httpUrl).host}`);
    config = config.replace('listen 80;', `listen 127.0.0.1:${lbPort};`);
    config = `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\n${config}`;
    expect(config).not.toMatch(/server hub\d/);
    writeFileSync(join(dir, 'nginx.conf'), config);
    const check = spawnSync(NGINX!, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    nginx = spawn(NGINX!, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
    await until(async () => (await fetch(`http://127.0.0.1:${lbPort}/healthz`).catch(() => null))?.ok, 10_000, 'nginx up');
  });

  afterAll(async () => {
    nginx?.kill('SIGTERM');
    await Promise.all(hubs.map((h) => h.kill('SIGTERM')));
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('upgrades WebSockets, spreads sessions over both nodes, and routes between them', async () => {
    const url = `ws://127.0.0.1:${lbPort}/v1`;
    const clients = await Promise.all(['a', 'b', 'c', 'd'].map((id) => RawClient.join(url, { id, name: id })));
    try {
      const nodes = new Set(clients.map(({ welcome }) => welcome.node));
      expect(nodes).toEqual(new Set(['hub1', 'hub2']));
      const a = clients.find(({ welcome }) => welcome.node === 'hub1')!.client;
      const b = clients.find(({ welcome }) => welcome.node === 'hub2')!.client;
      const { msgId } = await a.ok<{ msgId: string }>({ type: 'send', to: b.id, kind: 'request', body: 'ping?' });
      const req = await b.nextOf('message');
      expect(req).toMatchObject({ msgId, from: a.id, body: 'ping?' });
      await b.ok({ type: 'send', to: a.id, kind: 'response', replyTo: msgId, body: 'pong!' });
      expect(await a.nextOf('message')).toMatchObject({ replyTo: msgId, body: 'pong!' });
      expect((await a.ok<{ recipients: number }>({ type: 'broadcast', body: 'all' })).recipients).toBe(3);
      const ready = await fetch(`http://127.0.0.1:${lbPort}/readyz`);
      expect(ready.status).toBe(200);
      const listed = (await (await fetch(`http://127.0.0.1:${lbPort}/v1/sessions`)).json()) as { sessions: { id: string }[] };
      expect(listed.sessions.map((s) => s.id).sort()).toEqual(['a', 'b', 'c', 'd']);
    } finally {
      clients.forEach(({ client }) => client.close());
    }
  });
});
