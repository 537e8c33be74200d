// The host OS's code as the fabric hands it to each host worker it starts: the text of out/main/host-os.cjs and V8's
// code cache of it, made once by the fabric (fabric/host-code-cache.ts), so that each host's thread takes the compiled
// script instead of parsing it again (host/host-worker.ts, the entry that runs it).

/** The host OS's script, built beside the host worker's entry (out/main/host-worker.cjs). */
export const hostOsFile = 'host-os.cjs';

/** What a host worker is given to run (its workerData's `hostOs`). */
export interface HostOsScript {
  /** The script's path: its pieces are required beside it, and stack traces name it. */
  file: string;
  /** The text the cache was made from: V8 checks only its length, so the host compiles this text, not the file's. */
  source: string;
  /** V8's code cache of `commonJsWrapped(source)`, shared by the hosts: made at compile time, or left by a host. */
  codeCache: SharedArrayBuffer;
  /** This host is to leave its own cache after its start, for the fabric to keep (fabric/host-code-cache.ts). */
  leaveCache?: boolean;
}

/** How a host's V8 took the fabric's code cache: `none` when it was given none. A host says so in its `ready`. */
export const codeCacheUses = ['accepted', 'rejected', 'none'] as const;
export type CodeCacheUse = (typeof codeCacheUses)[number];

/**
 * The script as a function of the parameters Node's require() gives a CommonJS script, on its first line so that
 * lines keep their numbers. A `vm.Script` of this text, not `vm.compileFunction`: only a Script makes a cache after
 * it ran, with the functions its run compiled.
 */
export const commonJsWrapped = (source: string): string => `(function (exports, require, module, __filename, __dirname) { ${source}\n})`;
