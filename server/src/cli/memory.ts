// `switchboard memory get | set | del | search`: the shared memory, one entry or a search at a time.
import { EntryKind, MemoryKey, MemoryPrefix, Tag } from '@switchboard/protocol';
import type { Entry } from '@switchboard/client/node';
import { checked, jsonOrString, list, oneOf, positionals, str, wholeNumber } from './args.js';
import type { Parsed } from './args.js';
import { command } from './command.js';
import { CliError, UsageError } from './errors.js';
import { brief, relative, table } from './output.js';

const KINDS = EntryKind.options.join(', ');

export const MEMORY_HELP = `Usage: switchboard memory get KEY
       switchboard memory set KEY VALUE [--kind K] [--tags a,b] [--ttl-ms N] [--if-version N]
       switchboard memory del KEY [--if-version N]
       switchboard memory search [--prefix P] [--kind K] [--tags a,b] [--text T] [--limit N]

Reads and writes the hub's shared memory. See switchboard memory <get|set|del|search> --help.`;

const keyOf = (text: string | undefined) => checked(MemoryKey, text, 'KEY');
const tags = (parsed: Parsed) => list(parsed.values, 'tags')?.map((t) => checked(Tag, t, 'tag'));
const ifVersion = (parsed: Parsed) => wholeNumber(parsed.values, 'if-version');

export const memoryGet = command({
  help: `Usage: switchboard memory get KEY [--json]

Prints the entry under KEY: its value (as JSON), version, kind, tags, author and times.
--json prints {"entry": Entry}. A missing key is an error (exit 1).`,
  options: {},
  parse(parsed) {
    const [key] = positionals(parsed, ['key']);
    return { key: keyOf(key) };
  },
  async run(hub, { key }, { out }) {
    const entry = await hub.memory.get(key);
    if (!entry) throw new CliError(`not found: memory key "${key}"`);
    if (out.json) return out.value({ entry });
    for (const line of entryLines(entry)) out.line(line);
  },
});

export const memorySet = command({
  help: `Usage: switchboard memory set KEY VALUE [--kind K] [--tags a,b] [--ttl-ms N] [--if-version N] [--json]

Writes VALUE under KEY. VALUE is stored as JSON when it parses as JSON, otherwise as the string.
Prints the new version; --json prints {"entry": Entry}.

Options:
  --kind <k>           ${KINDS} (default: unchanged; state for a new key)
  --tags <a,b>         tags, comma-separated (default: unchanged; none for a new key)
  --ttl-ms <n>         the entry expires n ms after this write
  --if-version <n>     write only if the stored version is n (0: only if KEY is absent); else a
                       conflict (exit 1) that names the stored version`,
  options: { kind: { type: 'string' }, tags: { type: 'string' }, 'ttl-ms': { type: 'string' }, 'if-version': { type: 'string' } },
  parse(parsed) {
    const [key, value] = positionals(parsed, ['key', 'value']);
    const options = {
      kind: oneOf(parsed.values, 'kind', EntryKind.options),
      tags: tags(parsed),
      ttlMs: wholeNumber(parsed.values, 'ttl-ms', { min: 1, max: 365 * 24 * 3600 * 1000 }),
      ifVersion: ifVersion(parsed),
    };
    return { key: keyOf(key), value: jsonOrString(value!), options: withoutUndefined(options) };
  },
  async run(hub, { key, value, options }, { out }) {
    const entry = await hub.memory.set(key, value, options);
    if (out.json) return out.value({ entry });
    out.line(`set ${entry.key} version ${entry.version}`);
  },
});

export const memoryDel = command({
  help: `Usage: switchboard memory del KEY [--if-version N] [--json]

Deletes KEY. A missing key is an error (exit 1). --json prints {"deleted": true}.

Options:
  --if-version <n>     delete only if the stored version is n; else a conflict (exit 1)`,
  options: { 'if-version': { type: 'string' } },
  parse(parsed) {
    const [key] = positionals(parsed, ['key']);
    return { key: keyOf(key), options: withoutUndefined({ ifVersion: ifVersion(parsed) }) };
  },
  async run(hub, { key, options }, { out }) {
    const deleted = await hub.memory.delete(key, options);
    if (!deleted) throw new CliError(`not found: memory key "${key}"`);
    if (out.json) return out.value({ deleted });
    out.line(`deleted ${key}`);
  },
});

const DEFAULT_LIMIT = 100;
const PAGE_MAX = 1000;

export const memorySearch = command({
  help: `Usage: switchboard memory search [--prefix P] [--kind K] [--tags a,b] [--text T] [--limit N] [--cursor C] [--json]

Lists entries in key order: key, version, kind, tags, author, last update, value.
Pages through the hub's results until --limit entries; --json prints {"entries": [Entry, …], "cursor"},
where a non-null cursor means there are more (pass it to --cursor).

Options:
  --prefix <p>         keys starting with p
  --kind <k>           ${KINDS}
  --tags <a,b>         entries that have every one of these tags
  --text <t>           key or value contains t (case-insensitive)
  --limit <n>          at most n entries (default ${DEFAULT_LIMIT})
  --cursor <c>         continue after a previous search's cursor`,
  options: {
    prefix: { type: 'string' }, kind: { type: 'string' }, tags: { type: 'string' }, text: { type: 'string' },
    limit: { type: 'string' }, cursor: { type: 'string' },
  },
  parse(parsed) {
    positionals(parsed, []);
    const prefix = str(parsed.values, 'prefix');
    const text = str(parsed.values, 'text');
    if (text === '') throw new UsageError('--text must not be empty');
    const query = withoutUndefined({
      prefix: prefix === undefined ? undefined : checked(MemoryPrefix, prefix, '--prefix'),
      kind: oneOf(parsed.values, 'kind', EntryKind.options),
      tags: tags(parsed),
      text,
    });
    return { query, limit: wholeNumber(parsed.values, 'limit', { min: 1 }) ?? DEFAULT_LIMIT, cursor: str(parsed.values, 'cursor') ?? null };
  },
  async run(hub, { query, limit, cursor: start }, { out }) {
    const entries: Entry[] = [];
    let cursor: string | null = start;
    do {
      const page = await hub.memory.search({ ...query, limit: Math.min(PAGE_MAX, limit - entries.length), cursor });
      entries.push(...page.entries);
      cursor = page.cursor;
    } while (cursor !== null && entries.length < limit);
    if (out.json) return out.value({ entries, cursor });
    if (entries.length === 0) return out.line('no entries');
    const now = Date.now();
    const rows = entries.map((e) => [e.key, String(e.version), e.kind, e.tags.join(',') || '-', e.author, relative(Math.min(e.updatedAt, now), now), brief(e.value)]);
    for (const line of table(['KEY', 'VERSION', 'KIND', 'TAGS', 'AUTHOR', 'UPDATED', 'VALUE'], rows)) out.line(line);
    if (cursor !== null) out.line(`… more entries: --cursor ${cursor}`);
  },
});

function entryLines(entry: Entry, now = Date.now()): string[] {
  const rows = [
    ['key', entry.key],
    ['value', JSON.stringify(entry.value)],
    ['version', String(entry.version)],
    ['kind', entry.kind],
    ['tags', entry.tags.join(',') || '-'],
    ['author', entry.author],
    ['created', `${new Date(entry.createdAt).toISOString()} (${relative(Math.min(entry.createdAt, now), now)})`],
    ['updated', `${new Date(entry.updatedAt).toISOString()} (${relative(Math.min(entry.updatedAt, now), now)})`],
    ['expires', entry.expiresAt === null ? 'never' : `${new Date(entry.expiresAt).toISOString()} (${relative(entry.expiresAt, now)})`],
  ];
  return rows.map(([field, value]) => `${field!.padEnd(8)} ${value}`);
}

function withoutUndefined<T extends object>(object: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as never;
}
