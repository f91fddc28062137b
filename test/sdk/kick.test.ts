// The SDK's side of roles: an admin kicks with hub.kick(); the kicked client does not reconnect
// (4403 is final); other roles get HubError forbidden; a client may join with a lower role.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, HubError } from '@switchboard/client/node';
import type { Hub } from '@switchboard/client/node';
import { startHub } from '@switchboard/server';
import type { Hub as HubNode } from '@switchboard/server';
import { SECRET, token } from '../hub/support.js';

describe('SDK: kick and roles', () => {
  const open: Array<Hub | HubNode> = [];
  afterEach(async () => {
    for (const x of open.splice(0).reverse()) await x.close();
  });

  it('an admin kicks a session; the kicked client ends in closed and does not come back; an agent may not kick', async () => {
    const node = await startHub({ port: 0, logLevel: 'silent', secret: SECRET, resumeWindowMs: 30_000 });
    open.push(node);
    const admin = await connect({ url: node.url, token: await token({ ns: 't', role: 'admin' }), session: { name: 'root' } });
    const victim = await connect({ url: node.url, token: await token({ ns: 't' }), session: { name: 'victim' } });
    const agent = await connect({ url: node.url, token: await token({ ns: 't' }), session: { name: 'peer' } });
    const viewer = await connect({ url: node.url, token: await token({ ns: 't' }), role: 'observer', session: { name: 'viewer' } });
    open.push(admin, victim, agent, viewer);
    expect([admin.role, agent.role, viewer.role, viewer.namespace]).toEqual(['admin', 'agent', 'observer', 't']);

    await expect(agent.kick(victim.id)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(viewer.memory.set('k', 1)).rejects.toBeInstanceOf(HubError);
    const states: string[] = [];
    victim.on('state', ({ newState }) => states.push(newState));
    await admin.kick(victim.id);
    await until(() => victim.state === 'closed');
    expect(states).not.toContain('reconnecting');
    expect((await admin.sessions()).map((s) => s.id)).not.toContain(victim.id);
    await expect(admin.kick(victim.id)).rejects.toMatchObject({ code: 'not_found' });
  });
});

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
