// Latency samples and their percentiles, in milliseconds.
export class Samples {
  private values: number[] = [];

  add(ms: number): void {
    this.values.push(ms);
  }

  get count(): number {
    return this.values.length;
  }

  /** p50/p99/p99.9 and max, rounded to 0.01 ms; null when there are no samples. */
  summary(): { count: number; p50: number; p99: number; p999: number; max: number } | null {
    if (this.values.length === 0) return null;
    const sorted = Float64Array.from(this.values).sort();
    const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
    return { count: sorted.length, p50: at(0.5), p99: at(0.99), p999: at(0.999), max: round(sorted[sorted.length - 1]!) };
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** A 64-byte body that carries its send time (ms on this process's clock). */
export function stampedBody(sentAt: number, bytes = 64): string {
  return `${sentAt.toFixed(3)}|`.padEnd(bytes, '.');
}

export function sentAtOf(body: string): number {
  return parseFloat(body);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Resolves when `done()` is true, or after `timeoutMs`; says which. */
export async function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > until) return false;
    await sleep(20);
  }
  return true;
}
