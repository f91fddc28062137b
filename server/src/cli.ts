// The `switchboard` command line: `switchboard serve` runs a hub node until SIGTERM/SIGINT; every other
// command is a client of a hub (server/src/cli/).
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, SOURCES } from './config.js';
import type { Config } from './config.js';
import { CLIENT_USAGE } from './cli/usage.js';

const USAGE = `Usage: switchboard <command> [options]

Commands:
  serve     run a hub node (embedded engine unless --redis / REDIS_URL is set)
  mcp       an MCP server on stdio holding one hub session, for MCP clients (switchboard mcp --help)
  token     mint a token for a secured hub: --ns, --role, --ttl (switchboard token --help)
${CLIENT_USAGE}

Options of serve (each also read from the env var shown):
${Object.values(SOURCES)
  .map(({ env, flag }) => `  ${`${flag} <value>`.padEnd(26)} ${env}`)
  .join('\n')}
  --help                     show this help
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  if (command === 'mcp') {
    // The MCP bridge is its own package (server → mcp → client), loaded for this command only.
    const { main: mcp } = await import('@switchboard/mcp');
    return mcp(rest);
  }
  if (command === 'token') {
    const { tokenCommand } = await import('./cli/token.js');
    return tokenCommand(rest);
  }
  if (command !== 'serve') {
    const { runCommand } = await import('./cli/main.js');
    return runCommand(argv);
  }
  const options = Object.fromEntries(
    Object.values(SOURCES).map(({ flag }) => [flag.slice(2), { type: 'string' as const }]),
  );
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: rest, options: { ...options, help: { type: 'boolean' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`switchboard serve: ${(err as Error).message}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig(values as Record<string, string | undefined>, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`switchboard serve: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  // The hub's modules (engines, ioredis, pino) load for serve only: client commands start faster.
  const { serve } = await import('./serve.js');
  await serve(config);
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    process.stderr.write(`switchboard: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
