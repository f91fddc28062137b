// `switchboard handoff` and `switchboard tasks`: hand a task to a session or a capability (and
// optionally wait for it to end), and list tasks.
import { Capability, MAX_ACCEPT_MS, TaskId, TaskRole, TaskState } from '@switchboard/protocol';
import type { Hub, Session, Task } from '@switchboard/client/node';
import { checked, jsonOrString, oneOf, positionals, str, wholeNumber } from './args.js';
import type { Parsed } from './args.js';
import { command } from './command.js';
import type { Output } from './output.js';
import { CliError, UsageError } from './errors.js';
import { clip, clock, relative, table } from './output.js';
import { resolveSession } from './session.js';

const PER_SESSION = `Tasks belong to sessions: "created" are the tasks this session handed off, "assigned" those it
accepted or is offered now. Each command is a new session unless --id gives it a fixed one, so hand
off with --id and list with the same --id; or look tasks up by id (any session may).`;

export const handoff = command({
  help: `Usage: switchboard handoff (--to TO | --capability C) TITLE [--body BODY] [--accept-ms N] [--wait] [--json]

Hands a task to one session (--to: a session id, or the name of exactly one live session) or to the
least-busy session with a capability, and prints the task id and who it is offered to. BODY is JSON
when it parses as JSON, otherwise the string. --json prints {"task": Task}.
The task lives on after this command ends; follow it with switchboard tasks TASK-ID.

Options:
  --to <to>            the session to offer it to
  --capability <c>     offer it to the least-busy session with this capability
  --body <body>        what to do
  --accept-ms <n>      how long each offer stands before it moves on or expires (hub default 30000)
  --wait               wait until the task ends, printing each change; exit 0 if it completed,
                       1 if it failed, was declined, expired or was canceled (--json: the final task)`,
  options: { to: { type: 'string' }, capability: { type: 'string' }, body: { type: 'string' }, 'accept-ms': { type: 'string' }, wait: { type: 'boolean' } },
  parse(parsed) {
    const [title] = positionals(parsed, ['title']);
    const to = str(parsed.values, 'to');
    const capability = str(parsed.values, 'capability');
    if ((to === undefined) === (capability === undefined)) throw new UsageError('needs exactly one of --to and --capability');
    const body = str(parsed.values, 'body');
    if (title!.length < 1 || title!.length > 256) throw new UsageError('TITLE must be 1-256 characters');
    return {
      title: title!,
      ...(body !== undefined && { body: jsonOrString(body) }),
      to,
      capability: capability === undefined ? undefined : checked(Capability, capability, '--capability'),
      acceptMs: wholeNumber(parsed.values, 'accept-ms', { min: 1, max: MAX_ACCEPT_MS }),
      wait: parsed.values.wait === true,
    };
  },
  async run(hub, input, { out }) {
    const sessions = await hub.sessions();
    const target = input.to !== undefined ? { to: (await resolveSession(hub, input.to)).id } : { capability: input.capability! };
    const spec = { title: input.title, ...(input.body !== undefined && { body: input.body }) };
    const handle = await hub.handoff(spec, target, input.acceptMs === undefined ? {} : { acceptMs: input.acceptMs });
    const names = nameOf(sessions);
    if (!input.wait) {
      if (out.json) return out.value({ task: handle.task });
      out.line(`task ${handle.id} ${describe(handle.task, names)}`);
      return;
    }
    if (!out.json) {
      out.line(`${clock(Date.now())} task ${handle.id} ${describe(handle.task, names)}`);
      handle.on('update', (task) => out.line(`${clock(Date.now())} task ${task.id} ${describe(task, names)}`));
    }
    const task = await handle.done;
    if (out.json) out.value({ task });
    if (task.state !== 'completed') throw new CliError(`task ${task.id} ${describe(task, names)}`);
  },
});

export const tasks = command({
  help: `Usage: switchboard tasks [--role created|assigned] [--state S] [--json]
       switchboard tasks TASK-ID… [--json]

Lists tasks: id, title, state, creator, target, who holds or is offered it, attempts, last change.
--json prints {"tasks": [Task, …]}.
${PER_SESSION}

Options:
  --role <r>           ${TaskRole.options.join(' or ')} (default created)
  --state <s>          only tasks in this state: ${TaskState.options.join(', ')}`,
  options: { role: { type: 'string' }, state: { type: 'string' } },
  parse(parsed: Parsed) {
    const ids = parsed.positionals.map((id) => checked(TaskId, id, 'TASK-ID'));
    const role = oneOf(parsed.values, 'role', TaskRole.options);
    const state = oneOf(parsed.values, 'state', TaskState.options);
    if (ids.length > 0 && (role !== undefined || state !== undefined)) throw new UsageError('TASK-IDs cannot be combined with --role or --state');
    return { ids, role: role ?? 'created', ...(state !== undefined && { state }) };
  },
  async run(hub, { ids, role, state }, { out }) {
    const list = ids.length > 0 ? await byId(hub, ids) : await hub.tasks(state === undefined ? { role } : { role, state });
    if (out.json) return out.value({ tasks: list });
    printTasks(out, list, nameOf(await hub.sessions()));
  },
});

async function byId(hub: Hub, ids: string[]): Promise<Task[]> {
  const found = await Promise.all(ids.map((id) => hub.task(id)));
  const missing = ids.filter((_, i) => found[i] === null);
  if (missing.length > 0) throw new CliError(`not found: task ${missing.map((id) => `"${id}"`).join(', ')}`);
  return found as Task[];
}

function printTasks(out: Output, list: Task[], names: (id: string | undefined) => string): void {
  if (list.length === 0) return out.line('no tasks');
  const now = Date.now();
  const rows = list.map((t) => [
    t.id,
    clip(t.title, 40),
    t.state,
    names(t.from),
    t.to !== undefined ? names(t.to) : `capability:${t.capability ?? '?'}`,
    t.assignee !== undefined ? names(t.assignee) : t.offeredTo !== undefined ? `offered: ${names(t.offeredTo)}` : '-',
    String(t.attempts),
    relative(Math.min(t.updatedAt, now), now),
  ]);
  for (const line of table(['ID', 'TITLE', 'STATE', 'FROM', 'FOR', 'HOLDER', 'ATTEMPTS', 'UPDATED'], rows)) out.line(line);
}

/** A session's name when it is online, else its id. */
function nameOf(sessions: Session[]): (id: string | undefined) => string {
  const names = new Map(sessions.map((s) => [s.id, s.name]));
  return (id) => (id === undefined ? '-' : (names.get(id) ?? id));
}

function describe(task: Task, names: (id: string | undefined) => string): string {
  const last = task.history.at(-1);
  const why = last?.reason ? ` (${last.reason})` : '';
  switch (task.state) {
    case 'offered':
      return `"${task.title}" offered to ${names(task.offeredTo)}${why}`;
    case 'accepted':
      return `accepted by ${names(task.assignee)}`;
    case 'completed':
      return `completed by ${names(task.assignee)}${task.result !== undefined ? `: ${clip(JSON.stringify(task.result), 200)}` : ''}`;
    case 'failed':
      return `failed: ${task.error ?? 'no reason given'}`;
    default:
      return `${task.state}${why}`;
  }
}
