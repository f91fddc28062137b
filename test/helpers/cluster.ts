// Hubs for tests. A Cluster is one or more hub nodes sharing one engine's state; the
// conformance suite runs the same cases against every kind of cluster.
import { afterEach } from 'vitest';
import { startHub } from '@switchboard/server';
import type { HubOptions } from '@switchboard/server';

export interface ClusterOptions {
  heartbeatMs?: number;
  /** @default 0 in tests: a dropped session leaves at once unless a test asks for resume. */
  resumeWindowMs?: number;
  inboxLimit?: number;
  secret?: string;
  maxValueBytes?: number;
  maxFrameBytes?: number;
  helloTimeoutMs?: number;
  maxKeys?: number;
}

export interface Cluster {
  /** WebSocket URL of node i (modulo the node count), so clients spread over nodes. */
  url(i?: number): string;
  httpUrl(i?: number): string;
  nodes: number;
  close(): Promise<void>;
}

export type ClusterFactory = (options?: ClusterOptions) => Promise<Cluster>;

/** One hub node on the embedded engine, in this process. */
export const memoryCluster: ClusterFactory = async (options = {}) => {
  const hub = await startHub({ port: 0, logLevel: 'silent', resumeWindowMs: 0, ...options } satisfies HubOptions);
  return {
    nodes: 1,
    url: () => hub.url,
    httpUrl: () => hub.httpUrl,
    close: () => hub.close(),
  };
};

/** Runs registered teardown after each test, last registered first. */
export function useCleanup(): (fn: () => unknown) => void {
  const fns: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of fns.splice(0).reverse()) await fn();
  });
  return (fn) => void fns.push(fn);
}

/**
 * Hub nodes on one fresh redis-server. One node runs in this process; two or more run as child
 * processes (so a test may crash one).
 */
export function redisCluster(nodeCount: number): ClusterFactory {
  return async (options = {}) => {
    const { RedisServer } = await import('./redis-server.js');
    const redis = await RedisServer.start();
    if (nodeCount === 1) {
      const { RedisEngine } = await import('@switchboard/server');
      const heartbeatMs = options.heartbeatMs ?? 1000;
      const hub = await startHub({ port: 0, logLevel: 'silent', resumeWindowMs: 0, ...options, heartbeatMs, engine: new RedisEngine({ url: redis.url }) });
      return {
        nodes: 1,
        url: () => hub.url,
        httpUrl: () => hub.httpUrl,
        close: async () => {
          await hub.close();
          await redis.stop();
        },
      };
    }
    const { HubProcess } = await import('./hub-process.js');
    const flags: Record<string, string | number> = { redis: redis.url, 'heartbeat-ms': options.heartbeatMs ?? 1000, 'resume-window-ms': options.resumeWindowMs ?? 0 };
    if (options.secret) flags.secret = options.secret;
    if (options.maxValueBytes) flags['max-value-bytes'] = options.maxValueBytes;
    if (options.maxFrameBytes) flags['max-frame-bytes'] = options.maxFrameBytes;
    if (options.inboxLimit) flags['inbox-limit'] = options.inboxLimit;
    if (options.maxKeys) flags['max-keys'] = options.maxKeys;
    const nodes = await Promise.all(Array.from({ length: nodeCount }, (_, i) => HubProcess.start({ ...flags, 'node-id': `node${i}` })));
    return {
      nodes: nodeCount,
      url: (i = 0) => nodes[i % nodeCount]!.url,
      httpUrl: (i = 0) => nodes[i % nodeCount]!.httpUrl,
      close: async () => {
        await Promise.all(nodes.map((n) => n.kill('SIGTERM')));
        await redis.stop();
      },
    };
  };
}
