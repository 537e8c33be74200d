// One .zip of a session folder, written while the fabric keeps writing into it. Each file is archived as
// it was when the walk saw it (the bytes up to its size then), so a log that grows during the
// export gives a consistent prefix instead of a corrupt entry, and the archive never waits on a writer.
// Deflate runs on libuv's thread pool, several pieces at once, so the main thread stays free for the fabric.
import { lstat, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw } from 'node:zlib';
import { FabricErrors } from '../common/fabric-errors';
import { fileErrorReason } from './file-errors';
import { isLevelIndex } from './log-file-kinds';
import { ZipWriter } from './zip-writer';

export interface ArchiveEntry {
  /** The name inside the archive, `/`-separated. */
  name: string;
  file: string;
  size: number;
  mtime: Date;
}

export interface ArchiveOptions {
  sessionDir: string;
  target: string;
  /** Absolute paths (folders or files) left out: the exports folder, the archive being written. */
  exclude: string[];
  /** Generated entries written first (the manifest). */
  extra: { name: string; data: Buffer }[];
  onProgress?(done: number, total: number): void;
}

/** Browser mode's token for a session named with --session (serve/browser-mode.ts): a secret, never exported. */
export const browserTokenFile = 'browser-mode.token';
/** The join token host nodes present (serve/nats-args.ts), kept in the session folder: a secret, never exported. */
export const joinTokenFile = 'host-node.token';

/** The Service Management API's CA key, management certificates' keys and tokens with --session: never exported. */
export const managementFolderName = 'management';

/** instances/<deployment>/<instance>/E: the folder of an instance's E: drive, relative to the session. */
const roleDriveFolder = /^instances\/[^/]+\/[^/]+\/E$/;

/** Files of the session folder as they are now, in a stable order; symlinks are not followed or archived. */
export async function walkSession(sessionDir: string, exclude: string[]): Promise<ArchiveEntry[]> {
  const skip = new Set([...exclude, join(sessionDir, browserTokenFile), join(sessionDir, joinTokenFile), join(sessionDir, managementFolderName)]);
  const out: ArchiveEntry[] = [];
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const file = join(dir, entry.name);
      if (skip.has(file) || isLevelIndex(entry.name)) continue; // a log's level index is the viewer's, derived from the log
      // An instance's E: holds the role's files from the package (host/role-drive.ts): only E:\RoleModel.xml is the session's.
      if (entry.isDirectory() && roleDriveFolder.test(relative(sessionDir, dir).split(sep).join('/'))) continue;
      if (entry.isDirectory()) await visit(file);
      else if (entry.isFile()) {
        try {
          const s = await lstat(file);
          out.push({ name: relative(sessionDir, file).split(sep).join('/'), file, size: s.size, mtime: s.mtime });
        } catch {
          // rotated or deleted since readdir: not part of this snapshot
        }
      }
    }
  };
  await visit(sessionDir);
  return out;
}

/** Fails with BadRequest naming the reason when the target cannot be created (before any work is done). */
export async function checkWritable(target: string): Promise<void> {
  try {
    const fh = await open(`${target}.partial`, 'w');
    await fh.close();
  } catch (error) {
    throw FabricErrors.exportNotWritable(target, fileErrorReason(error, { ENOENT: 'its folder does not exist' }));
  }
}

/** A file is read and deflated in pieces of this size, so one large log keeps every core busy too. */
const pieceBytes = 4 * 2 ** 20;
/** Pieces read and deflating at once, written in order as they finish: enough for every core and libuv's pool. */
const piecesInFlight = Math.max(4, 2 * availableParallelism());
/** Deflate level 6, as `zip` and yazl; output in large chunks so a piece makes few trips back to this thread. */
const deflateOptions = { level: 6, chunkSize: 2 ** 18 };
const deflateRawAsync = promisify(deflateRaw);

interface Piece {
  entry: ArchiveEntry;
  index: number;
  start: number;
  length: number;
  last: boolean;
}

/** A piece read (null: its file was gone before the export reached it) and deflated on its own. */
interface DeflatedPiece {
  piece: Piece;
  raw: Buffer | null;
  deflated: Buffer;
}

function* piecesOf(entries: ArchiveEntry[]): Generator<Piece> {
  for (const entry of entries) {
    const count = Math.max(1, Math.ceil(entry.size / pieceBytes));
    for (let index = 0; index < count; index++) {
      const start = index * pieceBytes;
      yield { entry, index, start, length: Math.min(pieceBytes, entry.size - start), last: index === count - 1 };
    }
  }
}

/** One open file per entry, shared by its pieces and closed after the last read (a file deleted meanwhile still reads). */
class EntryFiles {
  private readonly open = new Map<ArchiveEntry, { handle: Promise<FileHandle | null>; reads: number }>();

  async read(piece: Piece): Promise<Buffer | null> {
    if (piece.length === 0) return Buffer.alloc(0);
    let file = this.open.get(piece.entry);
    if (!file) {
      const reads = Math.ceil(piece.entry.size / pieceBytes);
      file = { handle: open(piece.entry.file, 'r').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : Promise.reject(error))), reads };
      this.open.set(piece.entry, file);
    }
    try {
      const handle = await file.handle;
      if (!handle) return null;
      const buffer = Buffer.allocUnsafe(piece.length);
      let read = 0;
      while (read < piece.length) {
        const { bytesRead } = await handle.read(buffer, read, piece.length - read, piece.start + read);
        if (bytesRead === 0) throw new Error(`${piece.entry.name} shrank from ${piece.entry.size} bytes while it was exported`);
        read += bytesRead;
      }
      return buffer;
    } finally {
      if (--file.reads === 0) {
        this.open.delete(piece.entry);
        await (await file.handle.catch(() => null))?.close();
      }
    }
  }

  /** After a failure: the files of entries whose later pieces will not be read. */
  async closeAll(): Promise<void> {
    const open = [...this.open.values()];
    this.open.clear();
    await Promise.all(open.map(async (file) => (await file.handle.catch(() => null))?.close()));
  }
}

async function deflatePiece(files: EntryFiles, piece: Piece): Promise<DeflatedPiece> {
  const raw = await files.read(piece);
  if (!raw) return { piece, raw, deflated: Buffer.alloc(0) };
  // A piece before the last ends on a byte boundary without a final block, so the pieces join into one stream.
  const deflated = await deflateRawAsync(raw, { ...deflateOptions, finishFlush: piece.last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH });
  return { piece, raw, deflated };
}

/** Writes the archive of the session folder as it is now to `<target>.partial`, then renames it: a finished name is always a complete archive. */
export async function writeSessionArchive(options: ArchiveOptions): Promise<{ files: number; bytes: number; entries: ArchiveEntry[] }> {
  const partial = `${options.target}.partial`;
  await checkWritable(options.target);
  const entries = await walkSession(options.sessionDir, [...options.exclude, options.target, partial]);
  return { ...(await writeArchive(entries, options)), entries };
}

/**
 * The archive of walked entries, in their order. Their pieces are read and deflated several at once on libuv's
 * thread pool; this thread only computes each piece's CRC (zlib's, native) and writes. A file gone before its
 * turn is left out; one that shrank fails the export, naming it.
 */
export async function writeArchive(entries: ArchiveEntry[], options: Pick<ArchiveOptions, 'target' | 'extra' | 'onProgress'>): Promise<{ files: number; bytes: number }> {
  const { target } = options;
  const partial = `${target}.partial`;
  const total = entries.reduce((n, e) => n + e.size, 0);
  let done = 0;
  let archived = 0;
  let zip: ZipWriter | null = null;
  const inFlight: Promise<DeflatedPiece>[] = [];
  const files = new EntryFiles();
  try {
    zip = await ZipWriter.create(partial);
    const mtime = new Date();
    for (const { name, data } of options.extra) {
      const deflated = await deflateRawAsync(data, deflateOptions);
      await zip.begin({ name, mtime, method: 8, size: data.length, crc: crc32(data), compressedSize: deflated.length });
      await zip.data(deflated);
      await zip.end(crc32(data));
    }
    let crc = 0;
    let vanished = false;
    const write = async ({ piece, raw, deflated }: DeflatedPiece): Promise<void> => {
      if (piece.index === 0) vanished = raw === null;
      if (!raw || vanished) return;
      crc = crc32(raw, piece.index === 0 ? 0 : crc);
      const { entry } = piece;
      if (piece.index === 0) await zip!.begin({ name: entry.name, mtime: entry.mtime, method: 8, size: entry.size, ...(piece.last ? { crc, compressedSize: deflated.length } : {}) });
      await zip!.data(deflated);
      if (piece.last) {
        await zip!.end(crc);
        archived++;
      }
      done += piece.length;
      options.onProgress?.(done, total);
    };
    for (const piece of piecesOf(entries)) {
      const next = deflatePiece(files, piece);
      next.catch(() => undefined); // awaited in turn below; an early failure must not go unhandled meanwhile
      inFlight.push(next);
      if (inFlight.length >= piecesInFlight) await write(await inFlight.shift()!);
    }
    while (inFlight.length) await write(await inFlight.shift()!);
    await zip.close();
    await rename(partial, target);
  } catch (error) {
    await zip?.abort();
    await Promise.allSettled(inFlight);
    await files.closeAll();
    await rm(partial, { force: true });
    throw FabricErrors.exportFailed(target, (error as Error).message);
  }
  return { files: archived + options.extra.length, bytes: total };
}
