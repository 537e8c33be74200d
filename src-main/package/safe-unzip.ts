// Extracting an untrusted zip (a .cspkg). Two passes: the first reads the whole central directory and refuses
// the archive — before anything is written — for any entry whose path escapes the target (../, absolute,
// drive letters, backslash tricks), any link, encrypted entries, too many entries, or declared sizes and
// compression ratios past the limits. The second streams the entries, counting the bytes that really come
// out (headers can lie), and stops and removes what it wrote when a limit is passed.
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import type { ValidationDiagnostic } from '../common/service-model';

export interface ZipLimits {
  /** Sum of all entries' uncompressed bytes. */
  maxTotalBytes: number;
  maxEntries: number;
  /** Uncompressed / compressed, checked for entries of at least `ratioMinBytes`. */
  maxRatio: number;
  ratioMinBytes: number;
}

export const defaultZipLimits: ZipLimits = {
  maxTotalBytes: 512 * 1024 * 1024,
  maxEntries: 10_000,
  maxRatio: 200,
  ratioMinBytes: 1024 * 1024,
};

export interface UnzipResult {
  ok: boolean;
  /** Relative paths (forward slashes) of the files written, when ok. */
  files: string[];
  diagnostics: ValidationDiagnostic[];
}

/** Why a name is unsafe, or undefined. Backslashes count as separators, as Windows tools wrote them. */
export function unsafeEntryName(name: string): { rule: string; why: string } | undefined {
  if (name.includes('\0')) return { rule: 'zip.path-escape', why: 'holds a NUL character' };
  const n = name.replace(/\\/g, '/');
  if (n.startsWith('/') || /^[A-Za-z]:/.test(n)) return { rule: 'zip.absolute-path', why: 'is an absolute path' };
  if (n.split('/').some((part) => part === '..')) return { rule: 'zip.path-escape', why: 'climbs out of the target folder with ".."' };
  return undefined;
}

/** Whether the entry's Unix mode (high 16 bits of the external attributes) marks a symbolic link. */
export function isSymlinkEntry(externalFileAttributes: number): boolean {
  return ((externalFileAttributes >>> 16) & 0o170000) === 0o120000;
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((ok, fail) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true }, (err, zip) => (err ? fail(err) : ok(zip)));
  });
}

function readEntries(zip: yauzl.ZipFile, maxEntries: number): Promise<yauzl.Entry[]> {
  return new Promise((ok, fail) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (e: yauzl.Entry) => {
      entries.push(e);
      if (entries.length > maxEntries) return ok(entries);
      zip.readEntry();
    });
    zip.on('end', () => ok(entries));
    zip.on('error', fail);
    zip.readEntry();
  });
}

/** Counts the bytes that really come out of an entry and fails the stream past the budget. */
class ByteBudget extends Transform {
  private readonly allow: (n: number) => boolean;
  constructor(allow: (n: number) => boolean) {
    super();
    this.allow = allow;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (!this.allow(chunk.length)) done(new Error('budget'));
    else done(null, chunk);
  }
}

export async function safeUnzip(zipPath: string, targetDir: string, limitsIn: Partial<ZipLimits> = {}): Promise<UnzipResult> {
  const limits = { ...defaultZipLimits, ...limitsIn };
  const file = zipPath;
  const diagnostics: ValidationDiagnostic[] = [];
  const error = (rule: string, message: string) => diagnostics.push({ severity: 'error', file, line: 0, column: 0, rule, message });
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(zipPath);
  } catch (e) {
    error('zip.corrupt', `Not a readable zip archive: ${(e as Error).message}.`);
    return { ok: false, files: [], diagnostics };
  }
  try {
    if (zip.entryCount > limits.maxEntries) {
      error('zip.too-many-entries', `The archive has ${zip.entryCount} entries; at most ${limits.maxEntries} are accepted.`);
      return { ok: false, files: [], diagnostics };
    }
    let entries: yauzl.Entry[];
    try {
      entries = await readEntries(zip, limits.maxEntries);
    } catch (e) {
      error('zip.corrupt', `The archive's directory is damaged: ${(e as Error).message}.`);
      return { ok: false, files: [], diagnostics };
    }
    if (entries.length > limits.maxEntries) {
      error('zip.too-many-entries', `The archive has more than ${limits.maxEntries} entries.`);
      return { ok: false, files: [], diagnostics };
    }
    const root = resolve(targetDir);
    const planned: { entry: yauzl.Entry; name: string; dir: boolean }[] = [];
    const seen = new Set<string>();
    let declared = 0;
    for (const entry of entries) {
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
      const unsafe = unsafeEntryName(name);
      if (unsafe) {
        error(unsafe.rule, `Entry "${name}" ${unsafe.why}; it would be written outside the extraction folder.`);
        continue;
      }
      const dest = resolve(root, name);
      if (dest !== root && !dest.startsWith(root + sep)) {
        error('zip.path-escape', `Entry "${name}" would be written outside the extraction folder.`);
        continue;
      }
      if (isSymlinkEntry(entry.externalFileAttributes)) {
        error('zip.symlink', `Entry "${name}" is a symbolic link; links are refused because they can point outside the package.`);
        continue;
      }
      if (entry.isEncrypted()) {
        error('zip.encrypted', `Entry "${name}" is encrypted; a .cspkg from SDK 1.7 or later is not.`);
        continue;
      }
      const key = relative(root, dest).toLowerCase();
      if (key && seen.has(key)) {
        error('zip.duplicate-entry', `Entry "${name}" occurs twice (names are compared without case, as on Windows).`);
        continue;
      }
      seen.add(key);
      declared += entry.uncompressedSize;
      if (entry.uncompressedSize >= limits.ratioMinBytes && entry.uncompressedSize / Math.max(1, entry.compressedSize) > limits.maxRatio) {
        error('zip.ratio', `Entry "${name}" expands ${Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize))} times (${entry.compressedSize} to ${entry.uncompressedSize} bytes); more than ${limits.maxRatio} times looks like a zip bomb.`);
      }
      planned.push({ entry, name, dir: name.endsWith('/') });
    }
    if (declared > limits.maxTotalBytes) {
      error('zip.too-large', `The archive expands to ${declared} bytes; at most ${limits.maxTotalBytes} are accepted.`);
    }
    if (diagnostics.length > 0) return { ok: false, files: [], diagnostics };
    return await extract(zip, planned, root, limits, diagnostics, error);
  } finally {
    zip.close();
  }
}

async function extract(
  zip: yauzl.ZipFile,
  planned: { entry: yauzl.Entry; name: string; dir: boolean }[],
  root: string,
  limits: ZipLimits,
  diagnostics: ValidationDiagnostic[],
  error: (rule: string, message: string) => void,
): Promise<UnzipResult> {
  await mkdir(root, { recursive: true });
  const written: string[] = [];
  let total = 0;
  for (const { entry, name, dir } of planned) {
    const dest = join(root, name);
    if (dir) {
      await mkdir(dest, { recursive: true });
      continue;
    }
    await mkdir(dirname(dest), { recursive: true });
    let actual = 0;
    const budget = new ByteBudget((n) => {
      actual += n;
      total += n;
      return actual <= entry.uncompressedSize && total <= limits.maxTotalBytes;
    });
    try {
      const input = await new Promise<NodeJS.ReadableStream>((ok, fail) => zip.openReadStream(entry, (err, s) => (err ? fail(err) : ok(s))));
      // 'wx': never follow or overwrite something already at the destination.
      await pipeline(input, budget, createWriteStream(dest, { flags: 'wx' }));
      written.push(name);
    } catch (e) {
      const overBudget = (e as Error).message === 'budget' || /too many bytes|too few bytes/.test((e as Error).message);
      if (overBudget) error('zip.too-large', `Entry "${name}" produced more bytes than its header declares, or the archive passed ${limits.maxTotalBytes} bytes; extraction stopped.`);
      else error('zip.corrupt', `Entry "${name}" could not be extracted: ${(e as Error).message}.`);
      // Leave nothing half-written behind.
      await Promise.all([...written, name].map((w) => rm(join(root, w), { force: true })));
      return { ok: false, files: [], diagnostics };
    }
  }
  return { ok: true, files: written.map((w) => w.replace(/\\/g, '/')), diagnostics };
}

/** A path from inside a package (package.xml FilePath) made safe to join under `root`, or undefined. */
export function safeJoin(root: string, inner: string): string | undefined {
  const trimmed = inner.replace(/\\/g, '/').replace(/^\/+/, '');
  if (unsafeEntryName(trimmed) || isAbsolute(trimmed)) return undefined;
  const dest = resolve(root, trimmed);
  return dest.startsWith(resolve(root) + sep) ? dest : undefined;
}
