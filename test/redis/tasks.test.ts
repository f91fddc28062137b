// Tasks on the Redis engine beyond the conformance cases: the node holding an assignee dies
// (SIGKILL, no resume window) and a surviving node re-offers the task to a capable session on
// another node within a few heartbeats; once the task ends, Redis keeps it with a TTL and no
// deadline or load is left behind.
import { describe, expect, it } from 'vitest';
import type { Task } from '@switchboard/protocol';
import { HAS_REDIS, REQUIRE_REDIS } from '../helpers/redis-server.js';
import { useRedisNodes } from '../helpers/redis-nodes.js';

const HEARTBEAT_MS = 300;

describe.skipIf(!HAS_REDIS && !REQUIRE_REDIS)('tasks on the Redis engine', () => {
  const hub = useRedisNodes(3, { 'heartbeat-ms': HEARTBEAT_MS, 'resume-window-ms': 0 }, 'tasks');

  const join = (node: number, id: string, capabilities: string[] = []) => hub.join(node, { id, capabilities });

  it('re-offers the task of an assignee whose node crashed to a session on another node', async () => {
    const creator = await join(0, 'creator');
    const doomed = await join(2, 'doomed', ['build']);
    const survivor = await join(1, 'survivor', ['build']);
    const { task } = await creator.ok<{ task: Task }>({ type: 'handoff', capability: 'build', task: { title: 'build it' }, acceptMs: 60_000 });
    expect(task.offeredTo).toBe('doomed');
    await doomed.nextOf('task.offer', (f) => f.task.id === task.id);
    await doomed.ok({ type: 'task.accept', taskId: task.id });
    await creator.nextOf('task.update', (f) => f.task.id === task.id && f.task.state === 'accepted');

    await hub.node(2).kill('SIGKILL');
    const crashedAt = Date.now();
    const offer = await survivor.nextOf('task.offer', (f) => f.task.id === task.id, 5000);
    const elapsed = Date.now() - crashedAt;
    console.log(`task of a crashed node re-offered ${elapsed} ms after SIGKILL (heartbeat ${HEARTBEAT_MS} ms)`);
    // The acceptMs was a minute and the lease has no timeout: only the node_down leave can have moved it.
    expect(elapsed).toBeLessThan(5 * HEARTBEAT_MS);
    expect(offer.task).toMatchObject({ state: 'offered', offeredTo: 'survivor', attempts: 2 });
    expect(offer.task.assignee).toBeUndefined();
    expect(offer.task.history.at(-1)).toMatchObject({ state: 'offered', by: 'doomed', reason: 'assignee_lost' });
    const seen = await creator.nextOf('task.update', (f) => f.task.id === task.id && f.task.attempts === 2);
    expect(seen.task).toEqual(offer.task);

    await survivor.ok({ type: 'task.accept', taskId: task.id });
    const done = (await survivor.ok<{ task: Task }>({ type: 'task.complete', taskId: task.id, result: { artifact: 'a.tgz' } })).task;
    expect(done).toMatchObject({ state: 'completed', assignee: 'survivor', attempts: 2, result: { artifact: 'a.tgz' } });

    const direct = hub.redis.client();
    try {
      const key = `sb:{default}:task:${task.id}`;
      const ttl = await direct.pttl(key);
      expect(ttl).toBeGreaterThan(23 * 3600 * 1000);
      expect(ttl).toBeLessThanOrEqual(24 * 3600 * 1000);
      expect(await direct.hget(key, 'state')).toBe('completed');
      // No accepted task is left, so no session carries load; no offer stands, so no deadline.
      expect(await direct.hgetall('sb:{default}:taskload')).toEqual({});
      expect(await direct.hget(key, 'deadline')).toBe('');
      expect(await direct.smembers('sb:{default}:taskc:creator')).toEqual([task.id]);
      expect(await direct.pttl('sb:{default}:taskc:creator')).toBeGreaterThan(0);
    } finally {
      direct.disconnect();
    }
  });
});
