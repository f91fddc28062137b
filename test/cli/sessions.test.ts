// `switchboard sessions` against a real hub with SDK agents: the table, --json, filters, and no
// session of the command left behind afterwards.
import { describe, expect, it } from 'vitest';
import { until } from '../helpers/wait.js';
import { SLOW_TEST_MS, ok, useHub } from './support.js';

describe('switchboard sessions', { timeout: SLOW_TEST_MS }, () => {
  const hub = useHub();

  it('lists both agents with their fields as a table and as {"sessions":[…]}, filters, leaves itself out and nothing behind', async () => {
    const alice = await hub.agent({ name: 'alice', agentType: 'claude', capabilities: ['plan', 'review'], status: 'working', task: 'plan the API' });
    const bob = await hub.agent({ name: 'bob', agentType: 'codex', capabilities: ['code'] });

    const lines = ok(await hub.cli(['sessions'])).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +ID +TYPE +STATUS +TASK +CAPABILITIES +NODE +LAST SEEN$/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(new RegExp(`^alice +${alice.id} +claude +working +plan the API +plan,review +${alice.node} +\\d+s ago$`));
    expect(lines[2]).toMatch(new RegExp(`^bob +${bob.id} +codex +active +- +code +${bob.node} +\\d+s ago$`));

    const json = JSON.parse(ok(await hub.cli(['sessions', '--json']))) as { sessions: Array<Record<string, unknown>> };
    // The hub ends a session just after its socket closes, so the command that just ran may still be listed.
    const expected = (await alice.sessions()).filter((s) => s.agentType !== 'cli');
    const withoutLastSeen = (list: Array<Record<string, unknown>>) =>
      list.map(({ lastSeen: _, ...rest }) => rest).sort((a, b) => String(a.name).localeCompare(String(b.name)));
    expect(Object.keys(json)).toEqual(['sessions']);
    expect(withoutLastSeen(json.sessions)).toEqual(withoutLastSeen(expected));
    expect(json.sessions.map((s) => s.id).sort()).toEqual([alice.id, bob.id].sort());

    const filtered = JSON.parse(ok(await hub.cli(['sessions', '--json', '--capability', 'review']))) as { sessions: Array<{ id: string }> };
    expect(filtered.sessions.map((s) => s.id)).toEqual([alice.id]);

    // Every command above said bye: with the hub's resume window, a dropped one would linger as away.
    await until(async () => (await alice.sessions()).every((s) => s.agentType !== 'cli'), 3000, 'no cli session left');
  });
});
