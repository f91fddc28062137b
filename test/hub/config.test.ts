// Configuration: `switchboard serve` refuses bad env vars and flags with one stderr line naming
// the culprit, and loadConfig (flags over env over defaults) as a unit.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConfigError, HUB_DEFAULTS, loadConfig } from '@switchboard/server';
import { runCli } from './support.js';

function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, `stderr: ${stderr}`).toHaveLength(1);
  return lines[0]!;
}

describe('switchboard serve: bad configuration', () => {
  it.concurrent.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '80.5'],
    ['SWITCHBOARD_HEARTBEAT_MS', '-5'],
    ['SWITCHBOARD_MAX_FRAME_BYTES', '10'],
    ['REDIS_URL', 'http://x'],
    ['SWITCHBOARD_REDIS_PREFIX', 'a:b'],
    ['SWITCHBOARD_SECRET', 'too-short'],
    ['SWITCHBOARD_NODE_ID', 'a b'],
    ['LOG_LEVEL', 'loud'],
  ])('env %s=%s → exits non-zero quickly with one stderr line naming it', async (name, value) => {
    const run = await runCli(['serve'], { [name]: value });
    expect(run.signal).toBeNull();
    expect(run.code).not.toBe(0);
    expect(run.ms).toBeLessThan(8000);
    const line = oneLine(run.stderr);
    expect(line).toContain(name);
    expect(line).toContain(JSON.stringify(value));
    expect(run.stdout).not.toContain('hub listening');
  });

  it.concurrent.each([
    ['--port', 'abc'],
    ['--heartbeat-ms', '10'],
    ['--redis', 'http://x'],
    ['--max-value-bytes', '0'],
  ])('flag %s %s → exits non-zero with one stderr line naming the flag', async (flag, value) => {
    const run = await runCli(['serve', flag, value]);
    expect(run.code).not.toBe(0);
    expect(run.ms).toBeLessThan(8000);
    const line = oneLine(run.stderr);
    expect(line).toContain(flag);
    expect(run.stdout).not.toContain('hub listening');
  });

  it.concurrent('a flag overrides a bad env var (the error names the next bad setting, not PORT)', async () => {
    const run = await runCli(['serve', '--port', '0', '--heartbeat-ms', '1'], { PORT: 'abc' });
    expect(run.code).not.toBe(0);
    const line = oneLine(run.stderr);
    expect(line).toContain('--heartbeat-ms');
    expect(line).not.toContain('PORT');
  });

  it.concurrent('an unknown flag → non-zero, naming the flag', async () => {
    const run = await runCli(['serve', '--bogus', '1']);
    expect(run.code).not.toBe(0);
    expect(oneLine(run.stderr)).toContain('--bogus');
  });

  it.concurrent('an unknown command → non-zero', async () => {
    const run = await runCli(['launch']);
    expect(run.code).not.toBe(0);
    expect(oneLine(run.stderr)).toContain('launch');
  });

  it.concurrent.each([[['--help']], [['serve', '--help']]])('%j prints usage and exits 0', async (args) => {
    const run = await runCli(args);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: switchboard');
    for (const word of ['serve', '--port', 'PORT', '--redis', 'REDIS_URL', '--secret', 'SWITCHBOARD_SECRET', '--heartbeat-ms']) {
      expect(run.stdout).toContain(word);
    }
    expect(run.stderr).toBe('');
  });

  it.concurrent('a port already in use → non-zero exit with a message', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = blocker.address() as AddressInfo;
      const run = await runCli(['serve', '--port', String(port)], { LOG_LEVEL: 'silent' });
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/EADDRINUSE/);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});

describe('loadConfig', () => {
  const DEFAULTS = {
    port: 7777,
    host: '127.0.0.1',
    redisPrefix: 'sb',
    heartbeatMs: 5000,
    resumeWindowMs: 120_000,
    inboxLimit: 10_000,
    maxFrameBytes: 1024 * 1024,
    maxValueBytes: 256 * 1024,
    logLevel: 'info',
  };

  it('defaults with no flags and no env (and agree with the hub defaults)', () => {
    expect(loadConfig({}, {})).toEqual(DEFAULTS);
    for (const key of ['port', 'host', 'heartbeatMs', 'resumeWindowMs', 'inboxLimit', 'maxFrameBytes', 'maxValueBytes', 'logLevel'] as const) {
      expect(DEFAULTS[key], key).toBe(HUB_DEFAULTS[key]);
    }
  });

  it('reads every setting from its env var, as typed values', () => {
    const config = loadConfig({}, {
      PORT: '8080',
      HOST: '0.0.0.0',
      REDIS_URL: 'redis://cache:6379',
      SWITCHBOARD_REDIS_PREFIX: 'app1',
      SWITCHBOARD_SECRET: 'sixteen-chars-ok',
      SWITCHBOARD_HEARTBEAT_MS: '250',
      SWITCHBOARD_RESUME_WINDOW_MS: '0',
      SWITCHBOARD_INBOX_LIMIT: '50',
      SWITCHBOARD_NODE_ID: 'node-1',
      SWITCHBOARD_MAX_FRAME_BYTES: '4096',
      SWITCHBOARD_MAX_VALUE_BYTES: '1024',
      LOG_LEVEL: 'debug',
    });
    expect(config).toEqual({
      port: 8080,
      host: '0.0.0.0',
      redisUrl: 'redis://cache:6379',
      redisPrefix: 'app1',
      secret: 'sixteen-chars-ok',
      heartbeatMs: 250,
      resumeWindowMs: 0,
      inboxLimit: 50,
      nodeId: 'node-1',
      maxFrameBytes: 4096,
      maxValueBytes: 1024,
      logLevel: 'debug',
    });
  });

  it('flags override env', () => {
    const env = { PORT: '8080', SWITCHBOARD_HEARTBEAT_MS: '250', LOG_LEVEL: 'debug', REDIS_URL: 'redis://env' };
    const config = loadConfig({ port: '9090', 'heartbeat-ms': '500', 'log-level': 'warn', redis: 'rediss://flag' }, env);
    expect(config).toMatchObject({ port: 9090, heartbeatMs: 500, logLevel: 'warn', redisUrl: 'rediss://flag' });
  });

  it('a good flag shadows a bad env var; an unset flag falls back to env', () => {
    expect(loadConfig({ port: '1234' }, { PORT: 'abc', SWITCHBOARD_HEARTBEAT_MS: '300' })).toMatchObject({ port: 1234, heartbeatMs: 300 });
    expect(loadConfig({ port: undefined }, { PORT: '4321' }).port).toBe(4321);
  });

  it('an empty env var counts as unset', () => {
    expect(loadConfig({}, { PORT: '', SWITCHBOARD_SECRET: '', LOG_LEVEL: '' })).toEqual(DEFAULTS);
  });

  it('accepts the edges of each range', () => {
    expect(loadConfig({ port: '0' }, {}).port).toBe(0);
    expect(loadConfig({ port: '65535' }, {}).port).toBe(65535);
    expect(loadConfig({ 'heartbeat-ms': '50' }, {}).heartbeatMs).toBe(50);
    expect(loadConfig({ 'max-frame-bytes': '1024' }, {}).maxFrameBytes).toBe(1024);
    expect(loadConfig({ secret: 'x'.repeat(16) }, {}).secret).toBe('x'.repeat(16));
    expect(loadConfig({ 'log-level': 'silent' }, {}).logLevel).toBe('silent');
  });

  it.each([
    [{}, { PORT: '65536' }, 'PORT'],
    [{}, { PORT: '-1' }, 'PORT'],
    [{}, { PORT: '1.5' }, 'PORT'],
    [{}, { SWITCHBOARD_HEARTBEAT_MS: '49' }, 'SWITCHBOARD_HEARTBEAT_MS'],
    [{}, { SWITCHBOARD_MAX_FRAME_BYTES: '1023' }, 'SWITCHBOARD_MAX_FRAME_BYTES'],
    [{}, { SWITCHBOARD_SECRET: 'x'.repeat(15) }, 'SWITCHBOARD_SECRET'],
    [{}, { REDIS_URL: 'http://x' }, 'REDIS_URL'],
    [{}, { SWITCHBOARD_REDIS_PREFIX: 'x'.repeat(33) }, 'SWITCHBOARD_REDIS_PREFIX'],
    [{}, { SWITCHBOARD_NODE_ID: 'a b' }, 'SWITCHBOARD_NODE_ID'],
    [{ port: 'abc' }, {}, '--port'],
    [{ 'heartbeat-ms': '-5' }, { SWITCHBOARD_HEARTBEAT_MS: '100' }, '--heartbeat-ms'],
    [{ 'log-level': 'loud' }, {}, '--log-level'],
  ] as Array<[Record<string, string>, Record<string, string>, string]>)('%j %j → ConfigError naming %s', (flags, env, culprit) => {
    let error: unknown;
    try {
      loadConfig(flags, env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(culprit);
    expect(message).not.toContain('\n');
  });
});

describe('loadConfig: numbers are whole decimal numbers, nothing looser', () => {
  it.each([' ', '0x1F', '1e3', ' 5 ', '5.0', '-1'])('refuses PORT=%j instead of coercing it', (value) => {
    expect(() => loadConfig({}, { PORT: value })).toThrow(ConfigError);
  });
  it('refuses an empty flag value', () => {
    expect(() => loadConfig({ port: '' }, {})).toThrow(/--port/);
  });
});
