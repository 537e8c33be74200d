// Timers on the emulated clock, one scheduler per thread. Only the earliest timer holds a real
// setTimeout; when the clock's scale changes or it pauses, `clockChanged()` re-arms it.
import type { EmulatedClock } from './emulated-clock';

interface Timer {
  due: number;
  order: number;
  callback: () => void;
  cancelled: boolean;
}

export interface TimerHandle {
  cancel(): void;
}

export interface EmulatedTimersOptions {
  /**
   * Fewest real milliseconds between two wake-ups (default 0: wake for each timer), or a rule giving them for the
   * scale the clock keeps. Each timer still sees its own due time as "now", so what it stamps and schedules is
   * unchanged; it only runs up to this much later, together with the others due by then. A host worker at 1000x
   * has a timer due every few hundred microseconds, and at 1x its 32 guests' heartbeats, probes and Run lines
   * come some 18 times a real second at random: each wake-up of a thread costs more than the work it does.
   */
  wakeSpacingMs?: number | ((keptScale: number) => number);
  /**
   * Told at each wake-up that came late or left due timers waiting, with how many real ms the earliest waited: a
   * host worker writes it where the clock governor reads it (common/heartbeat-register.ts).
   */
  onBehind?: (realMs: number) => void;
}

/** Real ms of due timers run in one turn at most (`fire`). */
const catchUpSliceMs = 50;

export class EmulatedTimers {
  private readonly heap: Timer[] = [];
  private order = 0;
  private armed: unknown = undefined;
  /** performance.now() the armed wake-up is set for. */
  private armedFor = Infinity;
  /** Inside `fire`, which arms once at its end for whatever its callbacks scheduled. */
  private inFire = false;
  /** While a timer's callback runs: its due time, the logical "now" of what it does. */
  private firing: number | null = null;
  private readonly wakeSpacingMs: (keptScale: number) => number;
  private readonly onBehind: ((realMs: number) => void) | undefined;
  /** performance.now() of the last wake-up. */
  private lastWake = -Infinity;

  constructor(
    private readonly clock: EmulatedClock,
    options: EmulatedTimersOptions = {},
  ) {
    const spacing = options.wakeSpacingMs ?? 0;
    this.wakeSpacingMs = typeof spacing === 'function' ? spacing : () => spacing;
    this.onBehind = options.onBehind;
  }

  /**
   * Emulated now for whatever runs on this thread. Inside a timer callback it is the timer's due time,
   * not the moment the thread got round to it: a heartbeat due at 12:00:02.500 happened then, however
   * busy the machine was, so intervals stay exact at any time scale.
   */
  now(): number {
    return this.firing ?? this.clock.now();
  }

  /**
   * Run `work` (a message handler, say) at one instant: everything it stamps or schedules counts from the
   * same "now", as a timer callback's does.
   */
  atOnce<T>(work: () => T): T {
    if (this.firing !== null) return work();
    this.firing = this.clock.now();
    try {
      return work();
    } finally {
      this.firing = null;
    }
  }

  /**
   * Go on with work that waited on real I/O and takes no emulated time (files laid out, a module loaded, a process's
   * answer): now, at one instant, while the clock runs; while it is paused, at the instant it runs again. A paused
   * fabric stays as the pause left it, whatever the disk finishes meanwhile. Given `at`, the work runs as of that
   * emulated instant (`atInstant`), held the same way while paused.
   */
  whenRunning(work: () => void, at?: number): void {
    const run = () => void (at === undefined ? this.atOnce(work) : this.asOf(at, work));
    // Held: the timer runs it when the clock runs again, as of `at` still (the timer's own now is later).
    if (this.clock.read().paused) this.after(0, run);
    else run();
  }

  /**
   * Run `work` as if at emulated instant `at` (not after it is due): what waited on real I/O that takes no
   * emulated time (binding a listener) goes on from where it started, so a replay with the same seed agrees.
   */
  atInstant<T>(at: number, work: () => T): T {
    return this.firing !== null ? work() : this.asOf(at, work);
  }

  /** Run `work` with now at `at`, or at the current now if that is earlier. */
  private asOf<T>(at: number, work: () => T): T {
    const outer = this.firing;
    this.firing = Math.min(at, outer ?? this.clock.now());
    try {
      return work();
    } finally {
      this.firing = outer;
    }
  }

  /** Run `callback` once `delay` emulated milliseconds have passed. */
  after(delay: number, callback: () => void): TimerHandle {
    const timer: Timer = { due: this.now() + delay, order: this.order++, callback, cancelled: false };
    this.push(timer);
    if (this.heap[0] === timer && !this.inFire) this.arm();
    return { cancel: () => void (timer.cancelled = true) };
  }

  /** The scale emulated time runs at now (the kept one, common/emulated-clock.ts). */
  get scale(): number {
    return this.clock.read().keptScale;
  }

  /** Call after the clock's scale or pause changed. */
  clockChanged(): void {
    this.arm();
  }

  /** Drop every pending timer (a host shutting down). */
  clear(): void {
    this.heap.length = 0;
    this.disarm();
  }

  get pending(): number {
    return this.heap.length;
  }

  /**
   * One real setTimeout for the earliest timer. Node may run a timeout up to a millisecond before its delay (it counts
   * from the event loop's cached time), and such a wake found nothing due and armed again: 38% of an idle host's
   * wake-ups at 100x, each a thread woken for nothing. So the wake is set a millisecond past the due time (every
   * callback still sees its own due time as now), and a wake already set no later is kept, not replaced.
   */
  private arm(): void {
    const first = this.heap[0];
    const delay = first ? this.clock.realDelayUntil(first.due) : Infinity;
    if (delay === Infinity) return this.disarm();
    const realNow = performance.now();
    let wakeAt = realNow + Math.ceil(delay) + 1;
    const spacing = this.wakeSpacingMs(this.scale);
    if (spacing > 0) wakeAt = Math.max(wakeAt, this.lastWake + spacing);
    // A wake set earlier stays: it runs what is due by then and arms again.
    if (this.armed !== undefined && this.armedFor <= wakeAt) return;
    this.disarm();
    this.armedFor = wakeAt;
    this.armed = setTimeout(() => this.fire(), wakeAt - realNow);
  }

  /**
   * Run the timers already due, now: the thread is awake anyway (a message came), and what was due before the
   * message happened before it, so it runs first, however far apart the wake-ups are spaced.
   */
  catchUp(): void {
    const first = this.heap[0];
    if (this.inFire || !first || first.due > this.clock.now()) return;
    this.disarm();
    this.fire();
  }

  private disarm(): void {
    if (this.armed !== undefined) clearTimeout(this.armed);
    this.armed = undefined;
    this.armedFor = Infinity;
  }

  private fire(): void {
    const started = performance.now();
    const lateMs = started - this.armedFor;
    this.armed = undefined;
    this.armedFor = Infinity;
    this.inFire = true;
    this.lastWake = started;
    const now = this.clock.now();
    // Run everything due; callbacks may schedule more, which lands in the heap and is considered here too. A thread
    // that has fallen far behind (1,024 guests at 1000x) catches up in slices: within one turn its log lines, VMBus
    // deliveries and messages wait for the turn's end, and a catch-up that never ended held them all.
    try {
      while (this.heap.length > 0 && this.heap[0]!.due <= now && performance.now() - started < catchUpSliceMs) {
        const timer = this.pop()!;
        if (timer.cancelled) continue;
        this.firing = timer.due;
        try {
          timer.callback();
        } finally {
          this.firing = null;
        }
      }
    } finally {
      this.inFire = false;
      this.arm();
    }
    if (this.onBehind) this.reportBehind(lateMs, now);
  }

  /** How late this wake-up came, or how long the earliest timer still due after the slice has waited, if longer. */
  private reportBehind(lateMs: number, wokeAt: number): void {
    let behindMs = Math.max(0, lateMs);
    const first = this.heap[0];
    // Only a slice that ran out leaves timers due by the wake's own now (the clock is read only then).
    if (first && first.due <= wokeAt) {
      const { now, keptScale, paused } = this.clock.read();
      if (!paused) behindMs = Math.max(behindMs, (now - first.due) / keptScale);
    }
    if (behindMs >= 1) this.onBehind!(behindMs);
  }

  private less(a: Timer, b: Timer): boolean {
    return a.due < b.due || (a.due === b.due && a.order < b.order);
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): Timer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && this.less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && this.less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }
}
