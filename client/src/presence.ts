// hub.watchPresence: presence callbacks sharing one presence.watch on the wire, each told the
// list of sessions when it starts and again after every reconnect.
import type { Presence, Session } from '@switchboard/protocol';
import { callSafely } from './emitter.js';
import type { Listener } from './emitter.js';
import type { HubError } from './errors.js';
import type { RequestFn } from './requests.js';

export interface WatchPresenceOptions {
  /**
   * Called with every session the hub knows when the watch starts (before the returned promise
   * resolves) and again after each reconnect, since leaves may have been missed while offline.
   */
  onSnapshot?: (sessions: Session[]) => void;
}

interface Watcher {
  callback: Listener<Presence>;
  onSnapshot: ((sessions: Session[]) => void) | undefined;
}

export interface PresenceDeps {
  request: RequestFn;
  isConnected(): boolean;
  report(error: HubError): void;
}

export class PresenceWatch {
  readonly #deps: PresenceDeps;
  readonly #watchers = new Set<Watcher>();
  // The snapshot of the wire watch in flight; watchers that start meanwhile share it.
  #arming: Promise<Session[]> | null = null;
  #armed = false;

  constructor(deps: PresenceDeps) {
    this.#deps = deps;
  }

  async watch(callback: Listener<Presence>, options: WatchPresenceOptions = {}): Promise<() => void> {
    const watcher: Watcher = { callback, onSnapshot: options.onSnapshot };
    this.#watchers.add(watcher);
    let sessions: Session[] | null;
    try {
      sessions = await this.#snapshot(watcher);
    } catch (err) {
      this.#remove(watcher);
      throw err;
    }
    if (sessions && watcher.onSnapshot) callSafely(watcher.onSnapshot, sessions);
    let active = true;
    return () => {
      if (active) this.#remove(watcher);
      active = false;
    };
  }

  dispatch(frame: Presence): void {
    for (const watcher of [...this.#watchers]) callSafely(watcher.callback, frame);
  }

  /** After a reconnect: watch again and hand every watcher the fresh snapshot. */
  rearm(): void {
    if (this.#watchers.size === 0 || this.#arming) return;
    this.#arm().then(
      (sessions) => {
        for (const watcher of [...this.#watchers]) if (watcher.onSnapshot) callSafely(watcher.onSnapshot, sessions);
      },
      (err: HubError) => this.#deps.report(err),
    );
  }

  // null when the watcher needs no snapshot and the wire watch is already in place.
  async #snapshot(watcher: Watcher): Promise<Session[] | null> {
    if (this.#arming) return this.#arming;
    if (!this.#armed) return this.#arm();
    if (!watcher.onSnapshot) return null;
    return (await this.#deps.request('sessions.list', {})).sessions;
  }

  #arm(): Promise<Session[]> {
    const arming = this.#deps.request('presence.watch', {}).then(
      ({ sessions }) => {
        this.#armed = true;
        return sessions;
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
    await this.#deps.request('presence.unwatch', {}).catch((err: HubError) => this.#deps.report(err));
  }
}
