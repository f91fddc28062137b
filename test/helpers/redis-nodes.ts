// A suite's real multi-node hub: one fresh redis-server and N `switchboard serve` child processes
// on it, started before the suite and stopped after it, plus raw clients that are closed with it.
import { afterAll, beforeAll } from 'vitest';
import { HubProcess } from './hub-process.js';
import { RawClient } from './raw-client.js';
import { RedisServer } from './redis-server.js';

export interface RedisNodes {
  readonly redis: RedisServer;
  /** Node i (a crash test may kill it). */
  node(i: number): HubProcess;
  /** Says hello to node `i` with this session; the client is closed after the suite. */
  join(i: number, session: Record<string, unknown> & { id: string }): Promise<RawClient>;
}

export function useRedisNodes(count: number, flags: Record<string, string | number>, name: string): RedisNodes {
  let redis: RedisServer;
  let nodes: HubProcess[] = [];
  const clients: RawClient[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
    nodes = await Promise.all(Array.from({ length: count }, (_, i) => HubProcess.start({ redis: redis.url, ...flags, 'node-id': `${name}${i}` })));
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await Promise.all(nodes.map((n) => n.kill('SIGTERM')));
    await redis?.stop();
  });
  return {
    get redis() {
      return redis;
    },
    node: (i) => nodes[i]!,
    async join(i, session) {
      const { client } = await RawClient.join(nodes[i]!.url, { name: session.id, ...session });
      clients.push(client);
      return client;
    },
  };
}
