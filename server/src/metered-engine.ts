// An Engine that reports how long each call took, without the engines knowing: a Proxy that
// times every method whose result is a promise (its locks and tasks stores too, as `locks.*` and
// `tasks.*`). Everything else (name, sync helpers) passes through untouched.
import { performance } from 'node:perf_hooks';
import type { Engine } from './engine/engine.js';

export type OpTimer = (op: string, seconds: number) => void;

/** The stores inside an engine whose calls are timed under a prefix. */
const STORES = new Set<PropertyKey>(['locks', 'tasks']);

export function meteredEngine(engine: Engine, observe: OpTimer): Engine {
  return metered(engine, '', observe);
}

function metered<T extends object>(target: T, prefix: string, observe: OpTimer): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(obj, prop) {
      const value: unknown = Reflect.get(obj, prop, obj);
      if (typeof prop !== 'string') return value;
      const known = wrapped.get(prop);
      if (known !== undefined) return known;
      let result: unknown = value;
      if (typeof value === 'function') result = timed(value as (...args: unknown[]) => unknown, obj, prefix + prop, observe);
      else if (prefix === '' && STORES.has(prop) && value !== null && typeof value === 'object') result = metered(value, `${prop}.`, observe);
      else return value;
      wrapped.set(prop, result);
      return result;
    },
  });
}

function timed(fn: (...args: unknown[]) => unknown, self: object, op: string, observe: OpTimer): (...args: unknown[]) => unknown {
  return (...args) => {
    const start = performance.now();
    const out = fn.apply(self, args);
    if (!(out instanceof Promise)) return out;
    // A side branch with two inline handlers: the caller keeps the engine's own promise, and this
    // shape measured several times cheaper than chaining or sharing one `done` handler.
    out.then(
      () => observe(op, (performance.now() - start) / 1000),
      () => observe(op, (performance.now() - start) / 1000),
    );
    return out;
  };
}
