// The host agent's own heartbeat to the fabric controller, and the guests' heartbeats it relays: when the host
// wakes to beat, what it writes into its heartbeat register, and when a heartbeat crosses to the fabric as a
// message (with the guests heard since their last report). host-agent.ts owns the VMs; this keeps their beats.
import type { HeartbeatRegister } from '../common/heartbeat-register';
import type { TimerHandle } from '../common/emulated-timers';
import type { FromHost, GuestHeartbeatReport } from '../common/host-protocol';
import type { HostContext } from './host-context';

/** Real ms between the host heartbeats that cross to the fabric, at most (`beat`). */
const heartbeatCrossingRealMs = 250;
/** Real ms between the wake-ups that beat, at most every heartbeat (`beat`). */
const heartbeatWakeRealMs = 100;

/** What the host agent knows of one guest's heartbeats since it last booted, and what of them the fabric has heard. */
export interface GuestBeats {
  readonly instanceId: string;
  /** Latest heartbeat since the guest last booted (emulated); null until its first, or after a silence. */
  last: number | null;
  count: number;
  /** The count last reported to the fabric, and when (emulated); -Infinity: report at the next host heartbeat. */
  reportedCount: number;
  reportedAt: number;
}

export function guestBeats(instanceId: string): GuestBeats {
  return { instanceId, last: null, count: 0, reportedCount: 0, reportedAt: -Infinity };
}

/** The guest answered `count` heartbeat requests, the last at `at`. Heard again after a boot or a silence, the fabric hears it at once. */
export function heardGuest(beats: GuestBeats, at: number, count: number): void {
  if (beats.last === null) beats.reportedAt = -Infinity;
  beats.last = at;
  beats.count += count;
}

export class HostHeartbeat {
  /** Emulated time the thread's heap was last reported (`beat`). */
  private heapReportedAt = -Infinity;
  /** Emulated time of the last heartbeat that crossed to the fabric (`beat`). */
  private crossedAt = -Infinity;
  /** Emulated time of the first heartbeat: the grid the others keep. */
  private startedAt = 0;
  /** The next heartbeat's wake-up. */
  private nextBeat: TimerHandle | null = null;

  constructor(
    private readonly context: HostContext,
    private readonly toController: (message: FromHost) => void,
    /** Where every heartbeat is written for the controller to read; null: heartbeats cross as messages. */
    private readonly register: HeartbeatRegister | null,
    /** The host's guests' beats. */
    private readonly guests: () => Iterable<GuestBeats>,
  ) {}

  /** The first heartbeat, at `at` (now), which sets the grid. */
  start(at: number): void {
    this.startedAt = at;
    this.beat();
  }

  /**
   * The clock's scale changed: a wake-up spaced for 1000x would leave the host silent for minutes at 1x, so the next
   * beat comes at the next heartbeat of the grid, and spaces the following ones for the new scale.
   */
  clockChanged(): void {
    if (!this.nextBeat) return;
    this.nextBeat.cancel();
    const { hostHeartbeat } = this.context.timings;
    this.nextBeat = this.context.timers.after(hostHeartbeat - ((this.context.timers.now() - this.startedAt) % hostHeartbeat), () => this.beat());
  }

  /**
   * The host's heartbeat, every 5 emulated seconds. With a heartbeat register (a host worker of the fabric's own
   * process) each heartbeat is written there, the heap about once a real second, and a message crosses only with
   * news: a guest heard after a boot or a silence at once, the guests that beat since their last report at most
   * about once a real second (every 100 emulated s at 100x). A quiet host sends nothing; the controller reads its
   * register when it probes (pool-hosts.ts `watch`).
   *
   * Without a register (a host node's host, whose heartbeat travels over NATS), the heartbeat itself crosses, at
   * most about every quarter of a real second (every heartbeat up to 20x, every 20 emulated s at 100x) and never
   * further apart than half the silence the controller waits for before it calls the host failed: that silence
   * must last both the host timeout (emulated) and the real floor, so half of the longer of the two (at 1000x with
   * the 2 s floor every 200 emulated s; half the 60 s timeout alone made it every 30 ms); it carries the same news,
   * the heap with it. Either way the fabric's view stays at most about a real second behind, and its main thread
   * no longer takes one message per 5 emulated seconds per host (at 100x 64 hosts sent 1,280 a second), nor every
   * guest at every heartbeat (docs/PERFORMANCE.md). A guest that stops beating is the host agent's watchdog's
   * business (UnresponsiveRole), not the fabric's.
   *
   * The beats between two wake-ups would only write the register again, or cross nothing: at a high scale the agent
   * wakes every so many beats on their grid, about every tenth of a real second and within a quarter of that silence
   * (at 100x every other beat, at 1000x every 20th). Each wake-up costs a host thread 0.1-0.2 ms of CPU here: 64 idle
   * hosts at 1000x took a whole core for beats no one read (docs/PERFORMANCE.md).
   */
  private beat(): void {
    const now = this.context.timers.now();
    const scale = this.context.timers.scale;
    const { hostHeartbeat, hostHeartbeatTimeout } = this.context.timings;
    const silenceAllowed = Math.max(hostHeartbeatTimeout, scale * this.context.silenceFloorMs);
    const wakeEvery = hostHeartbeat * Math.max(1, Math.floor(Math.min(scale * heartbeatWakeRealMs, silenceAllowed / 4) / hostHeartbeat));
    this.nextBeat = this.context.timers.after(wakeEvery, () => this.beat());
    const guestEvery = Math.max(hostHeartbeat, scale * 1000);
    // The thread's heap as often as the guests (a support engineer's first look at a host that grows).
    const heapUsed = (): number | undefined => {
      if (now - this.heapReportedAt < guestEvery) return undefined;
      this.heapReportedAt = now;
      return process.memoryUsage().heapUsed;
    };
    if (this.register) {
      this.register.write(now, heapUsed());
      if (!this.hasFreshGuest() && (now - this.crossedAt < guestEvery || !this.hasGuestBeatSince())) return;
      this.crossedAt = now;
      this.toController({ type: 'host-heartbeat', at: now, guests: this.guestReports(now, 0) });
      return;
    }
    const crossEvery = Math.min(Math.max(hostHeartbeat, scale * heartbeatCrossingRealMs), silenceAllowed / 2);
    // Crossed now unless the next wake-up still comes in time: never further apart than crossEvery.
    if (now + wakeEvery - this.crossedAt <= crossEvery && !this.hasFreshGuest()) return;
    const guests = this.guestReports(now, guestEvery);
    const heap = heapUsed();
    this.crossedAt = now;
    this.toController({ type: 'host-heartbeat', at: now, guests, ...(heap !== undefined ? { heapUsed: heap } : {}) });
  }

  /** Each guest that beat since it was last reported, at most once per `every` emulated ms, marked reported. */
  private guestReports(now: number, every: number): GuestHeartbeatReport[] {
    const guests: GuestHeartbeatReport[] = [];
    for (const beats of this.guests()) {
      if (beats.last === null || beats.count === beats.reportedCount || now - beats.reportedAt < every) continue;
      guests.push({ instanceId: beats.instanceId, at: beats.last, count: beats.count });
      beats.reportedCount = beats.count;
      beats.reportedAt = now;
    }
    return guests;
  }

  private hasGuestBeatSince(): boolean {
    for (const beats of this.guests()) if (beats.last !== null && beats.count !== beats.reportedCount) return true;
    return false;
  }

  /** A guest heard after a boot or a silence that the fabric has not heard of yet. */
  private hasFreshGuest(): boolean {
    for (const beats of this.guests()) if (beats.last !== null && beats.reportedAt === -Infinity) return true;
    return false;
  }
}
