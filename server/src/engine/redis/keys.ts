// The Redis key layout (documented in server/README.md). Every key of a namespace carries the
// hash tag {ns}, so one namespace lives in one Redis Cluster slot and its Lua scripts stay legal.

export class Keys {
  constructor(readonly prefix: string) {}

  // Namespace-scoped (hash tag {ns})
  session(ns: string, id: string): string {
    return `${this.prefix}:{${ns}}:s:${id}`;
  }
  /** Session key without the id, for scripts that walk a namespace. */
  sessionPrefix(ns: string): string {
    return `${this.prefix}:{${ns}}:s:`;
  }
  sessions(ns: string): string {
    return `${this.prefix}:{${ns}}:sessions`;
  }
  nodeSessions(ns: string, nodeId: string): string {
    return `${this.prefix}:{${ns}}:node:${nodeId}`;
  }
  entry(ns: string, key: string): string {
    return `${this.prefix}:{${ns}}:m:${key}`;
  }
  entryIndex(ns: string): string {
    return `${this.prefix}:{${ns}}:mi`;
  }
  entryVersions(ns: string): string {
    return `${this.prefix}:{${ns}}:mv`;
  }
  entryExpiries(ns: string): string {
    return `${this.prefix}:{${ns}}:mx`;
  }
  /** A session's inbox: a stream of its direct messages, entry id `<seq>-1`. */
  inbox(ns: string, id: string): string {
    return `${this.prefix}:{${ns}}:in:${id}`;
  }
  /** A send's idempotency key: the first msgId, for a while. */
  idempotency(ns: string, from: string, key: string): string {
    return `${this.prefix}:{${ns}}:idem:${from}:${key}`;
  }
  /** Pub/sub channel of a namespace: presence, broadcasts, memory changes. */
  nsChannel(ns: string): string {
    return `${this.prefix}:{${ns}}:ev`;
  }

  // Node-scoped
  nodes(): string {
    return `${this.prefix}:nodes`;
  }
  /** Away (resumable) sessions of every namespace, scored by the end of their resume window. */
  away(): string {
    return `${this.prefix}:away`;
  }
  nodeAlive(nodeId: string): string {
    return `${this.prefix}:node:${nodeId}`;
  }
  nodeNamespaces(nodeId: string): string {
    return `${this.prefix}:node:${nodeId}:ns`;
  }
  /** Pub/sub channel of one node: direct messages for sessions it holds. */
  nodeChannel(nodeId: string): string {
    return `${this.prefix}:node:${nodeId}:ch`;
  }

  /** The namespace of a namespace channel, or null. */
  nsOfChannel(channel: string): string | null {
    const m = channel.startsWith(`${this.prefix}:{`) && channel.endsWith('}:ev') ? channel.slice(this.prefix.length + 2, -4) : null;
    return m;
  }

  /** Namespace and memory key of an entry key, or null for any other key. */
  parseEntry(redisKey: string): { ns: string; key: string } | null {
    if (!redisKey.startsWith(`${this.prefix}:{`)) return null;
    const close = redisKey.indexOf('}:m:', this.prefix.length + 2);
    if (close < 0) return null;
    return { ns: redisKey.slice(this.prefix.length + 2, close), key: redisKey.slice(close + 4) };
  }
}
