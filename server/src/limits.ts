// What one client may take from a hub: the limit settings (defaults, checks), the limits a
// welcome tells the client, and the count of sessions each token holds on this node.
import { createHash } from 'node:crypto';
import { MAX_TAGS } from '@switchboard/protocol';
import type { Welcome } from '@switchboard/protocol';
import type { Principal } from './auth.js';
import type { RateSettings } from './rate-limit.js';

/**
 * Defaults sized so that no benchmark or well-behaved agent meets them: the shared-memory
 * benchmark runs ~600 requests/s per session today and its target (0.7× raw Redis, ~65k ops/s
 * over 50 sessions) is ~1,300/s, so 2,000 frames/s with a burst of 4,000.
 */
export const LIMIT_DEFAULTS = {
  rateFrames: 2000,
  rateFramesBurst: 4000,
  rateBytes: 2 * 1024 * 1024,
  /** 0 here means "2 × maxFrameBytes", resolved by settleLimits. */
  rateBytesBurst: 0,
  maxPending: 256,
  maxWatches: 64,
  maxKeys: 100_000,
  maxSessionsPerToken: 100,
  maxBufferedBytes: 4 * 1024 * 1024,
} as const;

export interface LimitOptions extends RateSettings {
  maxFrameBytes: number;
  maxValueBytes: number;
  maxPending: number;
  maxWatches: number;
  maxKeys: number;
  maxSessionsPerToken: number;
  maxBufferedBytes: number;
  inboxLimit: number;
}

/**
 * Fills the limit that derives from another (the bytes burst from maxFrameBytes) and rejects
 * contradictions with a TypeError at construction, not at the first frame.
 */
export function settleLimits(options: LimitOptions): void {
  if (options.rateBytesBurst === 0) options.rateBytesBurst = 2 * options.maxFrameBytes;
  for (const key of ['rateFrames', 'rateFramesBurst', 'rateBytes', 'rateBytesBurst', 'maxPending', 'maxWatches', 'maxKeys', 'maxSessionsPerToken', 'maxBufferedBytes'] as const) {
    const value = options[key];
    if (!Number.isInteger(value) || value < 0) throw new TypeError(`${key} must be a whole number >= 0, got ${value}`);
  }
  if (options.rateFrames > 0 && options.rateFramesBurst < 1) throw new TypeError('rateFramesBurst must be at least 1 when rateFrames is set');
  if (options.rateBytes > 0 && options.rateBytesBurst < options.maxFrameBytes) {
    throw new TypeError(`rateBytesBurst (${options.rateBytesBurst}) must be at least maxFrameBytes (${options.maxFrameBytes}), or a frame of the largest legal size could never pass`);
  }
}

/** The limits a welcome announces (0 = none), so a client can pace itself instead of being refused. */
export function welcomeLimits(o: LimitOptions): Welcome['limits'] {
  return {
    maxFrameBytes: o.maxFrameBytes,
    maxValueBytes: o.maxValueBytes,
    rateFrames: o.rateFrames,
    rateFramesBurst: o.rateFramesBurst,
    rateBytes: o.rateBytes,
    rateBytesBurst: o.rateBytesBurst,
    maxPending: o.maxPending,
    maxWatches: o.maxWatches,
    maxKeys: o.maxKeys,
    maxTags: MAX_TAGS,
    inboxLimit: o.inboxLimit,
  };
}

/**
 * Sessions open on this node per token: keyed by the token's `sub` when it has one, else by a
 * hash of the token itself. Per node: a token may hold `max` sessions on each node.
 */
export class TokenSessions {
  private readonly held = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Counts one more session for `key`; false (and nothing counted) when it holds `max` already. */
  acquire(key: string): boolean {
    const n = this.held.get(key) ?? 0;
    if (this.max > 0 && n >= this.max) return false;
    this.held.set(key, n + 1);
    return true;
  }

  release(key: string): void {
    const n = this.held.get(key) ?? 0;
    if (n <= 1) this.held.delete(key);
    else this.held.set(key, n - 1);
  }
}

/**
 * What a session counts under for maxSessionsPerToken: the token's `sub` when it has one, else
 * the token itself (hashed), else (a token checked at the upgrade) its claims.
 */
export function tokenKey(principal: Principal, token: string | undefined): string {
  if (principal.sub !== null) return `sub:${principal.sub}`;
  if (token !== undefined) return `token:${createHash('sha256').update(token).digest('base64url')}`;
  const { ns, role, sid, caps, exp } = principal;
  return `claims:${JSON.stringify([ns, role, sid, caps, exp])}`;
}
