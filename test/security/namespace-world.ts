// Two namespaces on one hub for the isolation tests (namespaces.test.ts): the hubs (the embedded
// engine in process, or two `switchboard serve` nodes on a real redis-server), a fresh pair of
// namespaces per test whose sessions sit on chosen nodes, and a look at the keys Redis holds.
import { afterAll, beforeAll } from 'vitest';
import { SignJWT } from 'jose';
import type { Session } from '@switchboard/protocol';
import { startHub } from '@switchboard/server';
import type { Hub } from '@switchboard/server';
import { useCleanup } from '../helpers/cluster.js';
import { RawClient } from '../helpers/raw-client.js';
import { useRedisNodes } from '../helpers/redis-nodes.js';
import type { RedisServer } from '../helpers/redis-server.js';
import { until } from '../helpers/wait.js';

export const SECRET = 'namespace-isolation-secret-0123456789';
/** The key prefix of the Redis engine (SWITCHBOARD_REDIS_PREFIX default). */
export const REDIS_PREFIX = 'sb';

export interface Hubs {
  readonly nodes: number;
  url(node: number): string;
  httpUrl(node: number): string;
  /** The redis-server behind the nodes; null on the embedded engine. */
  redis(): RedisServer | null;
}

/** One in-process hub on the embedded MemoryEngine, for the whole suite. */
export function useMemoryHub(): Hubs {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub({ port: 0, logLevel: 'silent', secret: SECRET, resumeWindowMs: 0 });
  });
  afterAll(() => hub?.close());
  return { nodes: 1, url: () => hub.url, httpUrl: () => hub.httpUrl, redis: () => null };
}

/** Two hub nodes (child processes) on one fresh redis-server, for the whole suite. */
export function useRedisHubs(): Hubs {
  const r = useRedisNodes(2, { secret: SECRET, 'heartbeat-ms': 1000, 'resume-window-ms': 0 }, 'iso');
  return { nodes: 2, url: (i) => r.node(i).url, httpUrl: (i) => r.node(i).httpUrl, redis: () => r.redis };
}

export type Client = RawClient & { welcome: NonNullable<RawClient['welcome']> };

/** One namespace of a test: its name, its token, and the node its sessions join. */
export interface Side {
  /** 'A' or 'B': which of the pair this is (x is A in the A→B direction, B in B→A). */
  label: 'A' | 'B';
  ns: string;
  node: number;
  token: string;
}

/** Who acts (x) and whose things it must not reach (y), and where their sessions sit. */
export interface Pairing {
  name: string;
  x: { label: 'A' | 'B'; node: number };
  y: { label: 'A' | 'B'; node: number };
}

/** Both directions, with both namespaces on one node and, with two nodes, on different nodes. */
export function pairings(nodes: number): Pairing[] {
  const last = nodes - 1;
  const out: Pairing[] = [
    { name: 'A→B, same node', x: { label: 'A', node: 0 }, y: { label: 'B', node: 0 } },
    { name: 'B→A, same node', x: { label: 'B', node: last }, y: { label: 'A', node: last } },
  ];
  if (nodes > 1) {
    out.push(
      { name: 'A→B, different nodes', x: { label: 'A', node: 0 }, y: { label: 'B', node: 1 } },
      { name: 'B→A, different nodes', x: { label: 'B', node: 1 }, y: { label: 'A', node: 0 } },
    );
  }
  return out;
}

export function tokenFor(ns: string): Promise<string> {
  return new SignJWT({ ns }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));
}

export const ids = (sessions: Session[]): string[] => sessions.map((s) => s.id).sort();

/** The session ids GET /v1/sessions shows for a token (in the header or the query). */
export async function httpSessions(httpUrl: string, token: string, how: 'header' | 'query'): Promise<string[]> {
  const res =
    how === 'header'
      ? await fetch(`${httpUrl}/v1/sessions`, { headers: { authorization: `Bearer ${token}` } })
      : await fetch(`${httpUrl}/v1/sessions?token=${encodeURIComponent(token)}`);
  if (res.status !== 200) throw new Error(`GET /v1/sessions answered ${res.status}: ${await res.text()}`);
  return ids(((await res.json()) as { sessions: Session[] }).sessions);
}

let worlds = 0;
/** Every namespace an earlier test used (their teardown may still be settling in Redis). */
export const earlierNamespaces = new Set<string>();

/**
 * Per-test namespaces and sessions. A's name is a prefix of B's (`a7` and `a7.b`), so anything
 * that matched namespaces by prefix would leak. Clients close after the test, and the test ends
 * only when both namespaces are empty again, so one test's leaving sessions never land in the next.
 */
export function useWorld(hubs: Hubs) {
  const cleanup = useCleanup();
  return async function world(p: Pairing) {
    const n = ++worlds;
    const names = { A: `a${n}`, B: `a${n}.b` };
    const side = async (s: Pairing['x']): Promise<Side> => ({ label: s.label, ns: names[s.label], node: s.node, token: await tokenFor(names[s.label]) });
    const x = await side(p.x);
    const y = await side(p.y);
    cleanup(async () => {
      for (const s of [x, y]) {
        await until(async () => (await httpSessions(hubs.httpUrl(0), s.token, 'header')).length === 0, 5000, `namespace ${s.ns} to empty`);
        earlierNamespaces.add(s.ns);
      }
    });
    async function join(s: Side, id: string, fields: Record<string, unknown> = {}): Promise<Client> {
      const { client } = await RawClient.join(hubs.url(s.node), { id, name: id, ...fields }, { token: s.token });
      cleanup(() => client.close());
      return client as Client;
    }
    async function open(s: Side): Promise<RawClient> {
      const client = await RawClient.open(hubs.url(s.node));
      cleanup(() => client.close());
      return client;
    }
    return { x, y, join, open };
  };
}

/** Every key in the Redis database (SCAN, fine for a test). */
export async function redisKeys(redis: RedisServer): Promise<string[]> {
  const client = redis.client();
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  } finally {
    client.disconnect();
  }
}

/** The hash tag (namespace) of a key of the Redis layout, or null for a node-scoped key. */
export function hashTag(key: string): string | null {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open ? key.slice(open + 1, close) : null;
}
