// The hub's shared memory: memory_set (with kind, tags, ttl, compare-and-set, fence), memory_get,
// memory_search, memory_delete.
import { z } from 'zod';
import type { Bridge } from '../bridge.js';
import { defineTool } from '../results.js';
import { EntryKind, EntryShape, JsonAny } from '../shapes.js';

const Key = z.string().min(1).max(256).describe('entry key: 1-256 chars of A-Z a-z 0-9 . _ : / - (use "/" to group, e.g. "plan/owner")');
const Tags = z.array(z.string().min(1).max(64)).max(32);

export function registerMemoryTools(bridge: Bridge): void {
  const { server, hub } = bridge;

  defineTool(server, 'memory_set', {
    title: 'Write shared memory',
    description:
      'Writes a value every session on the hub can read. With ifVersion it is a compare-and-set: written only if the stored version is ifVersion (0 = the key is absent); ' +
      'otherwise it fails with code "conflict" and the stored version. Omitted kind/tags keep the previous ones.',
    input: {
      key: Key,
      value: JsonAny.describe('any JSON value'),
      kind: EntryKind.optional().describe('what the entry is (default "state" for a new key)'),
      tags: Tags.optional().describe('labels for memory_search'),
      ttlMs: z.number().int().positive().max(365 * 24 * 3600 * 1000).optional().describe('the entry expires after this many ms'),
      ifVersion: z.number().int().min(0).optional().describe('write only if the stored version is this (0: only if absent)'),
      fence: z.object({ name: z.string().min(1).max(256), value: z.number().int().min(1) }).optional()
        .describe('write only if no newer grant of lock `name` than fence `value` exists (from lock_acquire)'),
    },
    output: { entry: EntryShape },
    annotations: { openWorldHint: false },
    async run({ key, value, ...options }) {
      const entry = await hub.memory.set(key, value as never, options);
      return { result: { entry }, summary: `Wrote ${entry.key} (version ${entry.version}, ${entry.kind}).` };
    },
  });

  defineTool(server, 'memory_get', {
    title: 'Read shared memory',
    description: 'Reads one entry of the shared memory: its value, kind, tags, version (for memory_set ifVersion), author and times. entry is null if the key is absent.',
    input: { key: Key },
    output: { entry: EntryShape.nullable() },
    annotations: { readOnlyHint: true, openWorldHint: false },
    async run({ key }) {
      const entry = await hub.memory.get(key);
      return { result: { entry }, summary: entry ? `${key} is at version ${entry.version}.` : `${key} is not set.` };
    },
  });

  defineTool(server, 'memory_search', {
    title: 'Search shared memory',
    description: 'Finds entries by key prefix, kind, tags (all must match) and/or text in the key or value. Pages: pass the returned cursor to get the next page (null: last page).',
    input: {
      prefix: z.string().max(256).optional().describe('only keys that start with this'),
      kind: EntryKind.optional(),
      tags: Tags.optional().describe('only entries that have every one of these tags'),
      text: z.string().min(1).max(256).optional().describe('only entries whose key or value contains this text'),
      limit: z.number().int().min(1).max(1000).optional().describe('page size (default 100)'),
      cursor: z.string().max(512).nullable().optional().describe('from the previous page'),
    },
    output: { entries: z.array(EntryShape), cursor: z.string().nullable() },
    annotations: { readOnlyHint: true, openWorldHint: false },
    async run(query) {
      const page = await hub.memory.search(query);
      const keys = page.entries.map((e) => e.key).join(', ');
      return { result: page, summary: `${page.entries.length} entr${page.entries.length === 1 ? 'y' : 'ies'}${keys ? `: ${keys}` : ''}${page.cursor ? ' (more: pass cursor)' : ''}.` };
    },
  });

  defineTool(server, 'memory_delete', {
    title: 'Delete shared memory',
    description: 'Deletes one entry; with ifVersion only if the stored version is that (else code "conflict"). deleted is false if the key was absent.',
    input: { key: Key, ifVersion: z.number().int().min(0).optional().describe('delete only if the stored version is this') },
    output: { deleted: z.boolean() },
    annotations: { destructiveHint: true, idempotentHint: true, openWorldHint: false },
    async run({ key, ifVersion }) {
      const deleted = await hub.memory.delete(key, ifVersion === undefined ? {} : { ifVersion });
      return { result: { deleted }, summary: deleted ? `Deleted ${key}.` : `${key} was not set.` };
    },
  });
}
