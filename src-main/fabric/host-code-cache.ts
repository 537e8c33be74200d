// V8's code cache of the host OS's script, made once per process and shared by every host worker it starts
// (common/host-os-script.ts): compiling the script here once spares each host's thread the parse of it.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFunction } from 'node:vm';
import { commonJsParameters, hostOsFile, type HostOsScript } from '../common/host-os-script';

const made = new Map<string, HostOsScript | null>();

/**
 * The host OS's script beside the host worker `workerUrl`, with its code cache; null where there is no such script
 * (a stand-in worker) or it does not compile: that worker then loads, and fails on, its own code.
 */
export function hostOsScript(workerUrl: URL): HostOsScript | null {
  if (!made.has(workerUrl.href)) made.set(workerUrl.href, compile(workerUrl));
  return made.get(workerUrl.href)!;
}

function compile(workerUrl: URL): HostOsScript | null {
  if (workerUrl.protocol !== 'file:') return null;
  const file = join(dirname(fileURLToPath(workerUrl)), hostOsFile);
  try {
    const source = readFileSync(file, 'utf8');
    const { cachedData } = compileFunction(source, [...commonJsParameters], { filename: file, produceCachedData: true }) as { cachedData?: Buffer };
    if (!cachedData) return null;
    const codeCache = new SharedArrayBuffer(cachedData.length);
    new Uint8Array(codeCache).set(cachedData);
    return { file, source, codeCache };
  } catch {
    return null;
  }
}
