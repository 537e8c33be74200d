// Folders this thread has already created. A host worker opens several files per instance under the same
// drive folders; a recursive mkdir is several system calls each time, so each folder is made once. A folder
// removed behind our back is made again: callers retry with `forget` when an open fails with ENOENT.
import { mkdirSync } from 'node:fs';

const created = new Set<string>();

export function ensureFolder(dir: string): void {
  if (created.has(dir)) return;
  mkdirSync(dir, { recursive: true });
  created.add(dir);
}

export function forgetFolder(dir: string): void {
  created.delete(dir);
}

/** Run `work` (an open or a write) in `dir`, creating the folder first, and once more if it had gone. */
export function inFolder<T>(dir: string, work: () => T): T {
  ensureFolder(dir);
  try {
    return work();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    forgetFolder(dir);
    ensureFolder(dir);
    return work();
  }
}
