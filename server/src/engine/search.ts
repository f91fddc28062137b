// Query rules shared by every engine: which sessions match a filter, which memory entries match a
// search, and how search pages are cut.
import type { Entry, Session } from '@switchboard/protocol';
import type { MemoryQuery, SessionFilter } from './engine.js';

export function matchesQuery(entry: Entry, query: MemoryQuery): boolean {
  if (query.prefix && !entry.key.startsWith(query.prefix)) return false;
  if (query.kind && entry.kind !== query.kind) return false;
  if (query.tags && !query.tags.every((t) => entry.tags.includes(t))) return false;
  if (query.text) {
    const needle = query.text.toLowerCase();
    if (!entry.key.toLowerCase().includes(needle) && !JSON.stringify(entry.value).toLowerCase().includes(needle)) {
      return false;
    }
  }
  return true;
}

/** Compares keys by code unit, the order Redis sorted sets use for equal scores. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The cursor is the last key of the previous page; the next page starts strictly after it. */
export function afterCursor(key: string, cursor: string | null | undefined): boolean {
  return !cursor || key > cursor;
}

export function matchesSession(s: Session, filter: SessionFilter): boolean {
  return (!filter.capability || s.capabilities.includes(filter.capability)) && (!filter.status || s.status === filter.status);
}
