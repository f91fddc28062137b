// Handlers for lock.* requests (spread into `handlers`). A waiting acquire is tied to its socket:
// when the socket closes the wait ends, and a grant that arrives too late to be answered is
// released at once, since nobody received its token.
import { setMaxListeners } from 'node:events';
import type { ClientFrameOf } from '@switchboard/protocol';
import type { Connection } from './connection.js';
import { fail } from './failure.js';
import type { Failure } from './failure.js';

type LockFrameType = 'lock.acquire' | 'lock.renew' | 'lock.release' | 'lock.list';
type LockHandlers = {
  [T in LockFrameType]: (conn: Connection, frame: ClientFrameOf<T>) => Promise<Record<string, unknown> | Failure>;
};

export const lockHandlers: LockHandlers = {
  async 'lock.acquire'(conn, frame) {
    const { name, ttlMs } = frame;
    const waitMs = frame.wait === true ? Infinity : typeof frame.wait === 'number' && frame.wait > 0 ? frame.wait : undefined;
    const locks = conn.hub.engine.locks;
    const socketGone = closedSignal(conn);
    const result = await locks.acquire(conn.ns, { name, holder: conn.id, ttlMs, ...(waitMs !== undefined && { waitMs }) }, socketGone);
    switch (result.outcome) {
      case 'granted':
        if (socketGone.aborted) {
          await locks.release(conn.ns, name, result.lock.token);
          return fail('unavailable', 'the socket closed before the lock could be handed over');
        }
        return { ...result.lock };
      case 'held':
        return fail('conflict', `lock "${name}" is held`);
      case 'timeout':
        return fail('timeout', `lock "${name}" was not granted within ${waitMs} ms`);
      case 'cancelled':
        return fail('unavailable', `the wait for lock "${name}" ended`);
    }
  },

  async 'lock.renew'(conn, frame) {
    const result = await conn.hub.engine.locks.renew(conn.ns, frame.name, frame.token, frame.ttlMs);
    switch (result.outcome) {
      case 'renewed':
        return { ...result.lock };
      case 'held':
        return fail('conflict', `lock "${frame.name}" is held by another token`);
      case 'not_held':
        return fail('not_found', `lock "${frame.name}" is not held`);
    }
  },

  async 'lock.release'(conn, frame) {
    return { released: await conn.hub.engine.locks.release(conn.ns, frame.name, frame.token) };
  },

  async 'lock.list'(conn, frame) {
    return { locks: await conn.hub.engine.locks.list(conn.ns, frame.prefix ?? '') };
  },
};

const closedSignals = new WeakMap<Connection, AbortSignal>();

/** Aborted when the connection's socket closes; one per connection, shared by all its waits. */
function closedSignal(conn: Connection): AbortSignal {
  let signal = closedSignals.get(conn);
  if (!signal) {
    const controller = new AbortController();
    signal = controller.signal;
    setMaxListeners(0, signal);
    if (conn.ws.readyState === conn.ws.CLOSED) controller.abort();
    else conn.ws.once('close', () => controller.abort());
    closedSignals.set(conn, signal);
  }
  return signal;
}

/** The error a memory write gets when a newer grant of its fence's lock exists. */
export function staleFence(fence: { name: string; value: number }, current: number): Failure {
  return fail('conflict', `fence ${fence.value} of lock "${fence.name}" is stale; the current fence is ${current}`, { fence: current });
}
