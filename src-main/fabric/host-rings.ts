// The main thread's side of the host workers' message rings (common/message-ring.ts): one timer drains every
// host's ring every `drainEveryMs` while messages come, so the 64 (or 313) host threads no longer wake this thread
// once per message each. When a few drains in a row find nothing the timer stops and the control word asks the
// hosts to ring: the first host that writes then posts one port message, which starts the timer again. A host
// checks the word after its record is in the ring and the loop looks at the rings once more after setting it
// (both Atomics, sequentially consistent), so a record is never left waiting with the timer stopped.

/** Real ms between two drains while messages come: at most this much delay on what a host says. */
export const drainEveryMs = 20;
/** Drains that find nothing before the timer stops. */
const idleDrainsBeforeSleep = 4;
const asleep = 0;

/** What the loop drains: a host's ring; true when it found a record. */
export interface DrainedRing {
  drain(): boolean;
}

export class HostRings {
  /** Shared with every host worker of this process: [0] is 1 while the loop sleeps and wants a ring. */
  readonly control = new Int32Array(new SharedArrayBuffer(4));
  private readonly rings = new Set<DrainedRing>();
  private timer: NodeJS.Timeout | null = null;
  private idleDrains = 0;

  constructor() {
    Atomics.store(this.control, asleep, 1);
  }

  add(ring: DrainedRing): void {
    this.rings.add(ring);
  }

  delete(ring: DrainedRing): void {
    this.rings.delete(ring);
  }

  /** A host rang (or a ring is known to hold records): drain now, and on the timer until the rings stay empty. */
  wake(): void {
    Atomics.store(this.control, asleep, 0);
    this.idleDrains = 0;
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), drainEveryMs);
      this.timer.unref();
    }
    this.drainAll();
  }

  private drainAll(): boolean {
    let found = false;
    for (const ring of this.rings) {
      try {
        found = ring.drain() || found;
      } catch (error) {
        // The loop is a timer: a throw would end the process. The host's handler reports its own failures; this is the last guard.
        console.error('A host message could not be handled:', error);
        found = true;
      }
    }
    return found;
  }

  private tick(): void {
    if (this.drainAll()) return void (this.idleDrains = 0);
    if (++this.idleDrains < idleDrainsBeforeSleep) return;
    Atomics.store(this.control, asleep, 1);
    // A host that wrote before it could see the word set did not ring: look once more.
    if (this.drainAll()) {
      Atomics.store(this.control, asleep, 0);
      this.idleDrains = 0;
      return;
    }
    clearInterval(this.timer!);
    this.timer = null;
  }
}

/** The rings of this process's host workers (every fabric in it shares the one loop). */
export const hostRings = new HostRings();
