// The session's log files as the API shows them: the files of one instance's drives or of one fabric
// component, each with its VM path, format, rotation number and line count; and the one way back from a
// file id (a session-relative path) to a file, which refuses anything that would leave the session folder.
import { existsSync } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { FabricErrors } from '../common/fabric-errors';
import type { LogFileInfo, LogLevelsView, LogPageView, LogTextView } from '../common/log-api';
import { fabricLogFile, fileToVmPath, instanceFolder, type FabricComponent } from './instance-paths';
import { describeFile, isLevelIndex, levelIndexOf } from './log-file-kinds';
import { LogPageError, logPages } from './log-pages';
import { rotatedFilesOf } from './log-rotation';

export { describeFile } from './log-file-kinds';

function rotationOf(name: string): number {
  const m = /\.(\d{3,})\.(log|jsonl)$/i.exec(name);
  return m ? Number(m[1]) : 0;
}

const toId = (sessionDir: string, file: string): string => relative(sessionDir, file).split(sep).join('/');

async function info(sessionDir: string, file: string, vmPath: string | null): Promise<LogFileInfo | null> {
  try {
    const s = await stat(file);
    const name = basename(file);
    const rotation = rotationOf(name);
    return { file: toId(sessionDir, file), vmPath, ...describeFile(name), current: rotation === 0, rotation, lines: await logPages.lineCount(file), bytes: s.size, modified: s.mtimeMs };
  } catch (error) {
    // Rotated away or removed (a re-created VM's drive) while listing: between the listing and its stat, or between
    // the stat and the line count.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error instanceof LogPageError && error.code === 'LogNotFound')) return null;
    throw error;
  }
}

/** Files grouped by process (current first, then earlier rotations, newest first). */
function ordered(files: LogFileInfo[]): LogFileInfo[] {
  const key = (f: LogFileInfo) => `${(f.vmPath ?? f.file).replace(/\.(\d{3,})(\.[^.\\/]+)$/, '$2')}`;
  return files.sort((a, b) => key(a).localeCompare(key(b)) || (a.current ? -1 : b.current ? 1 : b.rotation - a.rotation));
}

/** Every file on an instance's drives; null when the instance never wrote anything in this session. */
export async function listInstanceLogs(sessionDir: string, deploymentId: string, instanceName: string): Promise<LogFileInfo[] | null> {
  const root = instanceFolder(sessionDir, deploymentId, instanceName);
  if (!existsSync(root)) return null;
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const found = await Promise.all(
    entries.filter((e) => e.isFile() && !isLevelIndex(e.name)).map((e) => {
      const file = join(e.parentPath, e.name);
      return info(sessionDir, file, fileToVmPath(root, file));
    }),
  );
  return ordered(found.filter((f): f is LogFileInfo => f !== null));
}

/** A fabric component's log and its earlier rotations; null when it has written nothing. */
export async function listComponentLogs(sessionDir: string, component: FabricComponent): Promise<LogFileInfo[] | null> {
  const file = fabricLogFile(sessionDir, component);
  if (!existsSync(dirname(file))) return null;
  const files = [file, ...rotatedFilesOf(file).map((r) => r.file)];
  const found = await Promise.all(files.map((f) => info(sessionDir, f, null)));
  return ordered(found.filter((f): f is LogFileInfo => f !== null));
}

/**
 * The file a file id names. Ids come from the UI and the network, so: relative, `/`-separated, inside
 * instances/ or fabric/, no `..`, and no symlink that leads out of the session folder.
 */
export async function resolveSessionFile(sessionDir: string, id: string): Promise<string> {
  const segments = id.split('/');
  const bad = id.includes('\\') || id.includes('\0') || isAbsolute(id) || segments.some((s) => s === '' || s === '.' || s === '..');
  if (bad || (segments[0] !== 'instances' && segments[0] !== 'fabric')) {
    throw FabricErrors.notALogFile(id);
  }
  const candidate = join(sessionDir, ...segments);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw FabricErrors.logFileNotFound(id);
  }
  const root = await realpath(sessionDir);
  const rel = relative(root, real);
  if (rel.startsWith('..') || isAbsolute(rel)) throw FabricErrors.logFileOutsideSession(id);
  if (!(await stat(real)).isFile()) throw FabricErrors.logFileIsFolder(id);
  return real;
}

/** One page of a session file; a page past the end is BadRequest with the file's line count in the message. */
export async function readSessionPage(sessionDir: string, id: string, fromLine: number, count: number): Promise<LogPageView> {
  return pageOf(sessionDir, id, async (file) => {
    const page = await logPages.readPage(file, fromLine, count);
    return { file: id, fromLine: page.fromLine, lines: page.lines, total: page.total };
  });
}

/** The same page as one string (readLog's `as: 'text'`). */
export async function readSessionText(sessionDir: string, id: string, fromLine: number, count: number): Promise<LogTextView> {
  return pageOf(sessionDir, id, async (file) => {
    const page = await logPages.readText(file, fromLine, count);
    return { file: id, fromLine: page.fromLine, text: page.text, count: page.count, total: page.total };
  });
}

async function pageOf<T>(sessionDir: string, id: string, read: (file: string) => Promise<T>): Promise<T> {
  const file = await resolveSessionFile(sessionDir, id);
  try {
    return await read(file);
  } catch (error) {
    if (error instanceof LogPageError) {
      const message = error.message.split(file).join(id);
      throw error.code === 'LogNotFound' ? FabricErrors.logFileGone(message) : FabricErrors.badLogPage(message);
    }
    throw error;
  }
}

/**
 * The level codes of lines [fromLine, fromLine + count) from the file's level index (common/log-levels.ts),
 * as far as the index reaches: it may lag the log (its last turn's codes not written yet, or a file with no
 * index), and the caller reads the lines past it. Never codes of another file: a log rotated while it was
 * read (its inode changed) answers none.
 */
export async function readSessionLevels(sessionDir: string, id: string, fromLine: number, count: number): Promise<LogLevelsView> {
  const file = await resolveSessionFile(sessionDir, id);
  const gone = () => FabricErrors.logFileGone(`There is no log file ${id}.`);
  const before = await stat(file).catch(() => null);
  if (!before) throw gone();
  const total = await logPages.lineCount(file);
  if (fromLine > total) throw FabricErrors.badLogPage(`Level codes of ${id} start at line ${fromLine}, past its end: it has ${total} lines, numbered from 0.`);
  let levels = '';
  try {
    const fh = await open(levelIndexOf(file), 'r');
    try {
      const end = Math.min((await fh.stat()).size, total, fromLine + count);
      if (end > fromLine) {
        const bytes = Buffer.allocUnsafe(end - fromLine);
        const { bytesRead } = await fh.read(bytes, 0, bytes.length, fromLine);
        levels = bytes.toString('latin1', 0, bytesRead);
      }
    } finally {
      await fh.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const after = await stat(file).catch(() => null);
  if (!after || after.ino !== before.ino) levels = '';
  return { file: id, fromLine, levels, total };
}
