// Backoff delays: full jitter between 0 and the exponential cap, never past maxMs.
import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, backoffDelay, jitterAround } from './backoff.js';

const almostOne = () => 1 - Number.EPSILON;

describe('backoffDelay', () => {
  it('defaults to 250 ms doubling up to 10 s', () => {
    expect(DEFAULT_BACKOFF).toEqual({ baseMs: 250, maxMs: 10_000 });
    expect(backoffDelay(0, DEFAULT_BACKOFF, almostOne)).toBe(249);
    expect(backoffDelay(1, DEFAULT_BACKOFF, almostOne)).toBe(499);
    expect(backoffDelay(3, DEFAULT_BACKOFF, almostOne)).toBe(1999);
  });

  it('never exceeds maxMs, however many attempts', () => {
    for (const attempt of [6, 10, 50, 2000]) {
      expect(backoffDelay(attempt, DEFAULT_BACKOFF, almostOne)).toBeLessThan(10_000);
      expect(backoffDelay(attempt, DEFAULT_BACKOFF, almostOne)).toBeGreaterThanOrEqual(9_999);
    }
  });

  it('can be zero (full jitter) and stays within [0, cap) for random draws', () => {
    expect(backoffDelay(5, DEFAULT_BACKOFF, () => 0)).toBe(0);
    const options = { baseMs: 100, maxMs: 1000 };
    for (let i = 0; i < 1000; i++) {
      const attempt = i % 8;
      const delay = backoffDelay(attempt, options);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(1000, 100 * 2 ** attempt));
    }
  });
});

describe('jitterAround', () => {
  it('spreads around the given time, between half and one and a half of it', () => {
    expect(jitterAround(1000, () => 0)).toBe(500);
    expect(jitterAround(1000, almostOne)).toBe(1499);
    expect(jitterAround(1000, () => 0.5)).toBe(1000);
  });
});
