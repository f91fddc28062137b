// `switchboard handoff` and `switchboard tasks` against SDK agents that take, complete and decline
// the tasks: --wait follows a task to its end, --id lets a later command list what it handed off.
import { describe, expect, it } from 'vitest';
import type { OfferedTask } from '@switchboard/client/node';
import { runCli } from '../hub/support.js';
import { CLI_KILL_MS, SLOW_TEST_MS, oneLine, ok, useHub } from './support.js';

describe.concurrent('switchboard handoff and tasks', { timeout: SLOW_TEST_MS }, () => {
  const hub = useHub();

  it('handoff --to NAME --wait prints each change and exits 0 once the agent completes it', async () => {
    const worker = await hub.agent({ name: 'worker-wait' });
    worker.on('task', (offer: OfferedTask) => {
      void (async () => {
        await offer.accept();
        await offer.complete({ merged: true });
      })();
    });
    const run = await hub.cli(['handoff', '--to', 'worker-wait', 'review PR 42', '--body', '{"pr":42}', '--wait']);
    const lines = ok(run).trimEnd().split('\n');
    const id = /task (\S+) /.exec(lines[0]!)![1]!;
    const stages = [`"review PR 42" offered to worker-wait`, 'accepted by worker-wait', 'completed by worker-wait: {"merged":true}'];
    for (const line of lines) expect(line).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} task ${id} `));
    // One line per change, in order; the handoff's answer may already carry a later state than offered.
    const seen = lines.map((l) => stages.indexOf(l.slice(l.indexOf(id) + id.length + 1)));
    expect(seen.every((stage, i) => stage >= 0 && (i === 0 || stage === seen[i - 1]! + 1)), lines.join('\n')).toBe(true);
    expect(seen.at(-1)).toBe(2);
    expect(await worker.task(id)).toMatchObject({ state: 'completed', title: 'review PR 42', body: { pr: 42 }, result: { merged: true } });
  });

  it('handoff --wait exits 1 with one line when the task is declined', async () => {
    const worker = await hub.agent({ name: 'worker-decline' });
    worker.on('task', (offer: OfferedTask) => void offer.decline('too busy'));
    const run = await hub.cli(['handoff', '--to', worker.id, 'write docs', '--wait', '--json']);
    expect(run.code).toBe(1);
    expect(oneLine(run)).toMatch(/^switchboard: task \S+ declined \(too busy\)$/);
    const { task } = JSON.parse(run.stdout);
    expect(task).toMatchObject({ state: 'declined', to: worker.id, title: 'write docs' });
  });

  it('handoff --capability --json, then tasks by id, and tasks --id lists what that session handed off', async () => {
    const reviewer = await hub.agent({ name: 'reviewer', capabilities: ['review-cli'] });
    const offers: OfferedTask[] = [];
    reviewer.on('task', (offer: OfferedTask) => offers.push(offer));
    const id = `cli-tasks-${process.pid}`;
    const { task } = JSON.parse(ok(await hub.cli(['handoff', '--capability', 'review-cli', 'check the lock', '--accept-ms', '60000', '--json', '--id', id])));
    expect(task).toMatchObject({ state: 'offered', capability: 'review-cli', offeredTo: reviewer.id, from: id, title: 'check the lock' });
    expect(offers.map((o) => o.task.id)).toEqual([task.id]);
    await offers[0]!.accept();

    const [byId, created, createdOffered] = await Promise.all([
      hub.cli(['tasks', task.id, '--json']),
      hub.cli(['tasks', '--id', id, '--json']),
      hub.cli(['tasks', '--id', `${id}-2`, '--role', 'created', '--json']),
    ]);
    // After those, so the creator (id) is offline and shows as its id rather than a name.
    const table = await hub.cli(['tasks', task.id]);
    const accepted = JSON.parse(ok(byId)).tasks;
    expect(accepted).toHaveLength(1);
    expect(accepted[0]).toMatchObject({ id: task.id, state: 'accepted', assignee: reviewer.id });
    expect(JSON.parse(ok(created))).toEqual({ tasks: accepted });
    expect(JSON.parse(ok(createdOffered))).toEqual({ tasks: [] });
    const rows = ok(table).trimEnd().split('\n');
    expect(rows[0]).toMatch(/^ID +TITLE +STATE +FROM +FOR +HOLDER +ATTEMPTS +UPDATED$/);
    expect(rows[1]).toMatch(new RegExp(`^${task.id} +check the lock +accepted +${id} +capability:review-cli +reviewer +1 +\\d+s ago$`));
  });

  it('bad command lines exit 2; an unknown task id exits 1', async () => {
    const [both, state, unknown] = await Promise.all([
      runCli(['handoff', 'title', '--to', 'a', '--capability', 'b', '--url', 'ws://127.0.0.1:1'], {}, CLI_KILL_MS),
      runCli(['tasks', '--state', 'done', '--url', 'ws://127.0.0.1:1'], {}, CLI_KILL_MS),
      hub.cli(['tasks', 'no-such-task']),
    ]);
    expect(both.code).toBe(2);
    expect(oneLine(both)).toMatch(/^switchboard handoff: needs exactly one of --to and --capability/);
    expect(state.code).toBe(2);
    expect(oneLine(state)).toMatch(/^switchboard tasks: --state must be one of /);
    expect(unknown.code).toBe(1);
    expect(oneLine(unknown)).toBe('switchboard: not found: task "no-such-task"');
  });
});
