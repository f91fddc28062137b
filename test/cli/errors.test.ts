// How every command fails and asks for help: an unreachable or silent hub, a secured hub without a
// token, bad command lines (exit 2, before connecting), and --help on every command.
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, freePort, runCli, token } from '../hub/support.js';
import { CLI_KILL_MS, SLOW_TEST_MS, oneLine, ok, useHub } from './support.js';

// Nothing listens there, so a command that tried to connect would fail with exit 1, not 2.
let unreachable = '';
beforeAll(async () => {
  unreachable = `ws://127.0.0.1:${await freePort()}/v1`;
});
const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { SWITCHBOARD_URL: unreachable, SWITCHBOARD_TOKEN: '', ...env }, CLI_KILL_MS);

describe.concurrent('switchboard: the hub cannot be used', { timeout: SLOW_TEST_MS }, () => {
  it('an unreachable hub → exit 1 at once (not after the timeout), one line naming the address', async () => {
    const run = await cli(['sessions', '--timeout-ms', '60000']);
    expect(run.code).toBe(1);
    expect(run.ms).toBeLessThan(15_000);
    expect(oneLine(run)).toBe(`switchboard: cannot reach ${unreachable}: connection refused`);
    expect(run.stdout).toBe('');
  });

  describe('a hub that accepts TCP but never answers', { timeout: SLOW_TEST_MS }, () => {
    let silent: Server;
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      silent = createServer((socket) => void sockets.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    it('gives up after --timeout-ms with one line', async () => {
      const url = `ws://127.0.0.1:${(silent.address() as AddressInfo).port}/v1`;
      const run = await cli(['memory', 'get', 'k', '--url', url, '--timeout-ms', '700']);
      expect(run.code).toBe(1);
      expect(run.ms).toBeGreaterThanOrEqual(700);
      expect(oneLine(run)).toBe(`switchboard: cannot reach ${url}: no answer within 700 ms`);
    });
  });
});

describe.concurrent('switchboard: a hub with a secret', { timeout: SLOW_TEST_MS }, () => {
  const hub = useHub({ secret: SECRET });

  it('without a token → unauthorized, one line, exit 1; a bad one too; a good one (env or flag) works', async () => {
    // Two namespaces, so the two commands running at once do not list each other's CLI session.
    const good = await token({ ns: 'team' });
    const other = await token({ ns: 'team-2' });
    const [none, bad, fromEnv, fromFlag] = await Promise.all([
      hub.cli(['sessions']),
      hub.cli(['sessions', '--token', 'not-a-jwt']),
      hub.cli(['sessions', '--json'], { SWITCHBOARD_TOKEN: good }),
      hub.cli(['--token', other, 'sessions', '--json']),
    ]);
    expect(none.code).toBe(1);
    expect(oneLine(none)).toBe(`switchboard: unauthorized by ${hub.url}: token required (pass --token or set SWITCHBOARD_TOKEN)`);
    expect(bad.code).toBe(1);
    expect(oneLine(bad)).toBe(`switchboard: unauthorized by ${hub.url}: invalid or expired token`);
    expect(JSON.parse(ok(fromEnv))).toEqual({ sessions: [] });
    expect(JSON.parse(ok(fromFlag))).toEqual({ sessions: [] });
  });
});

describe.concurrent('switchboard: bad command lines exit 2 before connecting', { timeout: SLOW_TEST_MS }, () => {
  it.each([
    [['launch'], 'switchboard: unknown command "launch" (see switchboard --help)'],
    [['memory'], 'switchboard memory: needs a subcommand: get, set, del, search (see switchboard memory --help)'],
    [['sessions', '--bogus'], "switchboard sessions: Unknown option '--bogus'"],
    [['send', 'bob'], 'switchboard send: missing BODY'],
    [['send', 'bob', 'hi', '--kind', 'shout'], 'switchboard send: --kind must be one of message, request, response, notification, sync, got "shout"'],
    [['memory', 'set', 'k', 'v', '--ttl-ms', 'soon'], 'switchboard memory set: --ttl-ms must be a whole number'],
    [['broadcast', 'x', '--url', 'http://127.0.0.1:7777'], 'switchboard broadcast: --url "http://127.0.0.1:7777" must start with ws:// or wss://'],
  ])('%j', async (args, start) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(oneLine(run).startsWith(start), run.stderr).toBe(true);
    expect(run.stdout).toBe('');
  });
});

describe('switchboard --help', { timeout: SLOW_TEST_MS }, () => {
  const commands = ['sessions', 'send', 'broadcast', 'tail', 'memory get', 'memory set', 'memory del', 'memory search', 'handoff', 'tasks', 'stats'];

  it('lists every command, and each command explains itself and the common options (exit 0)', async () => {
    const top = ok(await cli(['--help']));
    for (const name of ['serve', 'sessions', 'send', 'broadcast', 'tail', 'memory', 'handoff', 'tasks', 'stats', 'SWITCHBOARD_URL', 'SWITCHBOARD_TOKEN']) {
      expect(top).toContain(name);
    }
    const runs = await Promise.all([...commands.map((c) => cli([...c.split(' '), '--help'])), cli(['memory', '--help'])]);
    runs.forEach((run, i) => {
      const out = ok(run);
      const name = commands[i] ?? 'memory';
      expect(out, name).toContain(`Usage: switchboard ${name}`);
      if (i < commands.length) for (const flag of ['--url', '--token', '--json', '--timeout-ms']) expect(out, name).toContain(flag);
    });
    expect(runs.at(-1)!.stdout).toContain('switchboard memory search');
  });
});
