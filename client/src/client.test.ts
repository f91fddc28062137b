// SDK tests against FakeHub, a minimal in-process hub on a real socket (ws, port 0).
//
// Extending FakeHub: by default it welcomes every hello and answers every request with a
// plausible ok. Set `fake.onHello` to refuse or delay hello, and `fake.respond` to answer a
// frame differently (return true when you handled it, false to fall back to the default).
// `fake.received` logs every client frame with the index of the socket it came on, and
// `fake.waitFor(check)` waits (bounded) until `check` returns something truthy.
import { decodeClientFrame } from '@switchboard/protocol';
import type { ClientFrame, ClientFrameOf, ClientFrameType, Hello, ServerFrame, Session, Task } from '@switchboard/protocol';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { connect } from './node.js';
import { connect as connectPortable } from './index.js';
import type { Hub, HubEvents, HubState } from './client.js';
import type { ConnectOptions } from './options.js';
import { HubError } from './errors.js';

type Received = { conn: number; frame: ClientFrame };

class FakeHub {
  readonly sockets: WebSocket[] = [];
  readonly hellos: Hello[] = [];
  readonly paths: string[] = [];
  readonly received: Received[] = [];
  readonly invalid: string[] = [];
  heartbeatMs = 60_000;
  onHello: (hello: Hello, socket: WebSocket, conn: number) => void = (hello, socket) => this.welcome(socket, hello);
  respond: (frame: ClientFrame, socket: WebSocket) => boolean = () => false;
  #nextId = 0;
  #nextMsg = 0;
  readonly #listeners = new Set<() => void>();

  private constructor(readonly server: WebSocketServer) {
    server.on('connection', (socket, request) => {
      const conn = this.sockets.push(socket) - 1;
      this.paths.push(request.url ?? '');
      socket.on('message', (data) => this.#receive(socket, conn, data.toString()));
      this.#changed();
    });
  }

  static async start(): Promise<FakeHub> {
    const server = new WebSocketServer({ port: 0 });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    return new FakeHub(server);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  send(socket: WebSocket, frame: ServerFrame): void {
    socket.send(JSON.stringify(frame));
  }

  welcome(socket: WebSocket, hello: Hello): void {
    const session = makeSession(hello.session.id ?? `agent-${++this.#nextId}`, hello.session);
    this.send(socket, {
      type: 'welcome', sessionId: session.id, resumeSecret: 'secret', node: 'fake-node', heartbeatMs: this.heartbeatMs,
      limits: { maxFrameBytes: 1 << 20, maxValueBytes: 1 << 16 }, session,
    });
  }

  /** The frames of one type, optionally only those that came on socket `conn`. */
  frames<T extends ClientFrameType>(type: T, conn?: number): ClientFrameOf<T>[] {
    return this.received
      .filter((r) => r.frame.type === type && (conn === undefined || r.conn === conn))
      .map((r) => r.frame as ClientFrameOf<T>);
  }

  /** Resolves with check()'s first truthy result, re-checked on every frame or connection; bounded. */
  waitFor<T>(check: () => T | undefined | null | false, what: string, timeoutMs = 3000): Promise<T> {
    return new Promise((resolve, reject) => {
      const listener = () => {
        const result = check();
        if (!result) return;
        cleanup();
        resolve(result);
      };
      const timer = setTimeout(() => (cleanup(), reject(new Error(`fake hub: timed out waiting for ${what}`))), timeoutMs);
      const cleanup = () => (clearTimeout(timer), this.#listeners.delete(listener));
      this.#listeners.add(listener);
      listener();
    });
  }

  /** Cuts every socket without a close handshake, as a crashed network would. */
  dropAll(): void {
    for (const socket of this.sockets) socket.terminate();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #receive(socket: WebSocket, conn: number, text: string): void {
    const decoded = decodeClientFrame(text);
    if (!decoded.ok) {
      this.invalid.push(decoded.message);
      return this.#changed();
    }
    const frame = decoded.frame;
    this.received.push({ conn, frame });
    if (frame.type === 'hello') {
      this.hellos.push(frame);
      this.onHello(frame, socket, conn);
    } else if (!this.respond(frame, socket)) {
      this.#answer(frame, socket);
    }
    this.#changed();
  }

  #answer(frame: ClientFrame, socket: WebSocket): void {
    const ok = (result: object) => 'rid' in frame && frame.rid !== undefined && this.send(socket, { type: 'ok', rid: frame.rid, ...result });
    switch (frame.type) {
      case 'ping':
        return this.send(socket, frame.rid === undefined ? { type: 'pong', ts: Date.now() } : { type: 'pong', rid: frame.rid, ts: Date.now() });
      case 'bye':
        return socket.close(1000, 'bye');
      case 'update': {
        const { type: _t, rid: _r, ...patch } = frame;
        return void ok({ session: { ...makeSession('agent-1', { name: 'a' }), ...patch } });
      }
      case 'send':
        return void ok({ msgId: `m${++this.#nextMsg}` });
      case 'broadcast':
        return void ok({ msgId: `m${++this.#nextMsg}`, recipients: 2 });
      case 'sessions.list':
      case 'presence.watch':
        return void ok({ sessions: [makeSession('other', { name: 'other' })] });
      case 'tasks.watch':
        return void ok({ tasks: [makeTask('t1', 'offered')] });
      case 'memory.set':
        return void ok({ entry: makeEntry(frame.key, frame.value) });
      case 'memory.get':
        return void ok({ entry: null });
      case 'memory.delete':
        return void ok({ deleted: true });
      case 'memory.search':
        return void ok({ entries: [], cursor: null });
      default:
        return void ok({});
    }
  }

  #changed(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

function makeSession(id: string, fields: Hello['session']): Session {
  return {
    id, name: fields.name, agentType: fields.agentType ?? null, user: fields.user ?? null, location: fields.location ?? null,
    capabilities: fields.capabilities ?? [], status: fields.status ?? 'active', task: fields.task ?? null, meta: fields.meta ?? {},
    node: 'fake-node', connectedAt: 1, lastSeen: 1,
  };
}

function makeTask(id: string, state: Task['state']): Task {
  return {
    id, title: 'a task', body: null, context: null, from: 'other', to: 'agent-2', state, attempts: 1,
    history: [{ state: 'offered', at: 1, by: 'other' }], createdAt: 1, updatedAt: 1,
  };
}

function makeEntry(key: string, value: unknown) {
  return { key, value, kind: 'note', tags: [], version: 1, author: 'agent-1', createdAt: 1, updatedAt: 1, expiresAt: null };
}

/** The next event of `event` for which `check` holds; bounded. */
function nextEvent<K extends keyof HubEvents>(
  hub: Hub, event: K, check: (payload: HubEvents[K]) => boolean = () => true, timeoutMs = 3000,
): Promise<HubEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error(`timed out waiting for hub event ${String(event)}`))), timeoutMs);
    const off = hub.on(event, (payload) => {
      if (!check(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

const reachState = (hub: Hub, state: HubState) =>
  hub.state === state ? Promise.resolve() : nextEvent(hub, 'state', (e) => e.newState === state).then(() => undefined);

const fakes: FakeHub[] = [];
const hubs: Hub[] = [];

async function setup(options: Partial<ConnectOptions> = {}, prepare: (fake: FakeHub) => void = () => {}) {
  const fake = await FakeHub.start();
  fakes.push(fake);
  prepare(fake);
  const hub = await connect({ url: fake.url, session: { name: 'tester' }, reconnect: { baseMs: 5, maxMs: 20 }, ...options });
  hubs.push(hub);
  return { fake, hub };
}

afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.close()));
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
  vi.unstubAllGlobals();
});

describe('connect', () => {
  it('says hello on /v1 and resolves on welcome with id, session and node', async () => {
    const { fake, hub } = await setup({ token: 't0k', session: { name: 'tester', capabilities: ['code'] } });
    expect(hub.state).toBe('connected');
    expect(hub.id).toBe('agent-1');
    expect(hub.node).toBe('fake-node');
    expect(hub.session).toMatchObject({ id: 'agent-1', name: 'tester', capabilities: ['code'] });
    expect(fake.paths).toEqual(['/v1']);
    expect(fake.hellos).toHaveLength(1);
    expect(fake.hellos[0]).toMatchObject({ type: 'hello', protocol: 1, token: 't0k', session: { name: 'tester' } });
    expect(fake.invalid).toEqual([]);
  });

  it('rejects with unauthorized on 4401 and does not retry', async () => {
    const fake = await FakeHub.start();
    fakes.push(fake);
    fake.onHello = (_hello, socket) => {
      fake.send(socket, { type: 'error', code: 'unauthorized', message: 'bad token' });
      socket.close(4401, 'bad token');
    };
    const err = await connect({ url: fake.url, session: { name: 'x' }, reconnect: { baseMs: 1, maxMs: 1 }, connectTimeoutMs: 2000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err).toMatchObject({ code: 'unauthorized', retryable: false });
    expect((err as HubError).message).toContain('bad token');
    expect(fake.hellos).toHaveLength(1);
  });

  it('maps 4400 to bad_request and 4409 to conflict on the first hello', async () => {
    const fake = await FakeHub.start();
    fakes.push(fake);
    const codes = [4400, 4409];
    fake.onHello = (_hello, socket, conn) => socket.close(codes[conn], 'no');
    const options = { url: fake.url, session: { name: 'x', id: 'fixed' }, reconnect: { baseMs: 1, maxMs: 1 } };
    await expect(connect(options)).rejects.toMatchObject({ code: 'bad_request' });
    await expect(connect(options)).rejects.toMatchObject({ code: 'conflict' });
    expect(fake.hellos).toHaveLength(2);
  });

  it('rejects with timeout when the hub cannot be reached within connectTimeoutMs', async () => {
    const fake = await FakeHub.start();
    const url = fake.url;
    await fake.close();
    const started = Date.now();
    const err = await connect({ url, session: { name: 'x' }, connectTimeoutMs: 300, reconnect: { baseMs: 10, maxMs: 50 } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('retries an unreachable hub during connect until it answers', async () => {
    const fake = await FakeHub.start();
    fakes.push(fake);
    let refused = 0;
    fake.onHello = (hello, socket) => (++refused <= 2 ? socket.terminate() : fake.welcome(socket, hello));
    const hub = await connect({ url: fake.url, session: { name: 'x' }, reconnect: { baseMs: 5, maxMs: 10 } });
    hubs.push(hub);
    expect(hub.state).toBe('connected');
    expect(fake.hellos).toHaveLength(3);
  });

  it('explains what to do when there is no WebSocket implementation', async () => {
    vi.stubGlobal('WebSocket', undefined);
    const err = await connectPortable({ url: 'ws://127.0.0.1:1', session: { name: 'x' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toContain('@switchboard/client/node');
  });

  it('rejects invalid options with a TypeError before connecting', async () => {
    await expect(connect({ url: 'http://x', session: { name: 'x' } })).rejects.toThrow(TypeError);
    await expect(connect({ url: 'ws://x', session: { name: '' } })).rejects.toThrow(TypeError);
    await expect(connect({ url: 'ws://x', session: { name: 'x' }, reconnect: { baseMs: 100, maxMs: 10 } })).rejects.toThrow(TypeError);
  });
});

describe('requests', () => {
  it('round-trips the request API against the hub', async () => {
    const { fake, hub } = await setup();
    await expect(hub.send('other', { hi: 1 }, { thread: 't1' })).resolves.toEqual({ msgId: 'm1' });
    expect(fake.frames('send')[0]).toMatchObject({ to: 'other', body: { hi: 1 }, thread: 't1' });
    await expect(hub.broadcast('all', { capability: 'code' })).resolves.toEqual({ msgId: 'm2', recipients: 2 });
    await expect(hub.sessions({ status: 'active' })).resolves.toHaveLength(1);
    expect(fake.frames('sessions.list')[0]).toMatchObject({ status: 'active' });
    await expect(hub.memory.set('k', { v: 1 }, { kind: 'fact', ifVersion: 0 })).resolves.toMatchObject({ key: 'k', value: { v: 1 } });
    expect(fake.frames('memory.set')[0]).toMatchObject({ key: 'k', kind: 'fact', ifVersion: 0 });
    await expect(hub.memory.get('k')).resolves.toBeNull();
    await expect(hub.memory.delete('k')).resolves.toBe(true);
    await expect(hub.memory.search({ prefix: 'k' })).resolves.toEqual({ entries: [], cursor: null });
    expect(await hub.ping()).toBeGreaterThanOrEqual(0);
    expect(fake.invalid).toEqual([]);
  });

  it('maps an error answer to a HubError', async () => {
    const { hub } = await setup({}, (fake) => {
      fake.respond = (frame, socket) => {
        if (frame.type !== 'memory.set' || !frame.rid) return false;
        fake.send(socket, { type: 'error', rid: frame.rid, code: 'conflict', message: 'version of "k" is 3', version: 3 });
        return true;
      };
    });
    await expect(hub.memory.set('k', 1, { ifVersion: 1 })).rejects.toMatchObject({ code: 'conflict', version: 3 });
  });

  it('times out a request the hub never answers', async () => {
    const { hub } = await setup({ requestTimeoutMs: 150 }, (fake) => {
      fake.respond = (frame) => frame.type === 'sessions.list' || frame.type === 'send';
    });
    await expect(hub.sessions()).rejects.toMatchObject({ code: 'timeout', retryable: true });
    await expect(hub.send('x', 1, { timeoutMs: 50 })).rejects.toMatchObject({ code: 'timeout' });
    expect(hub.state).toBe('connected');
  });

  it('update() changes the session and the fields later hellos carry', async () => {
    const { fake, hub } = await setup();
    const session = await hub.update({ status: 'working', task: 'refactor' });
    expect(session).toMatchObject({ status: 'working', task: 'refactor' });
    expect(hub.session).toBe(session);
    fake.dropAll();
    await fake.waitFor(() => fake.hellos[1], 'second hello');
    expect(fake.hellos[1]?.session).toMatchObject({ id: 'agent-1', name: 'tester', status: 'working', task: 'refactor' });
  });
});

describe('error event', () => {
  it('reports error frames without rid, invalid frames and failed async onMessage handlers', async () => {
    const { fake, hub } = await setup();
    const errors: HubError[] = [];
    hub.on('error', (e) => errors.push(e));
    hub.onMessage(z.string(), async () => {
      throw new Error('handler broke');
    });
    const socket = fake.sockets[0]!;
    fake.send(socket, { type: 'error', code: 'rate_limited', message: 'slow down' });
    socket.send('not json');
    socket.send(JSON.stringify({ type: 'message', msgId: 1 }));
    fake.send(socket, { type: 'message', msgId: 'x', from: 'a', kind: 'message', body: 'hi', ts: 1 });
    await vi.waitFor(() => expect(errors).toHaveLength(4), { timeout: 2000 });
    expect(errors.map((e) => e.code)).toEqual(['rate_limited', 'internal', 'internal', 'internal']);
    expect((errors[3]?.cause as Error).message).toBe('handler broke');
    expect(hub.state).toBe('connected');
  });
});

describe('hub.request', () => {
  /** Answers kind 'request' sends as `peer` would; `early` sends the response before the ok. */
  function peer(fake: FakeHub, answer: (body: unknown) => unknown, early: boolean) {
    let n = 0;
    fake.respond = (frame, socket) => {
      if (frame.type !== 'send' || frame.kind !== 'request' || !frame.rid) return false;
      const msgId = `req-${++n}`;
      const response: ServerFrame = {
        type: 'message', msgId: `resp-${n}`, from: frame.to, kind: 'response', body: answer(frame.body) as never, replyTo: msgId, ts: 1,
      };
      const ok: ServerFrame = { type: 'ok', rid: frame.rid, msgId };
      for (const f of early ? [response, ok] : [ok, response]) fake.send(socket, f);
      return true;
    };
  }

  it('resolves with the matching response, also when it arrives before the ok', async () => {
    for (const early of [false, true]) {
      const { fake, hub } = await setup();
      peer(fake, (body) => ({ echo: body }), early);
      const messages: unknown[] = [];
      hub.on('message', (m) => messages.push(m));
      const response = await hub.request('other', 'hi', { timeoutMs: 1000 });
      expect(response).toMatchObject({ kind: 'response', from: 'other', body: { echo: 'hi' }, replyTo: 'req-1' });
      expect(fake.frames('send')[0]).toMatchObject({ kind: 'request', to: 'other' });
      expect(messages).toEqual([]);
    }
  });

  it('validates the response body with a schema', async () => {
    const { fake, hub } = await setup();
    peer(fake, (body) => (body === 'good' ? { total: 3 } : { total: 'three' }), true);
    const Answer = z.object({ total: z.number() });
    const response = await hub.request('other', 'good', { schema: Answer });
    const total: number = response.body.total;
    expect(total).toBe(3);
    await expect(hub.request('other', 'bad', { schema: Answer })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('rejects with timeout when no response comes, and not_found when the peer is offline', async () => {
    const { fake, hub } = await setup();
    await expect(hub.request('other', 'hi', { timeoutMs: 100 })).rejects.toMatchObject({ code: 'timeout' });
    fake.respond = (frame, socket) => {
      if (frame.type !== 'send' || !frame.rid) return false;
      fake.send(socket, { type: 'error', rid: frame.rid, code: 'not_found', message: 'session "gone" is not online' });
      return true;
    };
    await expect(hub.request('gone', 'hi')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('reply() answers in kind response, to the sender, in the same thread', async () => {
    const { fake, hub } = await setup();
    const incoming = nextEvent(hub, 'message');
    fake.send(fake.sockets[0]!, { type: 'message', msgId: 'q1', from: 'boss', kind: 'request', body: 'do it', thread: 'th', ts: 1 });
    await hub.reply(await incoming, 'done');
    expect(fake.frames('send')[0]).toMatchObject({ to: 'boss', kind: 'response', replyTo: 'q1', thread: 'th', body: 'done' });
  });
});

describe('onMessage', () => {
  it('hands only bodies that fit the schema to the typed handler', async () => {
    const { fake, hub } = await setup();
    const Task = z.object({ task: z.string() });
    const got: string[] = [];
    hub.onMessage(Task, (body, message) => void got.push(`${body.task}/${message.from}`));
    const all = nextEvent(hub, 'message', (m) => m.msgId === '3');
    const socket = fake.sockets[0]!;
    fake.send(socket, { type: 'message', msgId: '1', from: 'a', kind: 'message', body: { task: 'x' }, ts: 1 });
    fake.send(socket, { type: 'message', msgId: '2', from: 'b', kind: 'message', body: { other: true }, ts: 1 });
    fake.send(socket, { type: 'message', msgId: '3', from: 'c', kind: 'message', body: { task: 'y' }, ts: 1 });
    await all;
    expect(got).toEqual(['x/a', 'y/c']);
  });
});

describe('reconnect', () => {
  it('re-hellos with the same id after a drop and re-arms presence and memory watches', async () => {
    const { fake, hub } = await setup();
    const states: string[] = [];
    hub.on('state', ({ newState, oldState }) => states.push(`${oldState}->${newState}`));
    const changes: string[] = [];
    await hub.memory.watch('tasks/', (frame) => changes.push(`${frame.op}:${frame.key}`));
    const snapshots: number[] = [];
    const presence: string[] = [];
    await hub.watchPresence((frame) => presence.push(`${frame.event}:${frame.session.id}`), {
      onSnapshot: (sessions) => snapshots.push(sessions.length),
    });
    expect(snapshots).toEqual([1]);

    fake.dropAll();
    await reachState(hub, 'reconnecting');
    await reachState(hub, 'connected');
    expect(states).toEqual(['connected->reconnecting', 'reconnecting->connected']);
    expect(fake.hellos).toHaveLength(2);
    expect(fake.hellos[1]?.session.id).toBe('agent-1');
    expect(hub.id).toBe('agent-1');

    await fake.waitFor(() => fake.frames('memory.watch', 1).length === 1 && fake.frames('presence.watch', 1).length === 1, 're-armed watches');
    expect(fake.frames('memory.watch', 1)[0]?.prefix).toBe('tasks/');
    await vi.waitFor(() => expect(snapshots).toEqual([1, 1]), { timeout: 2000 });

    const socket = fake.sockets[1]!;
    const memoryEvent = nextEvent(hub, 'memory');
    const presenceEvent = nextEvent(hub, 'presence');
    fake.send(socket, { type: 'memory.changed', op: 'set', key: 'tasks/1', version: 2, by: 'other' });
    fake.send(socket, { type: 'memory.changed', op: 'set', key: 'notes/1', version: 1, by: 'other' });
    fake.send(socket, { type: 'presence', event: 'join', session: makeSession('newbie', { name: 'n' }) });
    await Promise.all([memoryEvent, presenceEvent]);
    await fake.waitFor(() => changes.length + presence.length >= 2, 'watch callbacks');
    expect(changes).toEqual(['set:tasks/1']);
    expect(presence).toEqual(['join:newbie']);
  });

  it('a request made while reconnecting is sent and answered after the reconnect', async () => {
    let held: (() => void) | undefined;
    const { fake, hub } = await setup({}, (fake) => {
      fake.onHello = (hello, socket, conn) => {
        if (conn === 0) return fake.welcome(socket, hello);
        held = () => fake.welcome(socket, hello);
      };
    });
    fake.dropAll();
    await reachState(hub, 'reconnecting');
    const get = hub.memory.get('k');
    const send = hub.send('other', 'queued');
    await fake.waitFor(() => held, 'second hello');
    expect(fake.frames('memory.get')).toEqual([]);
    held!();
    await expect(get).resolves.toBeNull();
    await expect(send).resolves.toMatchObject({ msgId: expect.any(String) });
    expect(fake.frames('memory.get', 1)).toHaveLength(1);
    expect(fake.frames('send', 1)).toHaveLength(1);
  });

  it('fails a written send with unavailable when the socket drops, but re-sends a written get', async () => {
    const { fake, hub } = await setup({}, (fake) => {
      fake.respond = (frame, socket) => (frame.type === 'send' || frame.type === 'memory.get') && socket === fake.sockets[0];
    });
    const send = hub.send('other', 1).catch((e: unknown) => e);
    const get = hub.memory.get('k');
    await fake.waitFor(() => fake.frames('send', 0).length && fake.frames('memory.get', 0).length, 'written requests');
    fake.dropAll();
    expect(await send).toMatchObject({ code: 'unavailable', retryable: true });
    await expect(get).resolves.toBeNull();
    expect(fake.frames('memory.get', 1)).toHaveLength(1);
    expect(fake.frames('send', 1)).toHaveLength(0);
  });

  it('retries 4409 (session id still held) during a reconnect', async () => {
    const { fake, hub } = await setup({}, (fake) => {
      fake.onHello = (hello, socket, conn) => (conn === 1 ? socket.close(4409, 'in use') : fake.welcome(socket, hello));
    });
    fake.dropAll();
    await reachState(hub, 'reconnecting');
    await reachState(hub, 'connected');
    expect(fake.hellos).toHaveLength(3);
    expect(fake.hellos.map((h) => h.session.id)).toEqual([undefined, 'agent-1', 'agent-1']);
  });

  it('ends the session on a fatal close during a reconnect', async () => {
    const { fake, hub } = await setup({}, (fake) => {
      fake.onHello = (hello, socket, conn) => (conn === 1 ? socket.close(4401, 'token revoked') : fake.welcome(socket, hello));
      fake.respond = (frame) => frame.type === 'memory.search';
    });
    const error = nextEvent(hub, 'error');
    const pending = hub.memory.search().catch((e: unknown) => e);
    fake.dropAll();
    expect(await error).toMatchObject({ code: 'unauthorized' });
    await reachState(hub, 'closed');
    expect(await pending).toMatchObject({ code: 'unavailable' });
    await expect(hub.ping()).rejects.toMatchObject({ code: 'unavailable' });
    expect(fake.hellos).toHaveLength(2);
  });

  it('with reconnect: false, a drop closes the hub', async () => {
    const { fake, hub } = await setup({ reconnect: false });
    fake.dropAll();
    await reachState(hub, 'closed');
    expect(fake.hellos).toHaveLength(1);
  });

  it('on drain, waits about reconnectMs before reconnecting', async () => {
    const { fake, hub } = await setup();
    const drainedAt = Date.now();
    fake.send(fake.sockets[0]!, { type: 'drain', reconnectMs: 200 });
    fake.sockets[0]!.close(1001, 'hub shutting down');
    await reachState(hub, 'reconnecting');
    await reachState(hub, 'connected');
    expect(Date.now() - drainedAt).toBeGreaterThanOrEqual(100);
    expect(fake.hellos[1]?.session.id).toBe('agent-1');
  });

  it('on drain, leaves by itself when the hub keeps the socket open', async () => {
    const { fake, hub } = await setup();
    fake.send(fake.sockets[0]!, { type: 'drain', reconnectMs: 40 });
    await fake.waitFor(() => fake.hellos.length === 2, 'hello after drain');
    await reachState(hub, 'connected');
  });

  it('keeps an idle socket whose hub answers pings', async () => {
    const { fake, hub } = await setup({}, (fake) => {
      fake.heartbeatMs = 50;
    });
    await fake.waitFor(() => fake.frames('ping', 0).length >= 10, '10 liveness pings');
    expect(fake.hellos).toHaveLength(1);
    expect(hub.state).toBe('connected');
  });

  it('drops a socket on which the hub stays silent and reconnects', async () => {
    const { fake, hub } = await setup({}, (fake) => {
      fake.heartbeatMs = 50;
      fake.respond = (frame) => frame.type === 'ping';
    });
    await fake.waitFor(() => fake.frames('ping', 0).length > 0, 'liveness ping');
    await fake.waitFor(() => fake.hellos.length === 2, 'reconnect after silence');
    await reachState(hub, 'connected');
  });
});

describe('memory watches', () => {
  it('share one memory.watch per prefix and unwatch when the last watcher goes', async () => {
    const { fake, hub } = await setup();
    const a: string[] = [];
    const b: string[] = [];
    const offA = await hub.memory.watch('p/', (f) => a.push(f.key));
    const offB = await hub.memory.watch('p/', (f) => b.push(f.key));
    expect(fake.frames('memory.watch')).toHaveLength(1);
    const delivered = nextEvent(hub, 'memory');
    fake.send(fake.sockets[0]!, { type: 'memory.changed', op: 'delete', key: 'p/x', version: 2 });
    await delivered;
    expect(a).toEqual(['p/x']);
    expect(b).toEqual(['p/x']);
    offA();
    offA();
    expect(fake.frames('memory.unwatch')).toHaveLength(0);
    offB();
    await fake.waitFor(() => fake.frames('memory.unwatch').length === 1, 'memory.unwatch');
    expect(fake.frames('memory.unwatch')[0]?.prefix).toBe('p/');
  });

  it('presence watchers share one presence.watch and unwatch when the last goes', async () => {
    const { fake, hub } = await setup();
    const offA = await hub.watchPresence(() => {});
    const second: number[] = [];
    const offB = await hub.watchPresence(() => {}, { onSnapshot: (s) => second.push(s.length) });
    expect(second).toEqual([1]);
    expect(fake.frames('presence.watch')).toHaveLength(1);
    offA();
    offB();
    await fake.waitFor(() => fake.frames('presence.unwatch').length === 1, 'presence.unwatch');
  });
});

describe('watchTasks', () => {
  it('hands over the snapshot and every task.changed, re-arms after a reconnect, and unwatches when the last watcher goes', async () => {
    const { fake, hub } = await setup();
    const snapshots: string[][] = [];
    const changes: string[] = [];
    const offA = await hub.watchTasks((task) => changes.push(`${task.id}:${task.state}`), {
      onSnapshot: (tasks) => snapshots.push(tasks.map((t) => t.id)),
    });
    expect(snapshots).toEqual([['t1']]);
    const offB = await hub.watchTasks(() => {});
    expect(fake.frames('tasks.watch')).toHaveLength(1);

    fake.send(fake.sockets[0]!, { type: 'task.changed', task: makeTask('t1', 'accepted') });
    await vi.waitFor(() => expect(changes).toEqual(['t1:accepted']), { timeout: 2000 });

    fake.dropAll();
    await reachState(hub, 'reconnecting');
    await reachState(hub, 'connected');
    await fake.waitFor(() => fake.frames('tasks.watch', 1).length === 1, 're-armed task watch');
    await vi.waitFor(() => expect(snapshots).toEqual([['t1'], ['t1']]), { timeout: 2000 });

    offA();
    expect(fake.frames('tasks.unwatch', 1)).toHaveLength(0);
    offB();
    await fake.waitFor(() => fake.frames('tasks.unwatch', 1).length === 1, 'tasks.unwatch');
  });
});

describe('close', () => {
  it('says bye, ends in closed, and rejects what is pending with unavailable', async () => {
    const { fake, hub } = await setup({}, (fake) => {
      fake.respond = (frame) => frame.type === 'memory.get';
    });
    const pending = hub.memory.get('k').catch((e: unknown) => e);
    await fake.waitFor(() => fake.frames('memory.get').length, 'memory.get');
    const closed = reachState(hub, 'closed');
    await hub.close();
    await closed;
    expect(fake.frames('bye')).toHaveLength(1);
    expect(await pending).toMatchObject({ code: 'unavailable' });
    await expect(hub.send('x', 1)).rejects.toMatchObject({ code: 'unavailable' });
    expect(fake.hellos).toHaveLength(1);
  });
});
