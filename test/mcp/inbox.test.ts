// The bridge's unread buffer and its command line, without processes: acks go out only for what
// read_inbox handed out (or what a full buffer pushed out), and long-polls end on arrival, timeout or cancel.
import { describe, expect, it } from 'vitest';
import { InboxBuffer } from '../../mcp/src/inbox.js';
import { DEFAULT_URL, UsageError, parseBridgeArgs } from '../../mcp/src/args.js';

describe('InboxBuffer', () => {
  it('acks items only when they are taken, oldest first, and counts what a full buffer dropped', () => {
    const acked: number[] = [];
    let pushes = 0;
    const inbox = new InboxBuffer<number>(3, () => pushes++);
    for (let i = 1; i <= 5; i++) inbox.push(i, () => acked.push(i));
    expect(pushes).toBe(5);
    // 1 and 2 were pushed out: acked (they are lost to the reader either way) and counted.
    expect(acked).toEqual([1, 2]);
    expect(inbox.peek()).toEqual([3, 4, 5]);
    expect(acked).toEqual([1, 2]);
    expect(inbox.take(2)).toEqual({ items: [3, 4], dropped: 2, remaining: 1 });
    expect(acked).toEqual([1, 2, 3, 4]);
    expect(inbox.take()).toEqual({ items: [5], dropped: 0, remaining: 0 });
    expect(acked).toEqual([1, 2, 3, 4, 5]);
  });

  it('ends a long-poll when an item arrives, when the wait is over, or when the call is cancelled', async () => {
    const inbox = new InboxBuffer<string>(10);
    const started = Date.now();
    const waiting = inbox.wait(5000);
    setTimeout(() => inbox.push('x'), 50);
    await waiting;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(inbox.take().items).toEqual(['x']);

    const timedOut = Date.now();
    await inbox.wait(100);
    expect(Date.now() - timedOut).toBeGreaterThanOrEqual(90);

    const controller = new AbortController();
    const cancelled = inbox.wait(5000, controller.signal);
    controller.abort();
    await cancelled;
    expect(inbox.size).toBe(0);
  });
});

describe('switchboard mcp arguments', () => {
  it('needs --name, reads the hub address and token from the environment, splits capabilities', () => {
    expect(() => parseBridgeArgs([], {})).toThrow(UsageError);
    expect(() => parseBridgeArgs(['--name', 'a', '--nope'], {})).toThrow(UsageError);
    expect(() => parseBridgeArgs(['--name', 'a', '--inbox-size', '0'], {})).toThrow(/inbox-size/);
    expect(parseBridgeArgs(['--help'], {})).toBeNull();
    expect(parseBridgeArgs(['--name', 'a'], {})).toEqual({ url: DEFAULT_URL, name: 'a', agentType: 'mcp', capabilities: [], inboxSize: 1000 });
    expect(parseBridgeArgs(['--name', 'a', '--capabilities', 'review, code,', '--agent-type', 'cursor'], { SWITCHBOARD_URL: 'ws://h:1/v1', SWITCHBOARD_TOKEN: 't' }))
      .toMatchObject({ url: 'ws://h:1/v1', token: 't', capabilities: ['review', 'code'], agentType: 'cursor' });
    expect(parseBridgeArgs(['--name', 'a', '--url', 'ws://x:2/v1', '--token', 'flag'], { SWITCHBOARD_URL: 'ws://h:1/v1', SWITCHBOARD_TOKEN: 't' }))
      .toMatchObject({ url: 'ws://x:2/v1', token: 'flag' });
  });
});
