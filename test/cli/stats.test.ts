// `switchboard stats`: sessions by status and memory entries that match the hub, rates that count
// what happened while it watched, tasks by state from the tasks.watch snapshot, and messages/s
// reported as n/a rather than invented.
import { describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw-client.js';
import { SLOW_TEST_MS, ok, useHub } from './support.js';

describe('switchboard stats', { timeout: SLOW_TEST_MS }, () => {
  const hub = useHub();

  it('counts sessions by status and memory entries, and measures presence and memory rates', async () => {
    const working = await hub.agent({ name: 'w', status: 'working' });
    await hub.agent({ name: 'i', status: 'idle' });
    await hub.agent({ name: 'a1' });
    await hub.agent({ name: 'a2' });
    // A socket that drops without bye leaves its session away for the resume window.
    const { client } = await RawClient.join(hub.url, { name: 'dropped' });
    client.ws.terminate();
    for (const key of ['s/1', 's/2', 's/3', 's/tick']) await working.memory.set(key, key);
    // Tasks between two other sessions: one left offered, one completed.
    const idle = (await working.sessions({ status: 'idle' }))[0]!;
    await working.handoff({ title: 'left offered' }, { to: idle.id }, { acceptMs: 60_000 });
    const worker = await hub.agent({ name: 'worker' });
    worker.on('task', (offer) => void offer.accept().then(() => offer.complete()));
    const done = await (await working.handoff({ title: 'done' }, { to: worker.id })).done;
    expect(done.state).toBe('completed');

    const run = hub.cli(['stats', '--json', '--seconds', '2']);
    // Changes while stats watches: the same key and the same status, so the counts stay put.
    let ticks = 0;
    const ticker = setInterval(() => {
      ticks++;
      void working.memory.set('s/tick', ticks);
      void working.update({ task: `tick ${ticks}` });
    }, 100);
    const result = await run.finally(() => clearInterval(ticker));
    const stats = JSON.parse(ok(result)) as {
      sessions: { total: number; byStatus: Record<string, number> };
      memory: { entries: number };
      rates: { seconds: number; messagesPerSecond: null; presenceEventsPerSecond: number; memoryChangesPerSecond: number };
      tasks: { total: number; byState: Record<string, number> };
    };
    expect(stats.sessions).toEqual({ total: 6, byStatus: { active: 3, idle: 1, working: 1, away: 1 } });
    expect(stats.memory).toEqual({ entries: 4 });
    expect(stats.rates.seconds).toBe(2);
    expect(stats.rates.messagesPerSecond).toBeNull();
    expect(stats.rates.memoryChangesPerSecond).toBeGreaterThan(1);
    expect(stats.rates.presenceEventsPerSecond).toBeGreaterThan(1);
    expect(stats.tasks).toEqual({ total: 2, byState: { offered: 1, accepted: 0, completed: 1, failed: 0, declined: 0, expired: 0, canceled: 0 } });

    const table = ok(await hub.cli(['stats', '--seconds', '0']));
    expect(table).toMatch(/^sessions +6 \(active 3, idle 1, working 1, away 1\)$/m);
    expect(table).toMatch(/^memory entries +4$/m);
    expect(table).toMatch(/^messages\/s +n\/a \(/m);
    expect(table).toMatch(/^tasks by state +2 \(offered 1, accepted 0, completed 1, failed 0, declined 0, expired 0, canceled 0\)$/m);
  });
});
