import { connect } from '@switchboard/client/node';

const url = process.env.SWITCHBOARD_URL ?? 'ws://127.0.0.1:7777/v1';
const alice = await connect({ url, session: { name: 'alice', capabilities: ['plan'] } });
const bob = await connect({ url, session: { name: 'bob', capabilities: ['code'] } });

bob.on('message', (m) => void (m.kind === 'request' && bob.reply(m, { done: true, task: m.body })));
const answer = await alice.request(bob.id, 'write the parser', { timeoutMs: 5000 });
console.log('bob answered:', answer.body);

const plan = await alice.memory.set('plan/owner', bob.id, { kind: 'decision' });
await bob.memory.set('plan/owner', 'bob, confirmed', { ifVersion: plan.version }); // CAS
console.log('online:', (await alice.sessions()).map((s) => s.name).join(', '));
console.log('plan/owner:', (await alice.memory.get('plan/owner'))?.value);
await Promise.all([bob.close(), alice.close()]);
