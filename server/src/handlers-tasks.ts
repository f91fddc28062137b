// Handlers for handoff and the task.* requests (spread into `handlers`). The engine's TaskStore
// does the work and delivers task.offer / task.update through the inboxes; a handler only turns
// its outcome into `ok {task}` or an error. tasks.watch registers the socket with the hub, which
// fans every task.changed of the namespace out to it.
import { DEFAULT_ACCEPT_MS } from '@switchboard/protocol';
import type { ClientFrameOf, Task } from '@switchboard/protocol';
import type { Connection } from './connection.js';
import type { TaskAction, TaskResult } from './engine/tasks.js';
import { fail } from './failure.js';
import type { Failure } from './failure.js';

type TaskFrameType = 'handoff' | 'task.accept' | 'task.decline' | 'task.complete' | 'task.fail' | 'task.cancel' | 'task.get' | 'tasks.list' | 'tasks.watch' | 'tasks.unwatch';
type TaskHandlers = {
  [T in TaskFrameType]: (conn: Connection, frame: ClientFrameOf<T>) => Promise<Record<string, unknown> | Failure>;
};

export const taskHandlers: TaskHandlers = {
  async handoff(conn, frame) {
    const { hub } = conn;
    const { maxValueBytes } = hub.limits;
    const bytes = Buffer.byteLength(JSON.stringify(frame.task));
    if (bytes > maxValueBytes) return fail('too_large', `task is ${bytes} bytes; the limit is ${maxValueBytes}`);
    const result = await hub.engine.tasks.handoff(conn.ns, {
      id: hub.newId(),
      from: conn.id,
      ...(frame.to !== undefined && { to: frame.to }),
      ...(frame.capability !== undefined && { capability: frame.capability }),
      title: frame.task.title,
      body: frame.task.body ?? null,
      context: frame.task.context ?? null,
      acceptMs: frame.acceptMs ?? DEFAULT_ACCEPT_MS,
      ...(frame.idempotencyKey !== undefined && { idempotencyKey: frame.idempotencyKey }),
      idempotencyMs: hub.options.idempotencyMs,
    });
    switch (result.outcome) {
      case 'not_found':
        return fail('not_found', `session "${frame.to}" is not online`);
      case 'duplicate':
        return { task: result.task, duplicate: true };
      case 'created':
        return { task: result.task };
    }
  },

  'task.accept': (conn, frame) => act(conn, frame.taskId, { type: 'accept' }),
  'task.decline': (conn, frame) => act(conn, frame.taskId, frame.reason === undefined ? { type: 'decline' } : { type: 'decline', reason: frame.reason }),
  'task.complete': (conn, frame) => act(conn, frame.taskId, frame.result === undefined ? { type: 'complete' } : { type: 'complete', result: frame.result }),
  'task.fail': (conn, frame) => act(conn, frame.taskId, { type: 'fail', error: frame.error }),
  'task.cancel': (conn, frame) => act(conn, frame.taskId, { type: 'cancel' }),

  async 'task.get'(conn, frame) {
    const task = await conn.hub.engine.tasks.get(conn.ns, frame.taskId);
    return task ? { task } : notFound(frame.taskId);
  },

  async 'tasks.list'(conn, frame) {
    return { tasks: await conn.hub.engine.tasks.list(conn.ns, conn.id, frame.role, frame.state) };
  },

  // Watching starts before the snapshot is read, so no change falls between the two (one may
  // repeat what the snapshot shows; clients keep the longer history).
  async 'tasks.watch'(conn) {
    conn.hub.watchTasks(conn, true);
    try {
      return { tasks: await conn.hub.engine.tasks.watchList(conn.ns) };
    } catch (err) {
      conn.hub.watchTasks(conn, false);
      throw err;
    }
  },

  async 'tasks.unwatch'(conn) {
    conn.hub.watchTasks(conn, false);
    return {};
  },
};

async function act(conn: Connection, taskId: string, action: TaskAction): Promise<Record<string, unknown> | Failure> {
  const result: TaskResult = await conn.hub.engine.tasks.act(conn.ns, taskId, conn.id, action);
  switch (result.outcome) {
    case 'ok':
      return { task: result.task };
    case 'not_found':
      return notFound(taskId);
    case 'forbidden':
      return fail('forbidden', forbidden(action, result.task));
    case 'conflict':
      return fail('conflict', conflict(action, conn.id, result.task));
  }
}

function notFound(taskId: string): Failure {
  return fail('not_found', `task "${taskId}" does not exist`);
}

function forbidden(action: TaskAction, task: Task): string {
  return action.type === 'cancel' ? `only its creator (${task.from}) may cancel task "${task.id}"` : `task "${task.id}" is not assigned to you`;
}

function conflict(action: TaskAction, me: string, task: Task): string {
  if ((action.type === 'accept' || action.type === 'decline') && task.state === 'offered') return `task "${task.id}" is not offered to you`;
  if (task.state === 'accepted' && action.type === 'accept' && task.assignee === me) return `you already accepted task "${task.id}"`;
  return `task "${task.id}" is ${task.state}`;
}
