// The README's SDK example is examples/quickstart.ts, verbatim, and it really runs.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHub } from '@switchboard/server';
import type { Hub } from '@switchboard/server';

const root = fileURLToPath(new URL('../../', import.meta.url));
let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ port: 0, logLevel: 'silent' });
});
afterAll(() => hub.close());

it('runs the quick-start example that the README shows', async () => {
  const example = readFileSync(`${root}examples/quickstart.ts`, 'utf8');
  expect(readFileSync(`${root}README.md`, 'utf8')).toContain(example.trim());
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/quickstart.ts'], {
    cwd: root,
    env: { ...process.env, SWITCHBOARD_URL: hub.url },
    timeout: 15_000,
  });
  expect(stdout).toContain('bob answered: { done: true, task: \'write the parser\' }');
  expect(stdout).toContain('online: alice, bob');
  expect(stdout).toContain('plan/owner: bob, confirmed');
});
