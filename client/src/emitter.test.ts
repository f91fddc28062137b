// The typed emitter: subscribe, unsubscribe, once, and safety while listeners change mid-emit.
import { describe, expect, it, vi } from 'vitest';
import { Emitter } from './emitter.js';

interface Events {
  tick: number;
  name: string;
}

describe('Emitter', () => {
  it('delivers payloads to listeners of that event only', () => {
    const emitter = new Emitter<Events>();
    const ticks: number[] = [];
    const names: string[] = [];
    emitter.on('tick', (n) => ticks.push(n));
    emitter.on('name', (s) => names.push(s));
    emitter.emit('tick', 1);
    emitter.emit('name', 'a');
    expect(ticks).toEqual([1]);
    expect(names).toEqual(['a']);
  });

  it('on() returns an unsubscribe function; off() removes too', () => {
    const emitter = new Emitter<Events>();
    const a = vi.fn();
    const b = vi.fn();
    const offA = emitter.on('tick', a);
    emitter.on('tick', b);
    offA();
    emitter.off('tick', b);
    emitter.emit('tick', 1);
    expect(a).not.toHaveBeenCalled();
    expect(b).not.toHaveBeenCalled();
    expect(emitter.listenerCount('tick')).toBe(0);
  });

  it('once() fires a single time', () => {
    const emitter = new Emitter<Events>();
    const fn = vi.fn();
    emitter.once('tick', fn);
    emitter.emit('tick', 1);
    emitter.emit('tick', 2);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledWith(1);
  });

  it('a listener removing another during emit does not break the loop', () => {
    const emitter = new Emitter<Events>();
    const seen: string[] = [];
    let offB: () => void = () => {};
    emitter.on('tick', () => {
      seen.push('a');
      offB();
    });
    offB = emitter.on('tick', () => seen.push('b'));
    emitter.emit('tick', 1);
    emitter.emit('tick', 2);
    expect(seen).toEqual(['a', 'b', 'a']);
  });

  it('a throwing listener does not stop the others, and its error is rethrown outside the loop', () => {
    const emitter = new Emitter<Events>();
    const after = vi.fn();
    const boom = new Error('boom');
    const scheduled: (() => void)[] = [];
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((cb) => void scheduled.push(cb));
    emitter.on('tick', () => {
      throw boom;
    });
    emitter.on('tick', after);
    emitter.emit('tick', 1);
    spy.mockRestore();
    expect(after).toHaveBeenCalledWith(1);
    expect(scheduled).toHaveLength(1);
    expect(() => scheduled[0]?.()).toThrow(boom);
  });
});
