// Entry of a host worker thread: runs the host OS (host-os.ts, built as host-os.cjs beside this file) from the text and
// V8 code cache the fabric gave it (common/host-os-script.ts), or from the file when it gave none: each thread takes
// the compiled script instead of compiling the host's 115 KB itself (docs/PERFORMANCE.md).
import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { workerData } from 'node:worker_threads';
import { commonJsWrapped, hostOsFile, type CodeCacheUse, type HostOsScript } from '../common/host-os-script';

const given = (workerData as { hostOs?: HostOsScript } | null)?.hostOs;
const path = given?.file ?? join(__dirname, hostOsFile);
const requireHere = createRequire(path);
// The name require() gives the file (its real path), under which its lazy pieces require it back.
const file = requireHere.resolve(path);
const source = given?.source ?? readFileSync(file, 'utf8');
const script = new Script(commonJsWrapped(source), { filename: file, ...(given ? { cachedData: new Uint8Array(given.codeCache) } : {}) });
// A cache V8 rejects (made by another V8 or with other flags) costs only the compile it would have saved.
const use: CodeCacheUse = !given ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted';
// Loaded as require() would load it, into its cache, so that its pieces' require("./host-os.cjs") finds this one.
const hostOs = new Module(file);
hostOs.filename = file;
requireHere.cache[file] = hostOs;
(script.runInThisContext() as (...commonJs: unknown[]) => void)(hostOs.exports, requireHere, hostOs, file, dirname(file));
hostOs.loaded = true;
(hostOs.exports as { bootedWith(use: CodeCacheUse, cacheAfterStart: (() => Uint8Array) | null): void }).bootedWith(use, given?.leaveCache ? () => script.createCachedData() : null);
