// `switchboard stats`: counts an operator asks for first, measured through the protocol only.
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionStatus, TaskState, WATCH_ENDED_TASKS } from '@switchboard/protocol';
import type { Hub, Task } from '@switchboard/client/node';
import { positionals, wholeNumber } from './args.js';
import { command } from './command.js';
import { table } from './output.js';

const NO_MESSAGE_RATE = 'the protocol does not report hub-wide message counts; a session sees only its own messages';
const TASK_SCOPE = `every task that has not ended, and the ${WATCH_ENDED_TASKS} most recently ended (the tasks.watch snapshot)`;

export const stats = command({
  help: `Usage: switchboard stats [--seconds N] [--json]

Prints:
  sessions          by status (this command's own session left out)
  memory entries    counted by paging memory.search
  presence events/s and memory changes/s, observed by watching presence and all memory for --seconds
  messages/s        always n/a: ${NO_MESSAGE_RATE},
                    so the hub-wide rate cannot be measured honestly from a client
  tasks by state    counted over ${TASK_SCOPE}
--json prints {"sessions":{"total","byStatus"},"memory":{"entries"},
"rates":{"seconds","messagesPerSecond":null,"presenceEventsPerSecond","memoryChangesPerSecond"},
"tasks":{"total","byState"}}
(the rates are null with --seconds 0).

Options:
  --seconds <n>        how long to watch for the rates, 0-60 (default 2; 0 skips them)`,
  options: { seconds: { type: 'string' } },
  parse(parsed) {
    positionals(parsed, []);
    return { seconds: wholeNumber(parsed.values, 'seconds', { min: 0, max: 60 }) ?? 2 };
  },
  async run(hub, { seconds }, { out, signal }) {
    const rates = await observe(hub, seconds, signal);
    const sessions = (await hub.sessions()).filter((s) => s.id !== hub.id);
    const byStatus = Object.fromEntries(SessionStatus.options.map((status) => [status, sessions.filter((s) => s.status === status).length]));
    const entries = await countEntries(hub);
    const tasks = await taskSnapshot(hub);
    const byState = Object.fromEntries(TaskState.options.map((state) => [state, tasks.filter((t) => t.state === state).length]));
    const result = {
      sessions: { total: sessions.length, byStatus },
      memory: { entries },
      rates: { seconds, messagesPerSecond: null, ...rates },
      tasks: { total: tasks.length, byState },
    };
    if (out.json) return out.value(result);
    const rate = (value: number | null) => (value === null ? 'n/a (--seconds 0)' : `${value} (over ${seconds} s)`);
    const rows = [
      ['sessions', `${sessions.length} (${SessionStatus.options.map((s) => `${s} ${byStatus[s]}`).join(', ')})`],
      ['memory entries', String(entries)],
      ['messages/s', `n/a (${NO_MESSAGE_RATE})`],
      ['presence events/s', rate(rates.presenceEventsPerSecond)],
      ['memory changes/s', rate(rates.memoryChangesPerSecond)],
      ['tasks by state', `${tasks.length} (${TaskState.options.map((s) => `${s} ${byState[s]}`).join(', ')})`],
    ];
    for (const line of table(['STAT', 'VALUE'], rows).slice(1)) out.line(line);
  },
});

/** Presence frames and memory changes seen per second while watching for `seconds`. */
async function observe(hub: Hub, seconds: number, signal: AbortSignal) {
  if (seconds === 0) return { presenceEventsPerSecond: null, memoryChangesPerSecond: null };
  let presence = 0;
  let memory = 0;
  const stopPresence = await hub.watchPresence(() => presence++);
  const stopMemory = await hub.memory.watch('', () => memory++);
  await sleep(seconds * 1000, undefined, { signal }).catch(() => undefined);
  stopPresence();
  stopMemory();
  const perSecond = (n: number) => Math.round((n / seconds) * 100) / 100;
  return { presenceEventsPerSecond: perSecond(presence), memoryChangesPerSecond: perSecond(memory) };
}

/** The tasks.watch snapshot: every open task of the namespace and the most recently ended ones. */
async function taskSnapshot(hub: Hub): Promise<Task[]> {
  let tasks: Task[] = [];
  const stop = await hub.watchTasks(() => undefined, { onSnapshot: (snapshot) => (tasks = snapshot) });
  stop();
  return tasks;
}

async function countEntries(hub: Hub): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const page = await hub.memory.search({ limit: 1000, cursor });
    count += page.entries.length;
    cursor = page.cursor;
  } while (cursor !== null);
  return count;
}
