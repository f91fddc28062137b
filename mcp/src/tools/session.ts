// Who this session is and who else is on the hub: whoami, update_status, list_sessions.
import { z } from 'zod';
import type { Bridge } from '../bridge.js';
import { defineTool } from '../results.js';
import { SessionShape, SessionStatus } from '../shapes.js';

export function registerSessionTools(bridge: Bridge): void {
  const { server, hub } = bridge;

  defineTool(server, 'whoami', {
    title: 'Who am I',
    description: 'This bridge\'s own session on the Switchboard hub: its id (what other agents send to), name, capabilities, status, and the connection state.',
    input: {},
    output: { session: SessionShape, node: z.string(), state: z.enum(['connecting', 'connected', 'reconnecting', 'closed']) },
    annotations: { readOnlyHint: true, openWorldHint: false },
    async run() {
      const { session } = hub;
      return {
        result: { session, node: hub.node, state: hub.state },
        summary: `You are "${session.name}" (id ${session.id}), ${session.status}, ${hub.state} to hub node ${hub.node}.`,
      };
    },
  });

  defineTool(server, 'update_status', {
    title: 'Update my status',
    description: 'Changes what other sessions see about this one: status (active, idle, working), the current task (a short line; null clears it), capabilities, meta.',
    input: {
      status: SessionStatus.exclude(['away']).optional().describe('active | idle | working'),
      task: z.string().max(4096).nullable().optional().describe('what this agent is working on; null clears it'),
      capabilities: z.array(z.string().min(1).max(64)).max(64).optional().describe('replaces the capability list'),
      meta: z.record(z.string().max(64), z.unknown()).optional().describe('free-form JSON about this session'),
    },
    output: { session: SessionShape },
    annotations: { idempotentHint: true, openWorldHint: false },
    async run(patch) {
      const session = await hub.update(patch as Parameters<typeof hub.update>[0]);
      return { result: { session }, summary: `Now ${session.status}${session.task ? `: ${session.task}` : ''}.` };
    },
  });

  defineTool(server, 'list_sessions', {
    title: 'List sessions',
    description: 'The sessions on the hub (including this one), optionally only those with a capability or a status. A session\'s `id` is what send_message, request and handoff_task take as `to`.',
    input: {
      capability: z.string().min(1).max(64).optional().describe('only sessions that have this capability'),
      status: SessionStatus.optional().describe('only sessions with this status'),
    },
    output: { sessions: z.array(SessionShape) },
    annotations: { readOnlyHint: true, openWorldHint: false },
    async run(filter) {
      const sessions = await hub.sessions(filter);
      const names = sessions.map((s) => `${s.name} (${s.id}${s.id === hub.id ? ', you' : ''}, ${s.status})`);
      return { result: { sessions }, summary: `${sessions.length} session(s): ${names.join(', ') || 'none'}.` };
    },
  });
}
