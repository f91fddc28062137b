// `npm run demo` plays its whole workflow to the end (run here with --exit and a free port).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

it('runs the demo workflow to completion', { timeout: 30_000 }, async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/demo.ts', '--exit'], {
    cwd: root,
    env: { ...process.env, PORT: '0', REDIS_URL: '' },
    timeout: 25_000,
  });
  for (const line of [
    /planner\s+broadcast the plan to 3 sessions/,
    /planner\s+wrote plan\/search-v2 \(version 1\)/,
    /dev-api\s+recorded decision decisions\/search-api \(version 1, CAS ifVersion 0\)/,
    /reviewer\s+offered "Review search API" — accepting/,
    /dev-api\s+review completed: \{"approved":true,"comments":1\}/,
    /dev-ui\s+reconnected: resumed=true/,
    /dev-ui\s+got "\{"note":"use the cursor from decisions\/search-api"\}" from planner/,
    /"Build search API" completed by dev-api/,
    /"Build search UI" completed by dev-ui/,
    /Dashboard: http:\/\/127\.0\.0\.1:\d+\//,
  ]) {
    expect(stdout).toMatch(line);
  }
  expect(stdout).not.toMatch(/leave \(timeout\)/);
});
