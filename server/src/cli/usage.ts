// The client commands as the top-level `switchboard --help` lists them. Kept free of imports so
// that `switchboard serve` does not load the SDK; main.ts must implement exactly these names.

export const COMMAND_SUMMARIES = {
  sessions: 'list the sessions on the hub',
  send: 'send a message to a session (by id or name)',
  broadcast: 'send a message to every session, or those with a capability',
  tail: 'print presence, messages to this session and memory changes as they happen',
  memory: 'get, set, del or search shared memory entries',
  handoff: 'hand a task to a session or a capability, optionally wait for it',
  tasks: 'list tasks (this session\'s, or by id)',
  stats: 'sessions by status, memory entries, observed event rates',
  kick: 'end another session (admin token): it leaves with reason kicked',
} as const;

export type CommandName = keyof typeof COMMAND_SUMMARIES;

export const CLIENT_USAGE = `${Object.entries(COMMAND_SUMMARIES)
  .map(([name, summary]) => `  ${name.padEnd(9)} ${summary}`)
  .join('\n')}

Client commands join the hub as a short-lived session (cli-<user>, agent type "cli") and say bye when
done. They read --url / SWITCHBOARD_URL (default ws://127.0.0.1:7777/v1) and --token / SWITCHBOARD_TOKEN,
print a table, or JSON with --json. "switchboard <command> --help" tells more.
Exit status: 0 done; 1 the hub could not be reached or refused (unauthorized, not found, conflict, …);
2 a bad command line; 130 interrupted.`;
