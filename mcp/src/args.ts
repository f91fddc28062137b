// The command line of `switchboard mcp`: flags first, then SWITCHBOARD_URL / SWITCHBOARD_TOKEN, then
// defaults. Checked here, before anything connects, so a bad flag is one line on stderr.
import { parseArgs } from 'node:util';

export const DEFAULT_URL = 'ws://127.0.0.1:7777/v1';
/** How many unread messages and task events the bridge keeps for read_inbox. */
export const DEFAULT_INBOX_SIZE = 1000;

export const USAGE = `Usage: switchboard mcp --name NAME [--url URL] [--token TOKEN] [options]

Runs an MCP server on stdin/stdout that holds one Switchboard session for the MCP client, so an
MCP-capable agent (Claude Code, Cursor, Claude Desktop, …) joins the hub with no code. Logs go to
stderr; stdout is the MCP protocol.

Options:
  --name <name>            the session's name on the hub (required)
  --url <url>              hub address (env SWITCHBOARD_URL; default ${DEFAULT_URL})
  --token <token>          JWT for a secured hub (env SWITCHBOARD_TOKEN)
  --capabilities <a,b>     comma-separated capabilities (what broadcasts and handoffs may target)
  --agent-type <type>      e.g. claude-code, cursor (default mcp)
  --id <id>                a fixed session id (default: the hub assigns one)
  --user <user>            who runs the agent
  --location <where>       where it works, e.g. a repository path
  --inbox-size <n>         unread messages kept for read_inbox; older ones are dropped (default ${DEFAULT_INBOX_SIZE})
  --help                   show this help
`;

export interface BridgeArgs {
  url: string;
  token?: string;
  name: string;
  id?: string;
  agentType: string;
  capabilities: string[];
  user?: string;
  location?: string;
  inboxSize: number;
}

/** The command line is wrong: exit 2 with this message. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Parses argv (without "mcp"); null means --help was asked for. */
export function parseBridgeArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BridgeArgs | null {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        name: { type: 'string' },
        id: { type: 'string' },
        capabilities: { type: 'string' },
        'agent-type': { type: 'string' },
        user: { type: 'string' },
        location: { type: 'string' },
        'inbox-size': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return null;
  const str = (key: string) => (typeof values[key] === 'string' ? (values[key] as string) : undefined);
  const name = str('name');
  if (!name) throw new UsageError('--name is required');
  const inboxSize = str('inbox-size') === undefined ? DEFAULT_INBOX_SIZE : Number(str('inbox-size'));
  if (!Number.isInteger(inboxSize) || inboxSize < 1) throw new UsageError('--inbox-size must be a positive integer');
  const token = str('token') ?? (env.SWITCHBOARD_TOKEN || undefined);
  const capabilities = (str('capabilities') ?? '').split(',').map((c) => c.trim()).filter(Boolean);
  return {
    url: str('url') ?? (env.SWITCHBOARD_URL || DEFAULT_URL),
    name,
    agentType: str('agent-type') ?? 'mcp',
    capabilities,
    inboxSize,
    ...(token !== undefined && { token }),
    ...(str('id') !== undefined && { id: str('id') }),
    ...(str('user') !== undefined && { user: str('user') }),
    ...(str('location') !== undefined && { location: str('location') }),
  };
}
