// Wake spacing of the emulated timers (a host worker's): timers due close together run in one wake-up, each
// still seeing its own due time as now.
import { describe, expect, it } from 'vitest';
import { EmulatedClock } from '../../src-main/common/emulated-clock';
import { EmulatedTimers } from '../../src-main/common/emulated-timers';

/** A number per wake-up: timers run in one wake share it (microtasks only run after the whole burst). */
function wakeCounter(): () => number {
  let wake = 0;
  let marked = false;
  return () => {
    if (!marked) {
      marked = true;
      wake++;
      queueMicrotask(() => (marked = false));
    }
    return wake;
  };
}

describe('emulated timers with a wake spacing', () => {
  it('run the timers due within the spacing together, each at its own due time', async () => {
    const clock = new EmulatedClock(undefined, { startAt: 1_000_000, scale: 1 });
    const timers = new EmulatedTimers(clock, { wakeSpacingMs: 200 });
    const wake = wakeCounter();
    const seen: { due: number; now: number; wake: number; realMs: number }[] = [];
    let firstWakeAt = 0;
    await new Promise<void>((resolve) =>
      // The first wake schedules the rest from inside it, so the spacing counts from a wake the test saw.
      timers.after(0, () => {
        firstWakeAt = performance.now();
        // A late wake (a busy machine) still sees its own due time as now; the burst is scheduled from the clock's
        // real now, or it would already be overdue and run in this wake.
        const base = clock.now();
        const first = wake();
        for (const delay of [5, 10, 400]) {
          timers.after(base - timers.now() + delay, () => {
            seen.push({ due: base + delay, now: timers.now(), wake: wake(), realMs: performance.now() - firstWakeAt });
            if (delay === 400) resolve();
          });
        }
        seen.push({ due: base, now: base, wake: first, realMs: 0 });
      }),
    );
    const [first, five, ten] = [seen[0]!, seen[1]!, seen[2]!];
    for (const s of seen.slice(1)) expect(s.now).toBe(s.due);
    expect(five.wake).toBe(ten.wake); // 5 and 10 ms: one wake-up
    expect(five.wake).toBeGreaterThan(first.wake);
    expect(five.realMs).toBeGreaterThanOrEqual(100); // not before the spacing (200 ms, less the loop's cached time)
  });
});
