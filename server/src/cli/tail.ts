// `switchboard tail`: a live view of the hub from one session: presence, messages addressed to it,
// and memory changes, one line each, until SIGINT.
import { MemoryPrefix } from '@switchboard/protocol';
import type { HubError, MemoryChanged, Message, Presence, Session } from '@switchboard/client/node';
import { checked, positionals, str } from './args.js';
import { aborted, command } from './command.js';
import type { Output } from './output.js';
import { brief, clock } from './output.js';

export const tail = command({
  help: `Usage: switchboard tail [--prefix P] [--json]

Prints what happens on the hub, one line each with the local time, until Ctrl-C (SIGINT) or SIGTERM,
then says bye and exits 0:
  - presence: sessions that join, change (status, task, away) and leave;
  - messages addressed to this command's session (direct, and broadcasts);
  - memory changes (set, delete, expire) under --prefix.
The first line names this session (send to its id or name to see a message arrive).

--json prints NDJSON: first {"type":"ready","session":Session,"sessions":[Session, …],"prefix":P}
(this session and the sessions online when the watch began), then every presence, message and
memory.changed frame exactly as the protocol defines it; each line also has "receivedAt" (epoch ms).

Options:
  --prefix <p>         memory keys to watch (default: all)`,
  options: { prefix: { type: 'string' } },
  runsUntilInterrupted: true,
  parse(parsed) {
    positionals(parsed, []);
    return { prefix: checked(MemoryPrefix, str(parsed.values, 'prefix') ?? '', '--prefix') };
  },
  async run(hub, { prefix }, { out, signal }) {
    const names = new Map<string, string>();
    const print = printer(out, names);
    const lost = new Promise<HubError | undefined>((resolve) =>
      hub.on('state', ({ newState, error }) => newState === 'closed' && resolve(error)),
    );
    hub.on('message', (message) => print.message(message));
    let snapshot: Session[] = [];
    await hub.watchPresence((frame) => print.presence(frame), { onSnapshot: (sessions) => (snapshot = sessions) });
    await hub.memory.watch(prefix, (frame) => print.memory(frame));
    print.ready(hub.session, snapshot.filter((s) => s.id !== hub.id), prefix);
    const outcome = await Promise.race([aborted(signal).then(() => 'interrupted' as const), lost]);
    if (outcome !== 'interrupted') throw outcome ?? new Error('the hub closed the connection');
  },
});

// Lines of frames that arrive while the watches are being set up wait for the "ready" line.
function printer(out: Output, names: Map<string, string>) {
  const who = (id: string | undefined) => (id === undefined ? 'unknown' : `${names.get(id) ?? '?'} (${id})`);
  let held: Array<() => void> | null = [];
  const emit = (frame: object, text: () => string) => {
    const receivedAt = Date.now();
    const print = () => (out.json ? out.value({ ...frame, receivedAt }) : out.line(`${clock(receivedAt)} ${text()}`));
    if (held) held.push(print);
    else print();
  };
  return {
    ready(self: Session, sessions: Session[], prefix: string) {
      for (const s of sessions) if (!names.has(s.id)) names.set(s.id, s.name);
      const pending = held ?? [];
      held = null;
      emit({ type: 'ready', session: self, sessions, prefix }, () =>
        `tail  as ${self.name} (${self.id}); ${sessions.length} other session${sessions.length === 1 ? '' : 's'} online; memory under ${prefix === '' ? 'every key' : `"${prefix}"`}; Ctrl-C to stop`,
      );
      for (const print of pending) print();
    },
    presence(frame: Presence) {
      const s = frame.session;
      names.set(s.id, s.name);
      emit(frame, () => {
        const head = `${frame.event.padEnd(7)} ${who(s.id)}`;
        const reason = frame.reason ? ` reason=${frame.reason}` : '';
        if (frame.event === 'leave') return `${head}${reason}`;
        const caps = s.capabilities.length ? ` capabilities=${s.capabilities.join(',')}` : '';
        const type = frame.event === 'join' && s.agentType ? ` type=${s.agentType}` : '';
        return `${head}${type} status=${s.status}${s.task !== null ? ` task=${JSON.stringify(s.task)}` : ''}${caps}${reason}`;
      });
    },
    message(message: Message) {
      emit(message, () => `${'message'.padEnd(7)} from ${who(message.from)} kind=${message.kind}${message.broadcast ? ' broadcast' : ''}${message.thread ? ` thread=${message.thread}` : ''} ${brief(message.body, 200)}`);
    },
    memory(frame: MemoryChanged) {
      emit(frame, () => {
        const head = `${'memory'.padEnd(7)} ${frame.op} ${frame.key} v${frame.version}${frame.by ? ` by ${who(frame.by)}` : ''}`;
        return frame.op === 'set' && frame.entry ? `${head} = ${brief(frame.entry.value, 200)}` : head;
      });
    },
  };
}
