// One host's messages to the fabric, written into a SharedArrayBuffer the fabric's main thread drains on a timer
// (fabric/host-rings.ts) instead of a port message each: with 64 host threads posting, the main thread paid 22-26 us
// per message, most of it libuv walking every worker's port handle at each wake-up (docs/PERFORMANCE.md), against
// ~7 us from a ring. One writer (the host's thread) and one reader (the main thread); a record is bytes (the host
// writes its turn's messages as JSON: what a host says is JSON-safe, host nodes send the same over NATS).
//
// Layout: two Int32 indexes (write, read) then `capacity` bytes of records, each a Uint32 length and its bytes,
// padded to 4. A record that does not fit before the end leaves a wrap mark (length 0xFFFFFFFF) and starts at 0.
// The write index moves only after its record is written, and the read index only after its record is copied
// out (Atomics, sequentially consistent), so each side sees whole records only.

/** What a host worker is given to write its messages into (fabric/host-proxy.ts, host/host-os.ts). */
export interface HostRingData {
  ring: SharedArrayBuffer;
  /** [0] is 1 while the fabric's drain loop sleeps: the next host to write posts 'ring' to wake it (fabric/host-rings.ts). */
  control: Int32Array;
  /** Where the host agent writes its heartbeats (common/heartbeat-register.ts); absent: they cross as messages. */
  heartbeat?: SharedArrayBuffer;
}

const writeAt = 0;
const readAt = 1;
const headerBytes = 8;
const wrapMark = 0xffffffff;

export function ringBuffer(capacity: number): SharedArrayBuffer {
  if (capacity % 4 !== 0 || capacity < 64) throw new RangeError(`A message ring's capacity must be a multiple of 4 of at least 64 bytes, not ${capacity}`);
  return new SharedArrayBuffer(headerBytes + capacity);
}

const padded = (n: number) => (n + 3) & ~3;

class Ring {
  protected readonly index: Int32Array;
  protected readonly bytes: Uint8Array;
  protected readonly view: DataView;
  protected readonly capacity: number;

  constructor(buffer: SharedArrayBuffer) {
    this.index = new Int32Array(buffer, 0, 2);
    this.capacity = buffer.byteLength - headerBytes;
    this.bytes = new Uint8Array(buffer, headerBytes, this.capacity);
    this.view = new DataView(buffer, headerBytes, this.capacity);
  }

  get empty(): boolean {
    return Atomics.load(this.index, writeAt) === Atomics.load(this.index, readAt);
  }
}

export class RingWriter extends Ring {
  /** Whether a record of `length` bytes could ever fit. */
  fits(length: number): boolean {
    return 4 + padded(length) < this.capacity;
  }

  /** Write one record; false (nothing written) while the ring has no room for it. */
  write(record: Uint8Array): boolean {
    const need = 4 + padded(record.length);
    const w = Atomics.load(this.index, writeAt);
    const r = Atomics.load(this.index, readAt);
    let at: number;
    if (w >= r) {
      // Free: [w, capacity) and [0, r). The write index may not come round onto the read index (that reads as empty).
      if (this.capacity - w > need || (this.capacity - w === need && r > 0)) at = w;
      else if (r > need) {
        this.view.setUint32(w, wrapMark);
        at = 0;
      } else return false;
    } else if (r - w > need) at = w;
    else return false;
    this.view.setUint32(at, record.length);
    this.bytes.set(record, at + 4);
    Atomics.store(this.index, writeAt, (at + need) % this.capacity);
    return true;
  }
}

export class RingReader extends Ring {
  /** The next record (a copy); undefined when the ring is empty. */
  read(): Uint8Array | undefined {
    let r = Atomics.load(this.index, readAt);
    if (r === Atomics.load(this.index, writeAt)) return undefined;
    let length = this.view.getUint32(r);
    if (length === wrapMark) {
      r = 0;
      length = this.view.getUint32(0);
    }
    // Copied out before the index moves: the writer may reuse the room at once.
    const record = this.bytes.slice(r + 4, r + 4 + length);
    Atomics.store(this.index, readAt, (r + 4 + padded(length)) % this.capacity);
    return record;
  }
}

/**
 * The next record of `messages` from `from`: as many of them as fit one record (the whole rest, else halved until it
 * fits), as JSON bytes; at least one message, so a single message too large for any record comes back alone (the
 * caller checks `fits` once more). An outbox that grew while the ring was full so goes in pieces, in order.
 */
export function nextRecord(messages: readonly unknown[], from: number, fits: (bytes: number) => boolean, encode: (text: string) => Uint8Array): { to: number; record: Uint8Array } {
  let to = messages.length;
  let record = encode(JSON.stringify(messages.slice(from, to)));
  while (!fits(record.length) && to - from > 1) {
    to = from + Math.ceil((to - from) / 2);
    record = encode(JSON.stringify(messages.slice(from, to)));
  }
  return { to, record };
}
