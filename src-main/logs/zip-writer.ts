// The .zip container (PKWARE APPNOTE 6.3.x) for entries whose bytes arrive already deflated, with their
// CRC-32 known by the caller. The session export deflates many pieces at once on libuv's thread pool
// (session-archive.ts); yazl takes only raw bytes (it CRCs them in JavaScript on the calling thread and deflates
// a streamed entry one chunk at a time) and fflate's zip has no zip64, which a session of 10,000 instances
// (over 65,535 files) needs. So the container is written here: headers, central directory, zip64 records.
import { open, type FileHandle } from 'node:fs/promises';

/** APPNOTE 4.4.5: 0 stored, 8 deflated. */
export type ZipMethod = 0 | 8;

export interface ZipEntryStart {
  /** The name inside the archive, `/`-separated, UTF-8. */
  name: string;
  mtime: Date;
  method: ZipMethod;
  /** Uncompressed size; known before the data (a snapshot's size), so zip64 is decided up front. */
  size: number;
  /** CRC-32 and compressed size when known before the data (a one-piece entry); else patched in by `end`. */
  crc?: number;
  compressedSize?: number;
}

interface CentralRecord {
  name: Buffer;
  dosTime: number;
  dosDate: number;
  method: ZipMethod;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
}

const u32Max = 0xffffffff;
const u16Max = 0xffff;
/** Deflate can outgrow its input by a few bytes per 16 KiB block: past this, an entry's local header is zip64. */
const zip64Threshold = u32Max - 2 ** 24;
/** Bit 11: names are UTF-8. */
const utf8Flag = 0x0800;
/** Made by Unix (3) with APPNOTE 6.3 (63), so the external attributes carry a Unix mode. */
const madeBy = (3 << 8) | 63;
/** A regular file, rw-r--r--. */
const externalAttributes = (0o100644 << 16) >>> 0;
const flushBytes = 2 ** 20;

function dosDateTime(date: Date): { dosTime: number; dosDate: number } {
  const year = Math.min(Math.max(date.getFullYear(), 1980), 2107);
  return {
    dosTime: (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1),
    dosDate: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

/** Writes an archive front to back (entries one after another); `close` adds the central directory. */
export class ZipWriter {
  private position = 0;
  private readonly records: CentralRecord[] = [];
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private current: { record: CentralRecord; zip64Local: boolean; known: boolean; written: number } | null = null;

  private constructor(private readonly file: FileHandle) {}

  static async create(path: string): Promise<ZipWriter> {
    return new ZipWriter(await open(path, 'w'));
  }

  /** Starts an entry: its local header. Its data follows with `data`, then `end`. */
  async begin(entry: ZipEntryStart): Promise<void> {
    if (this.current) throw new Error(`zip entry ${this.current.record.name.toString()} not ended before ${entry.name}`);
    const name = Buffer.from(entry.name, 'utf8');
    if (name.length > u16Max) throw new Error(`zip entry name longer than 65,535 bytes: ${entry.name.slice(0, 80)}...`);
    const known = entry.crc !== undefined && entry.compressedSize !== undefined;
    const record: CentralRecord = { name, ...dosDateTime(entry.mtime), method: entry.method, crc: entry.crc ?? 0, compressedSize: entry.compressedSize ?? 0, size: entry.size, offset: this.position };
    const zip64Local = entry.size >= zip64Threshold || record.compressedSize >= zip64Threshold;
    const header = Buffer.alloc(30 + name.length + (zip64Local ? 20 : 0));
    header.writeUInt32LE(0x04034b50, 0);
    writeEntryFields(header, 4, record, { zip64: zip64Local, size: !zip64Local, compressedSize: !zip64Local, extraLength: zip64Local ? 20 : 0 });
    name.copy(header, 30);
    if (zip64Local) {
      const extra = 30 + name.length;
      header.writeUInt16LE(0x0001, extra);
      header.writeUInt16LE(16, extra + 2);
      header.writeBigUInt64LE(BigInt(record.size), extra + 4);
      header.writeBigUInt64LE(BigInt(record.compressedSize), extra + 12);
    }
    await this.write(header);
    this.current = { record, zip64Local, known, written: 0 };
  }

  async data(chunk: Uint8Array): Promise<void> {
    if (!this.current) throw new Error('zip data outside an entry');
    await this.write(chunk);
    this.current.written += chunk.length;
  }

  /** Ends the entry; a CRC not given to `begin` is patched into its local header now. */
  async end(crc: number): Promise<void> {
    const current = this.current;
    if (!current) throw new Error('zip end outside an entry');
    this.current = null;
    const { record } = current;
    if (current.known && (record.crc !== crc >>> 0 || record.compressedSize !== current.written)) {
      throw new Error(`zip entry ${record.name.toString()}: its data does not match the CRC and size it began with`);
    }
    if (!current.zip64Local && current.written >= u32Max) throw new Error(`zip entry ${record.name.toString()} compressed past 4 GiB without a zip64 header`);
    record.crc = crc >>> 0;
    record.compressedSize = current.written;
    this.records.push(record);
    if (current.known) return;
    await this.flush(); // the header being patched is on disk
    const patch = Buffer.alloc(4);
    patch.writeUInt32LE(record.crc, 0);
    await this.file.write(patch, 0, 4, record.offset + 14);
    if (current.zip64Local) {
      const size = Buffer.alloc(8);
      size.writeBigUInt64LE(BigInt(record.compressedSize), 0);
      await this.file.write(size, 0, 8, record.offset + 30 + record.name.length + 12);
    } else {
      patch.writeUInt32LE(record.compressedSize, 0);
      await this.file.write(patch, 0, 4, record.offset + 18);
    }
  }

  /** Writes the central directory (zip64 where counts, sizes or offsets need it) and closes the file. */
  async close(): Promise<void> {
    if (this.current) throw new Error(`zip entry ${this.current.record.name.toString()} not ended`);
    const start = this.position;
    for (const record of this.records) await this.write(centralHeader(record));
    const size = this.position - start;
    const count = this.records.length;
    if (count >= u16Max || start >= u32Max || size >= u32Max) {
      const zip64End = Buffer.alloc(56 + 20);
      zip64End.writeUInt32LE(0x06064b50, 0);
      zip64End.writeBigUInt64LE(44n, 4);
      zip64End.writeUInt16LE(madeBy, 12);
      zip64End.writeUInt16LE(45, 14);
      zip64End.writeBigUInt64LE(BigInt(count), 24);
      zip64End.writeBigUInt64LE(BigInt(count), 32);
      zip64End.writeBigUInt64LE(BigInt(size), 40);
      zip64End.writeBigUInt64LE(BigInt(start), 48);
      // The locator: where the zip64 end record is.
      zip64End.writeUInt32LE(0x07064b50, 56);
      zip64End.writeBigUInt64LE(BigInt(this.position), 64);
      zip64End.writeUInt32LE(1, 72);
      await this.write(zip64End);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Math.min(count, u16Max), 8);
    end.writeUInt16LE(Math.min(count, u16Max), 10);
    end.writeUInt32LE(Math.min(size, u32Max), 12);
    end.writeUInt32LE(Math.min(start, u32Max), 16);
    await this.write(end);
    await this.flush();
    await this.file.close();
  }

  /** Closes the file without finishing it (the caller deletes it). */
  async abort(): Promise<void> {
    await this.file.close().catch(() => undefined);
  }

  /** Small writes (headers, small entries) go out together, once a megabyte is pending. */
  private async write(bytes: Uint8Array): Promise<void> {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    this.position += bytes.length;
    if (this.pendingBytes >= flushBytes) await this.flush();
  }

  private async flush(): Promise<void> {
    const at = this.position - this.pendingBytes;
    const bytes = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.file.write(bytes, done, bytes.length - done, at + done);
      done += bytesWritten;
    }
  }
}

/**
 * The fields a local header (from offset 4) and a central one (from 6) share, in the same order: version needed,
 * flags, method, time, date, CRC-32, sizes (0xFFFFFFFF where the zip64 extra holds them), name and extra lengths.
 */
function writeEntryFields(header: Buffer, at: number, record: CentralRecord, fit: { zip64: boolean; size: boolean; compressedSize: boolean; extraLength: number }): void {
  header.writeUInt16LE(fit.zip64 ? 45 : 20, at);
  header.writeUInt16LE(utf8Flag, at + 2);
  header.writeUInt16LE(record.method, at + 4);
  header.writeUInt16LE(record.dosTime, at + 6);
  header.writeUInt16LE(record.dosDate, at + 8);
  header.writeUInt32LE(record.crc, at + 10);
  header.writeUInt32LE(fit.compressedSize ? record.compressedSize : u32Max, at + 14);
  header.writeUInt32LE(fit.size ? record.size : u32Max, at + 18);
  header.writeUInt16LE(record.name.length, at + 22);
  header.writeUInt16LE(fit.extraLength, at + 24);
}

function centralHeader(record: CentralRecord): Buffer {
  // Fields that do not fit 32 bits move to the zip64 extra, in APPNOTE's order.
  const wide = [record.size, record.compressedSize, record.offset].map((n) => n >= u32Max);
  const extraValues = [record.size, record.compressedSize, record.offset].filter((_, i) => wide[i]);
  const extraLength = extraValues.length ? 4 + 8 * extraValues.length : 0;
  const header = Buffer.alloc(46 + record.name.length + extraLength);
  header.writeUInt32LE(0x02014b50, 0);
  header.writeUInt16LE(madeBy, 4);
  writeEntryFields(header, 6, record, { zip64: extraLength > 0, size: !wide[0], compressedSize: !wide[1], extraLength });
  header.writeUInt32LE(externalAttributes, 38);
  header.writeUInt32LE(wide[2] ? u32Max : record.offset, 42);
  record.name.copy(header, 46);
  if (extraLength) {
    let at = 46 + record.name.length;
    header.writeUInt16LE(0x0001, at);
    header.writeUInt16LE(8 * extraValues.length, at + 2);
    at += 4;
    for (const value of extraValues) {
      header.writeBigUInt64LE(BigInt(value), at);
      at += 8;
    }
  }
  return header;
}
