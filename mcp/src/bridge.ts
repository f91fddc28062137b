// The bridge: one MCP server in front of one hub session. It registers the tools, buffers what the
// hub delivers until read_inbox hands it out, and tells MCP clients when something arrives:
// resources/updated on switchboard://inbox (and on switchboard://tasks/{id} for a task that changed)
// for subscribers, resources/list_changed when a task appears, so such a client need not poll.
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { HubError } from '@switchboard/client/node';
import type { ErrorCode, HeldLock, Hub, Task } from '@switchboard/client/node';
import { InboxBuffer } from './inbox.js';
import { inboxSummary, inboxView } from './mailbox.js';
import type { InboxItem, InboxView } from './mailbox.js';
import { registerLockTools } from './tools/locks.js';
import { registerMemoryTools } from './tools/memory.js';
import { registerMessageTools } from './tools/messages.js';
import { registerSessionTools } from './tools/session.js';
import { registerTaskTools } from './tools/tasks.js';
import { TaskDesk } from './task-desk.js';

export const INBOX_URI = 'switchboard://inbox';
const TASK_URI = 'switchboard://tasks/{taskId}';
const taskUri = (id: string) => `switchboard://tasks/${encodeURIComponent(id)}`;
export const VERSION = '0.1.0';

export interface BridgeOptions {
  /** Unread items kept for read_inbox. */
  inboxSize: number;
  /** Where diagnostics go (stderr in the command; stdout is the protocol). */
  log?: (line: string) => void;
}

function instructions(hub: Hub): string {
  return `You are connected to a Switchboard hub as the session "${hub.session.name}" (id ${hub.id}). Other AI agents on the hub can message you, ask you questions, hand you tasks, and share memory and locks with you.
- Check read_inbox regularly (waitMs long-polls); answer a message of kind "request" with send_message kind "response", replyTo its msgId, to its from.
- list_sessions shows who is online; their ids are what send_message, request and handoff_task take as "to".
- A task offered to you (read_inbox task.offer) is yours once you accept_task it; finish it with complete_task or fail_task.
- Keep update_status current so others see what you are doing.
- Shared memory (memory_*) is versioned: pass ifVersion to write without overwriting someone else's change.`;
}

export class Bridge {
  readonly server: McpServer;
  readonly hub: Hub;
  readonly inbox: InboxBuffer<InboxItem>;
  /** Locks taken through lock_acquire and not yet released, by name. */
  readonly heldLocks = new Map<string, HeldLock>();
  /** Offers made to this session and tasks it handed off, by id. */
  readonly desk: TaskDesk;
  readonly #subscriptions = new Set<string>();
  readonly #log: (line: string) => void;
  readonly #unsubscribe: Array<() => void> = [];

  constructor(hub: Hub, options: BridgeOptions) {
    this.hub = hub;
    this.#log = options.log ?? (() => {});
    this.server = new McpServer(
      { name: 'switchboard', title: 'Switchboard', version: VERSION },
      {
        capabilities: { resources: { subscribe: true, listChanged: true } },
        instructions: instructions(hub),
      },
    );
    this.inbox = new InboxBuffer<InboxItem>(options.inboxSize, () => this.#changed(INBOX_URI));
    this.desk = new TaskDesk({
      me: () => hub.id,
      added: (task, how) => {
        if (how === 'offered') this.inbox.push({ type: 'task.offer', task });
        this.#listChanged();
      },
      updated: (task) => {
        this.inbox.push({ type: 'task.update', task });
        this.#changed(taskUri(task.id));
      },
    });
    this.#unsubscribe.push(
      hub.on('message', (message) => this.inbox.push(message, () => hub.ack(message))),
      // The SDK acknowledges task frames itself; the offer stays with this bridge until read.
      hub.on('task', (offer) => this.desk.offered(offer)),
    );
    registerSessionTools(this);
    registerMessageTools(this);
    registerMemoryTools(this);
    registerLockTools(this);
    registerTaskTools(this);
    this.#registerResources();
  }

  /** Starts serving MCP on `transport`. */
  connect(transport: Transport): Promise<void> {
    return this.server.connect(transport);
  }

  /** Ends pending long-polls and the MCP side; the hub session is the caller's to close. */
  async close(): Promise<void> {
    for (const off of this.#unsubscribe.splice(0)) off();
    this.desk.close();
    this.inbox.close();
    await this.server.close();
  }

  /** Removes (and acknowledges) up to `limit` unread items: what read_inbox returns. */
  takeInbox(limit?: number): { result: InboxView; summary: string } {
    const { items, dropped, remaining } = this.inbox.take(limit);
    const result = inboxView(items, dropped, remaining);
    return { result, summary: inboxSummary(result) };
  }

  /** An error for the MCP client, shaped like the hub's (a tool error result naming `code`). */
  error(code: ErrorCode, message: string): HubError {
    return new HubError(code, message);
  }

  #registerResources(): void {
    this.server.registerResource(
      'inbox',
      INBOX_URI,
      {
        title: 'Switchboard inbox',
        description: 'Unread messages and task events of this session (read_inbox takes and acknowledges them). Subscribe to be told when something arrives.',
        mimeType: 'application/json',
      },
      async (uri) => ({
        contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(inboxView(this.inbox.peek(), 0, this.inbox.size)) }],
      }),
    );
    this.server.registerResource(
      'task',
      new ResourceTemplate(TASK_URI, {
        list: async () => ({
          resources: this.desk.known().map((task) => ({
            uri: taskUri(task.id),
            name: task.title,
            description: `${task.state}; from ${task.from}`,
            mimeType: 'application/json',
          })),
        }),
      }),
      {
        title: 'Switchboard task',
        description: 'A task offered to this session or handed off by it, as the hub has it now. Listed while open; subscribe to one to be told when it changes.',
        mimeType: 'application/json',
      },
      async (uri, { taskId }) => {
        const task: Task | null = await this.hub.task(decodeURIComponent(String(taskId)));
        return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ task }) }] };
      },
    );
    this.server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
      this.#subscriptions.add(request.params.uri);
      return {};
    });
    this.server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
      this.#subscriptions.delete(request.params.uri);
      return {};
    });
  }

  #listChanged(): void {
    if (!this.server.isConnected()) return;
    this.server.server.sendResourceListChanged().catch((err: unknown) => this.#log(`could not announce the resource list: ${String(err)}`));
  }

  /** Tells a client subscribed to `uri` that it changed. */
  #changed(uri: string): void {
    if (!this.#subscriptions.has(uri) || !this.server.isConnected()) return;
    this.server.server.sendResourceUpdated({ uri }).catch((err: unknown) => this.#log(`could not notify ${uri}: ${String(err)}`));
  }
}
