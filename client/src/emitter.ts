// A tiny typed event emitter that runs in browsers and Node alike (no 'events' import).

export type Listener<T> = (payload: T) => void;

/** Calls a user callback so that its exception neither stops our loop nor disappears. */
export function callSafely<T>(fn: Listener<T>, payload: T): void {
  try {
    fn(payload);
  } catch (err) {
    // Rethrown outside our stack, like a DOM event listener's error: visible, but our state stays sound.
    queueMicrotask(() => {
      throw err;
    });
  }
}

export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof Events>(event: K, fn: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(fn);
    return () => this.off(event, fn);
  }

  off<K extends keyof Events>(event: K, fn: Listener<Events[K]>): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    set.delete(fn);
    if (set.size === 0) this.#listeners.delete(event);
  }

  /** Adds a listener that is removed after its first call. */
  once<K extends keyof Events>(event: K, fn: Listener<Events[K]>): () => void {
    const off = this.on(event, (payload) => {
      off();
      fn(payload);
    });
    return off;
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    // A copy, so listeners may add or remove listeners while we iterate.
    for (const fn of [...set] as Listener<Events[K]>[]) callSafely(fn, payload);
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0;
  }
}
