// Memory search rules shared by every engine: what matches a query, and how pages are cut.
import type { Entry } from '@switchboard/protocol';
import type { MemoryQuery } from './engine.js';

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
