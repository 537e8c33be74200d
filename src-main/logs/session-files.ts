// The session's log files as the API shows them: the files of one instance's drives or of one fabric
// component, each with its VM path, format, rotation number and line count; and the one way back from a
// file id (a session-relative path) to a file, which refuses anything that would leave the session folder.
import { existsSync } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { FabricErrors } from '../common/fabric-errors';
import type { LogFileFormat, LogFileInfo, LogPageView } from '../common/log-api';
import { fabricLogFile, fileToVmPath, instanceFolder, type FabricComponent } from './instance-paths';
import { LogPageError, logPages } from './log-pages';
import { rotatedFilesOf } from './log-rotation';

/** The process that writes a file, and its line shape, read off the file's name. */
export function describeFile(name: string): { process: string; format: LogFileFormat } {
  const stem = name.replace(/\.(\d{3,})(\.[^.]+)$/, '$2').replace(/\.[^.]+$/, '');
  if (/\.xml$/i.test(name)) return { process: stem, format: 'text' };
  if (/^(WaAppAgent|AppAgentRuntime)$/i.test(stem)) return { process: stem, format: 'app-agent' };
  if (/^WaHostBootstrapper$/i.test(stem)) return { process: stem, format: 'bootstrapper' };
  if (/^(WaWorkerHost|WaWebHost|WaIISHost|IISConfigurator)$/i.test(stem)) return { process: stem, format: 'host-process' };
  if (/^u_ex\d{6}$/i.test(stem)) return { process: 'IIS', format: 'iis' };
  if (/\.jsonl$/i.test(name)) return { process: stem.replace(/\.evtx$/, ''), format: 'events' };
  if (/^(FrontEnd|FabricController|HostAgent)$/.test(stem)) return { process: stem, format: 'fabric' };
  return { process: stem, format: 'text' };
}

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
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null; // rotated away while listing
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
    entries.filter((e) => e.isFile()).map((e) => {
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
  const file = await resolveSessionFile(sessionDir, id);
  try {
    const page = await logPages.readPage(file, fromLine, count);
    return { file: id, fromLine: page.fromLine, lines: page.lines, total: page.total };
  } catch (error) {
    if (error instanceof LogPageError) {
      const message = error.message.split(file).join(id);
      throw error.code === 'LogNotFound' ? FabricErrors.logFileGone(message) : FabricErrors.badLogPage(message);
    }
    throw error;
  }
}
