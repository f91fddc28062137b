// `switchboard kick`: an admin ends another session (it leaves with reason "kicked" and cannot resume).
import { positionals } from './args.js';
import { command } from './command.js';
import { resolveSession } from './session.js';

export const kick = command({
  help: `Usage: switchboard kick SESSION [--json]

Ends a session of the token's namespace: its socket is closed (4403), watchers see it leave with
reason "kicked", its locks and task leases are released, and it cannot resume. SESSION is a session
id, or a session name when exactly one live session has that name. Needs a token with role admin.`,
  options: {},
  parse(parsed) {
    const [session] = positionals(parsed, ['session']);
    return { session: session! };
  },
  async run(hub, { session }, { out }) {
    const target = await resolveSession(hub, session);
    await hub.kick(target.id);
    if (out.json) return out.value({ kicked: target.id });
    out.line(`kicked ${target.name} (${target.id})`);
  },
});
