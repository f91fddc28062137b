// hub.memory: the shared key/value memory, and prefix watches shared by local callbacks so that
// one memory.watch on the wire serves every watcher of a prefix.
import type { ClientFrameOf, Entry, JsonValue, MemoryChanged } from '@switchboard/protocol';
import { callSafely } from './emitter.js';
import type { Listener } from './emitter.js';
import type { HubError } from './errors.js';
import type { RequestFn } from './requests.js';

export type SetOptions = Pick<ClientFrameOf<'memory.set'>, 'kind' | 'tags' | 'ttlMs' | 'ifVersion' | 'fence'>;
export type DeleteOptions = Pick<ClientFrameOf<'memory.delete'>, 'ifVersion'>;
export type SearchQuery = Omit<ClientFrameOf<'memory.search'>, 'type' | 'rid'>;
export interface SearchPage {
  entries: Entry[];
  /** Pass as `cursor` for the next page; null on the last page. */
  cursor: string | null;
}

interface Arm {
  done: Promise<void>;
  settled: boolean;
}

export interface MemoryDeps {
  request: RequestFn;
  isConnected(): boolean;
  /** Where failures nobody awaits go (the hub's `error` event). */
  report(error: HubError): void;
}

export class Memory {
  readonly #deps: MemoryDeps;
  readonly #watchers = new Map<string, Set<Listener<MemoryChanged>>>();
  readonly #arms = new Map<string, Arm>();

  constructor(deps: MemoryDeps) {
    this.#deps = deps;
  }

  /**
   * Writes `value` under `key`; with `ifVersion`, only if the stored version is that (0: absent), else HubError 'conflict'.
   * With `fence: { name, value }` (a lock's name and fence), only if no newer grant of that lock exists, else
   * HubError 'conflict' with `error.fence` = the current fence.
   */
  async set(key: string, value: JsonValue, options: SetOptions = {}): Promise<Entry> {
    return (await this.#deps.request('memory.set', { key, value, ...options })).entry;
  }

  /** The entry under `key`, or null. */
  async get(key: string): Promise<Entry | null> {
    return (await this.#deps.request('memory.get', { key })).entry;
  }

  /** Removes `key`; resolves false when there was nothing to remove. */
  async delete(key: string, options: DeleteOptions = {}): Promise<boolean> {
    return (await this.#deps.request('memory.delete', { key, ...options })).deleted;
  }

  async search(query: SearchQuery = {}): Promise<SearchPage> {
    const { entries, cursor } = await this.#deps.request('memory.search', query);
    return { entries, cursor };
  }

  /**
   * Calls `callback` with every memory.changed under `prefix` ('' is everything). Resolves once
   * the hub confirms the watch, with the function that ends it; the watch survives reconnects.
   */
  async watch(prefix: string, callback: Listener<MemoryChanged>): Promise<() => void> {
    let callbacks = this.#watchers.get(prefix);
    if (!callbacks) this.#watchers.set(prefix, (callbacks = new Set()));
    // A fresh wrapper, so the same function may watch twice and be unwatched once per watch.
    const entry: Listener<MemoryChanged> = (frame) => callback(frame);
    callbacks.add(entry);
    let arm = this.#arms.get(prefix);
    if (!arm) this.#arms.set(prefix, (arm = this.#arm(prefix)));
    try {
      await arm.done;
    } catch (err) {
      this.#remove(prefix, entry);
      throw err;
    }
    let active = true;
    return () => {
      if (active) this.#remove(prefix, entry);
      active = false;
    };
  }

  /** Routes a memory.changed frame to the watchers of every prefix of its key. */
  dispatch(frame: MemoryChanged): void {
    for (const [prefix, callbacks] of this.#watchers) {
      if (!frame.key.startsWith(prefix)) continue;
      for (const callback of [...callbacks]) callSafely(callback, frame);
    }
  }

  /** After a reconnect: watch every prefix again, except those whose first watch is still queued. */
  rearm(): void {
    for (const prefix of this.#watchers.keys()) {
      if (this.#arms.get(prefix)?.settled === false) continue;
      const arm = this.#arm(prefix);
      this.#arms.set(prefix, arm);
      arm.done.catch((err: HubError) => this.#deps.report(err));
    }
  }

  #arm(prefix: string): Arm {
    const arm: Arm = { settled: false, done: Promise.resolve() };
    arm.done = this.#deps.request('memory.watch', { prefix }).then(
      () => void (arm.settled = true),
      (err: unknown) => {
        arm.settled = true;
        if (this.#arms.get(prefix) === arm) this.#arms.delete(prefix);
        throw err;
      },
    );
    return arm;
  }

  #remove(prefix: string, entry: Listener<MemoryChanged>): void {
    const callbacks = this.#watchers.get(prefix);
    if (!callbacks?.delete(entry) || callbacks.size > 0) return;
    this.#watchers.delete(prefix);
    const arm = this.#arms.get(prefix);
    this.#arms.delete(prefix);
    if (arm) void this.#unwatch(prefix, arm);
  }

  // Only after the watch itself has settled, so the wire sees watch before unwatch, and only if
  // nobody has watched the prefix again meanwhile.
  async #unwatch(prefix: string, arm: Arm): Promise<void> {
    const armed = await arm.done.then(() => true, () => false);
    if (!armed || this.#watchers.has(prefix) || !this.#deps.isConnected()) return;
    await this.#deps.request('memory.unwatch', { prefix }).catch((err: HubError) => this.#deps.report(err));
  }
}
