// hub.watchTasks: callbacks sharing one tasks.watch on the wire, each told every task of the
// namespace (open ones, and the most recently ended) when it starts and again after every
// reconnect, then every change of any task. task.changed frames are live only (not replayed on
// resume), so the snapshot after a reconnect is what catches a watcher up.
import type { Task, TaskChanged } from '@switchboard/protocol';
import { callSafely } from './emitter.js';
import type { Listener } from './emitter.js';
import type { HubError } from './errors.js';
import type { PresenceDeps } from './presence.js';

export interface WatchTasksOptions {
  /**
   * Called with the hub's snapshot when the watch starts (before the returned promise resolves)
   * and again after each reconnect: every task that has not ended, plus the most recently ended
   * ones (at most 200), newest first. Changes may repeat what it shows: keep, per task id, the
   * version with the longer `history`.
   */
  onSnapshot?: (tasks: Task[]) => void;
}

interface Watcher {
  callback: Listener<Task>;
  onSnapshot: ((tasks: Task[]) => void) | undefined;
}

export class TaskWatch {
  readonly #deps: PresenceDeps;
  readonly #watchers = new Set<Watcher>();
  // The snapshot of the wire watch in flight; watchers that start meanwhile share it.
  #arming: Promise<Task[]> | null = null;
  #armed = false;

  constructor(deps: PresenceDeps) {
    this.#deps = deps;
  }

  async watch(callback: Listener<Task>, options: WatchTasksOptions = {}): Promise<() => void> {
    const watcher: Watcher = { callback, onSnapshot: options.onSnapshot };
    this.#watchers.add(watcher);
    let tasks: Task[] | null;
    try {
      // A watcher that wants a snapshot while the watch already stands asks again (harmless).
      tasks = this.#arming ? await this.#arming : !this.#armed || watcher.onSnapshot ? await this.#arm() : null;
    } catch (err) {
      this.#remove(watcher);
      throw err;
    }
    if (tasks && watcher.onSnapshot) callSafely(watcher.onSnapshot, tasks);
    let active = true;
    return () => {
      if (active) this.#remove(watcher);
      active = false;
    };
  }

  dispatch(frame: TaskChanged): void {
    for (const watcher of [...this.#watchers]) callSafely(watcher.callback, frame.task);
  }

  /** After a reconnect: watch again and hand every watcher the fresh snapshot. */
  rearm(): void {
    if (this.#watchers.size === 0 || this.#arming) return;
    this.#arm().then(
      (tasks) => {
        for (const watcher of [...this.#watchers]) if (watcher.onSnapshot) callSafely(watcher.onSnapshot, tasks);
      },
      (err: HubError) => this.#deps.report(err),
    );
  }

  #arm(): Promise<Task[]> {
    const arming = this.#deps.request('tasks.watch', {}).then(
      ({ tasks }) => {
        this.#armed = true;
        return tasks;
      },
      (err: unknown) => {
        this.#armed = false;
        throw err;
      },
    );
    this.#arming = arming;
    const clear = () => {
      if (this.#arming === arming) this.#arming = null;
    };
    arming.then(clear, clear);
    return arming;
  }

  #remove(watcher: Watcher): void {
    if (!this.#watchers.delete(watcher) || this.#watchers.size > 0) return;
    void this.#unwatch();
  }

  // After any watch in flight, so the wire sees watch before unwatch.
  async #unwatch(): Promise<void> {
    await this.#arming?.catch(() => undefined);
    if (this.#watchers.size > 0 || !this.#armed) return;
    this.#armed = false;
    if (!this.#deps.isConnected()) return;
    await this.#deps.request('tasks.unwatch', {}).catch((err: HubError) => this.#deps.report(err));
  }
}
