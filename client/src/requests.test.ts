// The request manager: one answer per rid, timeouts, waiting while disconnected, and what a
// disconnect does to requests already written.
import type { ClientFrame } from '@switchboard/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HubError } from './errors.js';
import { RequestManager } from './requests.js';

/** A fake socket: records what is written, can be "down". */
function wire() {
  const written: (ClientFrame & { rid: string })[] = [];
  return { written, write: (frame: ClientFrame) => (written.push(frame as ClientFrame & { rid: string }), true) };
}

function settled<T>(promise: Promise<T>) {
  const state: { value?: T; error?: unknown; done: boolean } = { done: false };
  promise.then(
    (value) => Object.assign(state, { value, done: true }),
    (error: unknown) => Object.assign(state, { error, done: true }),
  );
  return state;
}

describe('RequestManager', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('writes a frame with a fresh short rid and resolves with the fields of ok', async () => {
    const manager = new RequestManager();
    const { written, write } = wire();
    manager.attach(write);
    const a = manager.request('memory.get', { key: 'k' });
    const b = manager.request('sessions.list', {});
    expect(written.map((f) => f.type)).toEqual(['memory.get', 'sessions.list']);
    const [first, second] = written;
    expect(first?.rid).not.toBe(second?.rid);
    expect(first?.rid.length).toBeLessThanOrEqual(8);
    expect(manager.answer({ type: 'ok', rid: second!.rid, sessions: [] })).toBe(true);
    expect(manager.answer({ type: 'ok', rid: first!.rid, entry: null })).toBe(true);
    await expect(a).resolves.toEqual({ entry: null });
    await expect(b).resolves.toEqual({ sessions: [] });
    expect(manager.answer({ type: 'ok', rid: first!.rid })).toBe(false);
  });

  it('resolves ping from pong', async () => {
    const manager = new RequestManager();
    const { written, write } = wire();
    manager.attach(write);
    const ping = manager.request('ping', {});
    manager.answer({ type: 'pong', rid: written[0]!.rid, ts: 42 });
    await expect(ping).resolves.toEqual({ ts: 42 });
  });

  it('rejects with a HubError from an error frame', async () => {
    const manager = new RequestManager();
    const { written, write } = wire();
    manager.attach(write);
    const set = manager.request('memory.set', { key: 'k', value: 1, ifVersion: 0 });
    manager.answer({ type: 'error', rid: written[0]!.rid, code: 'conflict', message: 'taken', version: 4 });
    const err = await set.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err).toMatchObject({ code: 'conflict', version: 4, retryable: false });
  });

  it('rejects with timeout after its own timeout, and ignores a late answer', async () => {
    const manager = new RequestManager(1000);
    const { written, write } = wire();
    manager.attach(write);
    const slow = settled(manager.request('memory.get', { key: 'k' }));
    const quick = settled(manager.request('memory.get', { key: 'k' }, { timeoutMs: 100 }));
    await vi.advanceTimersByTimeAsync(100);
    expect(quick.error).toMatchObject({ code: 'timeout', retryable: true });
    expect(slow.done).toBe(false);
    await vi.advanceTimersByTimeAsync(900);
    expect(slow.error).toBeInstanceOf(HubError);
    expect(slow.error).toMatchObject({ code: 'timeout' });
    expect(manager.answer({ type: 'ok', rid: written[0]!.rid, entry: null })).toBe(false);
    expect(manager.size).toBe(0);
  });

  it('holds requests made while disconnected and writes them in order on attach', async () => {
    const manager = new RequestManager(1000);
    const a = settled(manager.request('memory.get', { key: 'a' }));
    const b = settled(manager.request('send', { to: 's', body: 1 }));
    await vi.advanceTimersByTimeAsync(500);
    expect(a.done || b.done).toBe(false);
    const { written, write } = wire();
    manager.attach(write);
    expect(written.map((f) => f.type)).toEqual(['memory.get', 'send']);
    manager.answer({ type: 'ok', rid: written[1]!.rid, msgId: 'm1' });
    await vi.advanceTimersByTimeAsync(0);
    expect(b.value).toEqual({ msgId: 'm1' });
  });

  it('a request waiting for a socket still times out', async () => {
    const manager = new RequestManager();
    const waiting = settled(manager.request('memory.get', { key: 'a' }, { timeoutMs: 300 }));
    await vi.advanceTimersByTimeAsync(300);
    expect(waiting.error).toMatchObject({ code: 'timeout' });
    const { written, write } = wire();
    manager.attach(write);
    expect(written).toEqual([]);
  });

  it('on disconnect, fails written non-idempotent requests and re-sends idempotent ones', async () => {
    const manager = new RequestManager();
    const first = wire();
    manager.attach(first.write);
    const send = settled(manager.request('send', { to: 's', body: 1 }));
    const set = settled(manager.request('memory.set', { key: 'k', value: 1 }));
    const get = settled(manager.request('memory.get', { key: 'k' }));
    manager.detach();
    await vi.advanceTimersByTimeAsync(0);
    expect(send.error).toMatchObject({ code: 'unavailable', retryable: true });
    expect(set.error).toMatchObject({ code: 'unavailable' });
    expect(get.done).toBe(false);
    const second = wire();
    manager.attach(second.write);
    expect(second.written.map((f) => f.type)).toEqual(['memory.get']);
    expect(second.written[0]?.rid).toBe(first.written[2]?.rid);
    manager.answer({ type: 'ok', rid: second.written[0]!.rid, entry: null });
    await vi.advanceTimersByTimeAsync(0);
    expect(get.value).toEqual({ entry: null });
  });

  it('a write that fails leaves the request queued for the next socket', async () => {
    const manager = new RequestManager();
    manager.attach(() => false);
    const send = settled(manager.request('send', { to: 's', body: 1 }));
    manager.detach();
    await vi.advanceTimersByTimeAsync(0);
    expect(send.done).toBe(false);
    const { written, write } = wire();
    manager.attach(write);
    expect(written.map((f) => f.type)).toEqual(['send']);
  });

  it('calls onWrite when the frame goes out', () => {
    const manager = new RequestManager();
    const onWrite = vi.fn();
    void manager.request('ping', {}, { onWrite }).catch(() => {});
    expect(onWrite).not.toHaveBeenCalled();
    manager.attach(wire().write);
    expect(onWrite).toHaveBeenCalledTimes(1);
  });

  it('close() rejects pending and later requests with the given error', async () => {
    const manager = new RequestManager();
    const pending = settled(manager.request('memory.get', { key: 'k' }));
    const closed = new HubError('unavailable', 'closed');
    manager.close(closed);
    await vi.advanceTimersByTimeAsync(0);
    expect(pending.error).toBe(closed);
    await expect(manager.request('ping', {})).rejects.toBe(closed);
  });
});
