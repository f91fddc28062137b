// `switchboard tail` as a running process: presence joins and leaves, a message addressed to it and
// memory changes arrive as lines (and as NDJSON), and SIGINT ends it with bye and exit 0.
import { describe, expect, it } from 'vitest';
import { until } from '../helpers/wait.js';
import { SLOW_TEST_MS, useHub } from './support.js';

describe.concurrent('switchboard tail', { timeout: SLOW_TEST_MS }, () => {
  const hub = useHub();

  it('prints presence join/leave, a message to it and memory changes as lines; SIGINT → bye, exit 0', async () => {
    const observer = await hub.agent({ name: 'observer-lines' });
    const tail = hub.spawn(['tail', '--name', 'tail-lines', '--prefix', 'lines/']);
    const ready = await tail.line((l) => l.includes(' tail  as tail-lines ('), 'the first line', 20_000);
    const time = /^\d\d:\d\d:\d\d\.\d{3} /;
    expect(ready).toMatch(time);
    const tailId = /\(([^)]+)\)/.exec(ready)![1]!;

    const agent = await hub.agent({ name: 'agent-lines', agentType: 'claude', capabilities: ['code'], task: 'write tests' });
    expect(await tail.line((l) => l.includes(' join    agent-lines ('), 'the join')).toMatch(
      new RegExp(`${time.source}join +agent-lines \\(${agent.id}\\) type=claude status=active task="write tests" capabilities=code$`),
    );
    await agent.send(tailId, { hello: 'tail' }, { kind: 'request' });
    expect(await tail.line((l) => l.includes(' message ') && l.includes(agent.id), 'the message')).toMatch(
      new RegExp(`${time.source}message from agent-lines \\(${agent.id}\\) kind=request \\{"hello":"tail"\\}$`),
    );
    await agent.memory.set('other/ignored', 1);
    await agent.memory.set('lines/plan', { step: 1 });
    await agent.memory.delete('lines/plan');
    expect(await tail.line((l) => l.includes(' memory  set '), 'the memory set')).toMatch(
      new RegExp(`${time.source}memory +set lines/plan v1 by agent-lines \\(${agent.id}\\) = \\{"step":1\\}$`),
    );
    await tail.line((l) => l.includes(' memory  delete lines/plan'), 'the memory delete');
    await agent.close();
    expect(await tail.line((l) => l.includes(' leave ') && l.includes(agent.id), 'the leave')).toMatch(new RegExp(`leave +agent-lines \\(${agent.id}\\) reason=bye$`));
    expect(tail.lines.join('\n')).not.toContain('other/ignored');

    const leaving = new Promise<string | undefined>((resolve) =>
      void observer.watchPresence((p) => p.session.id === tailId && p.event === 'leave' && resolve(p.reason)),
    );
    const exit = await tail.stop('SIGINT');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(tail.stderr()).toBe('');
    expect(await leaving).toBe('bye');
  });

  it('--json prints NDJSON: a ready line, then the protocol frames with receivedAt', async () => {
    const tail = hub.spawn(['tail', '--json', '--name', 'tail-json', '--prefix', 'json/']);
    const ready = JSON.parse(await tail.line((l) => l.includes('"type":"ready"'), 'the ready line', 20_000));
    expect(ready).toMatchObject({ type: 'ready', prefix: 'json/', session: { name: 'tail-json', agentType: 'cli' } });
    expect(ready.sessions.map((s: { id: string }) => s.id)).not.toContain(ready.session.id);

    const agent = await hub.agent({ name: 'agent-json' });
    await tail.line((l) => l.includes('"event":"join"') && l.includes('agent-json'), 'the join');
    await agent.send(ready.session.id, 'plain text');
    await agent.memory.set('json/k', [1, 2], { kind: 'fact' });
    await tail.line((l) => l.includes('"memory.changed"'), 'the memory change');
    await agent.close();
    await tail.line((l) => l.includes('"event":"leave"') && l.includes('agent-json'), 'the leave');
    expect((await tail.stop('SIGINT')).code).toBe(0);

    const frames = tail.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const frame of frames) expect(frame.receivedAt).toEqual(expect.any(Number));
    const mine = frames.filter((f) => JSON.stringify(f).includes(agent.id));
    expect(mine.map((f) => `${f.type}:${f.event ?? f.op ?? f.kind}`)).toEqual(['presence:join', 'message:message', 'memory.changed:set', 'presence:leave']);
    expect(mine[0]).toMatchObject({ type: 'presence', event: 'join', session: { id: agent.id, name: 'agent-json', status: 'active' } });
    expect(mine[1]).toMatchObject({ type: 'message', from: agent.id, body: 'plain text', seq: 1 });
    expect(mine[2]).toMatchObject({ type: 'memory.changed', op: 'set', key: 'json/k', version: 1, by: agent.id, entry: { value: [1, 2], kind: 'fact' } });
    expect(mine[3]).toMatchObject({ type: 'presence', event: 'leave', reason: 'bye' });
    await until(async () => !(await hubSessions(hub)).includes(ready.session.id), 3000, 'the tail session to leave');
  });
});

async function hubSessions(hub: ReturnType<typeof useHub>): Promise<string[]> {
  const probe = await hub.agent({ name: 'probe' });
  try {
    return (await probe.sessions()).map((s) => s.id);
  } finally {
    await probe.close();
  }
}
