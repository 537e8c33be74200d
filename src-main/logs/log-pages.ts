// Reading a log by pages of lines, on demand, without loading the file: the viewer asks for lines
// [from, from + count) of a file that may hold a million lines and keep growing.
//
// Each file gets a sparse line index: the byte offset of every 1,024th line, built by streaming the file
// in 1 MiB chunks and extended from where it stopped when the file grows. Memory per file is one number
// per 1,024 lines (about 8 KB for a million lines); a page costs a seek to the nearest indexed line and a
// scan of at most 1,023 lines plus the page itself. Lines are numbered from 0, as a virtual list counts rows.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileToVmPath, vmPathToFile } from './instance-paths';
import { rotatedFilesOf } from './log-rotation';

export type LogPageErrorCode = 'PageOutOfRange' | 'BadPageRequest' | 'LogNotFound';

export class LogPageError extends Error {
  override readonly name = 'LogPageError';
  constructor(
    readonly code: LogPageErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface LogPage {
  file: string;
  fromLine: number;
  lines: string[];
  /** Lines in the file when the page was read (a last line still being written counts). */
  total: number;
}

/** The same page as one string, its lines joined by '\n' (no newline after the last); `count` lines in it. */
export interface LogTextPage {
  file: string;
  fromLine: number;
  text: string;
  count: number;
  total: number;
}

interface LineIndex {
  ino: number;
  /** Bytes scanned so far, and the offset just past the last newline among them. */
  scanned: number;
  lastLineEnd: number;
  /** Complete lines (ended by a newline) in the scanned bytes. */
  lines: number;
  /** checkpoints[k]: byte offset where line k * stride starts. */
  checkpoints: number[];
  /** Index updates of one file run one after the other, so two readers never count the same bytes. */
  queue: Promise<unknown>;
}

export interface LogPageReaderOptions {
  stride?: number;
  /** Line indexes kept (least recently used dropped first). */
  maxFiles?: number;
  /** The most lines one page may ask for. */
  maxPageLines?: number;
  chunkBytes?: number;
}

export class LogPageReader {
  private readonly indexes = new Map<string, LineIndex>();
  private readonly stride: number;
  private readonly maxFiles: number;
  private readonly maxPageLines: number;
  private readonly chunkBytes: number;

  constructor(options: LogPageReaderOptions = {}) {
    this.stride = options.stride ?? 1024;
    this.maxFiles = options.maxFiles ?? 64;
    this.maxPageLines = options.maxPageLines ?? 10_000;
    this.chunkBytes = options.chunkBytes ?? 1 << 20;
  }

  /** Lines in the file now (the index is brought up to date). */
  async lineCount(file: string): Promise<number> {
    return this.withFile(file, async (fh, index) => totalOf(index));
  }

  /** Lines [fromLine, fromLine + count) of the file, fewer at its end, and how many lines it has. */
  async readPage(file: string, fromLine: number, count: number): Promise<LogPage> {
    const page = await this.readText(file, fromLine, count);
    return { file, fromLine, lines: page.count === 0 ? [] : page.text.split('\n'), total: page.total };
  }

  /** The page as one string: it costs one decode, and a receiver clones one string instead of thousands. */
  async readText(file: string, fromLine: number, count: number): Promise<LogTextPage> {
    if (!Number.isInteger(fromLine) || fromLine < 0 || !Number.isInteger(count) || count < 1 || count > this.maxPageLines) {
      throw new LogPageError(
        'BadPageRequest',
        `A page of ${basename(file)} must start at a whole line number >= 0 and hold 1 to ${this.maxPageLines} lines; asked for ${count} lines from line ${fromLine}.`,
      );
    }
    return this.withFile(file, async (fh, index) => {
      const total = totalOf(index);
      if (total === 0 && fromLine === 0) return { file, fromLine, text: '', count: 0, total };
      if (fromLine >= total) {
        throw new LogPageError(
          'PageOutOfRange',
          `The page starting at line ${fromLine} is past the end of ${file}: it has ${total} line${total === 1 ? '' : 's'}, numbered from 0, so a page must start at line ${Math.max(0, total - 1)} or before.`,
        );
      }
      const k = Math.floor(fromLine / this.stride);
      const page = await this.textFrom(fh, index.checkpoints[k]!, k * this.stride, fromLine, count, index.scanned);
      return { file, fromLine, ...page, total };
    });
  }

  /** Drops a file's index (a file that was deleted, or replaced by something other than a rotation). */
  forget(file: string): void {
    this.indexes.delete(file);
  }

  private async withFile<T>(file: string, use: (fh: FileHandle, index: LineIndex) => Promise<T>): Promise<T> {
    let fh: FileHandle;
    try {
      fh = await open(file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new LogPageError('LogNotFound', `There is no log file ${file}.`);
      throw error;
    }
    try {
      const index = this.indexFor(file);
      const run = index.queue.then(async () => {
        await this.extend(fh, index);
        return use(fh, index);
      });
      index.queue = run.catch(() => undefined);
      return await run;
    } finally {
      await fh.close();
    }
  }

  private indexFor(file: string): LineIndex {
    let index = this.indexes.get(file);
    if (index) {
      this.indexes.delete(file); // re-insert: Map order is our recency order
    } else {
      index = { ino: -1, scanned: 0, lastLineEnd: 0, lines: 0, checkpoints: [0], queue: Promise.resolve() };
      while (this.indexes.size >= this.maxFiles) this.indexes.delete(this.indexes.keys().next().value!);
    }
    this.indexes.set(file, index);
    return index;
  }

  /** Scans the bytes added since the last read. A file that shrank or was replaced (rotated) starts over. */
  private async extend(fh: FileHandle, index: LineIndex): Promise<void> {
    const { size, ino } = await fh.stat();
    if (ino !== index.ino || size < index.scanned) Object.assign(index, { ino, scanned: 0, lastLineEnd: 0, lines: 0, checkpoints: [0] });
    const buffer = Buffer.allocUnsafe(this.chunkBytes);
    while (index.scanned < size) {
      const { bytesRead } = await fh.read(buffer, 0, Math.min(buffer.length, size - index.scanned), index.scanned);
      if (bytesRead === 0) break;
      const data = buffer.subarray(0, bytesRead);
      for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) {
        index.lines++;
        index.lastLineEnd = index.scanned + i + 1;
        if (index.lines % this.stride === 0) index.checkpoints.push(index.lastLineEnd);
      }
      index.scanned += bytesRead;
    }
  }

  /** Reads lines [from, from + count) starting the scan at byte `offset`, where line `line` starts. */
  private async textFrom(fh: FileHandle, offset: number, line: number, from: number, count: number, end: number): Promise<{ text: string; count: number }> {
    const buffer = Buffer.allocUnsafe(this.chunkBytes);
    const pieces: Buffer[] = [];
    let lines = 0;
    for (let pos = offset; pos < end && lines < count; ) {
      const { bytesRead } = await fh.read(buffer, 0, Math.min(buffer.length, end - pos), pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const data = buffer.subarray(0, bytesRead);
      let start = 0;
      for (; line < from; line++) {
        const nl = data.indexOf(10, start);
        if (nl === -1) break;
        start = nl + 1;
      }
      if (line < from) continue;
      let stop = start;
      while (lines < count) {
        const nl = data.indexOf(10, stop);
        if (nl === -1) {
          stop = bytesRead;
          break;
        }
        lines++;
        stop = nl + 1;
      }
      // Copied: the buffer is reused by the next read while the page may go on into it.
      pieces.push(Buffer.from(data.subarray(start, stop)));
    }
    const bytes = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
    // The last line of a file may still lack its newline: it is a line all the same.
    const open = bytes.length > 0 && bytes[bytes.length - 1] !== 10;
    let text = bytes.toString('utf8');
    if (text.includes('\r')) text = text.replace(/\r\n/g, '\n'); // a CRLF line ends where its LF is, without the CR
    if (open) {
      lines++;
      if (text.endsWith('\r')) text = text.slice(0, -1);
    } else if (lines > 0) {
      text = text.slice(0, -1); // lines are joined by newlines, not ended by them
    }
    return { text, count: lines };
  }
}

function totalOf(index: LineIndex): number {
  return index.lines + (index.scanned > index.lastLineEnd ? 1 : 0);
}

/** The reader a process shares, so indexes built for one page serve the next. */
export const logPages = new LogPageReader();

export function readPage(file: string, fromLine: number, count: number): Promise<LogPage> {
  return logPages.readPage(file, fromLine, count);
}

export interface LogFileVersion {
  vmPath: string;
  file: string;
  /** The file the process writes now; the others are earlier rotations, newest first. */
  current: boolean;
  /** 0 for the current file, else the rotation number (1 is the oldest). */
  rotation: number;
  bytes: number;
  modified: number;
}

/** The current file of a VM path and its earlier rotations, for the viewer's file picker. */
export async function listRotations(instanceRoot: string, vmPath: string): Promise<LogFileVersion[]> {
  const file = vmPathToFile(instanceRoot, vmPath);
  const candidates = [{ file, number: 0 }, ...rotatedFilesOf(file).reverse()];
  const found: LogFileVersion[] = [];
  for (const c of candidates) {
    try {
      const s = await stat(c.file);
      const version = { vmPath: fileToVmPath(instanceRoot, c.file), file: c.file, current: c.number === 0, rotation: c.number };
      found.push({ ...version, bytes: s.size, modified: s.mtimeMs });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error; // rotated away between listing and stat
    }
  }
  return found;
}
