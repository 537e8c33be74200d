// One emulated clock shared by every thread. The main thread owns it and changes its scale or pauses
// it; host workers read the same SharedArrayBuffer. A seqlock keeps a reader from seeing half a write.
//
// Two scales: the one the user asked for, and the one the clock keeps. They are the same until the
// machine cannot keep up (fabric/clock-governor.ts): then the fabric lowers the kept scale, emulated time
// runs at it in every thread, and both are shown ("100x asked, 41x kept"). Emulated durations and the
// jitter drawn for them do not depend on how fast emulated time passes, so a seed replays the same session.

const SEQ = 0; // Int32 index
const BASE_WALL = 1; // Float64 indices (the Float64 view starts at byte 8)
const BASE_EMULATED = 2;
const SCALE = 3;
const PAUSED = 4;
const KEPT = 5;
const BYTES = 8 + 8 * 6;

export const minTimeScale = 0.1;
export const maxTimeScale = 1000;

export interface ClockReading {
  /** Emulated time, ms since the Unix epoch. */
  now: number;
  /** The scale asked for (setClock). */
  scale: number;
  /** The scale emulated time runs at: the asked one, or less while the machine cannot keep it. */
  keptScale: number;
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
    if (!buffer) this.write(init.startAt, init.scale, init.scale, false);
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
      const keptScale = this.f64[KEPT]!;
      const paused = this.f64[PAUSED] === 1;
      if (Atomics.load(this.seq, SEQ) !== before) continue;
      const now = paused ? baseEmulated : baseEmulated + (wallNow() - baseWall) * keptScale;
      return { now, scale, keptScale, paused };
    }
  }

  /** Real milliseconds until the emulated time `at`, or Infinity while paused. */
  realDelayUntil(at: number): number {
    const { now, keptScale, paused } = this.read();
    if (paused) return Infinity;
    return Math.max(0, (at - now) / keptScale);
  }

  /**
   * Change scale and/or pause; emulated time is continuous across the change. A new scale is kept in full
   * until the machine shows it cannot keep it. Main thread only.
   */
  set(change: { scale?: number; paused?: boolean }): ClockReading {
    const current = this.read();
    const scale = change.scale ?? current.scale;
    if (!(scale >= minTimeScale && scale <= maxTimeScale)) {
      throw new RangeError(`Time scale must be between ${minTimeScale} and ${maxTimeScale}, got ${scale}`);
    }
    const kept = change.scale === undefined ? current.keptScale : scale;
    this.write(current.now, scale, kept, change.paused ?? current.paused);
    return this.read();
  }

  /** Run emulated time at `scale`, at most the asked scale and at least the lowest; continuous. Main thread only. */
  keep(scale: number): ClockReading {
    const current = this.read();
    const kept = Math.min(current.scale, Math.max(minTimeScale, scale));
    if (kept !== current.keptScale) this.write(current.now, current.scale, kept, current.paused);
    return this.read();
  }

  /**
   * Take another clock's reading as this one's: a host node's clock follows the fabric's (serve/host-node.ts).
   * A reading without a kept scale runs at its scale (the fabric sends nodes the scale it keeps).
   */
  follow(reading: { now: number; scale: number; keptScale?: number; paused: boolean }): void {
    this.write(reading.now, reading.scale, reading.keptScale ?? reading.scale, reading.paused);
  }

  private write(emulated: number, scale: number, kept: number, paused: boolean): void {
    Atomics.add(this.seq, SEQ, 1);
    this.f64[BASE_WALL] = wallNow();
    this.f64[BASE_EMULATED] = emulated;
    this.f64[SCALE] = scale;
    this.f64[KEPT] = kept;
    this.f64[PAUSED] = paused ? 1 : 0;
    Atomics.add(this.seq, SEQ, 1);
  }
}
