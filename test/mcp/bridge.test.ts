// `switchboard mcp` end to end: real bridge processes on stdio, driven by the MCP SDK's Client,
// against a real in-process hub, with plain SDK agents on the other side where that is simpler.
// Two bridges serve the whole file (a bridge takes about a second to start); each test begins by
// emptying their inboxes.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connect } from '@switchboard/client/node';
import type { Hub, Message } from '@switchboard/client/node';
import { startHub } from '@switchboard/server';
import { until } from '../helpers/wait.js';
import { startBridge, text } from './support.js';
import type { BridgedAgent } from './support.js';

/** The tools the issue asks for; the bridge may add more, never fewer. */
const REQUIRED_TOOLS = [
  'whoami', 'update_status', 'list_sessions', 'send_message', 'request', 'broadcast', 'read_inbox',
  'handoff_task', 'list_tasks', 'accept_task', 'decline_task', 'complete_task', 'fail_task',
  'memory_set', 'memory_get', 'memory_search', 'memory_delete', 'lock_acquire', 'lock_release',
];

interface Inbox {
  messages: Message[];
  dropped: number;
  remaining: number;
}

let hub: Awaited<ReturnType<typeof startHub>>;
let alice: BridgedAgent;
let bob: BridgedAgent;
const open: Array<{ close(): Promise<void> }> = [];
beforeAll(async () => {
  hub = await startHub({ port: 0, logLevel: 'silent' });
  [alice, bob] = await Promise.all([
    startBridge(hub.url, 'alice', ['--capabilities', 'review, code', '--agent-type', 'claude-code']),
    startBridge(hub.url, 'bob'),
  ]);
});
beforeEach(async () => {
  await Promise.all([alice.ok('read_inbox'), bob.ok('read_inbox')]);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});
afterAll(async () => {
  await Promise.all([alice?.close(), bob?.close()]);
  await hub.close();
});

/** Reads the inbox until `count` messages have come (bounded), and returns them in order. */
async function readMessages(agent: BridgedAgent, count: number, timeoutMs = 5000): Promise<Message[]> {
  const messages: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (messages.length < count && Date.now() < deadline) {
    messages.push(...(await agent.ok<Inbox>('read_inbox', { waitMs: Math.max(1, deadline - Date.now()) })).messages);
  }
  if (messages.length < count) throw new Error(`got ${messages.length} of ${count} messages`);
  return messages;
}

async function sdkAgent(name: string): Promise<Hub> {
  const agent = await connect({ url: hub.url, session: { name } });
  open.push(agent);
  return agent;
}

describe('switchboard mcp', () => {
  it('lists the full tool set with input and output schemas, and describes the session', async () => {
    const agent = alice;
    const { tools } = await agent.client.listTools();
    const names = tools.map((t) => t.name);
    for (const name of REQUIRED_TOOLS) expect(names, `tool ${name}`).toContain(name);
    for (const tool of tools) {
      expect(tool.outputSchema?.type, `${tool.name} outputSchema`).toBe('object');
      expect(tool.description, `${tool.name} description`).toBeTruthy();
    }
    const send = tools.find((t) => t.name === 'send_message')!;
    expect(send.inputSchema.required).toEqual(expect.arrayContaining(['to', 'body']));

    const me = await agent.ok<{ session: { id: string; name: string; capabilities: string[]; agentType: string }; state: string }>('whoami');
    expect(me.session).toMatchObject({ id: agent.id, name: 'alice', capabilities: ['review', 'code'], agentType: 'claude-code' });
    expect(me.state).toBe('connected');

    const updated = await agent.ok<{ session: { status: string; task: string } }>('update_status', { status: 'working', task: 'reviewing PR 7' });
    expect(updated.session).toMatchObject({ status: 'working', task: 'reviewing PR 7' });
    const watcher = await sdkAgent('watcher');
    expect((await watcher.sessions({ status: 'working' })).map((s) => s.id)).toEqual([agent.id]);
    const listed = await agent.ok<{ sessions: Array<{ id: string }> }>('list_sessions', { capability: 'review' });
    expect(listed.sessions.map((s) => s.id)).toEqual([agent.id]);
    expect((await agent.ok<{ sessions: Array<{ id: string }> }>('list_sessions')).sessions.map((s) => s.id).sort())
      .toEqual([agent.id, bob.id, watcher.id].sort());
    await agent.ok('update_status', { status: 'active', task: null });
  });

  it('answers bad arguments and hub errors with error results, and keeps serving', async () => {
    const agent = alice;
    const missing = await agent.call('send_message', { body: 'no recipient' });
    expect(missing.isError).toBe(true);
    expect(text(missing)).toMatch(/to/);
    const wrongType = await agent.call('memory_set', { key: 42, value: 1 });
    expect(wrongType.isError).toBe(true);
    const unknownTool = await agent.call('no_such_tool', {});
    expect(unknownTool.isError).toBe(true);

    // The hub refuses: not_found for an offline recipient, bad_request for a key the protocol rejects.
    const offline = await agent.call('send_message', { to: 'nobody-here', body: 'hello?' });
    expect(offline.isError).toBe(true);
    expect(text(offline)).toMatch(/^not_found: /);
    const badKey = await agent.call('memory_get', { key: 'spaces are not allowed' });
    expect(badKey.isError).toBe(true);
    expect(text(badKey)).toMatch(/^bad_request: /);

    // Still serving, still on the hub.
    expect((await agent.ok<{ state: string }>('whoami')).state).toBe('connected');
    expect(agent.stderr.join('')).not.toMatch(/TypeError|Unhandled|at .*\.ts:\d+/);
  });

  it('lets two bridged agents exchange messages through read_inbox with a long-poll', async () => {
    const empty = await bob.ok<Inbox>('read_inbox');
    expect(empty.messages).toEqual([]);

    // Bob waits first; Alice's message ends his long-poll well before waitMs.
    const startedAt = Date.now();
    const waiting = bob.ok<Inbox>('read_inbox', { waitMs: 8000 });
    await new Promise((r) => setTimeout(r, 200));
    const sent = await alice.ok<{ msgId: string }>('send_message', { to: bob.id, body: { text: 'hi bob' }, thread: 't1' });
    const got = await waiting;
    expect(Date.now() - startedAt).toBeLessThan(6000);
    expect(got.messages).toHaveLength(1);
    expect(got.messages[0]).toMatchObject({ type: 'message', msgId: sent.msgId, from: alice.id, kind: 'message', body: { text: 'hi bob' }, thread: 't1' });

    // What was read is gone; a new message arrives in order with a broadcast.
    await alice.ok('send_message', { to: bob.id, body: 'second' });
    const broadcast = await alice.ok<{ recipients: number }>('broadcast', { body: 'to everyone' });
    expect(broadcast.recipients).toBe(1);
    const rest = await readMessages(bob, 2);
    expect(rest.map((m) => m.body)).toEqual(['second', 'to everyone']);
    expect(rest[1]!.broadcast).toBe(true);

    // A long-poll with nothing to read ends after waitMs, empty.
    const idle = await bob.ok<Inbox>('read_inbox', { waitMs: 300 });
    expect(idle.messages).toEqual([]);
  });

  it('does request/reply with an SDK agent in both directions', async () => {
    const agent = alice;
    const sdk = await sdkAgent('answerer');
    sdk.on('message', (m) => void (m.kind === 'request' && sdk.reply(m, { echo: m.body })));

    // The bridged agent asks; the SDK agent answers.
    const answer = await agent.ok<{ message: Message }>('request', { to: sdk.id, body: 'ping?', timeoutMs: 5000 });
    expect(answer.message).toMatchObject({ from: sdk.id, kind: 'response', body: { echo: 'ping?' } });

    // The SDK agent asks; the bridged agent reads the request and answers it with send_message.
    const asked = sdk.request(agent.id, { question: 'status?' }, { timeoutMs: 8000 });
    const inbox = await agent.ok<Inbox>('read_inbox', { waitMs: 5000 });
    const request = inbox.messages.find((m) => m.kind === 'request');
    expect(request).toMatchObject({ from: sdk.id, body: { question: 'status?' } });
    await agent.ok('send_message', { to: request!.from, kind: 'response', replyTo: request!.msgId, body: { status: 'fine' } });
    expect((await asked).body).toEqual({ status: 'fine' });

    // Nobody answers: the request tool fails with code timeout, as an error result.
    const silent = await sdkAgent('silent');
    const timedOut = await agent.call('request', { to: silent.id, body: 'anyone?', timeoutMs: 300 });
    expect(timedOut.isError).toBe(true);
    expect(text(timedOut)).toMatch(/^timeout: /);
  });

  it('announces new messages on the subscribed switchboard://inbox resource', async () => {
    const agent = bob;
    const sdk = await sdkAgent('sender');
    const { resources } = await agent.client.listResources();
    expect(resources.map((r) => r.uri)).toContain('switchboard://inbox');

    const updates: string[] = [];
    agent.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
    await agent.client.subscribeResource({ uri: 'switchboard://inbox' });
    await sdk.send(agent.id, { note: 'new work' });
    await until(() => updates.includes('switchboard://inbox'), 5000, 'resources/updated for the inbox');

    // Reading the resource shows the message without consuming it; read_inbox consumes it.
    const read = await agent.client.readResource({ uri: 'switchboard://inbox' });
    const content = read.contents[0]!;
    const view = JSON.parse('text' in content ? content.text : '{}') as Inbox;
    expect(view.messages.map((m) => m.body)).toEqual([{ note: 'new work' }]);
    expect((await agent.ok<Inbox>('read_inbox')).messages).toHaveLength(1);
    const after = await agent.client.readResource({ uri: 'switchboard://inbox' });
    const afterContent = after.contents[0]!;
    expect((JSON.parse('text' in afterContent ? afterContent.text : '{}') as Inbox).messages).toEqual([]);

    // After unsubscribing, no more notifications.
    await agent.client.unsubscribeResource({ uri: 'switchboard://inbox' });
    const count = updates.length;
    await sdk.send(agent.id, 'quiet');
    await agent.ok<Inbox>('read_inbox', { waitMs: 3000 });
    expect(updates.length).toBe(count);
  });
});
