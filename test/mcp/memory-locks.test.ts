// `switchboard mcp`: shared memory and locks through the bridge, checked against a plain SDK agent
// on the same hub so that what one side writes is what the other side reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@switchboard/client/node';
import type { Entry, Hub } from '@switchboard/client/node';
import { startHub } from '@switchboard/server';
import { startBridge, text } from './support.js';
import type { BridgedAgent } from './support.js';

let hub: Awaited<ReturnType<typeof startHub>>;
let agent: BridgedAgent;
let other: BridgedAgent;
let sdk: Hub;
beforeAll(async () => {
  hub = await startHub({ port: 0, logLevel: 'silent' });
  [agent, other] = await Promise.all([startBridge(hub.url, 'writer'), startBridge(hub.url, 'reader')]);
  sdk = await connect({ url: hub.url, session: { name: 'sdk' } });
});
afterAll(async () => {
  await Promise.all([agent?.close(), other?.close(), sdk?.close()]);
  await hub.close();
});

describe('switchboard mcp memory and locks', () => {
  it('shares memory: set with kind/tags/ttl, compare-and-set conflicts as error results, get, search, delete', async () => {
    const first = await agent.ok<{ entry: Entry }>('memory_set', { key: 'plan/owner', value: { who: 'writer' }, kind: 'decision', tags: ['plan', 'q4'], ifVersion: 0 });
    expect(first.entry).toMatchObject({ key: 'plan/owner', value: { who: 'writer' }, kind: 'decision', tags: ['plan', 'q4'], version: 1, author: agent.id });

    // The other bridged agent and an SDK agent read it.
    expect((await other.ok<{ entry: Entry }>('memory_get', { key: 'plan/owner' })).entry).toMatchObject({ version: 1, value: { who: 'writer' } });
    expect((await sdk.memory.get('plan/owner'))?.value).toEqual({ who: 'writer' });

    // A compare-and-set against a stale version is an error result naming the code and the stored version.
    await sdk.memory.set('plan/owner', { who: 'sdk' }, { ifVersion: 1 });
    const stale = await other.call('memory_set', { key: 'plan/owner', value: { who: 'reader' }, ifVersion: 1 });
    expect(stale.isError).toBe(true);
    expect(text(stale)).toMatch(/^conflict: .*stored version: 2/);
    const retried = await other.ok<{ entry: Entry }>('memory_set', { key: 'plan/owner', value: { who: 'reader' }, ifVersion: 2 });
    expect(retried.entry).toMatchObject({ version: 3, kind: 'decision', tags: ['plan', 'q4'], author: other.id });

    // ttlMs sets an expiry; absent keys read as null.
    const temp = await agent.ok<{ entry: Entry }>('memory_set', { key: 'plan/temp', value: 'soon gone', ttlMs: 60_000, tags: ['q4'] });
    expect(temp.entry.expiresAt).toBeGreaterThan(Date.now());
    expect((await agent.ok<{ entry: Entry | null }>('memory_get', { key: 'plan/nothing' })).entry).toBeNull();

    const byTag = await other.ok<{ entries: Entry[]; cursor: string | null }>('memory_search', { prefix: 'plan/', tags: ['q4'] });
    expect(byTag.entries.map((e) => e.key)).toEqual(['plan/owner', 'plan/temp']);
    const byText = await other.ok<{ entries: Entry[] }>('memory_search', { text: 'READER' });
    expect(byText.entries.map((e) => e.key)).toEqual(['plan/owner']);
    const paged = await other.ok<{ entries: Entry[]; cursor: string | null }>('memory_search', { prefix: 'plan/', limit: 1 });
    expect(paged.entries).toHaveLength(1);
    expect(paged.cursor).toBe('plan/owner');

    const conflictDelete = await agent.call('memory_delete', { key: 'plan/temp', ifVersion: 9 });
    expect(text(conflictDelete)).toMatch(/^conflict: /);
    expect((await agent.ok<{ deleted: boolean }>('memory_delete', { key: 'plan/temp' })).deleted).toBe(true);
    expect(await sdk.memory.get('plan/temp')).toBeNull();
  });

  it('takes and releases locks; a held lock is a conflict for others, and its fence guards writes', async () => {
    const grant = await agent.ok<{ name: string; fence: number; expiresAt: number }>('lock_acquire', { name: 'deploy/staging', ttlMs: 30_000 });
    expect(grant).toMatchObject({ name: 'deploy/staging', fence: expect.any(Number) });
    expect(grant.expiresAt).toBeGreaterThan(Date.now());
    expect(grant).not.toHaveProperty('token');

    // Others see it held: the SDK's lock list, and another bridged agent's lock_acquire.
    expect((await sdk.locks('deploy/')).map((l) => l.holder)).toEqual([agent.id]);
    const busy = await other.call('lock_acquire', { name: 'deploy/staging', ttlMs: 1000 });
    expect(busy.isError).toBe(true);
    expect(text(busy)).toMatch(/^conflict: /);

    // A waiting acquire is granted once the holder releases; the fence moves on.
    const waiting = other.ok<{ fence: number }>('lock_acquire', { name: 'deploy/staging', ttlMs: 30_000, wait: 5000 });
    await new Promise((r) => setTimeout(r, 200));
    expect((await agent.ok<{ released: boolean }>('lock_release', { name: 'deploy/staging' })).released).toBe(true);
    const next = await waiting;
    expect(next.fence).toBeGreaterThan(grant.fence);

    // The first holder's fenced write is now refused; the new holder's passes.
    const late = await agent.call('memory_set', { key: 'deploy/state', value: 'stale', fence: { name: 'deploy/staging', value: grant.fence } });
    expect(text(late)).toMatch(/^conflict: .*current fence: /);
    await other.ok('memory_set', { key: 'deploy/state', value: 'rolling', fence: { name: 'deploy/staging', value: next.fence } });

    const renewed = await other.ok<{ expiresAt: number }>('lock_renew', { name: 'deploy/staging', ttlMs: 60_000 });
    expect(renewed.expiresAt).toBeGreaterThan(Date.now() + 30_000);
    expect((await other.ok<{ locks: Array<{ name: string; holder: string }> }>('list_locks', { prefix: 'deploy/' })).locks)
      .toEqual([expect.objectContaining({ name: 'deploy/staging', holder: other.id })]);
    expect((await other.ok<{ released: boolean }>('lock_release', { name: 'deploy/staging' })).released).toBe(true);
    expect((await other.ok<{ released: boolean }>('lock_release', { name: 'deploy/staging' })).released).toBe(false);
    expect(await sdk.locks('deploy/')).toEqual([]);
  });
});
