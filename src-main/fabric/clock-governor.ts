// Keeps the emulated clock at a pace the machine can hold. Host workers do work in proportion to the time
// scale (heartbeats, log lines, timers per real second); past what the cores can do, 64 busy workers take
// the CPU from the fabric's main thread, whose event loop then lags by seconds and stops serving the UI
// (docs/PERFORMANCE.md measured 4-6 s at 100x with 2,048 instances). The host threads now run nicer than the
// main thread on Linux, but past what the cores can do the work still waits somewhere: when the fabric's event
// loop lags, or its hosts' timers run behind (their heartbeat registers say how far), it runs the clock slower than asked
// (common/emulated-clock.ts keeps both scales) and raises it again once the lag is gone. The user sees both
// ("100x asked, 41x kept"). Only the rate of emulated time changes: every emulated duration and every
// jitter draw stays the same, so a seed replays the same session at any kept scale.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { EmulatedClock } from '../common/emulated-clock';

export interface GovernorOptions {
  /** Real ms per judgement (default 1,000). */
  windowMs?: number;
  /** Lower the kept scale when the main thread's event-loop lag p99 in a window exceeds this (default 20 ms). */
  highLagMs?: number;
  /** Raise it (towards the asked scale) after `calmWindows` windows below this (default 8 ms, 2 windows). */
  lowLagMs?: number;
  calmWindows?: number;
  /** Between the bounds, probe upwards (x1.25) after this many windows (default 5). */
  probeWindows?: number;
  /**
   * Lower the kept scale, too, when a host's due timers waited longer than this in a window (default 250 ms): host
   * threads run nicer than the main thread, so they can fall behind the asked pace while its event loop stays calm.
   */
  hostsBehindMs?: number;
}

/** What one window saw, and what the governor did about it. */
export interface PaceJudgement {
  lagP99Ms: number;
  /** The most real ms a host's due timers waited in the window. */
  hostsBehindMs: number;
  keptScale: number;
  changed: boolean;
}

export class ClockGovernor {
  private readonly windowMs: number;
  private readonly highLagMs: number;
  private readonly lowLagMs: number;
  private readonly calmWindows: number;
  private readonly probeWindows: number;
  private readonly hostsBehindBoundMs: number;
  private calm = 0;
  /** Windows between the bounds since the last change (the upward probe's count). */
  private quiet = 0;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly clock: EmulatedClock,
    /** Called after the kept scale changed (the fabric re-arms the workers' timers and tells the UI). */
    private readonly onChange: (judgement: PaceJudgement) => void,
    options: GovernorOptions = {},
    /** How far behind the hosts' timers ran since the last call (0: on time); taken once a window. */
    private readonly hostsBehind: () => number = () => 0,
  ) {
    this.windowMs = options.windowMs ?? 1_000;
    this.highLagMs = options.highLagMs ?? 20;
    this.lowLagMs = options.lowLagMs ?? 8;
    this.calmWindows = options.calmWindows ?? 2;
    this.probeWindows = options.probeWindows ?? 5;
    this.hostsBehindBoundMs = options.hostsBehindMs ?? 250;
  }

  /**
   * One window's verdict. Lag far past the bound cuts the pace harder (a lag of 10x the bound halves it),
   * so a machine overrun at 100x finds its pace in a few seconds; recovery is gentler (x1.25 after calm
   * windows) so the pace does not swing. Between the bounds the pace is probed upwards every few windows:
   * lag that slowing does not cure (the machine's other load, a backlog already worked off) must not hold
   * the clock down for good. Never below real time (1x) unless asked: at 1x the hosts' own work is small,
   * and a slower clock would only hide the machine's other load. Paused, nothing changes. Hosts whose timers ran
   * behind by more than their own bound count as lag past the high bound (by the same ratio); hosts more than a
   * quarter of it behind keep the window from being calm.
   */
  judge(lagP99Ms: number, hostsBehindMs = 0): PaceJudgement {
    const { scale, keptScale, paused } = this.clock.read();
    // How far past its bound the worse of the two signals is: above 1 the pace is too high.
    const overrun = Math.max(lagP99Ms / this.highLagMs, hostsBehindMs / this.hostsBehindBoundMs);
    let next = keptScale;
    if (paused) {
      this.calm = this.quiet = 0;
    } else if (overrun > 1) {
      this.calm = this.quiet = 0;
      next = keptScale * (overrun > 10 ? 0.5 : 0.75);
    } else if (keptScale < scale) {
      if (lagP99Ms < this.lowLagMs && hostsBehindMs < this.hostsBehindBoundMs / 4) {
        this.quiet = 0;
        if (++this.calm >= this.calmWindows) next = keptScale * 1.25;
      } else {
        this.calm = 0;
        if (++this.quiet >= this.probeWindows) next = keptScale * 1.25;
      }
      if (next !== keptScale) this.calm = this.quiet = 0;
    }
    const kept = this.clock.keep(Math.max(Math.min(scale, 1), roundScale(next))).keptScale;
    const judgement = { lagP99Ms, hostsBehindMs, keptScale: kept, changed: kept !== keptScale };
    if (judgement.changed) this.onChange(judgement);
    return judgement;
  }

  /** Judge the main thread's own event loop every window; returns the stopper. */
  start(): () => void {
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    this.hostsBehind(); // what the hosts wrote before (their boot, a bring-up) is not this window's
    let last = performance.now();
    this.timer = setInterval(() => {
      // The window's own timer is a sample too: a loop blocked across the whole window shows only in how late it fires.
      const now = performance.now();
      const late = Math.max(0, now - last - this.windowMs);
      last = now;
      const p99 = delay.count > 0 ? delay.percentile(99) / 1e6 : 0;
      delay.reset();
      this.judge(Math.max(p99, late), this.hostsBehind());
    }, this.windowMs);
    this.timer.unref();
    return () => {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      delay.disable();
    };
  }
}

/** Two significant digits (41x, 4.1x): a pace shown to users, not a number that twitches every second. */
function roundScale(scale: number): number {
  const digits = Math.max(0, 1 - Math.floor(Math.log10(scale)));
  const f = 10 ** digits;
  return Math.round(scale * f) / f;
}
