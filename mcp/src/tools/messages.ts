// Talking to other sessions: send_message, request (send and wait for the reply), broadcast, and
// read_inbox (what arrived since the last read, with an optional long-poll).
import { z } from 'zod';
import type { Bridge } from '../bridge.js';
import { INBOX_OUTPUT } from '../mailbox.js';
import { defineTool } from '../results.js';
import { JsonAny, MessageKind, MessageShape } from '../shapes.js';

/** The longest a read_inbox long-poll or a request may wait; MCP clients time calls out at about a minute. */
export const MAX_WAIT_MS = 120_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

const SessionIdArg = z.string().min(1).max(64).describe('session id (from list_sessions, or `from` of a received message)');

export function registerMessageTools(bridge: Bridge): void {
  const { server, hub } = bridge;

  defineTool(server, 'send_message', {
    title: 'Send a message',
    description:
      'Sends a direct message to one session. To answer a request you received, send kind "response" with replyTo = its msgId (and to = its from). ' +
      'A recipient that is away (its connection dropped) gets it when it comes back (queued: true).',
    input: {
      to: SessionIdArg,
      body: JsonAny.describe('the message: any JSON value (a string, an object, …)'),
      kind: MessageKind.optional().describe('default "message"; "response" answers a request'),
      replyTo: z.string().min(1).max(64).optional().describe('msgId of the message this answers'),
      thread: z.string().min(1).max(64).optional().describe('conversation id, copied into replies'),
      idempotencyKey: z.string().min(1).max(128).optional().describe('repeating a send with the same key does not send it twice'),
    },
    output: { msgId: z.string(), seq: z.number().optional(), queued: z.boolean().optional(), duplicate: z.boolean().optional() },
    annotations: { openWorldHint: false },
    async run({ to, body, ...options }) {
      const result = await hub.send(to, body as never, options);
      return { result, summary: `Sent ${result.msgId} to ${to}${result.queued ? ' (queued: the recipient is away)' : ''}.` };
    },
  });

  defineTool(server, 'request', {
    title: 'Ask and wait for the answer',
    description:
      'Sends a message of kind "request" to one session and waits for its "response" (the recipient answers with send_message kind "response", replyTo = the request\'s msgId). ' +
      'Fails with code "timeout" if no answer comes within timeoutMs.',
    input: {
      to: SessionIdArg,
      body: JsonAny.describe('the request: any JSON value'),
      timeoutMs: z.number().int().min(1).max(MAX_WAIT_MS).optional().describe(`how long to wait for the response (default ${DEFAULT_REQUEST_TIMEOUT_MS})`),
    },
    output: { message: MessageShape },
    annotations: { openWorldHint: false },
    async run({ to, body, timeoutMs }, { signal }) {
      const message = await hub.request(to, body as never, { timeoutMs: timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS });
      // The response settled the request instead of reaching the inbox. If the MCP client cancelled
      // the call meanwhile, it will never see this result: leave the response in the inbox instead.
      if (signal.aborted) bridge.inbox.push(message, () => hub.ack(message));
      else hub.ack(message);
      return { result: { message }, summary: `${message.from} answered (${message.msgId}).` };
    },
  });

  defineTool(server, 'broadcast', {
    title: 'Broadcast',
    description: 'Sends a message to every other session on the hub, or with `capability` only to those that have it. Broadcasts are not kept for sessions that are away.',
    input: {
      body: JsonAny.describe('the message: any JSON value'),
      kind: MessageKind.optional().describe('default "message"'),
      capability: z.string().min(1).max(64).optional().describe('only sessions with this capability receive it'),
    },
    output: { msgId: z.string(), recipients: z.number() },
    annotations: { openWorldHint: false },
    async run({ body, ...options }) {
      const result = await hub.broadcast(body as never, options);
      return { result, summary: `Broadcast ${result.msgId} reached ${result.recipients} session(s).` };
    },
  });

  defineTool(server, 'read_inbox', {
    title: 'Read my inbox',
    description:
      'Returns what arrived since the last read_inbox (oldest first) and marks it read: direct messages, broadcasts, and task offers and updates. ' +
      'With waitMs, waits up to that long for something to arrive when nothing is unread. ' +
      'A message of kind "request" expects an answer: send_message to its `from` with kind "response" and replyTo its msgId.',
    input: {
      waitMs: z.number().int().min(0).max(MAX_WAIT_MS).optional().describe('long-poll: wait up to this long if the inbox is empty (default 0)'),
      limit: z.number().int().min(1).max(1000).optional().describe('at most this many items (default: all)'),
    },
    output: INBOX_OUTPUT,
    annotations: { openWorldHint: false },
    async run({ waitMs, limit }, { signal }) {
      await bridge.inbox.wait(waitMs ?? 0, signal);
      // A cancelled call's result is never delivered: take nothing, so nothing is lost.
      if (signal.aborted) throw bridge.error('timeout', 'read_inbox was cancelled');
      const taken = bridge.takeInbox(limit);
      return { result: taken.result, summary: taken.summary };
    },
  });
}
