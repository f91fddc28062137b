// Hubs for tests. A Cluster is one or more hub nodes sharing one engine's state; the
// conformance suite runs the same cases against every kind of cluster.
import { afterEach } from 'vitest';
import { startHub } from '@switchboard/server';
import type { HubOptions } from '@switchboard/server';

export interface ClusterOptions {
  heartbeatMs?: number;
  secret?: string;
  maxValueBytes?: number;
  maxFrameBytes?: number;
  helloTimeoutMs?: number;
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
  const hub = await startHub({ port: 0, logLevel: 'silent', ...options } satisfies HubOptions);
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
