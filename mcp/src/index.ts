// @switchboard/mcp: `switchboard mcp`, an MCP server on stdio that holds one hub session for the MCP
// client. main() joins the hub, serves MCP until the client goes away (stdin ends) or a signal comes,
// then says bye. Everything it prints goes to stderr: stdout carries the MCP protocol.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { HubError, connect } from '@switchboard/client/node';
import type { Hub } from '@switchboard/client/node';
import { USAGE, UsageError, parseBridgeArgs } from './args.js';
import type { BridgeArgs } from './args.js';
import { Bridge } from './bridge.js';

export { Bridge, INBOX_URI } from './bridge.js';
export type { BridgeOptions } from './bridge.js';
export { parseBridgeArgs, USAGE } from './args.js';
export type { BridgeArgs } from './args.js';

const log = (line: string) => void process.stderr.write(`switchboard mcp: ${line}\n`);

/** Runs `switchboard mcp` with `argv` (the arguments after "mcp"); resolves with the exit status. */
export async function main(argv: string[]): Promise<number> {
  let args: BridgeArgs | null;
  try {
    args = parseBridgeArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    log(`${err.message} (see switchboard mcp --help)`);
    return 2;
  }
  if (!args) {
    process.stdout.write(USAGE);
    return 0;
  }
  // stdout is the MCP protocol: a stray console.log from any library would corrupt it.
  console.log = console.info = console.debug = console.error;
  // The agent's only link to the hub should not die of one stray failure: report it and go on.
  process.on('unhandledRejection', (reason) => log(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`));

  let hub: Hub;
  try {
    hub = await join(args);
  } catch (err) {
    log(`could not join ${args.url}: ${err instanceof HubError ? `${err.code}: ${err.message}` : String(err)}`);
    return err instanceof TypeError ? 2 : 1;
  }
  log(`joined ${args.url} as "${hub.session.name}" (id ${hub.id}) on node ${hub.node}`);
  return serve(hub, args);
}

function join(args: BridgeArgs): Promise<Hub> {
  return connect({
    url: args.url,
    ...(args.token !== undefined && { token: args.token }),
    session: {
      name: args.name,
      agentType: args.agentType,
      capabilities: args.capabilities,
      ...(args.id !== undefined && { id: args.id }),
      ...(args.user !== undefined && { user: args.user }),
      ...(args.location !== undefined && { location: args.location }),
    },
    // read_inbox acknowledges what it hands out, so a resume replays what the client never read.
    ack: 'manual',
  });
}

async function serve(hub: Hub, args: BridgeArgs): Promise<number> {
  const bridge = new Bridge(hub, { inboxSize: args.inboxSize, log });
  let closing = false;
  const ended = new Promise<number>((resolve) => {
    process.stdin.once('end', () => resolve(0));
    process.stdin.once('close', () => resolve(0));
    process.once('SIGINT', () => resolve(0));
    process.once('SIGTERM', () => resolve(0));
    hub.on('state', ({ newState, error }) => {
      if (newState === 'reconnecting') log(`lost the hub (${error?.message ?? 'socket closed'}); reconnecting`);
      if (newState === 'connected') log(`back on the hub (node ${hub.node})`);
      // Only a refused hello (bad token, bad session) ends the session for good.
      if (newState === 'closed' && !closing) {
        log(`the hub ended the session${error ? `: ${error.code}: ${error.message}` : ''}`);
        resolve(1);
      }
    });
    hub.on('error', (error) => log(`${error.code}: ${error.message}`));
  });
  const transport = new StdioServerTransport();
  transport.onerror = (error) => log(`MCP transport: ${error.message}`);
  await bridge.connect(transport);
  const code = await ended;
  closing = true;
  await bridge.close().catch(() => {});
  await hub.close();
  return code;
}
