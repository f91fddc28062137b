// How a bridge tool answers: structured content that mirrors the protocol's shape, plus text. And
// how it fails: whatever a tool throws becomes an MCP error result (`isError: true`, the text naming
// the hub's error code), never a crash of the bridge and never a JSON-RPC error.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AnySchema, ZodRawShapeCompat } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { HubError } from '@switchboard/client/node';
import { z } from 'zod';

export interface ToolContext {
  /** Aborted when the MCP client cancels the call (or the bridge closes). */
  signal: AbortSignal;
}

export interface Answer<O> {
  /** The tool's result, shaped like the protocol's (what structuredContent carries). */
  result: O;
  /** One short line for people; the JSON of `result` follows it in the text content. */
  summary: string;
}

export interface ToolSpec<I extends z.ZodRawShape, O extends z.ZodRawShape> {
  title: string;
  description: string;
  input: I;
  output: O;
  annotations?: ToolAnnotations;
  run(args: z.output<z.ZodObject<I>>, ctx: ToolContext): Promise<Answer<z.output<z.ZodObject<O>>>>;
}

/**
 * Registers one tool. The text content is the summary line and then the result as JSON: many MCP
 * clients hand only text content to the model, and the MCP spec asks tools that return structured
 * content to serialize it into a text block as well.
 */
export function defineTool<I extends z.ZodRawShape, O extends z.ZodRawShape>(
  server: McpServer,
  name: string,
  spec: ToolSpec<I, O>,
): void {
  // The SDK's generics cannot follow a generic shape; the handler casts its arguments back once.
  server.registerTool<AnySchema, ZodRawShapeCompat>(
    name,
    {
      title: spec.title,
      description: spec.description,
      inputSchema: spec.input,
      outputSchema: z.object(spec.output).loose(),
      ...(spec.annotations && { annotations: spec.annotations }),
    },
    async (args, extra): Promise<CallToolResult> => {
      try {
        const { result, summary } = await spec.run(args as z.output<z.ZodObject<I>>, { signal: extra.signal });
        return answer(result as Record<string, unknown>, summary);
      } catch (err) {
        return toolError(err);
      }
    },
  );
}

export function answer(result: Record<string, unknown>, summary: string): CallToolResult {
  return { content: [{ type: 'text', text: `${summary}\n${JSON.stringify(result)}` }], structuredContent: result };
}

/** The error result for anything a tool threw; the text starts with the error code. */
export function toolError(err: unknown): CallToolResult {
  const error = err instanceof HubError ? err : new HubError('internal', err instanceof Error ? err.message : String(err));
  const extra = [
    error.version !== undefined && `stored version: ${error.version}`,
    error.fence !== undefined && `current fence: ${error.fence}`,
    error.retryable && 'retryable',
  ].filter(Boolean);
  const text = `${error.code}: ${error.message}${extra.length ? ` (${extra.join(', ')})` : ''}`;
  return { content: [{ type: 'text', text }], isError: true };
}

/** A bad argument the schema cannot express (e.g. "exactly one of"): an error result, code bad_request. */
export function badRequest(message: string): HubError {
  return new HubError('bad_request', message);
}
