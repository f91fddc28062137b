// One timer for every "how long ago" on the page, and the hub's clock: session and entry times
// come from the hub, so they are compared with the hub's now, not the browser's.

const tickers = new Set<(hubNow: number) => void>();
let skewMs = 0;
let timer: ReturnType<typeof setInterval> | undefined;

/** The hub's current time, as best known (browser clock corrected by the skew seen at welcome). */
export function hubNow(): number {
  return Date.now() - skewMs;
}

/**
 * Learns the skew from a time the hub stamped just now (our session's connectedAt in welcome).
 * The round trip makes it slightly late, which only makes fresh sessions look a few ms younger.
 */
export function syncClock(hubTimeJustNow: number): void {
  skewMs = Date.now() - hubTimeJustNow;
}

/** Calls `fn` every second with the hub's now; returns the function that stops it. */
export function everySecond(fn: (hubNow: number) => void): () => void {
  tickers.add(fn);
  timer ??= setInterval(() => {
    const now = hubNow();
    for (const tick of [...tickers]) tick(now);
  }, 1000);
  return () => {
    tickers.delete(fn);
    if (tickers.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}
