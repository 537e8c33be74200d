// What a real host worker (out/main/host-worker.cjs) posts to the controller: the messages of one turn together
// as one array, at most one host heartbeat in it, and only once the lines they report are in the files; and when
// its heartbeats cross (host-heartbeat.ts `beat`), with a heartbeat register and without.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatedClock } from '../../src-main/common/emulated-clock';
import { HeartbeatRegister, heartbeatRegisterBuffer } from '../../src-main/common/heartbeat-register';
import type { FromHost } from '../../src-main/common/host-protocol';
import { defaultTimings } from '../../src-main/common/timings';
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

describe('a host worker’s messages to the controller', () => {
  it('come one array per turn, with the latest host heartbeat only, after the lines they report', async () => {
    session = mkdtempSync(join(tmpdir(), 'host-worker-messages-'));
    const appAgentLog = join(session, 'instances', 'deployment1(1)', 'WorkerRole1_IN_0', 'C', 'Logs', 'WaAppAgent.log');
    const clock = new EmulatedClock(undefined, { startAt: Date.now(), scale: 1000 });
    worker = new Worker(hostWorkerUrl);
    const posts: unknown[] = [];
    const statuses: string[] = [];
    let onDiskAtReady: string | null = null;
    worker.on('message', (posted: FromHost[]) => {
      posts.push(posted);
      for (const m of Array.isArray(posted) ? posted : []) {
        if (m.type !== 'instance-status') continue;
        statuses.push(m.status);
        // Read the moment the controller would hear of it: the line saying so must already be there.
        if (m.status === 'ReadyRole') onDiskAtReady = readFileSync(appAgentLog, 'utf8');
      }
    });
    worker.postMessage({ type: 'init', hostId: 'pool-1-host-01', clock: clock.buffer, seed: 5, timings: defaultTimings, sessionDir: session });
    await waitFor('ready', async () => posts.some((p) => Array.isArray(p) && p.some((m: FromHost) => m.type === 'ready')));
    worker.postMessage({ type: 'start-instance', spec });
    await waitFor('ReadyRole', async () => statuses.includes('ReadyRole'));
    // Let some host heartbeats (every 5 emulated s) go by with the guest's heartbeats in them.
    await waitFor('guest heartbeats relayed', async () =>
      posts.some((p) => (p as FromHost[]).some((m) => m.type === 'host-heartbeat' && m.guests.some((g) => g.count >= 3))),
    );

    for (const p of posts) {
      expect(Array.isArray(p)).toBe(true);
      expect((p as FromHost[]).filter((m) => m.type === 'host-heartbeat').length).toBeLessThanOrEqual(1);
    }
    expect(statuses.slice(0, 5)).toEqual(['Preparing', 'CreatingVM', 'StartingVM', 'CreatingRole', 'StartingRole']);
    expect(onDiskAtReady).toContain('status: ReadyRole.');

    // Told to stop, it writes what it holds before the thread ends.
    const exited = new Promise((r) => worker!.once('exit', r));
    worker.postMessage({ type: 'shutdown' });
    await exited;
    worker = null;
    const hostLog = readFileSync(join(session, 'fabric', 'hosts', 'pool-1-host-01', 'HostAgent.log'), 'utf8');
    expect(hostLog.trimEnd().endsWith('Host agent shutting down.')).toBe(true);
  });

  it('still reports an error for a bad command, in its array', async () => {
    session = mkdtempSync(join(tmpdir(), 'host-worker-messages-'));
    const clock = new EmulatedClock(undefined, { startAt: Date.now(), scale: 1000 });
    worker = new Worker(hostWorkerUrl);
    const posts: FromHost[][] = [];
    worker.on('message', (posted: FromHost[]) => posts.push(posted));
    worker.postMessage({ type: 'init', hostId: 'pool-1-host-02', clock: clock.buffer, seed: 5, timings: defaultTimings, sessionDir: session });
    await waitFor('ready', async () => posts.flat().some((m) => m.type === 'ready'));
    worker.postMessage({ type: 'start-instance', spec });
    worker.postMessage({ type: 'start-instance', spec }); // the same instance twice
    const error = await waitFor('error', async () => posts.flat().find((m) => m.type === 'error'));
    expect(error).toMatchObject({ type: 'error', message: expect.stringContaining('already runs on pool-1-host-02') });
    await waitFor('the first copy keeps going', async () => posts.flat().some((m) => m.type === 'instance-status' && m.status === 'StartingVM'));
  });

  it('fails a web role VM with the reason when its lazily loaded web server cannot be loaded', async () => {
    session = mkdtempSync(join(tmpdir(), 'host-worker-messages-'));
    // The host worker and every chunk it requires, directly or not, without host/instance-web-server.ts's chunk.
    const built = dirname(fileURLToPath(hostWorkerUrl));
    const copied = new Set<string>();
    const copy = (file: string): void => {
      if (copied.has(file) || /^host-instance-web-server/.test(file)) return;
      copied.add(file);
      copyFileSync(join(built, file), join(session, file));
      for (const m of readFileSync(join(built, file), 'utf8').matchAll(/require\("\.\/([^"]+)"\)/g)) copy(m[1]!);
    };
    copy('host-worker.cjs');
    copy('host-os.cjs'); // read by the entry, not required
    expect([...copied].some((f) => /^host-role-drive/.test(f))).toBe(true);
    expect([...copied].some((f) => /^host-instance-web-server/.test(f))).toBe(false);
    const clock = new EmulatedClock(undefined, { startAt: Date.now(), scale: 1000 });
    worker = new Worker(join(session, 'host-worker.cjs'));
    const posts: FromHost[][] = [];
    worker.on('message', (posted: FromHost[]) => posts.push(posted));
    worker.postMessage({ type: 'init', hostId: 'pool-1-host-03', clock: clock.buffer, seed: 5, timings: defaultTimings, sessionDir: join(session, 'session') });
    await waitFor('ready', async () => posts.flat().some((m) => m.type === 'ready'));
    worker.postMessage({ type: 'start-instance', spec: { ...spec, instanceId: 'deployment1(1)/WebRole1_IN_0', instanceName: 'WebRole1_IN_0', roleName: 'WebRole1', roleType: 'WebRole' } });
    const failed = await waitFor('FailedStartingVM', async () => posts.flat().find((m) => m.type === 'instance-status' && m.status === 'FailedStartingVM'));
    expect(failed).toMatchObject({ details: expect.stringContaining('could not load the web server') });
  });
});

describe('a host worker’s heartbeats', () => {
  /** A host worker with no guests at `scale`; `workerData` as HostProxy would give it (a register, or nothing). */
  async function quietHost(scale: number, init: { silenceFloorMs?: number; hostHeartbeatTimeout?: number }, workerData?: unknown) {
    session = mkdtempSync(join(tmpdir(), 'host-worker-messages-'));
    const clock = new EmulatedClock(undefined, { startAt: Date.now(), scale });
    worker = new Worker(hostWorkerUrl, { workerData });
    const posts: FromHost[] = [];
    worker.on('message', (posted: FromHost[]) => posts.push(...posted));
    const timings = { ...defaultTimings, ...(init.hostHeartbeatTimeout ? { hostHeartbeatTimeout: init.hostHeartbeatTimeout } : {}) };
    worker.postMessage({ type: 'init', hostId: 'pool-1-host-04', clock: clock.buffer, seed: 5, timings, sessionDir: session, ...(init.silenceFloorMs !== undefined ? { silenceFloorMs: init.silenceFloorMs } : {}) });
    await waitFor('ready', async () => posts.some((m) => m.type === 'ready'));
    const beats = () => posts.flatMap((m) => (m.type === 'host-heartbeat' ? [m.at] : []));
    return { posts, beats, clock };
  }
  /** The first `count` different heartbeat times the register shows, looked at every 20 ms. */
  async function registerTimes(register: HeartbeatRegister, count: number): Promise<number[]> {
    const seen: number[] = [];
    await waitFor(`${count} heartbeats in the register`, async () => {
      const at = register.read()?.at;
      if (at !== undefined && seen.at(-1) !== at) seen.push(at);
      return seen.length >= count;
    }, 20_000);
    return seen;
  }
  // Emulated times are float ms near 1.8e12: a 5 s step comes out as 5000.0002.
  const gapsOf = (times: number[]) => times.slice(1).map((t, i) => Math.round(t - times[i]!));

  // Without a register (a host node's host, heard over NATS) each heartbeat that crosses is the host's sign of
  // life: at most about every quarter real second, never further apart than half the silence the controller
  // waits for, which must last both the emulated timeout and the real floor. The host wakes every so many beats
  // (about a tenth of a real second), so a crossing comes at the last wake-up inside that spacing.
  it.each([
    { title: 'at 100x every 20 emulated s (inside a quarter real second, woken every 10 s), inside half the 60 s timeout', scale: 100, init: { silenceFloorMs: 2_000 }, gap: 20_000, most: 25_000 },
    { title: 'a 20 s timeout and a 150 ms floor (15 emulated s) make it every 10 emulated s at 100x', scale: 100, init: { silenceFloorMs: 150, hostHeartbeatTimeout: 20_000 }, gap: 10_000, most: 19_999 },
    { title: 'at 1000x with the 2 s floor, every 200 emulated s (woken every 100 s), not every 30 (half the timeout alone)', scale: 1000, init: { silenceFloorMs: 2_000 }, gap: 200_000, most: 250_000 },
  ])('without a register: $title', async ({ scale, init, gap, most }) => {
    const { beats } = await quietHost(scale, init);
    await waitFor('eight crossings', async () => beats().length >= 8, 20_000);
    const gaps = gapsOf(beats());
    expect(gaps.filter((g) => g === gap).length).toBeGreaterThan(gaps.length / 2);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(most);
  });

  it('with a register: a quiet host sends no heartbeat at all, and writes each one and its heap where the controller reads', async () => {
    const buffer = heartbeatRegisterBuffer();
    const register = new HeartbeatRegister(buffer);
    const { posts, beats } = await quietHost(100, { silenceFloorMs: 2_000 }, { heartbeat: buffer });
    const seen = await registerTimes(register, 12);
    // A heartbeat at each wake-up, every other one at 100x (10 emulated s, 100 real ms), the odd one missed between
    // two 20 ms looks; always on the 5 s grid.
    expect(gapsOf(seen).every((g) => g >= 10_000 && g % 5_000 === 0)).toBe(true);
    expect(gapsOf(seen).filter((g) => g === 10_000).length).toBeGreaterThan(seen.length / 2);
    expect(register.read()!.heapUsed).toBeGreaterThan(2 ** 20);
    expect(beats()).toEqual([]);
    // A guest makes news: its heartbeats cross, as reports, at most about once a real second after the first.
    worker!.postMessage({ type: 'start-instance', spec });
    await waitFor('the guest heard', async () => posts.some((m) => m.type === 'host-heartbeat' && m.guests.length > 0), 30_000);
    const first = posts.findIndex((m) => m.type === 'host-heartbeat');
    await waitFor('three reports of it', async () => beats().length >= 3, 30_000);
    const reports = posts.slice(first).filter((m) => m.type === 'host-heartbeat');
    expect(reports.every((m) => m.type === 'host-heartbeat' && m.guests.length === 1 && m.heapUsed === undefined)).toBe(true);
    expect(gapsOf(beats()).every((g) => g >= 100_000)).toBe(true);
  }, 60_000);

  it('with a register: a host woken every 100 emulated s at 1000x beats again on the 5 s grid once the clock slows to 10x', async () => {
    const buffer = heartbeatRegisterBuffer();
    const register = new HeartbeatRegister(buffer);
    const { clock } = await quietHost(1000, { silenceFloorMs: 2_000 }, { heartbeat: buffer });
    const seen = await registerTimes(register, 3); // three wake-ups at 1000x
    expect(gapsOf(seen).every((g) => g >= 100_000 && g % 5_000 === 0)).toBe(true);
    clock.set({ scale: 10 });
    worker!.postMessage({ type: 'clock-changed' });
    const slowedAt = clock.now();
    // Its next wake-up, set 100 emulated s ahead, would be 10 real s away now: it comes within 5 emulated s instead.
    await waitFor('a heartbeat after the change', async () => (register.read()?.at ?? 0) > slowedAt, 5_000);
    const beatAt = register.read()!.at;
    expect(beatAt - slowedAt).toBeLessThanOrEqual(5_001);
    expect(Math.round(beatAt - seen[0]!) % 5_000).toBe(0);
  }, 30_000);
});
