// V8's code cache of the host OS's script, shared by every host worker a fabric (or a host node) starts
// (common/host-os-script.ts): the hosts take the compiled script instead of parsing it each.
//
// A cache made at compile time holds only the functions V8 compiles eagerly; every host would still compile the rest
// of what its start runs. So the first host started with a cache folder and no file there leaves its own cache after
// its start (V8's cache of the script as that host ran it), the fabric keeps it in the folder, and every later start,
// in this process and each later launch, hands that one out (7% less CPU a host's start, alternating;
// docs/PERFORMANCE.md). V8 checks a cache's version and flags, but of its text only the length, and no checksum in
// a release build: a flipped byte is taken as code. So a file is named by a hash of the text and V8's version and
// holds the SHA-256 of what follows; one that fails either is removed, said in the fabric's log, and made again.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { commonJsWrapped, hostOsFile, type HostOsScript } from '../common/host-os-script';
import { userFolder } from './user-folders';

/** The script beside a worker URL and its compile-time cache, made once per process: null where there is none. */
const compiled = new Map<string, HostOsScript | null>();

function compileOnce(workerUrl: URL): HostOsScript | null {
  if (!compiled.has(workerUrl.href)) compiled.set(workerUrl.href, compile(workerUrl));
  return compiled.get(workerUrl.href)!;
}

function compile(workerUrl: URL): HostOsScript | null {
  if (workerUrl.protocol !== 'file:') return null;
  const file = join(dirname(fileURLToPath(workerUrl)), hostOsFile);
  try {
    const source = readFileSync(file, 'utf8');
    return { file, source, codeCache: shared(new Script(commonJsWrapped(source), { filename: file }).createCachedData()) };
  } catch {
    return null;
  }
}

function shared(bytes: Uint8Array): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(bytes.length);
  new Uint8Array(buffer).set(bytes);
  return buffer;
}

/**
 * Where the shells keep the host code cache between launches: FABRIC_LAB_CACHE_DIR (empty: kept nowhere), else the
 * user's cache folder (user-folders.ts; the desktop app uses its own data folder).
 */
export function defaultHostCodeCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  if (env.FABRIC_LAB_CACHE_DIR !== undefined) return env.FABRIC_LAB_CACHE_DIR ? join(env.FABRIC_LAB_CACHE_DIR, 'host-code') : undefined;
  return join(userFolder('cache', env, platform), 'host-code');
}

const sha256 = (...parts: (string | Uint8Array)[]): Buffer => parts.reduce((hash, part) => hash.update(part), createHash('sha256')).digest();
const checksumBytes = 32;
const cacheFilePattern = /^host-os-[0-9a-f]{16}\.v8cache$/;
const partialPattern = /^host-os-[0-9a-f]{16}\.v8cache\.[0-9a-f-]{36}\.partial$/;

/** Checks of a kept cache made in this thread (each compiles under a name of its own). */
let checks = 0;

export type HostCodeLog = (level: 'INFO' | 'WARN', message: string) => void;

/** The host OS's code for the hosts of one fabric or host node, with the code cache kept in `cacheDir` (if any). */
export class HostCode {
  private readonly base: HostOsScript | null;
  /** The kept cache's file; null without a folder. */
  private readonly cacheFile: string | null = null;
  /** The cache a host left, once the file holds it; until then each host gets the compile-time cache. */
  private kept: HostOsScript | null = null;
  /** A host has been asked to leave its cache (one per fabric: if it never does, the next launch asks again). */
  private asked = false;

  constructor(
    workerUrl: URL,
    cacheDir: string | null | undefined,
    private readonly log: HostCodeLog = () => undefined,
  ) {
    this.base = compileOnce(workerUrl);
    if (!this.base || !cacheDir) return;
    try {
      mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
      this.cacheFile = join(cacheDir, `host-os-${sha256(this.base.source, '\0', process.versions.v8).toString('hex').slice(0, 16)}.v8cache`);
    } catch (error) {
      this.log('WARN', `The host code cache folder ${cacheDir} cannot be used (${describe(error)}): every host compiles what its start runs itself.`);
    }
  }

  /** The script for the next host to start: the kept cache when there is one; else the first asked to leave its own. */
  forHost(): HostOsScript | null {
    if (!this.base || !this.cacheFile || this.kept) return this.kept ?? this.base;
    this.kept = this.read(this.cacheFile);
    if (this.kept) return this.kept;
    if (this.asked) return this.base;
    this.asked = true;
    return { ...this.base, leaveCache: true };
  }

  /** The cache a host left after its start (host-os.ts): into the folder, for every start after it. */
  keep(cache: Uint8Array): void {
    if (!this.base || !this.cacheFile || this.kept) return;
    const file = this.cacheFile;
    // Its own name: two fabrics of one process (or two processes) may keep theirs at once.
    const partial = `${file}.${randomUUID()}.partial`;
    try {
      // Written aside and renamed: a reader finds the whole file or none. Another build's cache goes, and what a
      // process that died mid-write left (not one another process may be writing now).
      for (const name of readdirSync(dirname(file))) {
        const other = join(dirname(file), name);
        const stale = partialPattern.test(name) && Date.now() - (statSync(other, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 60_000;
        if ((cacheFilePattern.test(name) && other !== file) || stale) rmSync(other, { force: true });
      }
      writeFileSync(partial, Buffer.concat([sha256(cache), cache]), { mode: 0o600 });
      renameSync(partial, file);
      this.log('INFO', `Kept the first host's code cache (${cache.length} bytes) in ${file} for every host started after it.`);
    } catch (error) {
      rmSync(partial, { force: true });
      this.log('WARN', `The host code cache could not be kept in ${file} (${describe(error)}): the next launch makes it again.`);
    }
  }

  /** The cache in `file` if it is whole and V8 takes it; a file that is not is removed and said. */
  private read(file: string): HostOsScript | null {
    // Until the first host's cache is kept, every host start looks: a look, not a failed read each.
    if (!existsSync(file)) return null;
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      return null; // gone since
    }
    const cache = bytes.subarray(checksumBytes);
    const problem =
      bytes.length <= checksumBytes || !sha256(cache).equals(bytes.subarray(0, checksumBytes))
        ? 'its checksum does not match: the file is damaged'
        : // Under a name of its own each time: a text and name compiled before in this thread are found, the cache not read.
          new Script(commonJsWrapped(this.base!.source), { filename: `${this.base!.file} (kept cache, check ${++checks})`, cachedData: cache }).cachedDataRejected
          ? 'V8 rejected it (made by another V8 or with other flags)'
          : null;
    if (!problem) return { ...this.base!, codeCache: shared(cache) };
    rmSync(file, { force: true });
    this.log('WARN', `Removed the host code cache ${file}: ${problem}. The first host started next leaves a new one.`);
    return null;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
