// Bridged agents for the MCP tests: each is `switchboard mcp` as a real child process on stdio,
// driven by the MCP SDK's own Client, exactly as an MCP client (Claude Code, Cursor, …) runs it.
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

export const BIN = fileURLToPath(new URL('../../server/bin/switchboard.js', import.meta.url));

export interface BridgedAgent {
  client: Client;
  /** The hub session id of the bridge (from whoami). */
  id: string;
  /** What the bridge wrote to stderr. */
  stderr: string[];
  /** Calls a tool and returns its result as is (error results included). */
  call(name: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<CallToolResult>;
  /** Calls a tool, fails unless it succeeded, and returns its structured content. */
  ok<T = Record<string, unknown>>(name: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/** Starts `switchboard mcp --url URL --name NAME …extra` and connects an MCP client to it. */
export async function startBridge(url: string, name: string, extra: string[] = []): Promise<BridgedAgent> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'mcp', '--url', url, '--name', name, ...extra],
    env: process.env as Record<string, string>,
    stderr: 'pipe',
  });
  const stderr: string[] = [];
  transport.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
  const client = new Client({ name: `test-${name}`, version: '0.0.0' });
  try {
    await client.connect(transport, { timeout: 15_000 });
  } catch (err) {
    await transport.close();
    throw new Error(`bridge ${name} did not start: ${String(err)}\n${stderr.join('')}`);
  }
  const call = async (tool: string, args: Record<string, unknown> = {}, timeoutMs = 10_000) =>
    (await client.callTool({ name: tool, arguments: args }, undefined, { timeout: timeoutMs })) as CallToolResult;
  const ok = async <T>(tool: string, args: Record<string, unknown> = {}, timeoutMs?: number): Promise<T> => {
    const result = await call(tool, args, timeoutMs);
    if (result.isError) throw new Error(`${tool} failed: ${text(result)}`);
    return result.structuredContent as T;
  };
  const { session } = await ok<{ session: { id: string } }>('whoami');
  return { client, id: session.id, stderr, call, ok, close: () => client.close() };
}

/** The text content of a tool result. */
export function text(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
}
