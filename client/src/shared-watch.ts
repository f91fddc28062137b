// One watch on the wire shared by many callbacks: the first callback arms it (and gets the
// snapshot the hub answers with), later ones share it, the last one to go disarms it, and after a
// reconnect it is armed again and every callback is handed the fresh snapshot (events missed while
// offline are not replayed). Presence and task watches are both this, with their own frames.
import { callSafely } from './emitter.js';
import type { Listener } from './emitter.js';
import type { HubError } from './errors.js';
import type { RequestFn } from './requests.js';

export interface WatchDeps {
  request: RequestFn;
  isConnected(): boolean;
  report(error: HubError): void;
}

/** How one kind of watch talks to the hub. */
export interface WatchWire<S> {
  /** Arms the watch on the wire; resolves with the hub's snapshot. */
  arm(request: RequestFn): Promise<S[]>;
  /** A snapshot for a callback that joins a watch already armed. */
  snapshot(request: RequestFn): Promise<S[]>;
  disarm(request: RequestFn): Promise<unknown>;
}

export interface WatchOptions<S> {
  /**
   * Called with the snapshot when the watch starts (before the returned promise resolves) and
   * again after each reconnect, since changes may have been missed while offline.
   */
  onSnapshot?: (snapshot: S[]) => void;
}

interface Watcher<E, S> {
  callback: Listener<E>;
  onSnapshot: ((snapshot: S[]) => void) | undefined;
}

export class SharedWatch<E, S> {
  readonly #watchers = new Set<Watcher<E, S>>();
  // The snapshot of the wire watch in flight; watchers that start meanwhile share it.
  #arming: Promise<S[]> | null = null;
  #armed = false;

  constructor(
    private readonly deps: WatchDeps,
    private readonly wire: WatchWire<S>,
  ) {}

  async watch(callback: Listener<E>, options: WatchOptions<S> = {}): Promise<() => void> {
    const watcher: Watcher<E, S> = { callback, onSnapshot: options.onSnapshot };
    this.#watchers.add(watcher);
    let snapshot: S[] | null;
    try {
      snapshot = await this.#snapshot(watcher);
    } catch (err) {
      this.#remove(watcher);
      throw err;
    }
    if (snapshot && watcher.onSnapshot) callSafely(watcher.onSnapshot, snapshot);
    let active = true;
    return () => {
      if (active) this.#remove(watcher);
      active = false;
    };
  }

  dispatch(event: E): void {
    for (const watcher of [...this.#watchers]) callSafely(watcher.callback, event);
  }

  /** After a reconnect: watch again and hand every watcher the fresh snapshot. */
  rearm(): void {
    if (this.#watchers.size === 0 || this.#arming) return;
    this.#arm().then(
      (snapshot) => {
        for (const watcher of [...this.#watchers]) if (watcher.onSnapshot) callSafely(watcher.onSnapshot, snapshot);
      },
      (err: HubError) => this.deps.report(err),
    );
  }

  // null when the watcher needs no snapshot and the wire watch is already in place.
  async #snapshot(watcher: Watcher<E, S>): Promise<S[] | null> {
    if (this.#arming) return this.#arming;
    if (!this.#armed) return this.#arm();
    if (!watcher.onSnapshot) return null;
    return this.wire.snapshot(this.deps.request);
  }

  #arm(): Promise<S[]> {
    const arming = this.wire.arm(this.deps.request).then(
      (snapshot) => {
        this.#armed = true;
        return snapshot;
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

  #remove(watcher: Watcher<E, S>): void {
    if (!this.#watchers.delete(watcher) || this.#watchers.size > 0) return;
    void this.#disarm();
  }

  // After any watch in flight, so the wire sees watch before unwatch.
  async #disarm(): Promise<void> {
    await this.#arming?.catch(() => undefined);
    if (this.#watchers.size > 0 || !this.#armed) return;
    this.#armed = false;
    if (!this.deps.isConnected()) return;
    await this.wire.disarm(this.deps.request).catch((err: HubError) => this.deps.report(err));
  }
}
