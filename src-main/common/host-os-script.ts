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
  /** V8's code cache of `source` compiled as a function of `commonJsParameters`, shared by every host of the process. */
  codeCache: SharedArrayBuffer;
}

/** How a host's V8 took the fabric's code cache: `none` when it was given none. A host says so in its `ready`. */
export const codeCacheUses = ['accepted', 'rejected', 'none'] as const;
export type CodeCacheUse = (typeof codeCacheUses)[number];

/** The parameters of the function Node's require() compiles a CommonJS script as. */
export const commonJsParameters = ['exports', 'require', 'module', '__filename', '__dirname'] as const;
