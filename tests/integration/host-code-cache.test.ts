// Each host worker runs the host OS from the text and V8 code cache the fabric gives it (fabric/host-code-cache.ts,
// host/host-worker.ts): what its `ready` says of the cache, a cache made for other text, the host OS's lazy pieces
// finding the one host OS that runs, and the cache the first host leaves, kept in a folder for every later start.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatedClock } from '../../src-main/common/emulated-clock';
import type { FromHost } from '../../src-main/common/host-protocol';
import { commonJsWrapped, type HostOsScript } from '../../src-main/common/host-os-script';
import { defaultTimings } from '../../src-main/common/timings';
import { Fabric } from '../../src-main/fabric/fabric';
import { defaultHostCodeCacheDir, HostCode } from '../../src-main/fabric/host-code-cache';
import { hostWorkerUrl } from '../support/built';
import { waitFor } from '../support/fabric-helpers';
import { workerRoleSpec as spec } from '../support/instance-spec';

let session = '';
let worker: Worker | null = null;
const folders: string[] = [];
afterEach(async () => {
  await worker?.terminate();
  worker = null;
  for (const folder of [session, ...folders.splice(0)]) rmSync(folder, { recursive: true, force: true });
});

const folder = (): string => {
  const made = mkdtempSync(join(tmpdir(), 'host-code-cache-'));
  folders.push(made);
  return made;
};

/** A host worker given `hostOs` (or nothing), its posts flattened, once it said ready. */
async function bootHost(hostOs: HostOsScript | undefined): Promise<{ posts: FromHost[]; ready: Extract<FromHost, { type: 'ready' }> }> {
  session = mkdtempSync(join(tmpdir(), 'host-code-cache-'));
  const clock = new EmulatedClock(undefined, { startAt: Date.now(), scale: 1000 });
  worker = new Worker(hostWorkerUrl, hostOs ? { workerData: { hostOs } } : {});
  const posts: FromHost[] = [];
  worker.on('message', (posted: FromHost[] | FromHost | 'ring') => {
    if (posted !== 'ring') posts.push(...(Array.isArray(posted) ? posted : [posted]));
  });
  worker.postMessage({ type: 'init', hostId: 'pool-1-host-01', clock: clock.buffer, seed: 5, timings: defaultTimings, sessionDir: session });
  const ready = await waitFor('ready', async () => posts.find((m): m is Extract<FromHost, { type: 'ready' }> => m.type === 'ready'));
  return { posts, ready };
}

const hostAgentLog = () => readFileSync(join(session, 'fabric', 'hosts', 'pool-1-host-01', 'HostAgent.log'), 'utf8');
const compileTime = (): HostOsScript => new HostCode(hostWorkerUrl, null).forHost()!;
let checks = 0;
/** Whether V8 takes `cache` for the host OS's text (a name of its own each time, or V8 finds the text compiled in this thread and reads no cache). */
const v8Takes = (cache: Uint8Array): boolean => !new Script(commonJsWrapped(compileTime().source), { filename: `check ${++checks}`, cachedData: cache }).cachedDataRejected;
const cacheFiles = (dir: string): string[] => readdirSync(dir).filter((name) => name.endsWith('.v8cache'));
/** A file as the fabric keeps it: the SHA-256 of what follows, then the cache. */
const sealed = (cache: Uint8Array): Buffer => Buffer.concat([createHash('sha256').update(cache).digest(), cache]);

describe('the host code cache', () => {
  it('is made once per process from host-os.cjs beside the worker, and none for a worker with no host OS beside it', () => {
    const made = compileTime();
    expect(made.source).toBe(readFileSync(new URL('host-os.cjs', hostWorkerUrl), 'utf8'));
    expect(made.file).toBe(fileURLToPath(new URL('host-os.cjs', hostWorkerUrl)));
    expect(made.codeCache.byteLength).toBeGreaterThan(1024);
    expect(made.leaveCache).toBeUndefined();
    expect(compileTime().codeCache).toBe(made.codeCache);
    expect(new HostCode(new URL('file:///nonexistent/host-worker.cjs'), folder()).forHost()).toBeNull();
  });

  it('is taken by a host given it, which says so in its ready and logs no warning', async () => {
    const { ready } = await bootHost(compileTime());
    expect(ready.codeCache).toBe('accepted');
    await waitFor('the first lines on disk', async () => hostAgentLog().includes('Host agent started'));
    expect(hostAgentLog()).not.toContain('code cache');
  });

  it('is none for a host started without one, which loads host-os.cjs itself', async () => {
    const { ready } = await bootHost(undefined);
    expect(ready.codeCache).toBe('none');
  });

  it('made for other text is rejected by V8: the host compiles its own, starts, and says why in HostAgent.log', async () => {
    const other = new Script(commonJsWrapped('exports.bootedWith = () => {};')).createCachedData();
    const codeCache = new SharedArrayBuffer(other.length);
    new Uint8Array(codeCache).set(other);
    const { ready, posts } = await bootHost({ ...compileTime(), codeCache });
    expect(ready.codeCache).toBe('rejected');
    await waitFor('the warning', async () => hostAgentLog().includes('WARN') && hostAgentLog());
    expect(hostAgentLog()).toContain("V8 rejected the fabric's code cache of the host's code");
    // And the host works: an instance comes up on it.
    worker!.postMessage({ type: 'start-instance', spec });
    await waitFor('ReadyRole', async () => posts.some((m) => m.type === 'instance-status' && m.status === 'ReadyRole'));
  });

  it('lets the lazy pieces require the host OS that runs: one host OS answers each command once', async () => {
    const { posts } = await bootHost(compileTime());
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

  it('is left by a host asked to, after its ready: V8 takes it, and it holds more than the compile-time cache', async () => {
    const { posts } = await bootHost({ ...compileTime(), leaveCache: true });
    const left = await waitFor('the cache', async () => posts.find((m): m is Extract<FromHost, { type: 'code-cache' }> => m.type === 'code-cache'));
    expect(posts.findIndex((m) => m.type === 'ready')).toBeLessThan(posts.indexOf(left));
    expect(v8Takes(left.data)).toBe(true);
    // The functions the host's start compiled are in it.
    expect(left.data.length).toBeGreaterThan(compileTime().codeCache.byteLength);
    await new Promise((r) => setTimeout(r, 100));
    expect(posts.filter((m) => m.type === 'code-cache')).toHaveLength(1);
  });

  it('is not left by a host not asked to', async () => {
    const { posts } = await bootHost(compileTime());
    worker!.postMessage({ type: 'flush', id: 1 });
    await waitFor('the flush answered', async () => posts.some((m) => m.type === 'flush'));
    expect(posts.some((m) => m.type === 'code-cache')).toBe(false);
  });
});

describe('the host code cache kept in a folder', () => {
  it('is left by the first host of the first launch, and every host of the next launch starts from it', async () => {
    const dir = join(folder(), 'cache', 'host-code');
    const first = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 3, sessionDir: join(folder(), 'session'), hostCodeCacheDir: dir, pools: [{ name: 'A', region: 'Local', hosts: 2, spareHosts: 0, coresPerHost: 4, faultDomains: 1 }] });
    try {
      const [name] = await waitFor('the kept cache', async () => existsSync(dir) && cacheFiles(dir).length > 0 && cacheFiles(dir));
      expect(name).toMatch(/^host-os-[0-9a-f]{16}\.v8cache$/);
      const frontEnd = readFileSync(join(first.sessionDir, 'fabric', 'front-end', 'FrontEnd.log'), 'utf8');
      expect(frontEnd).toContain(`Kept the first host's code cache`);
      expect(frontEnd).toContain(join(dir, name!));
    } finally {
      await first.close();
    }
    const file = join(dir, cacheFiles(dir)[0]!);
    const kept = readFileSync(file);
    expect(v8Takes(kept.subarray(32))).toBe(true);
    // The next launch hands the kept cache to every host and asks none to leave another.
    const next = new HostCode(hostWorkerUrl, dir);
    for (let i = 0; i < 3; i++) {
      const script = next.forHost()!;
      expect(script.leaveCache).toBeUndefined();
      expect(Buffer.from(new Uint8Array(script.codeCache)).equals(kept.subarray(32))).toBe(true);
    }
    const { ready } = await bootHost(next.forHost()!);
    expect(ready.codeCache).toBe('accepted');
  });

  it('asks one host only to leave its cache while the folder has none', () => {
    const code = new HostCode(hostWorkerUrl, folder());
    expect(code.forHost()!.leaveCache).toBe(true);
    expect(code.forHost()!.leaveCache).toBeUndefined();
    expect(code.forHost()!.leaveCache).toBeUndefined();
  });

  it('keeps one build: another build’s cache file and a dead writer’s part go when this one’s is kept, other files stay', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'host-os-0123456789abcdef.v8cache'), 'an older build');
    writeFileSync(join(dir, 'notes.txt'), 'the user’s');
    // What a process that died mid-write left two minutes ago, and what one may be writing now.
    const died = 'host-os-0123456789abcdef.v8cache.00000000-0000-4000-8000-000000000000.partial';
    const writing = 'host-os-0123456789abcdef.v8cache.11111111-1111-4111-8111-111111111111.partial';
    writeFileSync(join(dir, died), 'half');
    utimesSync(join(dir, died), new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    writeFileSync(join(dir, writing), 'half');
    const code = new HostCode(hostWorkerUrl, dir);
    expect(code.forHost()!.leaveCache).toBe(true);
    const { posts } = await bootHost({ ...compileTime(), leaveCache: true });
    const left = await waitFor('the cache', async () => posts.find((m): m is Extract<FromHost, { type: 'code-cache' }> => m.type === 'code-cache'));
    code.keep(left.data);
    expect(cacheFiles(dir)).toHaveLength(1);
    expect(cacheFiles(dir)[0]).not.toBe('host-os-0123456789abcdef.v8cache');
    expect(readdirSync(dir)).toContain('notes.txt');
    expect(readdirSync(dir).filter((name) => name.endsWith('.partial'))).toEqual([writing]);
  });

  describe('bad input: a file that is not a whole cache of this text is removed, said, and made again', () => {
    /** A folder holding a cache file for this build's name with `content`, and what the fabric logged. */
    async function withCacheFile(content: (good: Buffer) => Buffer): Promise<{ code: HostCode; file: string; said: string[] }> {
      const dir = folder();
      // The file's name for this build, as a first launch keeps it.
      const making = new HostCode(hostWorkerUrl, dir);
      making.forHost();
      const { posts } = await bootHost({ ...compileTime(), leaveCache: true });
      const left = await waitFor('the cache', async () => posts.find((m): m is Extract<FromHost, { type: 'code-cache' }> => m.type === 'code-cache'));
      making.keep(left.data);
      const file = join(dir, cacheFiles(dir)[0]!);
      writeFileSync(file, content(readFileSync(file)));
      const said: string[] = [];
      return { code: new HostCode(hostWorkerUrl, dir, (level, message) => said.push(`${level} ${message}`)), file, said };
    }

    it('a damaged file (one byte flipped: V8 alone would take it as code)', async () => {
      const { code, file, said } = await withCacheFile((good) => {
        const bad = Buffer.from(good);
        bad[bad.length >> 1]! ^= 0xff;
        // V8 itself would take it (it checks of the text only the length, and a release build no checksum) and run
        // it: tried once by hand, never here, for a process that deserialized such a cache later died in V8's sweeper.
        return bad;
      });
      const script = code.forHost()!;
      expect(Buffer.from(new Uint8Array(script.codeCache)).equals(Buffer.from(new Uint8Array(compileTime().codeCache)))).toBe(true);
      expect(script.leaveCache).toBe(true);
      expect(existsSync(file)).toBe(false);
      expect(said).toEqual([`WARN Removed the host code cache ${file}: its checksum does not match: the file is damaged. The first host started next leaves a new one.`]);
    });

    it('a file cut short, and an empty one', async () => {
      for (const content of [(good: Buffer) => good.subarray(0, 1000), () => Buffer.alloc(0)]) {
        const { code, file, said } = await withCacheFile(content);
        expect(code.forHost()!.leaveCache).toBe(true);
        expect(existsSync(file)).toBe(false);
        expect(said[0]).toContain('its checksum does not match');
      }
    });

    it('a whole file V8 rejects (a cache of other text, as another V8 or other flags would make)', async () => {
      const { code, file, said } = await withCacheFile(() => sealed(new Script(commonJsWrapped('exports.other = 1;')).createCachedData()));
      expect(code.forHost()!.leaveCache).toBe(true);
      expect(existsSync(file)).toBe(false);
      expect(said).toEqual([`WARN Removed the host code cache ${file}: V8 rejected it (made by another V8 or with other flags). The first host started next leaves a new one.`]);
    });

    it('a rejected file right after a good one was checked in the same thread (V8 would find the text compiled and not read it)', async () => {
      const { code, file } = await withCacheFile((good) => good);
      expect(code.forHost()!.leaveCache).toBeUndefined(); // the good file, checked and taken
      writeFileSync(file, sealed(new Script(commonJsWrapped('exports.other = 2;')).createCachedData()));
      const said: string[] = [];
      const next = new HostCode(hostWorkerUrl, join(file, '..'), (level, message) => said.push(`${level} ${message}`));
      expect(next.forHost()!.leaveCache).toBe(true);
      expect(said[0]).toContain('V8 rejected it');
    });

    it('a folder that cannot be made: hosts start from the compile-time cache, said once', async () => {
      const blocker = join(folder(), 'a-file');
      writeFileSync(blocker, '');
      const said: string[] = [];
      const code = new HostCode(hostWorkerUrl, join(blocker, 'host-code'), (level, message) => said.push(`${level} ${message}`));
      const script = code.forHost()!;
      expect(script.leaveCache).toBeUndefined();
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(new RegExp(`^WARN The host code cache folder ${join(blocker, 'host-code')} cannot be used \\(.*ENOTDIR.*\\): every host compiles what its start runs itself\\.$`));
      const { ready } = await bootHost(script);
      expect(ready.codeCache).toBe('accepted');
    });
  });

  it('is kept where FABRIC_LAB_CACHE_DIR says (nowhere when empty), else in the user’s cache folder', () => {
    expect(defaultHostCodeCacheDir({ FABRIC_LAB_CACHE_DIR: '/x/cache' }, 'linux')).toBe('/x/cache/host-code');
    expect(defaultHostCodeCacheDir({ FABRIC_LAB_CACHE_DIR: '' }, 'linux')).toBeUndefined();
    expect(defaultHostCodeCacheDir({ XDG_CACHE_HOME: '/x/xdg' }, 'linux')).toBe('/x/xdg/fabric-lab/host-code');
    expect(defaultHostCodeCacheDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32')).toContain(join('Fabric Lab', 'host-code'));
  });
});
