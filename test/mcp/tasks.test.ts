// `switchboard mcp` task handoff between two bridged agents: by `to` and by `capability`, the offer
// shows in the other's read_inbox and list_tasks, accept → complete (or fail, or decline), and the
// creator sees the end in its own read_inbox, list_tasks and get_task.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Task } from '@switchboard/client/node';
import { startHub } from '@switchboard/server';
import { until } from '../helpers/wait.js';
import { startBridge, text } from './support.js';
import type { BridgedAgent } from './support.js';

interface TaskEvent {
  type: 'task.offer' | 'task.update';
  task: Task;
}

let hub: Awaited<ReturnType<typeof startHub>>;
let alice: BridgedAgent;
let bob: BridgedAgent;
beforeAll(async () => {
  hub = await startHub({ port: 0, logLevel: 'silent' });
  [alice, bob] = await Promise.all([startBridge(hub.url, 'alice', ['--capabilities', 'plan']), startBridge(hub.url, 'bob', ['--capabilities', 'review'])]);
});
afterAll(async () => {
  await Promise.all([alice?.close(), bob?.close()]);
  await hub.close();
});

/** Reads `agent`'s inbox until a task event matches (bounded); returns every task event read. */
async function taskEvents(agent: BridgedAgent, done: (e: TaskEvent) => boolean, timeoutMs = 5000): Promise<TaskEvent[]> {
  const events: TaskEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!events.some(done)) {
    if (Date.now() > deadline) throw new Error(`no matching task event within ${timeoutMs} ms; got ${JSON.stringify(events)}`);
    events.push(...(await agent.ok<{ tasks: TaskEvent[] }>('read_inbox', { waitMs: Math.max(1, deadline - Date.now()) })).tasks);
  }
  return events;
}

describe('switchboard mcp tasks', () => {
  it('hands a task off by `to`: offer in read_inbox and list_tasks, accept, complete; the creator sees it completed', async () => {
    const listChanged: number[] = [];
    bob.client.setNotificationHandler(ResourceListChangedNotificationSchema, () => void listChanged.push(Date.now()));

    const { task } = await alice.ok<{ task: Task }>('handoff_task', { to: bob.id, task: { title: 'Review PR 42', body: { pr: 42 } } });
    expect(task).toMatchObject({ title: 'Review PR 42', body: { pr: 42 }, from: alice.id, to: bob.id, state: 'offered', offeredTo: bob.id });

    const offers = await taskEvents(bob, (e) => e.type === 'task.offer' && e.task.id === task.id);
    expect(offers.find((e) => e.type === 'task.offer')!.task).toMatchObject({ id: task.id, title: 'Review PR 42', from: alice.id });
    const offered = await bob.ok<{ tasks: Task[] }>('list_tasks', { role: 'assigned', state: 'offered' });
    expect(offered.tasks.map((t) => t.id)).toEqual([task.id]);

    // The offer also shows as a resource, announced with resources/list_changed.
    await until(() => listChanged.length > 0, 5000, 'resources/list_changed');
    const { resources } = await bob.client.listResources();
    expect(resources.map((r) => r.uri)).toContain(`switchboard://tasks/${task.id}`);

    const accepted = await bob.ok<{ task: Task }>('accept_task', { taskId: task.id });
    expect(accepted.task).toMatchObject({ state: 'accepted', assignee: bob.id });
    const completed = await bob.ok<{ task: Task }>('complete_task', { taskId: task.id, result: { approved: true } });
    expect(completed.task).toMatchObject({ state: 'completed', result: { approved: true } });

    // The creator sees the changes in its inbox, ending with completed, and in list_tasks / get_task.
    const updates = await taskEvents(alice, (e) => e.type === 'task.update' && e.task.state === 'completed');
    expect(updates.every((e) => e.type === 'task.update' && e.task.id === task.id)).toBe(true);
    expect(updates.at(-1)!.task).toMatchObject({ state: 'completed', assignee: bob.id, result: { approved: true } });
    const created = await alice.ok<{ tasks: Task[] }>('list_tasks', { role: 'created', state: 'completed' });
    expect(created.tasks.map((t) => t.id)).toEqual([task.id]);
    const got = await alice.ok<{ task: Task }>('get_task', { taskId: task.id });
    expect(got.task.history.map((h) => h.state)).toEqual(['offered', 'accepted', 'completed']);
  });

  it('hands a task off by capability; failing it reaches the creator with the error', async () => {
    const { task } = await alice.ok<{ task: Task }>('handoff_task', { capability: 'review', task: { title: 'Run the benchmarks' }, acceptMs: 10_000 });
    expect(task).toMatchObject({ capability: 'review', offeredTo: bob.id, state: 'offered' });
    await taskEvents(bob, (e) => e.type === 'task.offer' && e.task.id === task.id);
    await bob.ok('accept_task', { taskId: task.id });
    const failed = await bob.ok<{ task: Task }>('fail_task', { taskId: task.id, error: 'no GPU here' });
    expect(failed.task).toMatchObject({ state: 'failed', error: 'no GPU here' });
    const updates = await taskEvents(alice, (e) => e.task.id === task.id && e.task.state === 'failed');
    expect(updates.at(-1)!.task.error).toBe('no GPU here');
  });

  it('declines and cancels, and refuses what cannot be done with error results', async () => {
    const declined = await alice.ok<{ task: Task }>('handoff_task', { to: bob.id, task: { title: 'Not for me' } });
    await taskEvents(bob, (e) => e.type === 'task.offer' && e.task.id === declined.task.id);
    expect((await bob.ok<{ task: Task }>('decline_task', { taskId: declined.task.id, reason: 'busy' })).task.state).toBe('declined');
    await taskEvents(alice, (e) => e.task.id === declined.task.id && e.task.state === 'declined');

    const canceled = await alice.ok<{ task: Task }>('handoff_task', { to: bob.id, task: { title: 'Never mind' } });
    expect((await alice.ok<{ task: Task }>('cancel_task', { taskId: canceled.task.id })).task.state).toBe('canceled');
    await taskEvents(bob, (e) => e.type === 'task.offer' && e.task.id === canceled.task.id);
    const late = await bob.call('accept_task', { taskId: canceled.task.id });
    expect(late.isError).toBe(true);
    expect(text(late)).toMatch(/^(conflict|not_found): /);

    const both = await alice.call('handoff_task', { to: bob.id, capability: 'review', task: { title: 'x' } });
    expect(both.isError).toBe(true);
    expect(text(both)).toMatch(/^bad_request: .*exactly one/);
    const neither = await alice.call('handoff_task', { task: { title: 'x' } });
    expect(text(neither)).toMatch(/^bad_request: /);
    const unknown = await bob.call('complete_task', { taskId: 'no-such-task' });
    expect(text(unknown)).toMatch(/^not_found: /);
    const noTitle = await alice.call('handoff_task', { to: bob.id, task: {} });
    expect(noTitle.isError).toBe(true);
    expect((await alice.ok<{ state: string }>('whoami')).state).toBe('connected');
  });
});
