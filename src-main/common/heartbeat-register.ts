// A host's heartbeat as a word of shared memory: the host agent writes the emulated time of each heartbeat
// (and, now and then, its thread's heap) where the fabric controller reads it when it probes its hosts for
// silence (fabric/pool-hosts.ts `watch`). A heartbeat that says nothing but "alive" then crosses no thread
// boundary and wakes no thread: 64 hosts at 100x sent the main thread 256 such messages a real second. A
// heartbeat with news (guests heard) still goes as a message. Hosts on a host node have no register: their
// heartbeats cross as messages (host-agent.ts `beat`).
//
// Layout: two BigInt64 cells, the heartbeat's time (the bits of its float64, so the time is exact) and the heap
// in bytes; each written and read whole (Atomics), 0 until the first heartbeat.

const at = 0;
const heap = 1;

export function heartbeatRegisterBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT);
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
    this.cells = new BigInt64Array(buffer, 0, 2);
  }

  write(time: number, heapUsed?: number): void {
    if (heapUsed !== undefined) Atomics.store(this.cells, heap, BigInt(heapUsed));
    this.time[0] = time;
    Atomics.store(this.cells, at, this.bits[0]!);
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
