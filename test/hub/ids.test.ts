// The hub's ids (msgId, session and task ids): valid ULIDs carrying the time they were made,
// strictly increasing within a process, and apart between processes.
import { decodeTime, isValid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { monotonicIds } from '../../server/src/ids.js';

describe('monotonicIds', () => {
  it('makes valid ULIDs whose time part is the time they were made', () => {
    const next = monotonicIds();
    const before = Date.now();
    const id = next();
    const after = Date.now();
    expect(id).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    expect(isValid(id)).toBe(true);
    expect(decodeTime(id)).toBeGreaterThanOrEqual(before);
    expect(decodeTime(id)).toBeLessThanOrEqual(after);
  });

  it('is strictly increasing over many ids, within and across milliseconds', () => {
    const next = monotonicIds();
    let last = next();
    const times = new Set<number>();
    for (let i = 0; i < 200_000; i++) {
      const id = next();
      expect(id > last).toBe(true);
      times.add(decodeTime(id));
      last = id;
    }
    // Many ids shared a millisecond and the run spanned several: both orders were exercised.
    expect(times.size).toBeGreaterThan(1);
    expect(times.size).toBeLessThan(200_000);
  });

  it('keeps two generators (two nodes) apart in the same millisecond', () => {
    const a = monotonicIds();
    const b = monotonicIds();
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      ids.add(a());
      ids.add(b());
    }
    expect(ids.size).toBe(20_000);
  });

  it('counts in the last 8 characters (base32 digits carry into one another)', () => {
    const next = monotonicIds();
    const first = next();
    const counter = (id: string) => [...id.slice(18)].reduce((n, c) => n * 32 + '0123456789ABCDEFGHJKMNPQRSTVWXYZ'.indexOf(c), 0);
    for (let i = 1; i <= 5000; i++) expect(counter(next())).toBe(counter(first) + i);
  });
});
