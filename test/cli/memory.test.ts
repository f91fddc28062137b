// `switchboard memory`: set, get, del and search round trips against a real hub, compare-and-set
// with --if-version, and what an SDK agent sees of the command's writes.
import { describe, expect, it } from 'vitest';
import { SLOW_TEST_MS, oneLine, ok, useHub } from './support.js';


describe.concurrent('switchboard memory', { timeout: SLOW_TEST_MS }, () => {
  const hub = useHub();

  it('set then get: JSON values stay JSON, other values are strings; --kind, --tags, --ttl-ms', async () => {
    const agent = await hub.agent({ name: 'reader' });
    const [setJson, setText] = await Promise.all([
      hub.cli(['memory', 'set', 'rt/plan', '{"owner":"bob","n":2}', '--kind', 'decision', '--tags', 'api,q4', '--json']),
      hub.cli(['memory', 'set', 'rt/note', 'ship it on friday', '--ttl-ms', '600000']),
    ]);
    const { entry } = JSON.parse(ok(setJson));
    expect(entry).toMatchObject({ key: 'rt/plan', value: { owner: 'bob', n: 2 }, kind: 'decision', tags: ['api', 'q4'], version: 1 });
    expect(await agent.memory.get('rt/plan')).toEqual(entry);
    expect(ok(setText).trim()).toBe('set rt/note version 1');
    const note = await agent.memory.get('rt/note');
    expect(note).toMatchObject({ value: 'ship it on friday', kind: 'state', tags: [] });
    expect(note!.expiresAt).toBeGreaterThan(Date.now() + 500_000);

    const [json, shown] = await Promise.all([hub.cli(['memory', 'get', 'rt/plan', '--json']), hub.cli(['memory', 'get', 'rt/plan'])]);
    expect(JSON.parse(ok(json))).toEqual({ entry });
    expect(ok(shown)).toMatch(/^value +\{"owner":"bob","n":2\}$/m);
    expect(shown.stdout).toMatch(/^version +1$/m);
    expect(shown.stdout).toMatch(/^tags +api,q4$/m);
  });

  it('search: filters, key order, paging with --limit and the cursor, and the table', async () => {
    const agent = await hub.agent({ name: 'writer' });
    const plan = await agent.memory.set('sr/plan', { owner: 'bob' }, { kind: 'decision', tags: ['api', 'q4'] });
    const note = await agent.memory.set('sr/note', 'ship on friday', { tags: ['q4'] });
    const [all, filtered, paged, table] = await Promise.all([
      hub.cli(['memory', 'search', '--prefix', 'sr/', '--json']),
      hub.cli(['memory', 'search', '--prefix', 'sr/', '--tags', 'q4,api', '--kind', 'decision', '--text', 'BOB', '--json']),
      hub.cli(['memory', 'search', '--prefix', 'sr/', '--limit', '1', '--json']),
      hub.cli(['memory', 'search', '--prefix', 'sr/']),
    ]);
    expect(JSON.parse(ok(all))).toEqual({ entries: [note, plan], cursor: null });
    expect(JSON.parse(ok(filtered))).toEqual({ entries: [plan], cursor: null });
    expect(JSON.parse(ok(paged))).toEqual({ entries: [note], cursor: 'sr/note' });
    const rows = ok(table).trimEnd().split('\n');
    expect(rows[0]).toMatch(/^KEY +VERSION +KIND +TAGS +AUTHOR +UPDATED +VALUE$/);
    expect(rows[1]).toMatch(new RegExp(`^sr/note +1 +state +q4 +${agent.id} +\\d+s ago +"ship on friday"$`));
    expect(rows[2]).toMatch(new RegExp(`^sr/plan +1 +decision +api,q4 +${agent.id} +\\d+s ago +\\{"owner":"bob"\\}$`));
    expect(rows).toHaveLength(3);
  });

  it('del removes the key; get and del of a missing key fail with one line (exit 1)', async () => {
    const agent = await hub.agent({ name: 'deleter' });
    await agent.memory.set('del/k', 1);
    expect(ok(await hub.cli(['memory', 'del', 'del/k'])).trim()).toBe('deleted del/k');
    expect(await agent.memory.get('del/k')).toBeNull();
    const [getGone, delGone] = await Promise.all([hub.cli(['memory', 'get', 'del/k']), hub.cli(['memory', 'del', 'del/k', '--json'])]);
    for (const run of [getGone, delGone]) {
      expect(run.code).toBe(1);
      expect(oneLine(run)).toBe('switchboard: not found: memory key "del/k"');
      expect(run.stdout).toBe('');
    }
  });

  it('--if-version: a stale version is a conflict (exit 1, one line, nothing written); the right one writes', async () => {
    const agent = await hub.agent({ name: 'cas' });
    await agent.memory.set('cas/k', 'v1');
    await agent.memory.set('cas/k', 'v2');

    const stale = await hub.cli(['memory', 'set', 'cas/k', 'mine', '--if-version', '1']);
    expect(stale.code).toBe(1);
    expect(oneLine(stale)).toMatch(/^switchboard: conflict: .*cas\/k.* 2$/);
    expect(stale.stdout).toBe('');
    expect(await agent.memory.get('cas/k')).toMatchObject({ value: 'v2', version: 2 });

    const written = JSON.parse(ok(await hub.cli(['memory', 'set', 'cas/k', 'mine', '--if-version', '2', '--json'])));
    expect(written.entry).toMatchObject({ value: 'mine', version: 3 });

    const staleDel = await hub.cli(['memory', 'del', 'cas/k', '--if-version', '2']);
    expect(staleDel.code).toBe(1);
    expect(oneLine(staleDel)).toMatch(/^switchboard: conflict: /);
    expect(await agent.memory.get('cas/k')).toMatchObject({ version: 3 });
    expect(JSON.parse(ok(await hub.cli(['memory', 'del', 'cas/k', '--if-version', '3', '--json'])))).toEqual({ deleted: true });
    expect(await agent.memory.get('cas/k')).toBeNull();
  });
});
