// hub.watchTasks: callbacks sharing one tasks.watch on the wire, each told every task of the
// namespace (open ones, and the most recently ended) when it starts and again after every
// reconnect, then every change of any task. task.changed frames are live only (not replayed on
// resume), so the snapshot after a reconnect is what catches a watcher up.
import type { Task } from '@switchboard/protocol';
import { SharedWatch } from './shared-watch.js';
import type { WatchDeps, WatchOptions } from './shared-watch.js';

/**
 * `onSnapshot`: every task that has not ended, plus the most recently ended ones (at most 200),
 * newest first. Changes may repeat what it shows: keep, per task id, the version with the longer
 * `history`.
 */
export type WatchTasksOptions = WatchOptions<Task>;

export function taskWatch(deps: WatchDeps): SharedWatch<Task, Task> {
  const arm = async (request: WatchDeps['request']) => (await request('tasks.watch', {})).tasks;
  return new SharedWatch<Task, Task>(deps, {
    arm,
    // There is no separate list of the namespace's tasks: watching again is harmless and answers one.
    snapshot: arm,
    disarm: (request) => request('tasks.unwatch', {}),
  });
}
