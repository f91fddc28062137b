// Reconnect delays: full-jitter exponential backoff, so a fleet of clients does not reconnect in step.

export interface BackoffOptions {
  /** Cap of the first delay. @default 250 */
  baseMs: number;
  /** Cap of every delay. @default 10000 */
  maxMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = { baseMs: 250, maxMs: 10_000 };

/** The delay before retry number `attempt` (0-based): uniform in [0, min(maxMs, baseMs * 2^attempt)). */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random = Math.random): number {
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** attempt);
  return Math.floor(random() * cap);
}

/** A delay of about `ms`: uniform in [ms/2, 3ms/2), so clients told the same `drain` time spread out. */
export function jitterAround(ms: number, random = Math.random): number {
  return Math.floor(ms * (0.5 + random()));
}
