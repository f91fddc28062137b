// Graceful shutdown: the real `switchboard serve` process on SIGTERM/SIGINT tells every client
// `drain`, closes them with 1001 and exits 0; and Hub.close() in-process does the same.
import { readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CloseCode } from '@switchboard/protocol';
import { HUB_DEFAULTS } from '@switchboard/server';
import { RawClient } from '../helpers/raw-client.js';
import { freePort, pingPong, relay, ROOT, startServe, useHubs, within } from './support.js';
import type { Joined } from './support.js';

async function joinRaw(url: string, id: string, cleanup: (fn: () => unknown) => void): Promise<Joined> {
  const { client, welcome } = await RawClient.join(url, { id, name: id });
  cleanup(() => client.close());
  return Object.assign(client, { welcome });
}

/** Each client gets drain (before the close: frames after a close frame are never delivered), then 1001. */
async function expectDrained(clients: RawClient[], reconnectMs: number): Promise<void> {
  for (const c of clients) {
    const drain = await c.nextOf('drain', () => true, 5000);
    expect(drain).toEqual({ type: 'drain', reconnectMs });
    expect((await within(c.closed, 5000, 'close after drain')).code).toBe(CloseCode.goingAway);
  }
}

describe('graceful shutdown of switchboard serve', () => {
  const { cleanup } = useHubs();

  it.each(['SIGTERM', 'SIGINT'] as const)('on %s: drain, close 1001 to every client, exit 0', async (signal) => {
    const serve = await startServe(cleanup, { args: ['--port', '0'] });
    expect(serve.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(serve.port).toBeGreaterThan(0);
    const a = await joinRaw(serve.url, 'a', cleanup);
    const b = await joinRaw(serve.url, 'b', cleanup);
    await relay(a, b, 'before shutdown');

    const sentAt = Date.now();
    expect(serve.child.kill(signal)).toBe(true);
    await expectDrained([a, b], HUB_DEFAULTS.drainReconnectMs);
    const exit = await within(serve.exited, 10_000, 'the process to exit');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - sentAt).toBeLessThan(10_000);
    expect(serve.logs.find((l) => l.msg === 'shutting down')).toMatchObject({ signal });
    expect(serve.logs.some((l) => l.msg === 'hub stopped')).toBe(true);
    expect(serve.stderr()).toBe('');
  });

  it('exits 0 on SIGTERM with no clients, and stops listening', async () => {
    const serve = await startServe(cleanup, { args: ['--port', '0'] });
    const httpUrl = `http://127.0.0.1:${serve.port}`;
    expect((await fetch(`${httpUrl}/healthz`)).status).toBe(200);
    serve.child.kill('SIGTERM');
    expect(await within(serve.exited, 10_000, 'the process to exit')).toEqual({ code: 0, signal: null });
    await expect(fetch(`${httpUrl}/healthz`)).rejects.toThrow();
  });

  it('npm start (node server/bin/switchboard.js serve) listens on PORT from the env', async () => {
    const pkg = JSON.parse(readFileSync(joinPath(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
    const [command, ...args] = pkg.scripts.start.split(/\s+/);
    expect(command).toBe('node');
    const port = await freePort();
    const serve = await startServe(cleanup, { argv: args, env: { PORT: String(port) } });
    expect(serve.url).toBe(`ws://127.0.0.1:${port}/v1`);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const a = await joinRaw(serve.url, 'a', cleanup);
    await pingPong(a, 'via-env-port');
    serve.child.kill('SIGTERM');
    await expectDrained([a], HUB_DEFAULTS.drainReconnectMs);
    expect(await within(serve.exited, 10_000, 'the process to exit')).toEqual({ code: 0, signal: null });
  });
});

describe('Hub.close() in process', () => {
  const { hub: startHub, join, open } = useHubs();

  it('drains with drainReconnectMs, closes 1001 (also before hello), stops listening, is idempotent', async () => {
    const hub = await startHub({ drainReconnectMs: 250 });
    const httpUrl = hub.httpUrl;
    const a = await join(hub.url, { id: 'a', name: 'a' });
    const b = await join(hub.url, { id: 'b', name: 'b' });
    const pre = await open(hub.url); // no hello yet
    const first = hub.close();
    const second = hub.close();
    expect(second).toBe(first);
    await expectDrained([a, b], 250);
    expect((await within(pre.closed, 5000, 'the pre-hello socket to close')).code).toBe(CloseCode.goingAway);
    await within(first, 5000, 'hub.close()');
    expect(hub.connections).toEqual([]);
    await expect(fetch(`${httpUrl}/healthz`)).rejects.toThrow();
  });

  it('cuts off a client that never answers the close, within a few seconds', async () => {
    const hub = await startHub();
    const stuck = await join(hub.url, { id: 'stuck', name: 'stuck' });
    // Stop reading: the client never sees the close frame, so it never answers it.
    (stuck.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const started = Date.now();
    await within(hub.close(), 8000, 'hub.close() with a stuck client');
    expect(Date.now() - started).toBeLessThan(8000);
    expect(hub.connections).toEqual([]);
  });
});
