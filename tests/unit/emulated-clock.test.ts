import { describe, expect, it } from 'vitest';
import { EmulatedClock } from '../../src-main/common/emulated-clock';
import { EmulatedTimers } from '../../src-main/common/emulated-timers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the emulated clock', () => {
  it('runs at its scale and is read the same through a second view of its buffer (as a worker would)', async () => {
    const clock = new EmulatedClock(undefined, { startAt: 1_000_000, scale: 1000 });
    const other = new EmulatedClock(clock.buffer);
    await sleep(50);
    expect(clock.now() - 1_000_000).toBeGreaterThanOrEqual(49_000); // at least 50 ms real at 1000x
    const paused = clock.set({ paused: true });
    expect(other.read()).toEqual(paused);
    expect(other.read().scale).toBe(1000);
  });

  it('stands still while paused and continues from where it stopped', async () => {
    const clock = new EmulatedClock(undefined, { startAt: 0, scale: 100 });
    const paused = clock.set({ paused: true }).now;
    await sleep(30);
    expect(clock.now()).toBe(paused);
    clock.set({ paused: false });
    expect(clock.now() - paused).toBeLessThan(1_000);
  });

  it('refuses a time scale out of range and keeps the old one', () => {
    const clock = new EmulatedClock(undefined, { startAt: 0, scale: 10 });
    expect(() => clock.set({ scale: 0 })).toThrow(/between 0.1 and 1000/);
    expect(() => clock.set({ scale: 5000 })).toThrow(RangeError);
    expect(() => clock.set({ scale: Number.NaN })).toThrow(RangeError);
    expect(clock.read().scale).toBe(10);
  });
});

describe('emulated timers', () => {
  it('fire in emulated order at the clock scale', async () => {
    const clock = new EmulatedClock(undefined, { startAt: 0, scale: 1000 });
    const timers = new EmulatedTimers(clock);
    const fired: string[] = [];
    timers.after(20_000, () => fired.push('20s'));
    timers.after(5_000, () => fired.push('5s'));
    timers.after(10_000, () => fired.push('10s'));
    const cancelled = timers.after(1_000, () => fired.push('cancelled'));
    cancelled.cancel();
    await sleep(200);
    expect(fired).toEqual(['5s', '10s', '20s']);
  });

  it('wait while the clock is paused and fire once it resumes', async () => {
    const clock = new EmulatedClock(undefined, { startAt: 0, scale: 1000 });
    const timers = new EmulatedTimers(clock);
    let fired = false;
    clock.set({ paused: true });
    timers.after(1_000, () => (fired = true));
    timers.clockChanged();
    await sleep(20);
    expect(fired).toBe(false);
    clock.set({ paused: false });
    timers.clockChanged();
    await sleep(100);
    expect(fired).toBe(true);
  });

  it('re-arm when the scale goes up, so a long emulated wait ends early in real time', async () => {
    const clock = new EmulatedClock(undefined, { startAt: 0, scale: 1 });
    const timers = new EmulatedTimers(clock);
    let fired = false;
    timers.after(10_000, () => (fired = true)); // 10 s real at 1x
    clock.set({ scale: 1000 });
    timers.clockChanged();
    await sleep(200);
    expect(fired).toBe(true);
  });

  it('give a callback its due time as "now", so intervals stay exact however late the thread is', async () => {
    const clock = new EmulatedClock(undefined, { startAt: 0, scale: 1000 });
    const timers = new EmulatedTimers(clock);
    const at: number[] = [];
    const beat = () => {
      at.push(timers.now());
      if (at.length < 5) timers.after(2_500, beat);
    };
    timers.after(2_500, beat);
    const busyUntil = Date.now() + 30; // a busy thread: 30 s of emulated time pass before the timer can fire
    while (Date.now() < busyUntil);
    await sleep(200);
    expect(at.slice(1).map((t, i) => t - at[i]!)).toEqual([2_500, 2_500, 2_500, 2_500]);
  });

  it('run a message handler at one instant: what it stamps and what it schedules start from the same now', async () => {
    const clock = new EmulatedClock(undefined, { startAt: 0, scale: 1000 });
    const timers = new EmulatedTimers(clock);
    let stamped = 0;
    let fired = 0;
    timers.atOnce(() => {
      stamped = timers.now();
      const busyUntil = Date.now() + 5; // 5 s of emulated time pass inside the handler
      while (Date.now() < busyUntil);
      timers.after(1_000, () => (fired = timers.now()));
    });
    await sleep(100);
    expect(fired - stamped).toBe(1_000);
  });
});

describe('the scale the clock keeps', () => {
  it('runs emulated time at the kept scale, continuous, never above the asked one, in every view of the buffer', async () => {
    const clock = new EmulatedClock(undefined, { startAt: 0, scale: 1000 });
    const worker = new EmulatedClock(clock.buffer);
    expect(clock.read()).toMatchObject({ scale: 1000, keptScale: 1000 });
    const t0 = performance.now();
    const before = clock.now();
    const kept = clock.keep(10);
    // No jump at the change: no more emulated time than the real time that passed, at 1000x at most.
    expect(kept.now - before).toBeGreaterThanOrEqual(0);
    expect(kept.now - before).toBeLessThanOrEqual((performance.now() - t0) * 1000 + 1);
    expect(worker.read()).toMatchObject({ scale: 1000, keptScale: 10 });
    const at = clock.now();
    await sleep(100);
    const ran = clock.now() - at;
    expect(ran).toBeGreaterThanOrEqual(900); // >= 100 ms real at 10x
    expect(ran).toBeLessThan(20_000); // far below what 1000x would run, even on a slow machine
    expect(clock.realDelayUntil(clock.now() + 10_000)).toBeGreaterThan(900); // timers wait at the kept pace
    expect(clock.keep(5000).keptScale).toBe(1000); // never above the asked scale
    expect(clock.keep(0).keptScale).toBe(0.1); // nor below the lowest
  });

  it('keeps a new asked scale in full, and the kept one across a pause', () => {
    const clock = new EmulatedClock(undefined, { startAt: 0, scale: 100 });
    clock.keep(41);
    expect(clock.set({ paused: true })).toMatchObject({ scale: 100, keptScale: 41, paused: true });
    expect(clock.set({ paused: false })).toMatchObject({ keptScale: 41 });
    expect(clock.set({ scale: 1000 })).toMatchObject({ scale: 1000, keptScale: 1000 });
  });
});
