// The clock governor (fabric/clock-governor.ts): lag on the fabric's main thread lowers the kept scale,
// harder the worse it is; calm raises it again, gently, never past the asked scale; a pause or a new ask
// is respected; every change is reported once.
import { describe, expect, it } from 'vitest';
import { EmulatedClock } from '../../src-main/common/emulated-clock';
import { ClockGovernor, type PaceJudgement } from '../../src-main/fabric/clock-governor';

function governed(scale: number) {
  const clock = new EmulatedClock(undefined, { startAt: 0, scale });
  const changes: PaceJudgement[] = [];
  const governor = new ClockGovernor(clock, (j) => changes.push(j), { highLagMs: 50, lowLagMs: 15, calmWindows: 2, probeWindows: 5 });
  return { clock, governor, changes };
}

describe('the clock governor', () => {
  it('lowers the kept scale while the main thread lags, harder for a worse lag, and tells each change', () => {
    const { clock, governor, changes } = governed(100);
    expect(governor.judge(30).changed).toBe(false); // between the bounds: nothing to do
    expect(governor.judge(80).keptScale).toBe(75); // past the bound: x0.75
    expect(governor.judge(4_000).keptScale).toBe(38); // ten times past it: halved (37.5, shown with two digits)
    expect(clock.read()).toMatchObject({ scale: 100, keptScale: 38 });
    expect(changes.map((c) => c.keptScale)).toEqual([75, 38]);
    for (let i = 0; i < 40; i++) governor.judge(10_000);
    expect(clock.read().keptScale).toBe(1); // never below real time
    const slow = governed(0.5);
    slow.governor.judge(10_000);
    expect(slow.clock.read().keptScale).toBe(0.5); // nor below what was asked, when that is slower
  });

  it('lowers it too when the hosts’ timers ran behind past their bound, though the main thread was calm, and waits for them to catch up', () => {
    const clock = new EmulatedClock(undefined, { startAt: 0, scale: 1000 });
    const changes: PaceJudgement[] = [];
    const governor = new ClockGovernor(clock, (j) => changes.push(j), { highLagMs: 50, lowLagMs: 15, calmWindows: 2, hostsBehindMs: 200 });
    expect(governor.judge(2, 150).changed).toBe(false); // inside the hosts' bound
    expect(governor.judge(2, 300).keptScale).toBe(750); // past it, with a calm main thread: x0.75
    expect(governor.judge(2, 5_000).keptScale).toBe(375); // ten times past it: halved
    expect(changes.at(-1)).toMatchObject({ lagP99Ms: 2, hostsBehindMs: 5_000, keptScale: 375 });
    // Calm only once the hosts are nearly on time: a main thread at rest does not raise it while they lag 100 ms.
    for (let i = 0; i < 3; i++) expect(governor.judge(2, 100).changed).toBe(false);
    governor.judge(2, 10);
    expect(governor.judge(2, 10).keptScale).toBe(469);
  });

  it('probes upwards every few windows between the bounds, so lag that slowing does not cure cannot hold it down', () => {
    const { clock, governor } = governed(100);
    clock.keep(10);
    for (let i = 0; i < 4; i++) expect(governor.judge(30).changed).toBe(false);
    expect(governor.judge(30).keptScale).toBe(13); // the fifth window between the bounds: x1.25 (12.5, two digits)
    expect(governor.judge(200).keptScale).toBe(9.8); // too much: cut again
  });

  it('raises it after calm windows, by steps, up to the asked scale and no further', () => {
    const { clock, governor } = governed(100);
    clock.keep(40);
    expect(governor.judge(5).changed).toBe(false); // one calm window is not enough
    expect(governor.judge(5).keptScale).toBe(50);
    governor.judge(5);
    governor.judge(30); // a window between the bounds starts the count again
    expect(governor.judge(5).changed).toBe(false);
    expect(governor.judge(5).keptScale).toBe(63);
    for (let i = 0; i < 20; i++) governor.judge(1);
    expect(clock.read().keptScale).toBe(100);
  });

  it('changes nothing while paused, and a new asked scale starts in full', () => {
    const { clock, governor, changes } = governed(1000);
    clock.set({ paused: true });
    expect(governor.judge(5_000).changed).toBe(false);
    clock.set({ paused: false });
    governor.judge(5_000);
    expect(clock.read().keptScale).toBe(500);
    clock.set({ scale: 10 });
    expect(clock.read()).toMatchObject({ scale: 10, keptScale: 10 });
    expect(changes).toHaveLength(1);
  });

  it('judges the real event loop once started, and stops', async () => {
    const clock = new EmulatedClock(undefined, { startAt: 0, scale: 1000 });
    const changes: PaceJudgement[] = [];
    const stop = new ClockGovernor(clock, (j) => changes.push(j), { windowMs: 50, highLagMs: 20 }).start();
    const until = performance.now() + 120;
    while (performance.now() < until) {
      // a main thread held busy for 120 ms: the lag the governor answers
    }
    await new Promise((r) => setTimeout(r, 150));
    stop();
    expect(clock.read().keptScale).toBeLessThan(1000);
    expect(changes[0]!.lagP99Ms).toBeGreaterThan(20);
    const after = changes.length;
    await new Promise((r) => setTimeout(r, 120));
    expect(changes).toHaveLength(after); // stopped: no more judgements
  });
});
