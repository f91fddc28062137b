// `switchboard mcp` across a dropped connection: the bridge reaches the hub through a TCP proxy the
// test cuts. The session turns away and resumes; what was sent before and during the drop is read
// exactly once, in order (unread messages are not acknowledged, so the hub replays them and the SDK
// drops the duplicates). The hub keeps only 3 unacknowledged messages, so a bridge that did not
// acknowledge what read_inbox (or request, for the response) handed out would overflow it and lose
// the session's messages.
import { createServer, connect as tcpConnect } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect } from '@switchboard/client/node';
import type { Hub, Message } from '@switchboard/client/node';
import { startHub } from '@switchboard/server';
import { until } from '../helpers/wait.js';
import { startBridge } from './support.js';
import type { BridgedAgent } from './support.js';

/** A TCP proxy to the hub that the test can take down (cutting its connections, refusing new ones) and restore. */
async function proxy(target: URL): Promise<{ url: string; cut(): void; restore(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let down = false;
  const server: Server = createServer((client) => {
    if (down) return void client.destroy();
    const upstream = tcpConnect(Number(target.port), target.hostname);
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => (sockets.delete(a), b.destroy()));
      a.pipe(b);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/v1`,
    cut: () => ((down = true), sockets.forEach((s) => s.destroy())),
    restore: () => void (down = false),
    close: () => new Promise<void>((resolve) => (sockets.forEach((s) => s.destroy()), server.close(() => resolve()))),
  };
}

let hub: Awaited<ReturnType<typeof startHub>>;
let link: Awaited<ReturnType<typeof proxy>>;
let agent: BridgedAgent;
let sdk: Hub;
beforeAll(async () => {
  hub = await startHub({ port: 0, logLevel: 'silent', resumeWindowMs: 30_000, inboxLimit: 3 });
  link = await proxy(new URL(hub.url));
  agent = await startBridge(link.url, 'flaky');
  sdk = await connect({ url: hub.url, session: { name: 'steady' } });
});
afterAll(async () => {
  await Promise.all([agent?.close(), sdk?.close()]);
  await link?.close();
  await hub?.close();
});

it('reads what was sent before and during a dropped connection exactly once, after the session resumes', async () => {
  const status = async () => (await sdk.sessions()).find((s) => s.id === agent.id)?.status;
  // The response to a request settles the request tool and never reaches the inbox: the tool acknowledges it.
  sdk.on('message', (m) => void (m.kind === 'request' && sdk.reply(m, 'pong')));
  expect((await agent.ok<{ message: Message }>('request', { to: sdk.id, body: 'ping', timeoutMs: 5000 })).message.body).toBe('pong');
  for (const body of ['one', 'two', 'three']) await sdk.send(agent.id, body);
  const warmup: unknown[] = [];
  for (let i = 0; warmup.length < 3 && i < 10; i++) warmup.push(...(await agent.ok<{ messages: Message[] }>('read_inbox', { waitMs: 1000 })).messages.map((m) => m.body));
  expect(warmup).toEqual(['one', 'two', 'three']);

  await sdk.send(agent.id, 'before the drop');
  // The bridge has it (unread, so unacknowledged) before the link goes down.
  await until(async () => {
    const read = await agent.client.readResource({ uri: 'switchboard://inbox' });
    const content = read.contents[0]!;
    return 'text' in content && content.text.includes('before the drop');
  }, 5000, 'the first message in the bridge');

  // The link stays down (reconnects refused) until the second message has been queued for the away session.
  link.cut();
  await until(async () => (await status()) === 'away', 5000, 'the bridged session to turn away');
  const queued = await sdk.send(agent.id, 'during the drop');
  expect(queued.queued).toBe(true);
  link.restore();
  await until(async () => (await status()) === 'active', 10_000, 'the bridged session to resume');
  expect(agent.stderr.join('')).toMatch(/reconnecting/);

  const bodies: unknown[] = [];
  const deadline = Date.now() + 5000;
  while (bodies.length < 2 && Date.now() < deadline) {
    const inbox = await agent.ok<{ messages: Message[] }>('read_inbox', { waitMs: 1000 });
    bodies.push(...inbox.messages.map((m) => m.body));
  }
  expect(bodies).toEqual(['before the drop', 'during the drop']);
  // Nothing comes twice.
  expect((await agent.ok<{ messages: Message[] }>('read_inbox', { waitMs: 300 })).messages).toEqual([]);
  expect((await agent.ok<{ session: { id: string }; state: string }>('whoami')).session.id).toBe(agent.id);
});
