// `switchboard sessions`: who is on the hub.
import { SessionStatus } from '@switchboard/protocol';
import type { Session } from '@switchboard/client/node';
import { oneOf, positionals, str } from './args.js';
import { command } from './command.js';
import { clip, relative, table } from './output.js';

export const sessions = command({
  help: `Usage: switchboard sessions [--capability C] [--status S] [--json]

Lists the sessions the hub knows: name, id, agent type, status, task, capabilities, hub node and when
it was last seen. This command's own session is left out.
--json prints {"sessions":[Session, …]} as the protocol's sessions.list returns it.

Options:
  --capability <c>     only sessions that have this capability
  --status <s>         only sessions with this status: ${SessionStatus.options.join(', ')}`,
  options: { capability: { type: 'string' }, status: { type: 'string' } },
  parse(parsed) {
    positionals(parsed, []);
    const capability = str(parsed.values, 'capability');
    const status = oneOf(parsed.values, 'status', SessionStatus.options);
    return { ...(capability !== undefined && { capability }), ...(status !== undefined && { status }) };
  },
  async run(hub, filter, { out }) {
    const list = (await hub.sessions(filter)).filter((s) => s.id !== hub.id);
    if (out.json) return out.value({ sessions: list });
    if (list.length === 0) return out.line('no sessions');
    for (const line of sessionTable(list)) out.line(line);
  },
});

export function sessionTable(list: Session[], now = Date.now()): string[] {
  const sorted = [...list].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  return table(
    ['NAME', 'ID', 'TYPE', 'STATUS', 'TASK', 'CAPABILITIES', 'NODE', 'LAST SEEN'],
    sorted.map((s) => [
      clip(s.name, 32),
      s.id,
      clip(s.agentType ?? '-', 16),
      s.status,
      clip(s.task ?? '-', 40),
      clip(s.capabilities.join(',') || '-', 32),
      s.node,
      relative(Math.min(s.lastSeen, now), now), // a hub clock slightly ahead is not "in 1s"
    ]),
  );
}
