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

describe('emulated timers with a wake spacing by scale (a host worker’s: one wake-up an emulated second, 10 ms to 1 s real)', () => {
  it('ask the rule at the scale the clock keeps, and space the wake-ups by its answer', async () => {
    const clock = new EmulatedClock(undefined, { startAt: 1_000_000, scale: 4 });
    const asked: number[] = [];
    const timers = new EmulatedTimers(clock, { wakeSpacingMs: (keptScale) => (asked.push(keptScale), keptScale >= 100 ? 0 : 300) });
    const wake = wakeCounter();
    const seen: { wake: number; realMs: number }[] = [];
    const t0 = performance.now();
    await new Promise<void>((resolve) =>
      timers.after(0, () => {
        seen.push({ wake: wake(), realMs: 0 });
        // From the clock's real now, as above: a late first wake-up would have them overdue, run in this wake.
        const base = clock.now();
        for (const delay of [4, 8]) timers.after(base - timers.now() + delay, () => (seen.push({ wake: wake(), realMs: performance.now() - t0 }), delay === 8 && resolve()));
      }),
    );
    expect(asked).toContain(4);
    expect(seen[1]!.wake).toBe(seen[2]!.wake); // 1 and 2 real ms apart: one wake-up, 300 ms after the first
    expect(seen[1]!.realMs).toBeGreaterThanOrEqual(200);
    // At 100x the rule answers 0: each timer its own wake-up again, not 300 ms later.
    clock.set({ scale: 100 });
    timers.clockChanged();
    const started = performance.now();
    await new Promise<void>((resolve) => timers.after(100, resolve));
    expect(asked).toContain(100);
    expect(performance.now() - started).toBeLessThan(250);
    timers.clear();
  });

  it('run the timers already due when asked to catch up (a message came), in order and before the message’s own work', async () => {
    const clock = new EmulatedClock(undefined, { startAt: 1_000_000, scale: 1 });
    const timers = new EmulatedTimers(clock, { wakeSpacingMs: 5_000 });
    const order: string[] = [];
    // A first wake sets the spacing's start; the two timers after it are due at once but wait for the spacing.
    await new Promise<void>((resolve) => timers.after(0, resolve));
    const base = clock.now();
    timers.after(base - timers.now() + 210, () => order.push(`timer 2 at ${Math.round(timers.now() - base)}`));
    timers.after(base - timers.now() + 200, () => order.push(`timer 1 at ${Math.round(timers.now() - base)}`));
    timers.catchUp(); // nothing due yet: nothing runs
    expect(order).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    expect(order).toEqual([]); // due, but the next wake-up is seconds away
    timers.catchUp();
    timers.atOnce(() => order.push('message'));
    expect(order).toEqual(['timer 1 at 200', 'timer 2 at 210', 'message']);
    timers.clear();
  });
});

describe('emulated timers far behind', () => {
  it('catch up in slices of about 50 real ms, so the rest of the thread (its log lines, its messages) runs between them', async () => {
    const clock = new EmulatedClock(undefined, { startAt: 1_000_000, scale: 1 });
    const timers = new EmulatedTimers(clock);
    const fired: number[] = [];
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    // 200 timers already due, each 1 ms of work: 200 ms in one turn without slices.
    for (let i = 0; i < 200; i++) timers.after(0, () => (busy(1), fired.push(i)));
    const seenBetween = await new Promise<number>((resolve) => setTimeout(() => resolve(fired.length), 5));
    expect(seenBetween).toBeGreaterThan(0);
    expect(seenBetween).toBeLessThan(120);
    await new Promise<void>((resolve) => {
      const check = () => (fired.length === 200 ? resolve() : setTimeout(check, 5));
      check();
    });
    expect(fired).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });
});

describe('emulated timers’ real timeouts', () => {
  it('take one setTimeout per wake-up: none for timers scheduled inside a wake, none that wakes before anything is due', async () => {
    const clock = new EmulatedClock(undefined, { startAt: 1_000_000, scale: 1 });
    const timers = new EmulatedTimers(clock);
    const realSetTimeout = globalThis.setTimeout;
    let armed = 0;
    let early = 0;
    // Count the timeouts the timers set, and the wake-ups that came before the earliest timer was due.
    const counting = ((callback: () => void, ms?: number) => {
      armed++;
      const due = clock.now() + (ms ?? 0);
      return realSetTimeout(() => {
        if (clock.now() < due - 1) early++;
        callback();
      }, ms);
    }) as typeof setTimeout;
    globalThis.setTimeout = counting;
    try {
      // A chain of 30 timers 2 ms apart, each scheduling the next and three more further out from its callback.
      const ran: number[] = [];
      await new Promise<void>((resolve) => {
        const step = (i: number) => {
          ran.push(i);
          if (i === 30) return resolve();
          timers.after(2, () => step(i + 1));
          for (const later of [100, 200, 300]) timers.after(later, () => undefined);
        };
        timers.after(2, () => step(1));
      });
      expect(ran).toHaveLength(30);
      // One timeout per wake-up at most (there are at most 30 here); arming again inside each callback made it 60+.
      expect(armed).toBeLessThanOrEqual(31);
      expect(early).toBe(0);
    } finally {
      globalThis.setTimeout = realSetTimeout;
      timers.clear();
    }
  });
});

describe('emulated timers that fall behind', () => {
  it('say how long their earliest due timer waited: a late wake-up, or timers still due after a slice', async () => {
    const clock = new EmulatedClock(undefined, { startAt: 1_000_000, scale: 1 });
    const told: number[] = [];
    const timers = new EmulatedTimers(clock, { onBehind: (ms) => told.push(ms) });
    // The thread busy past the due time: the wake-up comes late (how late an idle one comes is the machine's business).
    const wait = new Promise<void>((resolve) => timers.after(5, resolve));
    const until = performance.now() + 80;
    while (performance.now() < until);
    await wait;
    expect(told.length).toBe(1);
    expect(told[0]).toBeGreaterThanOrEqual(60);
    // 200 overdue timers of 1 ms each: the first slice leaves the rest due, and says they have waited.
    told.length = 0;
    let ran = 0;
    const done = new Promise<void>((resolve) => {
      for (let i = 0; i < 200; i++)
        timers.after(0, () => {
          const end = performance.now() + 1;
          while (performance.now() < end);
          if (++ran === 200) resolve();
        });
    });
    await done;
    expect(told.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...told)).toBeGreaterThanOrEqual(40);
    timers.clear();
  });
});

describe('work that waited on real I/O', () => {
  it('goes on at once while the clock runs, and only once it runs again while it is paused, at the paused instant', async () => {
    const clock = new EmulatedClock(undefined, { startAt: 1_000_000, scale: 1 });
    const timers = new EmulatedTimers(clock);
    const seen: number[] = [];
    timers.whenRunning(() => seen.push(timers.now()));
    expect(seen).toHaveLength(1);
    const pausedAt = clock.set({ paused: true }).now;
    timers.clockChanged();
    timers.whenRunning(() => seen.push(timers.now()));
    await new Promise((r) => setTimeout(r, 30));
    expect(seen).toHaveLength(1); // paused: nothing goes on
    clock.set({ paused: false });
    timers.clockChanged();
    await new Promise((r) => setTimeout(r, 30));
    expect(seen).toEqual([seen[0], pausedAt]);
    timers.clear();
  });

  it('given the instant it began at, runs as of that instant, held the same way while paused', async () => {
    const clock = new EmulatedClock(undefined, { startAt: 1_000_000, scale: 1 });
    const timers = new EmulatedTimers(clock);
    const seen: number[] = [];
    const bootedAt = clock.now() - 5_000;
    timers.whenRunning(() => seen.push(timers.now()), bootedAt);
    expect(seen).toEqual([bootedAt]);
    clock.set({ paused: true });
    timers.clockChanged();
    timers.whenRunning(() => seen.push(timers.now()), bootedAt);
    await new Promise((r) => setTimeout(r, 30));
    expect(seen).toHaveLength(1); // paused: an endpoint bound meanwhile reports nothing
    clock.set({ paused: false });
    timers.clockChanged();
    await new Promise((r) => setTimeout(r, 30));
    expect(seen).toEqual([bootedAt, bootedAt]);
    // Outside the work, now is the clock's again.
    expect(timers.now()).toBeGreaterThan(bootedAt);
    timers.clear();
  });
});
