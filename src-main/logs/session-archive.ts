// One .zip of a session folder, written while the fabric keeps writing into it. Each file is archived as
// it was when the walk saw it (its size then, read with a bounded stream), so a log that grows during the
// export gives a consistent prefix instead of a corrupt entry, and the archive never waits on a writer.
// yazl deflates on libuv's thread pool, so the main thread stays free for the fabric.
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, open, readdir, rename, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import { FabricErrors } from '../common/fabric-errors';
import { fileErrorReason } from './file-errors';
import { isLevelIndex } from './log-file-kinds';

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

/** Writes the archive to `<target>.partial`, then renames it: a finished name is always a complete archive. */
export async function writeSessionArchive(options: ArchiveOptions): Promise<{ files: number; bytes: number; entries: ArchiveEntry[] }> {
  const { target } = options;
  const partial = `${target}.partial`;
  await checkWritable(target);
  const entries = await walkSession(options.sessionDir, [...options.exclude, target, partial]);
  const total = entries.reduce((n, e) => n + e.size, 0);
  let done = 0;
  const zip = new ZipFile();
  for (const { name, data } of options.extra) zip.addBuffer(data, name);
  for (const entry of entries) {
    if (entry.size === 0) {
      zip.addBuffer(Buffer.alloc(0), entry.name, { mtime: entry.mtime });
      continue;
    }
    zip.addReadStreamLazy(entry.name, { mtime: entry.mtime, size: entry.size }, (callback) => {
      const counted = new PassThrough();
      counted.on('data', (chunk: Buffer) => {
        done += chunk.length;
        options.onProgress?.(done, total);
      });
      const source = createReadStream(entry.file, { start: 0, end: entry.size - 1 });
      source.on('error', (error) => counted.destroy(error));
      source.pipe(counted);
      callback(null, counted);
    });
  }
  const out = createWriteStream(partial);
  const finished = new Promise<void>((resolve, reject) => {
    out.on('close', resolve);
    out.on('error', reject);
    zip.on('error', reject);
    (zip.outputStream as Readable).on('error', reject);
  });
  (zip.outputStream as Readable).pipe(out);
  zip.end();
  try {
    await finished;
    await rename(partial, target);
  } catch (error) {
    out.destroy();
    await rm(partial, { force: true });
    throw FabricErrors.exportFailed(target, (error as Error).message);
  }
  return { files: entries.length + options.extra.length, bytes: total, entries };
}
