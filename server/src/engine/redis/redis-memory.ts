// Shared memory on Redis: one hash per entry with native expiry, a lexicographic key index for
// search, and Lua scripts (scripts.ts) for every write so the version check, the write, the TTL
// and the change event happen together.
import type { Redis } from 'ioredis';
import type { Entry } from '@switchboard/protocol';
import type { DeleteResult, DeleteRight, MemoryQuery, MemoryWrite, SetResult } from '../engine.js';
import { matchesQuery } from '../search.js';
import type { Keys } from './keys.js';
import { fenceKey } from './locks.js';

type Args = (string | number)[];
export type MemoryScripts = {
  sbMemorySet(...args: Args): Promise<[number, string | number, number?]>;
  sbMemoryDelete(...args: Args): Promise<[number, number]>;
  sbMemoryExpire(...args: Args): Promise<number>;
};

export class RedisMemory {
  constructor(
    private readonly redis: Redis & MemoryScripts,
    private readonly keys: Keys,
    /** Wraps a Redis call so that an unreachable Redis becomes EngineUnavailableError. */
    private readonly call: <T>(fn: () => Promise<T>) => Promise<T>,
  ) {}

  /** `maxKeys`: most keys the namespace may hold (0 = no limit); only a new key is counted. */
  async set(ns: string, write: MemoryWrite, maxKeys = 0): Promise<SetResult> {
    const [ok, result, version] = await this.call(() =>
      this.redis.sbMemorySet(
        ...this.entryKeys(ns, write.key),
        fenceKey(this.keys, ns, write.fence?.name ?? ''),
        write.key,
        JSON.stringify(write.value),
        write.kind ?? '',
        write.tags ? JSON.stringify(write.tags) : '',
        write.ttlMs ?? 0,
        write.ifVersion ?? -1,
        write.author,
        write.now,
        this.keys.nsChannel(ns),
        write.fence?.value ?? -1,
        maxKeys,
        write.owner ?? '',
      ),
    );
    if (ok === 3) return { conflict: false, full: true, maxKeys: Number(result) };
    if (ok === 2) return { conflict: true, version: Number(version), fence: Number(result) };
    if (ok === 0) return { conflict: true, version: Number(result) };
    return { conflict: false, entry: JSON.parse(String(result)) as Entry };
  }

  async get(ns: string, key: string): Promise<Entry | null> {
    const row = await this.call(() => this.redis.hgetall(this.keys.entry(ns, key)));
    return parseEntry(key, row);
  }

  async delete(ns: string, key: string, ifVersion: number | undefined, by: string, only?: DeleteRight): Promise<DeleteResult> {
    const [ok, result] = await this.call(() =>
      this.redis.sbMemoryDelete(...this.entryKeys(ns, key), key, ifVersion ?? -1, by, this.keys.nsChannel(ns), only?.author ?? '', only?.owner ?? ''),
    );
    if (ok === 0) return { conflict: true, version: result };
    if (ok === 2) return { conflict: false, deleted: false, notAuthor: true };
    return { conflict: false, deleted: result === 1 };
  }

  /** Walks the key index (a sorted set, lexicographic) in batches; never uses KEYS or SCAN. */
  async search(ns: string, query: MemoryQuery, now: number): Promise<{ entries: Entry[]; cursor: string | null }> {
    const prefix = query.prefix ?? '';
    const max = prefix ? `[${prefix}\xff` : '+';
    let min = query.cursor ? `(${query.cursor}` : prefix ? `[${prefix}` : '-';
    const batch = Math.max(query.limit + 1, 100);
    const entries: Entry[] = [];
    for (;;) {
      const keys = await this.call(() => this.redis.zrangebylex(this.keys.entryIndex(ns), min, max, 'LIMIT', 0, batch));
      if (keys.length === 0) return { entries, cursor: null };
      const pipeline = this.redis.pipeline();
      for (const key of keys) pipeline.hgetall(this.keys.entry(ns, key));
      const rows = (await this.call(() => pipeline.exec())) ?? [];
      for (let i = 0; i < keys.length; i++) {
        const entry = parseEntry(keys[i]!, rows[i]?.[1] as Record<string, string>);
        if (!entry || (entry.expiresAt !== null && entry.expiresAt <= now) || !matchesQuery(entry, query)) continue;
        if (entries.length === query.limit) return { entries, cursor: entries[entries.length - 1]!.key };
        entries.push(entry);
      }
      if (keys.length < batch) return { entries, cursor: null };
      min = `(${keys[keys.length - 1]}`;
    }
  }

  /** Claims entries past their expiry in a namespace (the keyspace-event fallback). */
  async sweep(ns: string, now: number): Promise<void> {
    const due = await this.redis.zrangebyscore(this.keys.entryExpiries(ns), '-inf', now, 'LIMIT', 0, 100);
    for (const key of due) await this.claimExpiry(ns, key);
  }

  /** Publishes `expire` for an entry Redis has dropped; exactly one caller wins. */
  claimExpiry(ns: string, key: string): Promise<number> {
    return this.redis.sbMemoryExpire(...this.entryKeys(ns, key), key, this.keys.nsChannel(ns));
  }

  private entryKeys(ns: string, key: string): [string, string, string, string] {
    return [this.keys.entry(ns, key), this.keys.entryIndex(ns), this.keys.entryVersions(ns), this.keys.entryExpiries(ns)];
  }
}

function parseEntry(key: string, row: Record<string, string> | null | undefined): Entry | null {
  if (!row || row.version === undefined) return null;
  return {
    key,
    value: JSON.parse(row.value!),
    kind: row.kind as Entry['kind'],
    tags: JSON.parse(row.tags!),
    version: Number(row.version),
    author: row.author!,
    createdAt: Number(row.createdAt),
    updatedAt: Number(row.updatedAt),
    expiresAt: row.expiresAt === 'null' || !row.expiresAt ? null : Number(row.expiresAt),
  };
}
