// A host's heartbeat as a word of shared memory: the host agent writes the emulated time of each heartbeat
// (and, now and then, its thread's heap) where the fabric controller reads it when it probes its hosts for
// silence (fabric/pool-hosts.ts `watch`). A heartbeat that says nothing but "alive" then crosses no thread
// boundary and wakes no thread: 64 hosts at 100x sent the main thread 256 such messages a real second. A
// heartbeat with news (guests heard) still goes as a message. Hosts on a host node have no register: their
// heartbeats cross as messages (host-heartbeat.ts `beat`).
//
// The third cell says how far behind the host's timers run (`noteBehind`), which the clock governor reads:
// host threads nicer than the main thread can fall behind the asked pace while the main thread stays responsive.
//
// Layout: three BigInt64 cells, the heartbeat's time (the bits of its float64, so the time is exact), the heap
// in bytes and the most real microseconds the host's due timers waited since it was last taken; each written and
// read whole (Atomics), 0 until first written.

const at = 0;
const heap = 1;
const behind = 2;
const cellCount = 3;

export function heartbeatRegisterBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(cellCount * BigInt64Array.BYTES_PER_ELEMENT);
}

export interface HeartbeatReading {
  /** Emulated time of the host's latest heartbeat. */
  at: number;
  /** The host agent's V8 heap in use (bytes), as last written; absent before the first. */
  heapUsed?: number;
}

export class HeartbeatRegister {
  private readonly cells: BigInt64Array;
  /** A float64 and its bits, to move an exact time through an Atomics cell. */
  private readonly bits = new BigInt64Array(1);
  private readonly time = new Float64Array(this.bits.buffer);

  constructor(buffer: SharedArrayBuffer) {
    this.cells = new BigInt64Array(buffer, 0, cellCount);
  }

  write(time: number, heapUsed?: number): void {
    if (heapUsed !== undefined) Atomics.store(this.cells, heap, BigInt(heapUsed));
    this.time[0] = time;
    Atomics.store(this.cells, at, this.bits[0]!);
  }

  /** The host's side: its due timers waited `ms` real ms; the register keeps the most until it is taken. */
  noteBehind(ms: number): void {
    const us = BigInt(Math.round(ms * 1000));
    for (;;) {
      const kept = Atomics.load(this.cells, behind);
      if (us <= kept || Atomics.compareExchange(this.cells, behind, kept, us) === kept) return;
    }
  }

  /** The fabric's side: the most real ms the host's timers waited since the last take (0: never behind). */
  takeBehind(): number {
    return Number(Atomics.exchange(this.cells, behind, 0n)) / 1000;
  }

  /** The latest heartbeat, or null before the first. */
  read(): HeartbeatReading | null {
    const word = Atomics.load(this.cells, at);
    if (word === 0n) return null;
    this.bits[0] = word;
    const heapUsed = Number(Atomics.load(this.cells, heap));
    return { at: this.time[0]!, ...(heapUsed > 0 ? { heapUsed } : {}) };
  }
}
