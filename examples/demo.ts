// `npm run demo`: a hub and a small team of agents playing a real workflow, with a transcript.
// A planner broadcasts a plan and writes it to memory, hands tasks off by capability; a
// developer records a decision with compare-and-set and hands the review on; the reviewer
// completes it; another developer drops and resumes without losing a message. The hub keeps
// running afterwards (the dashboard URL is printed) unless --exit is given.
import WebSocket from 'ws';
import { connect } from '@switchboard/client/node';
import type { Hub as Agent, HelloSession } from '@switchboard/client/node';
import { startHub, RedisEngine } from '@switchboard/server';

const exitWhenDone = process.argv.includes('--exit');
const started = Date.now();
const say = (who: string, what: string) =>
  console.log(`${((Date.now() - started) / 1000).toFixed(2).padStart(6)}s  ${who.padEnd(10)} ${what}`);

/** Sockets of the agents, so the demo can cut one as a flaky network would. */
const sockets = new Map<string, WebSocket>();
function socketsFor(name: string) {
  return class extends WebSocket {
    constructor(url: string) {
      super(url);
      sockets.set(name, this);
    }
  };
}

const hub = await startHub({
  port: Number(process.env.PORT ?? 7777),
  host: process.env.HOST ?? '127.0.0.1',
  logLevel: 'warn',
  ...(process.env.REDIS_URL ? { engine: new RedisEngine({ url: process.env.REDIS_URL }) } : {}),
});
say('hub', `listening on ${hub.url} (${hub.engine.name} engine)`);

const join = (session: HelloSession) =>
  connect({ url: hub.url, session, WebSocket: socketsFor(session.name), reconnect: { baseMs: 100, maxMs: 500 } });

const planner = await join({ name: 'planner', agentType: 'demo', capabilities: ['plan'] });
let noteSent: Promise<unknown> = Promise.resolve();
await planner.watchPresence((p) => {
  say('presence', `${p.session.name} ${p.event}${p.reason ? ` (${p.reason})` : ''} — ${p.session.status}${p.session.task ? `: ${p.session.task}` : ''}`);
  // While dev-ui is away its messages wait in its inbox; it gets them when it resumes.
  if (p.session.name === 'dev-ui' && p.session.status === 'away') {
    noteSent = planner.send(p.session.id, { note: 'use the cursor from decisions/search-api' }).then((note) =>
      say('planner', `sent a note to dev-ui (seq ${note.seq}${note.queued ? ', queued while it is away' : ''})`),
    );
  }
});
const backend = await join({ name: 'dev-api', agentType: 'demo', capabilities: ['code', 'backend'] });
const frontend = await join({ name: 'dev-ui', agentType: 'demo', capabilities: ['code', 'frontend'] });
const reviewer = await join({ name: 'reviewer', agentType: 'demo', capabilities: ['review'] });
const team: Agent[] = [planner, backend, frontend, reviewer];

for (const agent of [backend, frontend, reviewer]) {
  agent.on('message', (m) => m.broadcast && say(agent.session.name, `heard broadcast from planner: ${JSON.stringify(m.body)}`));
}

// The planner shares the plan: a broadcast and a decision in memory.
const plan = { goal: 'ship search v2', steps: ['API endpoint', 'search UI', 'review'] };
const { recipients } = await planner.broadcast({ plan: plan.goal }, { kind: 'notification' });
say('planner', `broadcast the plan to ${recipients} sessions`);
const planEntry = await planner.memory.set('plan/search-v2', plan, { kind: 'decision', tags: ['plan'] });
say('planner', `wrote plan/search-v2 (version ${planEntry.version})`);

// Developers and the reviewer take offers that match what they do.
const apiDone = new Promise<void>((resolve) => {
  backend.on('task', async (offer) => {
    say('dev-api', `offered "${offer.task.title}" — accepting`);
    await offer.accept();
    await backend.update({ status: 'working', task: offer.task.title });
    // Record a decision with compare-and-set: only the first writer of this key wins.
    const decision = await backend.memory.set('decisions/search-api', { style: 'cursor pagination' }, { kind: 'decision', ifVersion: 0 });
    say('dev-api', `recorded decision decisions/search-api (version ${decision.version}, CAS ifVersion 0)`);
    const review = await backend.handoff({ title: 'Review search API', body: { pr: 42 } }, { capability: 'review' });
    say('dev-api', `handed the review on (task ${review.id.slice(-6)})`);
    const reviewed = await review.done;
    say('dev-api', `review ${reviewed.state}: ${JSON.stringify(reviewed.result)}`);
    await offer.complete({ endpoint: '/v2/search', reviewed: true });
    await backend.update({ status: 'idle', task: null });
    resolve();
  });
});
reviewer.on('task', async (offer) => {
  say('reviewer', `offered "${offer.task.title}" — accepting`);
  await offer.accept();
  await reviewer.update({ status: 'working', task: offer.task.title });
  const decision = await reviewer.memory.get('decisions/search-api');
  say('reviewer', `read the decision: ${JSON.stringify(decision?.value)}`);
  await offer.complete({ approved: true, comments: 1 });
  await reviewer.update({ status: 'idle', task: null });
});
const uiDone = new Promise<void>((resolve) => {
  frontend.on('task', async (offer) => {
    say('dev-ui', `offered "${offer.task.title}" — accepting`);
    await offer.accept();
    // The network blinks: the socket dies, the session turns away, then resumes.
    say('dev-ui', 'connection drops (socket destroyed)');
    sockets.get('dev-ui')?.terminate();
    const resumed = await new Promise<{ resumed?: boolean; replayed?: number }>((r) => frontend.once('welcome', r));
    say('dev-ui', `reconnected: resumed=${resumed.resumed}, ${resumed.replayed ?? 0} message(s) replayed`);
    await offer.complete({ component: 'SearchBox' });
    resolve();
  });
});
frontend.on('message', (m) => !m.broadcast && say('dev-ui', `got "${JSON.stringify(m.body)}" from ${m.from === planner.id ? 'planner' : m.from}`));

const api = await planner.handoff({ title: 'Build search API', body: { spec: 'plan/search-v2' } }, { capability: 'backend' });
const ui = await planner.handoff({ title: 'Build search UI' }, { capability: 'frontend' });
say('planner', 'handed off "Build search API" (capability backend) and "Build search UI" (capability frontend)');
const [apiTask, uiTask] = await Promise.all([api.done, ui.done, apiDone, uiDone]);
await noteSent;
say('planner', `"${apiTask.title}" ${apiTask.state} by ${apiTask.assignee === backend.id ? 'dev-api' : apiTask.assignee}: ${JSON.stringify(apiTask.result)}`);
say('planner', `"${uiTask.title}" ${uiTask.state} by ${uiTask.assignee === frontend.id ? 'dev-ui' : uiTask.assignee}: ${JSON.stringify(uiTask.result)}`);
const online = await planner.sessions();
say('planner', `online: ${online.map((s) => `${s.name} (${s.status})`).join(', ')}`);
console.log(`\nDone. Dashboard: ${hub.httpUrl}/   (Ctrl-C stops the hub)`);

if (exitWhenDone) {
  await Promise.all(team.map((a) => a.close()));
  await hub.close();
  process.exit(0);
}
process.once('SIGINT', () => void hub.close().then(() => process.exit(0)));
