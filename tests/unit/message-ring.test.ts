// The host's message ring (common/message-ring.ts): whole records in order, room refused rather than overwritten,
// records that wrap at the end, and the writer never coming round onto the reader.
import { describe, expect, it } from 'vitest';
import { nextRecord, RingReader, RingWriter, ringBuffer } from '../../src-main/common/message-ring';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

function ringOf(capacity: number) {
  const buffer = ringBuffer(capacity);
  return { writer: new RingWriter(buffer), reader: new RingReader(buffer) };
}

describe('a message ring', () => {
  it('gives back whole records in order, and nothing when empty', () => {
    const { writer, reader } = ringOf(64);
    expect(reader.read()).toBeUndefined();
    expect(writer.write(bytes(5, 1))).toBe(true);
    expect(writer.write(bytes(3, 2))).toBe(true);
    expect([...reader.read()!]).toEqual([1, 1, 1, 1, 1]);
    expect([...reader.read()!]).toEqual([2, 2, 2]);
    expect(reader.read()).toBeUndefined();
    expect(writer.empty).toBe(true);
  });

  it('refuses a record while there is no room, and takes it once the reader has read', () => {
    const { writer, reader } = ringOf(64);
    expect(writer.write(bytes(28, 1))).toBe(true); // 32 bytes with its length
    expect(writer.write(bytes(24, 2))).toBe(true); // 28: 60 of 64 used
    expect(writer.write(bytes(4, 3))).toBe(false); // 8 more would come round onto the reader
    expect([...reader.read()!]).toEqual(Array(28).fill(1));
    expect(writer.write(bytes(4, 3))).toBe(true); // wraps: a mark at 60, the record at 0
    expect([...reader.read()!]).toEqual(Array(24).fill(2));
    expect([...reader.read()!]).toEqual([3, 3, 3, 3]);
    expect(reader.read()).toBeUndefined();
  });

  it('says which records can never fit, and refuses them', () => {
    const { writer } = ringOf(64);
    expect(writer.fits(56)).toBe(true);
    expect(writer.fits(60)).toBe(false);
    expect(writer.write(bytes(60, 1))).toBe(false);
  });

  it('keeps many records of many sizes in order through many wraps (against a plain queue)', () => {
    const { writer, reader } = ringOf(256);
    const queue: Uint8Array[] = [];
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    let written = 0;
    for (let step = 0; step < 20_000; step++) {
      if (random() < 0.55) {
        const record = bytes(Math.floor(random() * 90), step & 0xff);
        if (writer.write(record)) {
          queue.push(record);
          written++;
        }
      } else {
        const read = reader.read();
        const expected = queue.shift();
        expect(read === undefined ? undefined : [...read]).toEqual(expected === undefined ? undefined : [...expected]);
      }
    }
    expect(written).toBeGreaterThan(5_000);
  });

  it('refuses a capacity that is not a multiple of 4 or too small', () => {
    expect(() => ringBuffer(63)).toThrow(/multiple of 4/);
    expect(() => ringBuffer(32)).toThrow(/at least 64/);
  });
});

describe('an outbox as records', () => {
  const encode = (text: string) => new TextEncoder().encode(text);
  const decode = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as unknown[];

  it('goes whole when it fits, in pieces that each fit when it does not, and in order', () => {
    const messages = Array.from({ length: 40 }, (_, i) => ({ type: 'instance-status', instanceId: `R_IN_${i}`, details: 'x'.repeat(i % 7) }));
    expect(nextRecord(messages, 0, () => true, encode).to).toBe(40);
    const fits = (bytes: number) => bytes <= 300;
    const back: unknown[] = [];
    let records = 0;
    for (let from = 0; from < messages.length; records++) {
      const { to, record } = nextRecord(messages, from, fits, encode);
      expect(fits(record.length)).toBe(true);
      expect(to).toBeGreaterThan(from);
      back.push(...decode(record));
      from = to;
    }
    expect(back).toEqual(messages);
    expect(records).toBeGreaterThan(4);
  });

  it('gives a message too large for any record back alone, for the port', () => {
    const messages = [{ a: 1 }, { big: 'y'.repeat(500) }, { b: 2 }];
    const fits = (bytes: number) => bytes <= 100;
    expect(decode(nextRecord(messages, 0, fits, encode).record)).toEqual([{ a: 1 }]);
    const alone = nextRecord(messages, 1, fits, encode);
    expect(alone.to).toBe(2);
    expect(fits(alone.record.length)).toBe(false);
  });
});
