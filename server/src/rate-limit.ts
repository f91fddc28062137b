// One connection's rate limit: two token buckets (frames/s and bytes/s) checked before a frame is
// decoded, and the abuse detector that turns a client which keeps sending while refused into a
// close 4429. Plain numbers only: nothing is allocated per frame.

export interface RateSettings {
  /** Frames per second a connection may sustain (0 = unlimited). */
  rateFrames: number;
  /** Frames it may send at once after being quiet. */
  rateFramesBurst: number;
  /** Bytes per second (0 = unlimited). */
  rateBytes: number;
  /** Bytes it may send at once; never below maxFrameBytes, so any legal frame can pass. */
  rateBytesBurst: number;
}

/** Refusals are counted in windows this long; more than one burst refused in a window is abuse. */
export const ABUSE_WINDOW_MS = 1000;

export class RateLimiter {
  private frames: number;
  private bytes: number;
  private last: number;
  private windowStart = 0;
  private refusedFrames = 0;
  private refusedBytes = 0;
  /** Which bucket refused the last refused frame. */
  refusedBy: 'frames' | 'bytes' = 'frames';

  constructor(private readonly s: RateSettings, now: number) {
    this.frames = s.rateFramesBurst;
    this.bytes = s.rateBytesBurst;
    this.last = now;
  }

  /**
   * Takes one frame of `size` bytes from both buckets. 0: it may pass (tokens taken). Otherwise
   * the ms until it would pass; nothing is taken, so a refused frame does not dig the client deeper.
   */
  take(size: number, now: number): number {
    const { s } = this;
    const elapsed = now - this.last;
    this.last = now;
    if (s.rateFrames > 0) this.frames = Math.min(s.rateFramesBurst, this.frames + (elapsed * s.rateFrames) / 1000);
    if (s.rateBytes > 0) this.bytes = Math.min(s.rateBytesBurst, this.bytes + (elapsed * s.rateBytes) / 1000);
    const frameWait = s.rateFrames > 0 && this.frames < 1 ? ((1 - this.frames) * 1000) / s.rateFrames : 0;
    const byteWait = s.rateBytes > 0 && this.bytes < size ? ((size - this.bytes) * 1000) / s.rateBytes : 0;
    if (frameWait > 0 || byteWait > 0) {
      this.refusedBy = frameWait >= byteWait ? 'frames' : 'bytes';
      return Math.max(1, Math.ceil(Math.max(frameWait, byteWait)));
    }
    if (s.rateFrames > 0) this.frames -= 1;
    if (s.rateBytes > 0) this.bytes -= size;
    return 0;
  }

  /** Gives back what take() took (an ack that acknowledged new messages costs nothing). */
  refund(size: number): void {
    const { s } = this;
    if (s.rateFrames > 0) this.frames = Math.min(s.rateFramesBurst, this.frames + 1);
    if (s.rateBytes > 0) this.bytes = Math.min(s.rateBytesBurst, this.bytes + size);
  }

  /**
   * Counts a refused frame of `size` bytes. True once more than one burst (of frames, or of bytes)
   * was refused within one window: the client is not backing off (one that honours retryMs is
   * refused about once per frame it already had in flight), and even a refusal costs the hub a
   * decode of the frame.
   */
  strike(size: number, now: number): boolean {
    const { s } = this;
    if (now - this.windowStart >= ABUSE_WINDOW_MS) {
      this.windowStart = now;
      this.refusedFrames = 0;
      this.refusedBytes = 0;
    }
    this.refusedFrames += 1;
    this.refusedBytes += size;
    return (s.rateFrames > 0 && this.refusedFrames > s.rateFramesBurst) || (s.rateBytes > 0 && this.refusedBytes > s.rateBytesBurst);
  }
}
