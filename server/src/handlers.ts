// One small handler per request type. Each gets an already-validated frame and returns its
// result (the fields of `ok`) or a Failure; none of them sees raw input.
import { DEFAULT_SEARCH_LIMIT } from '@switchboard/protocol';
import type { ClientFrameOf, ClientFrameType, Message } from '@switchboard/protocol';
import type { Connection } from './connection.js';
import { deniedCapability, ownerOf } from './auth.js';
import { fail } from './failure.js';
import type { Failure } from './failure.js';
import { lockHandlers, staleFence } from './handlers-locks.js';
import { taskHandlers } from './handlers-tasks.js';

type Result = Record<string, unknown>;
type Handler<T extends ClientFrameType> = (conn: Connection, frame: ClientFrameOf<T>) => Promise<Result | Failure>;
type Handlers = { [T in Exclude<ClientFrameType, 'hello' | 'ping' | 'ack' | 'bye'>]: Handler<T> };

export const handlers: Handlers = {
  async update(conn, frame) {
    const { type: _t, rid: _r, ...patch } = frame;
    const denied = conn.principal && deniedCapability(conn.principal, frame.capabilities);
    if (denied) return fail('forbidden', `the token does not grant capability "${denied}"`);
    const session = await conn.hub.engine.update(conn.ns, conn.id, patch);
    if (!session) return fail('not_found', 'session is no longer registered');
    conn.session = session;
    return { session };
  },

  async 'sessions.list'(conn, frame) {
    const sessions = await conn.hub.engine.sessions(conn.ns, definedFilter(frame));
    return { sessions };
  },

  async 'presence.watch'(conn) {
    conn.hub.watchPresence(conn, true);
    return { sessions: await conn.hub.engine.sessions(conn.ns) };
  },

  async 'presence.unwatch'(conn) {
    conn.hub.watchPresence(conn, false);
    return {};
  },

  async send(conn, frame) {
    const message = conn.hub.message(conn.id, frame);
    const result = await conn.hub.engine.send(conn.ns, frame.to, message, frame.idempotencyKey);
    switch (result.status) {
      case 'not_found':
        return fail('not_found', `session "${frame.to}" is not online`);
      case 'duplicate':
        return { msgId: result.msgId, duplicate: true };
      case 'queued':
        return { msgId: result.msgId, seq: result.seq, queued: true };
      case 'delivered':
        return { msgId: result.msgId, seq: result.seq };
    }
  },

  async broadcast(conn, frame) {
    const message: Message = { ...conn.hub.message(conn.id, frame), broadcast: true };
    const filter = frame.capability ? { exclude: conn.id, capability: frame.capability } : { exclude: conn.id };
    const recipients = await conn.hub.engine.broadcast(conn.ns, message, filter);
    return { msgId: message.msgId, recipients };
  },

  async 'memory.set'(conn, frame) {
    const { maxValueBytes } = conn.hub.limits;
    const bytes = Buffer.byteLength(JSON.stringify(frame.value));
    if (bytes > maxValueBytes) return fail('too_large', `value is ${bytes} bytes; the limit is ${maxValueBytes}`);
    const result = await conn.hub.engine.memorySet(conn.ns, {
      key: frame.key,
      value: frame.value,
      kind: frame.kind,
      tags: frame.tags,
      ttlMs: frame.ttlMs,
      ifVersion: frame.ifVersion,
      fence: frame.fence,
      author: conn.id,
      owner: ownerOf(conn.principal!),
      now: Date.now(),
    });
    if (result.conflict && result.fence !== undefined && frame.fence) return staleFence(frame.fence, result.fence);
    if (result.conflict) return conflict(frame.key, result.version);
    if (result.full) return fail('limit_exceeded', `the namespace holds ${result.maxKeys} keys, its limit; delete some before adding new ones`);
    return { entry: result.entry };
  },

  async 'memory.get'(conn, frame) {
    return { entry: await conn.hub.engine.memoryGet(conn.ns, frame.key, Date.now()) };
  },

  async 'memory.delete'(conn, frame) {
    // An agent deletes only what it (this session, or its token's subject) wrote last; an admin deletes anything.
    const only = conn.role === 'admin' ? undefined : { author: conn.id, owner: ownerOf(conn.principal!) };
    const result = await conn.hub.engine.memoryDelete(conn.ns, frame.key, frame.ifVersion, conn.id, only);
    if (result.conflict) return conflict(frame.key, result.version);
    if (result.notAuthor) return fail('forbidden', `"${frame.key}" was written by another session; only its author or an admin may delete it`);
    return { deleted: result.deleted };
  },

  async 'session.kick'(conn, frame) {
    if (frame.sessionId === conn.id) return fail('bad_request', 'a session cannot kick itself; send bye');
    if (!(await conn.hub.engine.kickSession(conn.ns, frame.sessionId))) return fail('not_found', `session "${frame.sessionId}" is not online`);
    return {};
  },

  async 'memory.search'(conn, frame) {
    const { type: _t, rid: _r, limit, ...query } = frame;
    return conn.hub.engine.memorySearch(conn.ns, { ...query, limit: limit ?? DEFAULT_SEARCH_LIMIT }, Date.now());
  },

  async 'memory.watch'(conn, frame) {
    const { maxWatches } = conn.hub.options;
    if (!conn.memoryPrefixes.has(frame.prefix) && conn.memoryPrefixes.size >= maxWatches) {
      return fail('limit_exceeded', `this session watches ${maxWatches} prefixes, its limit; unwatch one first`);
    }
    conn.memoryPrefixes.add(frame.prefix);
    conn.hub.watchMemory(conn);
    return {};
  },

  async 'memory.unwatch'(conn, frame) {
    conn.memoryPrefixes.delete(frame.prefix);
    conn.hub.watchMemory(conn);
    return {};
  },

  ...lockHandlers,
  ...taskHandlers,
};

function conflict(key: string, version: number): Failure {
  return fail('conflict', `version of "${key}" is ${version}`, { version });
}

function definedFilter(frame: ClientFrameOf<'sessions.list'>) {
  return {
    ...(frame.capability !== undefined && { capability: frame.capability }),
    ...(frame.status !== undefined && { status: frame.status }),
  };
}
