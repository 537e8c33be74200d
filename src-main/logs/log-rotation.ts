// How older files of one log are named. When Azure starts a new file (WaHostBootstrapper restarts, a
// recycle), the current file is renamed `<stem>.<NNN><ext>` with the next free number and a new file takes
// the real name: WaHostBootstrapper.log -> WaHostBootstrapper.001.log, then .002, ... Numbers only grow, so
// a rotated file keeps its name for the whole session: a viewer paging it, or an index of its lines, stays
// valid while the log keeps rotating.
import { readdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

export interface RotatedFile {
  file: string;
  /** 1 for the oldest kept file of the session, growing with each rotation. */
  number: number;
}

function parts(file: string): { dir: string; stem: string; ext: string } {
  const name = basename(file);
  const ext = extname(name);
  return { dir: dirname(file), stem: name.slice(0, name.length - ext.length), ext };
}

export function rotatedFileName(file: string, number: number): string {
  const { dir, stem, ext } = parts(file);
  return join(dir, `${stem}.${String(number).padStart(3, '0')}${ext}`);
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The earlier files of a log, oldest first (by number, so .1000 sorts after .999). */
export function rotatedFilesOf(file: string): RotatedFile[] {
  const { dir, stem, ext } = parts(file);
  const pattern = new RegExp(`^${escape(stem)}\\.(\\d{3,})${escape(ext)}$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .map((name) => ({ name, m: pattern.exec(name) }))
    .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
    .map(({ name, m }) => ({ file: join(dir, name), number: Number(m[1]) }))
    .sort((a, b) => a.number - b.number);
}

export function nextRotatedFile(file: string): string {
  const existing = rotatedFilesOf(file);
  return rotatedFileName(file, (existing.at(-1)?.number ?? 0) + 1);
}
