// One emulated clock shared by every thread. The main thread owns it and changes its scale or pauses
// it; host workers read the same SharedArrayBuffer. A seqlock keeps a reader from seeing half a write.

const SEQ = 0; // Int32 index
const BASE_WALL = 1; // Float64 indices (the Float64 view starts at byte 8)
const BASE_EMULATED = 2;
const SCALE = 3;
const PAUSED = 4;
const BYTES = 8 + 8 * 5;

export const minTimeScale = 0.1;
export const maxTimeScale = 1000;

export interface ClockReading {
  /** Emulated time, ms since the Unix epoch. */
  now: number;
  scale: number;
  paused: boolean;
}

function wallNow(): number {
  // timeOrigin + now() is the same absolute time in every thread, with sub-millisecond resolution.
  return performance.timeOrigin + performance.now();
}

export class EmulatedClock {
  readonly buffer: SharedArrayBuffer;
  private readonly seq: Int32Array;
  private readonly f64: Float64Array;

  /** A new clock (no buffer) starts at `startAt`; a clock on an existing buffer reads that one. */
  constructor(buffer?: SharedArrayBuffer, init: { startAt: number; scale: number } = { startAt: Date.UTC(2026, 0, 1), scale: 1 }) {
    this.buffer = buffer ?? new SharedArrayBuffer(BYTES);
    this.seq = new Int32Array(this.buffer, 0, 1);
    this.f64 = new Float64Array(this.buffer, 0, BYTES / 8);
    if (!buffer) this.write(init.startAt, init.scale, false);
  }

  now(): number {
    return this.read().now;
  }

  read(): ClockReading {
    for (;;) {
      const before = Atomics.load(this.seq, SEQ);
      if (before & 1) continue;
      const baseWall = this.f64[BASE_WALL]!;
      const baseEmulated = this.f64[BASE_EMULATED]!;
      const scale = this.f64[SCALE]!;
      const paused = this.f64[PAUSED] === 1;
      if (Atomics.load(this.seq, SEQ) !== before) continue;
      const now = paused ? baseEmulated : baseEmulated + (wallNow() - baseWall) * scale;
      return { now, scale, paused };
    }
  }

  /** Real milliseconds until the emulated time `at`, or Infinity while paused. */
  realDelayUntil(at: number): number {
    const { now, scale, paused } = this.read();
    if (paused) return Infinity;
    return Math.max(0, (at - now) / scale);
  }

  /** Change scale and/or pause; emulated time is continuous across the change. Main thread only. */
  set(change: { scale?: number; paused?: boolean }): ClockReading {
    const current = this.read();
    const scale = change.scale ?? current.scale;
    if (!(scale >= minTimeScale && scale <= maxTimeScale)) {
      throw new RangeError(`Time scale must be between ${minTimeScale} and ${maxTimeScale}, got ${scale}`);
    }
    this.write(current.now, scale, change.paused ?? current.paused);
    return this.read();
  }

  /** Take another clock's reading as this one's: a host node's clock follows the fabric's (serve/host-node.ts). */
  follow(reading: ClockReading): void {
    this.write(reading.now, reading.scale, reading.paused);
  }

  private write(emulated: number, scale: number, paused: boolean): void {
    Atomics.add(this.seq, SEQ, 1);
    this.f64[BASE_WALL] = wallNow();
    this.f64[BASE_EMULATED] = emulated;
    this.f64[SCALE] = scale;
    this.f64[PAUSED] = paused ? 1 : 0;
    Atomics.add(this.seq, SEQ, 1);
  }
}
