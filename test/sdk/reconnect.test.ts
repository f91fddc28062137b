// The SDK reconnects after the hub restarts on the same port: same session id, presence and
// memory watches re-armed, and a request made while reconnecting succeeds afterwards.
import { afterEach, expect, it } from 'vitest';
import { connect } from '@switchboard/client/node';
import type { Hub as Agent, MemoryChanged, Presence } from '@switchboard/client/node';
import { startHub } from '@switchboard/server';
import type { Hub } from '@switchboard/server';
import { until } from '../helpers/wait.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

it('reconnects after a hub restart with the same id and re-armed watches', async () => {
  let hub: Hub = await startHub({ port: 0, logLevel: 'silent', heartbeatMs: 500 });
  const port = hub.port;
  const agent: Agent = await connect({ url: hub.url, session: { name: 'survivor' }, reconnect: { baseMs: 50, maxMs: 200 } });
  open.push(agent);
  const id = agent.id;
  const states: string[] = [];
  agent.on('state', (s) => states.push(s.newState));
  const presence: Presence[] = [];
  const memory: MemoryChanged[] = [];
  await agent.watchPresence((p) => presence.push(p));
  await agent.memory.watch('shared/', (c) => memory.push(c));

  await hub.close();
  await until(() => states.includes('reconnecting'), 5000, 'reconnecting state');
  // Asked while the hub is down: waits for the new connection instead of failing.
  const pending = agent.sessions();
  hub = await startHub({ port, logLevel: 'silent', heartbeatMs: 500 });
  open.push(hub);
  const sessions = await pending;
  expect(sessions.map((s) => s.id)).toEqual([id]);
  expect(agent.state).toBe('connected');
  expect(agent.id).toBe(id);

  const other = await connect({ url: hub.url, session: { name: 'newcomer' } });
  open.push(other);
  await until(() => presence.some((p) => p.event === 'join' && p.session.name === 'newcomer'), 5000, 'presence watch re-armed');
  await other.memory.set('shared/x', 1);
  await until(() => memory.some((c) => c.key === 'shared/x' && c.op === 'set'), 5000, 'memory watch re-armed');
  const got = new Promise((resolve) => agent.on('message', (m) => resolve(m.body)));
  await other.send(id, 'welcome back');
  expect(await got).toBe('welcome back');
});
