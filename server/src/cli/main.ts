// The client commands of `switchboard` (everything but `serve`): find the command, parse its command
// line, join the hub as a short-lived session, run, and always say bye. Every failure is one stderr line.
import type { Hub } from '@switchboard/client/node';
import { COMMON_HELP, COMMON_VALUE_FLAGS, common, parse } from './args.js';
import { aborted } from './command.js';
import type { Command } from './command.js';
import { EXIT, Interrupted, UsageError, describeError } from './errors.js';
import { kick } from './kick.js';
import { MEMORY_HELP, memoryDel, memoryGet, memorySearch, memorySet } from './memory.js';
import { stdoutOutput } from './output.js';
import { openSession } from './session.js';
import { sessions } from './sessions.js';
import { broadcast, send } from './send.js';
import { stats } from './stats.js';
import { tail } from './tail.js';
import { handoff, tasks } from './tasks.js';
import type { CommandName } from './usage.js';

const COMMANDS: Record<CommandName, Command<unknown> | Record<string, Command<unknown>>> = {
  sessions,
  send,
  broadcast,
  tail,
  memory: { get: memoryGet, set: memorySet, del: memoryDel, search: memorySearch },
  handoff,
  tasks,
  stats,
  kick,
};

const GROUP_HELP: Partial<Record<CommandName, string>> = { memory: MEMORY_HELP };

/** Runs `switchboard <argv…>` for a client command; resolves with the exit status. */
export async function runCommand(argv: string[]): Promise<number> {
  let label: string | null = null;
  try {
    const found = find(argv);
    label = found.label;
    return await runFound(found.command, found.args);
  } catch (err) {
    const { line, exit } = describeError(err, label);
    const where = err instanceof UsageError ? (err.command ?? label) : null;
    process.stderr.write(`switchboard${where ? ` ${where}` : ''}: ${line}\n`);
    return exit;
  }
}

function find(argv: string[]): { command: Command<unknown> | string; label: string; args: string[] } {
  const { name, args } = splitCommand(argv);
  if (name === undefined) throw new UsageError('no command given');
  if (!Object.hasOwn(COMMANDS, name)) throw new UsageError(`unknown command "${name}"`);
  const entry = COMMANDS[name as CommandName];
  if (isCommand(entry)) return { command: entry, label: name, args };
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h') return { command: GROUP_HELP[name as CommandName] ?? '', label: name, args: [] };
  const subs = Object.keys(entry).join(', ');
  if (sub === undefined || !Object.hasOwn(entry, sub)) {
    throw new UsageError(sub === undefined ? `needs a subcommand: ${subs}` : `unknown subcommand "${sub}" (one of ${subs})`, name);
  }
  return { command: entry[sub]!, label: `${name} ${sub}`, args: rest };
}

// Common options may come before the command (`switchboard --url ws://… sessions`); they are
// handed to the command after its own arguments.
function splitCommand(argv: string[]): { name: string | undefined; args: string[] } {
  const leading: string[] = [];
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) {
    const flag = argv[i]!;
    const takesValue = COMMON_VALUE_FLAGS.has(flag);
    leading.push(...argv.slice(i, i + (takesValue ? 2 : 1)));
    i += takesValue ? 2 : 1;
  }
  return { name: argv[i], args: [...argv.slice(i + 1), ...leading] };
}

function isCommand(entry: Command<unknown> | Record<string, Command<unknown>>): entry is Command<unknown> {
  return typeof (entry as Command<unknown>).run === 'function';
}

async function runFound(command: Command<unknown> | string, args: string[]): Promise<number> {
  if (typeof command === 'string') {
    process.stdout.write(`${command}\n`);
    return EXIT.ok;
  }
  const parsed = parse(args, command.options);
  if (parsed.values.help) {
    process.stdout.write(`${command.help}\n\n${COMMON_HELP}\n`);
    return EXIT.ok;
  }
  const settings = common(parsed.values, process.env);
  const input = command.parse(parsed);
  const controller = new AbortController();
  const abort = () => controller.abort();
  process.on('SIGINT', abort);
  process.on('SIGTERM', abort);
  // Kept even when interrupted mid-connect, so a session that joins late still says bye.
  const joining = openSession(settings);
  let hub: Hub | undefined;
  try {
    const interrupted = aborted(controller.signal).then(() => Promise.reject(new Interrupted()));
    hub = await Promise.race([joining, interrupted]);
    const ctx = { out: stdoutOutput(settings.json), signal: controller.signal };
    const running = command.run(hub, input, ctx);
    const status = await (command.runsUntilInterrupted ? running : Promise.race([running, interrupted]));
    return status ?? EXIT.ok;
  } finally {
    await (hub ?? (await joining.catch(() => undefined)))?.close();
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
  }
}
