// `switchboard send` and `switchboard broadcast` reach SDK agents: by id and by name, JSON bodies
// and plain strings, kinds, capabilities, and names that match nobody or more than one session.
import { describe, expect, it } from 'vitest';
import type { Hub as Agent, Message } from '@switchboard/client/node';
import { within } from '../hub/support.js';
import { until } from '../helpers/wait.js';
import { SLOW_TEST_MS, oneLine, ok, useHub } from './support.js';

/** The agent's next message; call `arrived()` once the command has exited, which allows 5 s more. */
function nextMessage(agent: Agent, what: string): { arrived(): Promise<Message> } {
  const message = new Promise<Message>((resolve) => agent.once('message', resolve));
  return { arrived: () => within(message, 5000, what) };
}

describe.concurrent('switchboard send', { timeout: SLOW_TEST_MS }, () => {
  const hub = useHub();

  it('TO as a session id, BODY that parses as JSON arrives as JSON', async () => {
    const agent = await hub.agent({ name: 'recv-by-id' });
    const arriving = nextMessage(agent, 'the message');
    const out = ok(await hub.cli(['send', agent.id, '{"n":1,"list":[true,null]}']));
    const message = await arriving.arrived();
    expect(message.body).toEqual({ n: 1, list: [true, null] });
    expect(message.kind).toBe('message');
    expect(out.trim()).toBe(`sent ${message.msgId} to recv-by-id (${agent.id})`);
    // The sender is the command's own session, which said bye: the hub ends it just after the socket closes.
    await until(async () => !(await agent.sessions()).some((s) => s.id === message.from), 3000, 'the sender to leave');
  });

  it('TO as the name of one live session, BODY that is not JSON arrives as a string, --kind, --json', async () => {
    const agent = await hub.agent({ name: 'recv-by-name' });
    const arriving = nextMessage(agent, 'the message');
    const run = await hub.cli(['send', 'recv-by-name', 'hello {there', '--kind', 'notification', '--json']);
    const message = await arriving.arrived();
    expect(message.body).toBe('hello {there');
    expect(message.kind).toBe('notification');
    expect(JSON.parse(ok(run))).toEqual({ msgId: message.msgId, seq: message.seq });
  });

  it('a quoted JSON string stays a string, a number stays a number', async () => {
    const agent = await hub.agent({ name: 'recv-scalars' });
    const first = nextMessage(agent, 'the first message');
    ok(await hub.cli(['send', agent.id, '"42"']));
    expect((await first.arrived()).body).toBe('42');
    const second = nextMessage(agent, 'the second message');
    ok(await hub.cli(['send', agent.id, '--', '-7']));
    expect((await second.arrived()).body).toBe(-7);
  });

  it('a name nobody has, or two live sessions have, fails with one line and sends nothing', async () => {
    const [twin1, twin2] = [await hub.agent({ name: 'twin' }), await hub.agent({ name: 'twin' })];
    let got = 0;
    twin1.on('message', () => got++);
    twin2.on('message', () => got++);
    const [ambiguous, missing] = await Promise.all([hub.cli(['send', 'twin', 'hi']), hub.cli(['send', 'nobody-here', 'hi'])]);
    expect(ambiguous.code).toBe(1);
    const line = oneLine(ambiguous);
    expect(line).toMatch(/^switchboard: ambiguous: 2 live sessions are named "twin"/);
    expect(line).toContain(twin1.id);
    expect(line).toContain(twin2.id);
    expect(missing.code).toBe(1);
    expect(oneLine(missing)).toMatch(/^switchboard: not found: .*"nobody-here"/);
    expect(ambiguous.stdout + missing.stdout).toBe('');
    expect(got).toBe(0);
  });
});

describe('switchboard broadcast', { timeout: SLOW_TEST_MS }, () => {
  const hub = useHub();

  it('--capability reaches only the sessions that have it; without it, every session', async () => {
    const [deploy1, deploy2, other] = await Promise.all([
      hub.agent({ name: 'd1', capabilities: ['deploy'] }),
      hub.agent({ name: 'd2', capabilities: ['deploy', 'test'] }),
      hub.agent({ name: 'o', capabilities: ['test'] }),
    ]);
    const arriving = [nextMessage(deploy1, 'd1'), nextMessage(deploy2, 'd2')];
    const otherFirst = nextMessage(other, 'the broadcast to all');
    const run = await hub.cli(['broadcast', '{"go":true}', '--capability', 'deploy', '--json']);
    const [m1, m2] = await Promise.all(arriving.map((a) => a.arrived()));
    const result = JSON.parse(ok(run)) as { msgId: string; recipients: number };
    expect(result).toEqual({ msgId: m1!.msgId, recipients: 2 });
    for (const m of [m1, m2]) expect(m).toMatchObject({ body: { go: true }, broadcast: true, msgId: result.msgId });

    const all = await hub.cli(['broadcast', 'everyone', '--kind', 'sync']);
    expect(ok(all)).toMatch(/^broadcast \S+ to 3 sessions\n$/);
    // The first thing `other` receives is this second broadcast: the first one skipped it.
    expect(await otherFirst.arrived()).toMatchObject({ body: 'everyone', kind: 'sync' });
  });
});
