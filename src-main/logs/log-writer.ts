// The writer a host worker uses for one log file. Files are the truth: a line is in the file (in the
// kernel's page cache, which outlives the process) once write() returns, or, for a writer given an
// AppendBatch, at the end of the turn of the event loop that wrote it (append-batch.ts says why and what
// stays true). A burst that belongs together (a stack trace) goes through writeLines(), one write(2) for
// all of it. Worker termination only interrupts JavaScript between operations, never inside a write(2),
// so a line is whole or absent: never torn. No line is kept in memory once written: the viewer pages the
// file, and the live view gets each write's lines (`onLines`). (A tail of each log's last lines was kept here
// and read by nothing but its tests; at 100x its lines lived long enough to die in the old generation, the
// host workers' memory sawtooth: docs/PERFORMANCE.md, "Memory over the soak".)
//
// Beside a log whose lines have levels, the writer keeps its level index (`<file>.levels`, one character
// per line, common/log-levels.ts), so the viewer filters by level without reading the lines. Codes are
// appended after the lines they describe, in chunks (4,096 codes, or what waited 30 s, and all at a
// rotation or close), opening the index only to append: a host of 32 instances would otherwise hold twice
// the file descriptors, and pay a second write per file per turn. (At 1x a guest's agent log gets a line
// every 2-3 s; with 5 s, every other line cost the index an open, a write and a close. The viewer reads the
// few lines past an index's end itself: common/log-api.ts.) So a killed worker leaves the index
// behind its log, never ahead: an index may lag its log, never lie. A writer reopening a log whose index
// does not have exactly one code per line rebuilds it from the lines.
//
// A thread holds at most `logDescriptors.limit` logs open (a host worker's share of the process's file
// descriptors, set at init): beyond it, the writer written least lately lets go of its descriptor (`DescriptorBudget`)
// and opens its file again to append when it next writes. A host of 32 instances keeps its busy logs open, and 10,000
// instances in one process do not run out of descriptors.
import { appendFileSync, closeSync, fstatSync, ftruncateSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { LogFileFormat } from '../common/log-api';
import { lineSeverityCode } from '../common/log-levels';
import type { AppendBatch } from './append-batch';
import { inFolder } from './created-folders';
import { describeFile, levelIndexOf } from './log-file-kinds';
import { nextRotatedFile, rotatedFilesOf } from './log-rotation';

export interface LogWriterOptions {
  /** Earlier files kept by rotate(); older ones are deleted (default: all kept, as a VM keeps them). */
  keepRotations?: number;
  /** Hold lines until the end of the turn and write them with one write(2) (default: each write() writes at once). */
  batch?: AppendBatch;
  /** Keep a level index beside the file (default: when its format has levels). */
  levelIndex?: boolean;
  /** Codes appended to the index at once (default 4,096), or sooner once the oldest has waited `levelIndexDelayMs` (default 30,000 real ms). */
  levelIndexChunk?: number;
  levelIndexDelayMs?: number;
  /** Whose descriptors this writer counts among (default: the thread's, `logDescriptors`). */
  descriptors?: DescriptorBudget;
}

const emptyCodes = new Uint8Array(0);

/** Formats whose lines carry a level worth indexing (the events channel's few lines are parsed as they are read). */
const indexedFormats: ReadonlySet<LogFileFormat> = new Set(['app-agent', 'bootstrapper', 'host-process', 'fabric', 'iis']);

const hasBreak = (line: string): boolean => line.includes('\n') || line.includes('\r');

export type LinesListener = (lines: readonly string[]) => void;

/** How often a writer was written: in the budget's current count of writes and the one before (`DescriptorBudget`). */
interface WriteCount {
  round: number;
  current: number;
  previous: number;
}

/**
 * The writers of one thread that hold a descriptor; over `limit`, the one written least in the last two rounds of
 * the thread's writes lets go, and among those written as often the one that opened last. Least recently written
 * alone failed a host of 32 instances among 313 hosts (44 descriptors for some 64 logs written steadily): the logs
 * came round in turn, so nearly every write reopened its file (some 4,000 opens a second with 10,000 at 1x). Now the
 * busy logs keep their descriptors and the quiet ones share the rest, one slot turning over instead of all.
 */
export class DescriptorBudget {
  private readonly open = new Set<LogWriter>();
  private readonly counts = new WeakMap<LogWriter, WriteCount>();
  private writes = 0;
  /** Descriptors let go so far: each costs its writer a reopen when it next writes. */
  released = 0;

  constructor(public limit = Infinity) {}

  get openCount(): number {
    return this.open.size;
  }

  /** Writes in a round: long enough for every open log's steady rate to show. */
  private get roundLength(): number {
    return Math.max(256, 8 * this.limit);
  }

  /** `writer` holds a descriptor and has just used it; over the limit, another lets go of its own. */
  used(writer: LogWriter): void {
    this.open.add(writer); // a writer already open keeps its place: the order is the order they opened in
    if (this.limit === Infinity) return;
    const round = Math.floor(++this.writes / this.roundLength);
    const count = this.countOf(writer, round);
    count.current++;
    while (this.open.size > Math.max(1, this.limit)) {
      let victim: LogWriter | null = null;
      let least = Infinity;
      for (const other of this.open) {
        if (other === writer) continue;
        const c = this.countOf(other, round);
        // Set order is the order they opened in: a tie goes to the one that opened last.
        if (c.current + c.previous <= least) {
          least = c.current + c.previous;
          victim = other;
        }
      }
      if (!victim) break;
      this.open.delete(victim);
      this.released++;
      victim.release();
    }
  }

  /** The writer's count, brought to `round`. */
  private countOf(writer: LogWriter, round: number): WriteCount {
    let count = this.counts.get(writer);
    if (!count) this.counts.set(writer, (count = { round, current: 0, previous: 0 }));
    else if (count.round !== round) {
      count.previous = count.round === round - 1 ? count.current : 0;
      count.current = 0;
      count.round = round;
    }
    return count;
  }

  forget(writer: LogWriter): void {
    this.open.delete(writer);
  }
}

/** This thread's budget (host-os.ts sets its limit from the fabric's init). */
export const logDescriptors = new DescriptorBudget();

/** Lines in an existing file and whether it ends mid-line, read in chunks so a large file is not loaded. */
function scanExisting(fd: number): { lines: number; endsMidLine: boolean } {
  const size = fstatSync(fd).size;
  const chunk = Buffer.allocUnsafe(1 << 20);
  let lines = 0;
  let last = 10;
  for (let pos = 0; pos < size; ) {
    const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - pos), pos);
    if (n === 0) break;
    const data = chunk.subarray(0, n);
    for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) lines++;
    last = data[n - 1]!;
    pos += n;
  }
  const endsMidLine = size > 0 && last !== 10;
  return { lines: lines + (endsMidLine ? 1 : 0), endsMidLine };
}

/** Each whole line of a file (a last line without its newline too), read in chunks. */
function forEachLine(fd: number, visit: (line: string) => void): void {
  const size = fstatSync(fd).size;
  const chunk = Buffer.allocUnsafe(1 << 20);
  let carry = '';
  for (let pos = 0; pos < size; ) {
    const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - pos), pos);
    if (n === 0) break;
    const parts = (carry + chunk.toString('utf8', 0, n)).split('\n');
    carry = parts.pop()!;
    for (const line of parts) visit(line.endsWith('\r') ? line.slice(0, -1) : line);
    pos += n;
  }
  if (carry.length > 0) visit(carry);
}

function renameIfThere(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

export class LogWriter {
  /** Null while the writer has let go of its descriptor (the budget's choice) or is closed. */
  private fd: number | null;
  private ended = false;
  private readonly descriptors: DescriptorBudget;
  private lines = 0;
  private readonly listeners = new Set<LinesListener>();
  private readonly keepRotations: number;
  private readonly batch: AppendBatch | null;
  /** Lines written but waiting for the end of the turn (batched writers only). */
  private waiting: string[] = [];
  /** The batch's mark (append-batch.ts), declared so every writer has the same shape. */
  queued = false;
  /** The level index's format (null: never an index) and whether it is kept now (dropped after a failed write). */
  private readonly indexFormat: LogFileFormat | null;
  private indexing = false;
  private readonly indexChunk: number;
  private readonly indexDelayMs: number;
  /** Codes of the lines still waiting for the end of the turn. */
  private waitingCodes = '';
  /** Codes of lines already in the file, not yet in the index, and since when (real ms). */
  private unindexed = emptyCodes;
  private unindexedLength = 0;
  private unindexedSince = 0;

  constructor(
    readonly file: string,
    options: LogWriterOptions = {},
  ) {
    this.keepRotations = options.keepRotations ?? Infinity;
    this.batch = options.batch ?? null;
    const format = describeFile(basename(file)).format;
    this.indexFormat = options.levelIndex !== false && indexedFormats.has(format) ? format : null;
    this.indexChunk = Math.max(1, options.levelIndexChunk ?? 4096);
    this.indexDelayMs = options.levelIndexDelayMs ?? 30_000;
    this.descriptors = options.descriptors ?? logDescriptors;
    this.fd = this.openFile();
    this.descriptors.used(this);
  }

  /** Lines in the current file, including those it held when this writer opened it and those waiting for the end of the turn. */
  get lineCount(): number {
    return this.lines;
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Let go of the descriptor (the budget asks): the next write opens the file again to append. */
  release(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }

  /** Appends one line (a string holding newlines becomes several lines). */
  write(line: string): void {
    this.writeLines([line]);
  }

  /** Appends lines with one write(2): they reach the file together or not at all. */
  writeLines(lines: readonly string[]): void {
    if (this.ended) throw new Error(`Log ${this.file} is closed; no more lines can be written to it.`);
    const split = lines.some(hasBreak) ? lines.flatMap((line) => line.split(/\r?\n|\r/)) : lines;
    if (split.length === 0) return;
    let codes = '';
    if (this.indexing) for (const line of split) codes += lineSeverityCode(this.indexFormat!, line);
    if (this.batch) {
      if (this.waiting.length === 0) this.batch.enlist(this);
      for (const line of split) this.waiting.push(line);
      this.waitingCodes += codes;
    } else {
      this.append(split.length === 1 ? `${split[0]}\n` : `${split.join('\n')}\n`);
      this.indexLater(codes);
    }
    this.lines += split.length;
    for (const listener of this.listeners) listener(split);
  }

  /** Write the lines waiting for the end of the turn now (a batched writer; the batch calls this). */
  flush(): void {
    if (this.waiting.length === 0 || this.ended) return;
    const text = `${this.waiting.join('\n')}\n`;
    const codes = this.waitingCodes;
    this.waiting.length = 0;
    this.waitingCodes = '';
    this.append(text);
    this.indexLater(codes);
  }

  /** Codes of lines now in the file: appended to the index once a chunk is full or has waited long enough. */
  private indexLater(codes: string): void {
    if (!this.indexing || codes.length === 0) return;
    if (this.unindexedLength === 0) this.unindexedSince = performance.now();
    // Kept as bytes in a buffer outside V8's heap, doubled when full and kept: at 100x a host's logs index ~1,500 lines
    // a real second, and codes kept on the heap until their chunk is written (up to 30 s: as a string, or an array of
    // them) were most of what its old generation kept between full collections (docs/PERFORMANCE.md, "Memory over
    // the soak").
    const length = this.unindexedLength + codes.length;
    if (length > this.unindexed.length) {
      const grown = new Uint8Array(Math.max(64, 2 ** Math.ceil(Math.log2(length))));
      grown.set(this.unindexed.subarray(0, this.unindexedLength));
      this.unindexed = grown;
    }
    for (let i = 0; i < codes.length; i++) this.unindexed[this.unindexedLength + i] = codes.charCodeAt(i);
    this.unindexedLength = length;
    if (this.unindexedLength >= this.indexChunk || performance.now() - this.unindexedSince >= this.indexDelayMs) this.writeIndex();
  }

  /** Append the codes of lines already written; an index that cannot be written is dropped, never left wrong. */
  private writeIndex(): void {
    if (!this.indexing || this.unindexedLength === 0) return;
    try {
      appendFileSync(levelIndexOf(this.file), this.unindexed.subarray(0, this.unindexedLength));
      this.unindexedLength = 0;
    } catch {
      this.dropIndex();
    }
  }

  private dropIndex(): void {
    this.indexing = false;
    this.unindexedLength = 0;
    this.waitingCodes = '';
    rmSync(levelIndexOf(this.file), { force: true });
  }

  private append(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    // Let go of by the budget since the last write: open the file again, to append (the line count is known).
    this.fd ??= inFolder(dirname(this.file), () => openSync(this.file, 'a'));
    this.descriptors.used(this);
    for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done, bytes.length - done);
  }

  /** Called after each write with the lines written; returns a disposer (the live view unsubscribes). */
  onLines(listener: LinesListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Azure starts a new file here: the current one is closed and renamed to the next `<stem>.<NNN><ext>`
   * (log-rotation.ts), and a new, empty file takes the real name. An empty current file is left as it
   * is (nothing to keep), and null returned. Returns the name the old file now has.
   */
  rotate(): string | null {
    if (this.ended) throw new Error(`Log ${this.file} is closed; it cannot be rotated.`);
    if (this.lines === 0) return null;
    this.flush();
    this.release();
    this.writeIndex();
    const rotated = nextRotatedFile(this.file);
    // The index first: killed between the two renames, the current log is left with no index (lagging), never with another file's.
    if (this.indexFormat !== null) renameIfThere(levelIndexOf(this.file), levelIndexOf(rotated));
    renameSync(this.file, rotated);
    const kept = rotatedFilesOf(this.file);
    for (const old of kept.slice(0, Math.max(0, kept.length - this.keepRotations))) {
      rmSync(old.file, { force: true });
      rmSync(levelIndexOf(old.file), { force: true });
    }
    this.lines = 0;
    this.fd = this.openFile();
    this.descriptors.used(this);
    return rotated;
  }

  close(): void {
    if (this.ended) return;
    this.flush();
    this.release();
    this.descriptors.forget(this);
    this.ended = true;
    this.writeIndex();
    this.listeners.clear();
  }

  private openFile(): number {
    const fd = inFolder(dirname(this.file), () => openSync(this.file, 'a+'));
    const existing = scanExisting(fd);
    this.lines = existing.lines;
    // A file left mid-line by another writer: end that line so ours start on their own.
    if (existing.endsMidLine) writeSync(fd, '\n');
    if (this.indexFormat !== null) this.openIndex(fd);
    return fd;
  }

  /** Checks the level index; one that does not hold exactly one code per line (a killed worker's lags) is rebuilt. */
  private openIndex(logFd: number): void {
    this.indexing = true;
    this.unindexedLength = 0;
    let fd: number | null = null;
    try {
      fd = openSync(levelIndexOf(this.file), 'a+');
      if (fstatSync(fd).size === this.lines) return;
      ftruncateSync(fd, 0);
      let codes = '';
      const write = () => {
        for (let done = 0; done < codes.length; ) done += writeSync(fd!, codes.slice(done), null, 'latin1');
        codes = '';
      };
      forEachLine(logFd, (line) => {
        codes += lineSeverityCode(this.indexFormat!, line);
        if (codes.length >= 65_536) write();
      });
      write();
    } catch {
      this.dropIndex();
    } finally {
      if (fd !== null) closeSync(fd);
    }
  }
}
