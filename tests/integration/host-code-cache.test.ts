// Each host worker runs the host OS from the text and V8 code cache the fabric made once (fabric/host-code-cache.ts,
// host/host-worker.ts): what its `ready` says of the cache, a cache made for other text, and the host OS's lazy
// pieces finding the one host OS that runs, not a second copy of it.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFunction } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatedClock } from '../../src-main/common/emulated-clock';
import type { FromHost } from '../../src-main/common/host-protocol';
import { commonJsParameters, type HostOsScript } from '../../src-main/common/host-os-script';
import { defaultTimings } from '../../src-main/common/timings';
import { hostOsScript } from '../../src-main/fabric/host-code-cache';
import { hostWorkerUrl } from '../support/built';
import { waitFor } from '../support/fabric-helpers';
import { workerRoleSpec as spec } from '../support/instance-spec';

let session = '';
let worker: Worker | null = null;
afterEach(async () => {
  await worker?.terminate();
  worker = null;
  rmSync(session, { recursive: true, force: true });
});

/** A host worker given `hostOs` (or nothing), its posts flattened, once it said ready. */
async function bootHost(hostOs: HostOsScript | undefined): Promise<{ posts: FromHost[]; ready: Extract<FromHost, { type: 'ready' }> }> {
  session = mkdtempSync(join(tmpdir(), 'host-code-cache-'));
  const clock = new EmulatedClock(undefined, { startAt: Date.now(), scale: 1000 });
  worker = new Worker(hostWorkerUrl, hostOs ? { workerData: { hostOs } } : {});
  const posts: FromHost[] = [];
  worker.on('message', (posted: FromHost[]) => posts.push(...(Array.isArray(posted) ? posted : [])));
  worker.postMessage({ type: 'init', hostId: 'pool-1-host-01', clock: clock.buffer, seed: 5, timings: defaultTimings, sessionDir: session });
  const ready = await waitFor('ready', async () => posts.find((m): m is Extract<FromHost, { type: 'ready' }> => m.type === 'ready'));
  return { posts, ready };
}

const hostAgentLog = () => readFileSync(join(session, 'fabric', 'hosts', 'pool-1-host-01', 'HostAgent.log'), 'utf8');

describe('the host code cache', () => {
  it('is made once per worker URL from host-os.cjs beside the worker, and none for a worker with no host OS beside it', () => {
    const made = hostOsScript(hostWorkerUrl)!;
    expect(made.source).toBe(readFileSync(new URL('host-os.cjs', hostWorkerUrl), 'utf8'));
    expect(made.file).toBe(fileURLToPath(new URL('host-os.cjs', hostWorkerUrl)));
    expect(made.codeCache.byteLength).toBeGreaterThan(1024);
    expect(hostOsScript(hostWorkerUrl)).toBe(made);
    expect(hostOsScript(new URL('file:///nonexistent/host-worker.cjs'))).toBeNull();
  });

  it('is taken by a host given it, which says so in its ready and logs no warning', async () => {
    const { ready } = await bootHost(hostOsScript(hostWorkerUrl)!);
    expect(ready.codeCache).toBe('accepted');
    await waitFor('the first lines on disk', async () => hostAgentLog().includes('Host agent started'));
    expect(hostAgentLog()).not.toContain('code cache');
  });

  it('is none for a host started without one, which loads host-os.cjs itself', async () => {
    const { ready } = await bootHost(undefined);
    expect(ready.codeCache).toBe('none');
  });

  it('made for other text is rejected by V8: the host compiles its own, starts, and says why in HostAgent.log', async () => {
    const made = hostOsScript(hostWorkerUrl)!;
    const { cachedData: other } = compileFunction('exports.bootedWith = () => {};', [...commonJsParameters], { produceCachedData: true }) as { cachedData: Buffer };
    const codeCache = new SharedArrayBuffer(other.length);
    new Uint8Array(codeCache).set(other);
    const { ready, posts } = await bootHost({ ...made, codeCache });
    expect(ready.codeCache).toBe('rejected');
    await waitFor('the warning', async () => hostAgentLog().includes("WARN") && hostAgentLog());
    expect(hostAgentLog()).toContain("V8 rejected the fabric's code cache of the host's code");
    // And the host works: an instance comes up on it.
    worker!.postMessage({ type: 'start-instance', spec });
    await waitFor('ReadyRole', async () => posts.some((m) => m.type === 'instance-status' && m.status === 'ReadyRole'));
  });

  it('lets the lazy pieces require the host OS that runs: one host OS answers each command once', async () => {
    const { posts } = await bootHost(hostOsScript(hostWorkerUrl)!);
    // A worker role's start loads the host OS's lazy pieces (role model reader, guest processes, role drive), each
    // requiring host-os.cjs for the code it shares; a second copy of the host OS would answer every command again.
    worker!.postMessage({ type: 'start-instance', spec });
    await waitFor('ReadyRole', async () => posts.some((m) => m.type === 'instance-status' && m.status === 'ReadyRole'));
    worker!.postMessage({ type: 'flush', id: 7 });
    await waitFor('the flush answered', async () => posts.some((m) => m.type === 'flush' && m.id === 7));
    await new Promise((r) => setTimeout(r, 100));
    expect(posts.filter((m) => m.type === 'flush' && m.id === 7)).toHaveLength(1);
    expect(posts.filter((m) => m.type === 'ready')).toHaveLength(1);
  });
});
