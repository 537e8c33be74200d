// One benchmark figure per process (so RSS and CPU of one never leak into another), run by run-bench.mjs
// after rolldown bundles this file to out/bench/. Each figure prints one JSON line on stdout: {figure, ...}.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { FabricApi, FabricEventBatch, InstanceView } from '../../src-main/common/fabric-api';
import { Fabric, type FabricOptions } from '../../src-main/fabric/fabric';
import { startFabricThread, type FabricThread } from '../../src-main/fabric-thread/fabric-thread';
import { startBrowserServer } from '../../src-main/serve/browser-server';

const outMain = new URL('../main/', import.meta.url); // out/bench/ -> out/main/
const hostWorkerUrl = new URL('host-worker.cjs', outMain);
const rendererDir = new URL('../renderer/', import.meta.url).pathname;
const clockTicks = 100; // Linux USER_HZ

/** CPU ms of one thread of this process (Linux: /proc/self/task/<id>); by default the main thread (process.cpuUsage counts every worker thread too). */
function threadCpuMs(threadId = process.pid): number {
  const stat = readFileSync(`/proc/self/task/${threadId}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
}

function emit(result: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(result) + '\n');
}

const sessionDirs: string[] = [];
/** A folder of this figure's, removed at its end; run-bench.mjs gives each figure a root it removes even when it kills the figure at its bound. */
function benchFolder(prefix = 'fabric-bench-'): string {
  const dir = mkdtempSync(join(process.env.BENCH_SESSION_ROOT ?? tmpdir(), prefix));
  sessionDirs.push(dir);
  return dir;
}
const cpuMs = (usage: NodeJS.CpuUsage): number => (usage.user + usage.system) / 1000;
function fabricOptions(hosts: number, cores: number, extra: Partial<FabricOptions>): FabricOptions {
  return {
    hostWorkerUrl,
    sessionDir: benchFolder(),
    pools: [{ name: 'Pool A', region: 'Local', hosts, spareHosts: 0, coresPerHost: cores, faultDomains: 2 }],
    coreQuota: hosts * cores,
    timeScale: 1000,
    seed: 1,
    // A bench machine is busier than any user's: do not let a slow worker read as a dead host.
    hostSilenceFloorMs: 60_000,
    ...extra,
  };
}
/** The fabric on this process's main thread: the figures that measure the hosts, or that start the governor after a bring-up (keepPace()). */
function startFabric(hosts: number, cores: number, extra: Partial<FabricOptions> = {}): Promise<Fabric> {
  return Fabric.start(fabricOptions(hosts, cores, extra));
}

/**
 * The fabric as the shells run it, in a thread of its own (fabric-thread/), so "main thread" is the shell's; BENCH_FABRIC_IN_MAIN=1: on
 * the main thread, as before 5 December (the same run can then compare both).
 */
const fabricInMain = process.env.BENCH_FABRIC_IN_MAIN === '1';
type ShellFabric = Fabric | FabricThread;
function startShellFabric(hosts: number, cores: number, extra: Partial<FabricOptions> = {}): Promise<ShellFabric> {
  return fabricInMain ? startFabric(hosts, cores, extra) : startFabricThread(fabricOptions(hosts, cores, extra));
}
/** The OS id of the thread the fabric runs on: this process's main thread, or the fabric's own. */
const fabricThreadId = (fabric: ShellFabric): number | null => (fabric instanceof Fabric ? process.pid : fabric.threadId);

/** Resolves when `count` instances are ReadyRole, following the pushed batches like the UI does. */
/** Resolves with the number Ready: `count`, or fewer when `timeoutMs` ran out first. */
function waitReady(fabric: FabricApi, count: number, timeoutMs: number): Promise<number> {
  const status = new Map<string, InstanceView['status']>();
  let ready = 0;
  return new Promise((resolve) => {
    const timer = setTimeout(() => (dispose(), resolve(ready)), timeoutMs);
    const dispose = fabric.onEvents((batch: FabricEventBatch) => {
      for (const e of batch.events) {
        if (e.type !== 'instance') continue;
        const before = status.get(e.instance.id);
        if (before === 'ReadyRole' && e.instance.status !== 'ReadyRole') ready--;
        if (before !== 'ReadyRole' && e.instance.status === 'ReadyRole') ready++;
        status.set(e.instance.id, e.instance.status);
      }
      if (process.env.BENCH_DEBUG) console.error(`batch ${batch.seq}: ${batch.events.length} events, ${ready}/${count} ready, ${status.size} seen`);
      if (ready >= count) (clearTimeout(timer), dispose(), resolve(ready));
    });
  });
}

async function deployMany(fabric: FabricApi, count: number): Promise<void> {
  const ref = await fabric.deploy({ sample: 'hello-worker' });
  // One operation at a time per deployment: the create must finish (every instance placed) before scaling.
  for (;;) {
    const op = (await fabric.getSnapshot()).operations.find((o) => o.requestId === ref.requestId);
    if (op?.status === 'Succeeded') break;
    if (op?.status === 'Failed') throw new Error(op.error ?? 'deploy failed');
    await new Promise((r) => setTimeout(r, 20));
  }
  await fabric.changeInstanceCount({ deploymentId: ref.deploymentId, roleName: 'WorkerRole1', count });
}

/**
 * Hosts started per second, and bare Workers started per second, alternating. The bare Worker runs an empty
 * CommonJS script, the cheapest start Node has (the host worker is CommonJS too); an empty ES module, which
 * starts Node's ES module loader first, is reported beside it.
 */
async function hostStart(): Promise<void> {
  const n = 32;
  const folder = benchFolder();
  const empty = { commonJs: join(folder, 'empty.cjs'), esModule: join(folder, 'empty.mjs') };
  writeFileSync(empty.commonJs, '');
  writeFileSync(empty.esModule, '');
  const bare: number[] = [];
  const bareEsModule: number[] = [];
  const hosts: number[] = [];
  const cpu = { bare: 0, host: 0 };
  const startBare = async (script: string): Promise<number> => {
    const c = process.cpuUsage();
    const t = performance.now();
    const workers = Array.from({ length: n }, () => new Worker(script));
    await Promise.all(workers.map((w) => new Promise((r) => w.once('online', r))));
    const ms = performance.now() - t;
    if (script === empty.commonJs) cpu.bare += cpuMs(process.cpuUsage(c));
    await Promise.all(workers.map((w) => w.terminate()));
    return ms;
  };
  // As the shells start: the host code cache in a folder (fabric/host-code-cache.ts). The first launch finds it empty,
  // and its first host leaves the cache every later launch starts from; the rounds measure those.
  const hostCodeCacheDir = join(folder, 'host-code');
  const startHosts = async (): Promise<{ ms: number; cpu: number }> => {
    const c = process.cpuUsage();
    const t = performance.now();
    const fabric = await startFabric(n, 8, { hostCodeCacheDir });
    const ms = performance.now() - t;
    const used = cpuMs(process.cpuUsage(c));
    await fabric.close();
    return { ms, cpu: used };
  };
  const bareFirst = await startBare(empty.commonJs);
  const firstLaunch = await startHosts();
  const kept = existsSync(hostCodeCacheDir) && readdirSync(hostCodeCacheDir).some((name) => name.endsWith('.v8cache'));
  for (let round = 0; round < 3; round++) {
    bare.push(await startBare(empty.commonJs));
    bareEsModule.push(await startBare(empty.esModule));
    const started = await startHosts();
    hosts.push(started.ms);
    cpu.host += started.cpu;
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
  emit({ figure: 'host-start', hosts: n, hostMs: median(hosts), bareMs: median(bare), bareEsModuleMs: median(bareEsModule), cpuMsPerHost: cpu.host / 3 / n, cpuMsPerBare: cpu.bare / 4 / n, hostsPerSecond: (n * 1000) / median(hosts), bareWorkersPerSecond: (n * 1000) / median(bare), firstLaunch: { hostMs: firstLaunch.ms, bareMs: bareFirst, cpuMsPerHost: firstLaunch.cpu / n, cacheKept: kept } });
}

/**
 * BENCH_CPU_PROFILE=<file>: a CPU profile of the main thread alone (the inspector's; `node --cpu-prof` would profile
 * every host worker too) from the deploy until every instance is Ready, for Chrome's DevTools. It slows the figure,
 * and it samples on the wall clock (a thread waiting for a core is charged to where it waits): read its shares of the
 * work, and take figures from runs without it.
 */
async function profileMainThread(): Promise<(() => Promise<void>) | null> {
  const file = process.env.BENCH_CPU_PROFILE;
  if (!file) return null;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

/** BENCH_KEEP_PACE=1: the clock keeps a pace the machine holds (the shells' default), instead of the asked scale. */
const keepPace = process.env.BENCH_KEEP_PACE === '1';

/** Wall time and main-thread CPU to bring `count` instances to ReadyRole at 1000x, the fabric on the main thread. */
async function ready(count: number, hosts: number, cores: number, timeScale = Number(process.env.BENCH_READY_SCALE ?? 1000), keeping = keepPace): Promise<Fabric> {
  const fabric = await startFabric(hosts, cores, { timeScale, keepPace: keeping });
  await bringUp(fabric, count, { hosts, cores, timeScale, keeping });
  return fabric;
}

/** The same, with the fabric as the shells run it (startShellFabric): the main thread's CPU is the shell's, the fabric thread's beside it. */
async function shellReady(count: number, hosts: number, cores: number, timeScale = Number(process.env.BENCH_READY_SCALE ?? 1000), keeping = keepPace): Promise<ShellFabric> {
  const fabric = await startShellFabric(hosts, cores, { timeScale, keepPace: keeping });
  await bringUp(fabric, count, { hosts, cores, timeScale, keeping });
  return fabric;
}

async function bringUp(fabric: ShellFabric, count: number, meta: { hosts: number; cores: number; timeScale: number; keeping: boolean }): Promise<void> {
  const fabricThread = fabricThreadId(fabric);
  const cpu0 = threadCpuMs();
  const fabricCpu0 = fabricThread === null ? 0 : threadCpuMs(fabricThread);
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const allReady = waitReady(fabric, count, Number(process.env.BENCH_READY_TIMEOUT_MS ?? 120_000));
  const profile = await profileMainThread();
  await deployMany(fabric, count);
  const readyCount = await allReady;
  const wallMs = performance.now() - t0;
  const cpuMs = threadCpuMs() - cpu0;
  const fabricCpuMs = fabricThread === null ? null : threadCpuMs(fabricThread) - fabricCpu0;
  const elu = performance.eventLoopUtilization(elu0);
  await profile?.();
  emit({
    figure: `ready-${count}`,
    instances: count,
    readyCount,
    fabricThread: fabric instanceof Fabric ? 'main' : 'own',
    hosts: meta.hosts,
    cores: meta.cores,
    timeScale: meta.timeScale,
    keepPace: meta.keeping,
    keptScale: fabric.clock.read().keptScale,
    rssBytes: process.memoryUsage().rss,
    wallMs,
    mainCpuMs: cpuMs,
    mainCpuMsPerInstance: cpuMs / count,
    fabricCpuMsPerInstance: fabricCpuMs === null ? null : fabricCpuMs / count,
    mainActiveMs: elu.active,
    eventLoopUtilization: elu.utilization,
  });
}

/**
 * Event-loop delay on the main thread while the fabric's Ready instances heartbeat, at each time scale.
 * `settleMs`: real time given to the workers (and, keeping pace, to the governor) before measuring.
 */
async function lagByScale(fabric: ShellFabric, scales: number[], settleMs = 1000): Promise<Record<string, number | null>[]> {
  const results: Record<string, number | null>[] = [];
  for (const scale of scales) {
    await fabric.setClock({ scale });
    await new Promise((r) => setTimeout(r, settleMs)); // let the workers re-arm at the new scale
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    const cpu0 = threadCpuMs();
    histogram.enable();
    // The fabric's own thread, when it has one, measures its lag over the same window.
    const [fabricLag] = await Promise.all([fabric instanceof Fabric ? null : fabric.measureLag(8000), new Promise((r) => setTimeout(r, 8000))]);
    histogram.disable();
    const { keptScale } = fabric.clock.read();
    results.push({ scale, keptScale, p50Ms: histogram.percentile(50) / 1e6, p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6, mainCpuShare: (threadCpuMs() - cpu0) / 8000, fabricThreadP99Ms: fabricLag?.p99Ms ?? null, fabricThreadP50Ms: fabricLag?.p50Ms ?? null });
  }
  return results;
}

/**
 * Resident memory per thread: `n` bare Workers or `n` host workers, after they settle; host workers at
 * `timeScale` (at 1000x a host without guests wakes about every 0.1 real s, 20 heartbeats a wake-up, into its heartbeat register).
 */
async function rss(kind: 'bare' | 'host', n: number, timeScale = 1000): Promise<void> {
  let stop: () => Promise<unknown>;
  if (kind === 'bare') {
    const keepAlive = join(benchFolder(), 'idle.cjs'); // CommonJS, like the host worker
    writeFileSync(keepAlive, 'setInterval(() => {}, 1 << 30);');
    const workers = Array.from({ length: n }, () => new Worker(keepAlive));
    await Promise.all(workers.map((w) => new Promise((r) => w.once('online', r))));
    stop = () => Promise.all(workers.map((w) => w.terminate()));
  } else {
    const fabric = n > 0 ? await startFabric(n, 8, { timeScale }) : null;
    stop = async () => fabric?.close();
  }
  await new Promise((r) => setTimeout(r, 1500));
  emit({ figure: `rss-${kind}`, threads: n, ...(kind === 'host' ? { timeScale } : {}), rssBytes: process.memoryUsage().rss });
  await stop();
}

/**
 * 2,048 Ready instances on 64 hosts: the event-loop lag while they heartbeat, then browser mode's server
 * for the frame-time probe; prints the URL and runs until stdin closes. One bring-up serves both figures,
 * because bringing 2,048 up is the slow part.
 */
async function fleet(count: number): Promise<void> {
  if (count > 2048) {
    // 10,000 on 313 hosts, brought up keeping pace from 10x, then at 1x keeping pace, as the shells run. At the asked
    // 10x (ready-10000) the hosts are at the machine's edge: in two runs of three some fell a real minute behind, were
    // failed for their silence, and their restarts never let the fleet come up (docs/PERFORMANCE.md).
    const fabric = await shellReady(count, 313, 32, 10, true);
    await fabric.setClock({ scale: 1 });
    emit({ figure: 'lag', instances: count, hosts: 313, keepPace: true, byScale: await lagByScale(fabric, [1], 15_000) });
    return serveFleet(fabric);
  }
  const fabric = await shellReady(count, 64, 32);
  emit({ figure: 'lag', instances: count, hosts: 64, byScale: await lagByScale(fabric, [1, 10, 100]) });
  await fabric.setClock({ scale: Number(process.env.BENCH_SCALE ?? 100) });
  return serveFleet(fabric);
}

/** Browser mode over the fleet until stdin ends (run-bench.mjs measures the page meanwhile). */
async function serveFleet(fabric: ShellFabric): Promise<void> {
  const server = await startBrowserServer({ api: fabric, rendererDir });
  emit({ figure: 'serve', url: server.url });
  process.stdin.resume();
  await new Promise((r) => process.stdin.once('end', r));
  await server.close();
  await fabric.close();
}

/** The bench's HTTP client, in its own thread so the main thread's lag is the fabric's alone: closed loop, `concurrency` at once. */
const clientCode = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { targets, keepAlive, concurrency, durationMs } = workerData;
const agent = new http.Agent({ keepAlive, maxSockets: concurrency });
const latencies = [];
let errors = 0, next = 0, running = concurrency;
const started = performance.now();
const end = started + durationMs;
function one() {
  if (performance.now() >= end) {
    if (--running === 0) { agent.destroy(); parentPort.postMessage({ requests: latencies.length, errors, wallMs: performance.now() - started, latencies }); }
    return;
  }
  const target = targets[next++ % targets.length];
  const t0 = performance.now();
  const req = http.request({ host: target.host, port: target.port, path: '/index.html', agent, headers: keepAlive ? {} : { connection: 'close' } }, (res) => {
    res.resume();
    res.on('end', () => { latencies.push(performance.now() - t0); one(); });
  });
  req.on('error', () => { errors++; one(); });
  req.end();
}
for (let c = 0; c < concurrency; c++) one();
`;

interface ClientRun {
  requests: number;
  errors: number;
  wallMs: number;
  latencies: number[];
}

function runClient(targets: { host: string; port: number }[], keepAlive: boolean, concurrency: number, durationMs: number): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(clientCode, { eval: true, workerData: { targets, keepAlive, concurrency, durationMs } });
    worker.once('message', (result: ClientRun) => void worker.terminate().then(() => resolve(result)));
    worker.once('error', reject);
  });
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/**
 * Requests/s through a VIP vs straight to the instances' DIPs (the client spreads over both DIPs itself, so
 * the instances behind are the same), one client, one run, keep-alive and not, alternating direct and VIP
 * rounds; the latency the load balancer adds, and the fabric main thread's event-loop lag under the load.
 */
async function loadBalancerFigure(): Promise<void> {
  const fabric = await startFabric(2, 8, { timeScale: 10 });
  const { deploymentId } = await fabric.deploy({ sample: 'web-and-worker' });
  let vip: { host: string; port: number } | null = null;
  let dips: { host: string; port: number }[] = [];
  const end = Date.now() + 120_000;
  while (Date.now() < end) {
    const snapshot = await fabric.getSnapshot();
    const web = snapshot.instances.filter((i) => i.deploymentId === deploymentId && i.roleName === 'WebFrontEnd');
    const endpoint = snapshot.deployments.find((d) => d.id === deploymentId)?.inputEndpoints[0];
    const traffic = (await fabric.getTraffic()).endpoints.find((e) => e.deploymentId === deploymentId);
    if (web.length === 2 && web.every((i) => i.status === 'ReadyRole' && i.endpoints[0]?.address) && endpoint?.port && traffic?.instances.filter((i) => i.inRotation).length === 2) {
      vip = { host: endpoint.vip, port: endpoint.port };
      dips = web.map((i) => {
        const [host, port] = i.endpoints[0]!.address!.split(':');
        return { host: host!, port: Number(port) };
      });
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!vip) throw new Error('web-and-worker did not come up with both instances in rotation within 120 s');
  const concurrency = 16;
  const roundMs = Number(process.env.BENCH_LB_ROUND_MS ?? 3_000);
  const modes: Record<string, unknown>[] = [];
  for (const keepAlive of [true, false]) {
    const rounds: Record<'direct' | 'vip', { rps: number; latencies: number[]; errors: number; lag: { p50: number; p99: number; max: number } }[]> = { direct: [], vip: [] };
    await runClient(dips, keepAlive, concurrency, 500); // warm-up
    for (let round = 0; round < 2; round++) {
      for (const via of ['direct', 'vip'] as const) {
        const lag = monitorEventLoopDelay({ resolution: 1 });
        lag.enable();
        const result = await runClient(via === 'vip' ? [vip] : dips, keepAlive, concurrency, roundMs);
        lag.disable();
        rounds[via].push({ rps: (result.requests * 1000) / result.wallMs, latencies: result.latencies, errors: result.errors, lag: { p50: lag.percentile(50) / 1e6, p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 } });
      }
    }
    const summary = (via: 'direct' | 'vip') => {
      const all = rounds[via].flatMap((r) => r.latencies).sort((a, b) => a - b);
      return {
        requestsPerSecond: rounds[via].reduce((n, r) => n + r.rps, 0) / rounds[via].length,
        p50Ms: quantile(all, 0.5),
        p99Ms: quantile(all, 0.99),
        errors: rounds[via].reduce((n, r) => n + r.errors, 0),
        mainLagP99Ms: Math.max(...rounds[via].map((r) => r.lag.p99)),
        mainLagMaxMs: Math.max(...rounds[via].map((r) => r.lag.max)),
      };
    };
    const direct = summary('direct');
    const viaVip = summary('vip');
    modes.push({ keepAlive, concurrency, roundMs, direct, vip: viaVip, ratio: viaVip.requestsPerSecond / direct.requestsPerSecond, addedP50Ms: viaVip.p50Ms - direct.p50Ms, addedP99Ms: viaVip.p99Ms - direct.p99Ms });
  }
  emit({ figure: 'load-balancer', modes });
  await fabric.close();
}

/**
 * The lag figure alone: 2,048 Ready instances on 64 hosts x 32 cores (brought up at the asked 10x), lag at
 * 1x, 10x, 100x and 1000x with the clock at the asked scale, then again keeping pace (the governor started
 * on the same fleet and given 15 s to settle at each scale).
 */
async function lag2048(): Promise<void> {
  // BENCH_LAG_MODES=exact: only at the asked scale (for a "before" tree whose clock has no kept scale).
  const modes = process.env.BENCH_LAG_MODES ?? 'both';
  const fabric = await ready(2048, 64, 32, 10);
  const exact = await lagByScale(fabric, [1, 10, 100, 1000]);
  if (modes === 'exact') return emit({ figure: 'lag-2048', instances: 2048, hosts: 64, exact });
  fabric.keepPace();
  emit({ figure: 'lag-2048', instances: 2048, hosts: 64, exact, keptPace: { byScale: await lagByScale(fabric, [1, 10, 100, 1000], 15_000) } });
  await fabric.close();
}

/**
 * Memory over one emulated hour with 2,048 Ready instances at 100x asked, keeping pace (so the hour's work
 * is done, not skipped by starved workers), after a warm-up of BENCH_SOAK_WARMUP_MIN (60) emulated minutes:
 * the host workers' old generations fill with garbage until each one's first full collection, some 20-25
 * emulated minutes in at these rates, and the peaks of that sawtooth, which RSS keeps, settle by the third
 * cycle, about 55 minutes in (docs/PERFORMANCE.md, "Memory over the soak"). Process RSS, the main thread's heap after a forced
 * GC (--expose-gc) and the host agents' reported heaps, every 5 emulated minutes. Bounded at BENCH_SOAK_MAX_MS.
 */
async function soak(): Promise<void> {
  const fabric = await ready(2048, 64, 32, 10);
  fabric.keepPace(); // after the bring-up, which kept pace would slow
  await fabric.setClock({ scale: 100 });
  const gc = (globalThis as { gc?: () => void }).gc;
  const start = fabric.clock.now();
  const warmupMin = Number(process.env.BENCH_SOAK_WARMUP_MIN ?? 60);
  const endMs = (warmupMin + 60 * Number(process.env.BENCH_SOAK_HOURS ?? 1)) * 60_000;
  const maxMs = Number(process.env.BENCH_SOAK_MAX_MS ?? 900_000);
  const t0 = performance.now();
  const samples: { emulatedMin: number; realS: number; keptScale: number; rssMiB: number; heapMiB: number; agentHeapMiB: number }[] = [];
  let next = 0;
  let elapsed = 0;
  for (;;) {
    elapsed = fabric.clock.now() - start;
    if (elapsed >= next) {
      gc?.();
      const m = process.memoryUsage();
      // The host workers' heaps in use as each last reported (garbage included: their threads cannot be made to collect).
      const agentHeap = (await fabric.getSnapshot()).hosts.reduce((sum, h) => sum + (h.agentHeapUsed ?? 0), 0);
      samples.push({ emulatedMin: Math.round(elapsed / 60_000), realS: (performance.now() - t0) / 1000, keptScale: fabric.clock.read().keptScale, rssMiB: m.rss / 2 ** 20, heapMiB: m.heapUsed / 2 ** 20, agentHeapMiB: agentHeap / 2 ** 20 });
      next += 5 * 60_000;
    }
    if (elapsed >= endMs || performance.now() - t0 > maxMs) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  // Growth: the last sample over the first after warm-up; spread: the largest over the smallest after it.
  const measured = samples.filter((s) => s.emulatedMin >= warmupMin);
  const warm = measured[0] ?? samples[0]!;
  const last = samples.at(-1)!; // growth is judged from samples only
  const spread = (of: (s: (typeof samples)[number]) => number) => (measured.length ? Math.max(...measured.map(of)) / Math.min(...measured.map(of)) : null);
  // The host agents' heaps are a sawtooth (garbage until each worker's full collection, about every 30 emulated
  // minutes), and RSS can follow it, so last/first says where in a tooth the run stopped; the mean of the hour's
  // second half over its first half says whether the level rises.
  const half = warmupMin + (elapsed / 60_000 - warmupMin) / 2;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const halves = (of: (s: (typeof samples)[number]) => number) => {
    const [first, second] = [measured.filter((s) => s.emulatedMin < half).map(of), measured.filter((s) => s.emulatedMin >= half).map(of)];
    return first.length && second.length ? mean(second) / mean(first) : null;
  };
  // The whole run, not the last sample: a clock kept far below 100x covers less than the hour within the bound.
  emit({ figure: 'soak-2048', instances: 2048, askedScale: 100, emulatedMinutes: elapsed / 60_000, realS: (performance.now() - t0) / 1000, keptScale: fabric.clock.read().keptScale, samples, rssGrowth: last.rssMiB / warm.rssMiB, heapGrowth: last.heapMiB / warm.heapMiB, agentHeapGrowth: last.agentHeapMiB / warm.agentHeapMiB, agentHeapHalves: halves((s) => s.agentHeapMiB), rssHalves: halves((s) => s.rssMiB), warmupMin, rssSpread: spread((s) => s.rssMiB), heapSpread: spread((s) => s.heapMiB) });
  await fabric.close();
}

/** A free loopback port (bound, read, released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Wait until a child process prints `pattern` (bounded). */
function says(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms: ${seen.slice(-500)}`)), timeoutMs);
    const on = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before ${pattern}: ${seen.slice(-500)}`)));
  });
}

/**
 * Issue #17's figure: `count` instances brought to Ready by a fabric whose hosts are spread over this process and
 * two host-node processes joined through a real nats-server, against the same count on the same number of hosts
 * in one process, in the same run. For each: wall time, the main thread's CPU and event-loop delay while they come
 * up, then 5 s of steady heartbeats; for the nodes, NATS messages and bytes per node and per second both ways.
 */
async function nodes(count: number, hostsPerMachine: number, cores: number): Promise<void> {
  const natsServer = [process.env.NATS_SERVER, '/usr/sbin/nats-server', '/usr/bin/nats-server'].find((p) => p && existsSync(p));
  if (!natsServer) {
    emit({ figure: 'nodes', error: 'nats-server not found ($NATS_SERVER, /usr/sbin, /usr/bin): install Debian\'s nats-server' });
    return;
  }
  const timeScale = Number(process.env.BENCH_READY_SCALE ?? 1000);
  const timeoutMs = Number(process.env.BENCH_READY_TIMEOUT_MS ?? 180_000);
  const measure = async (fabric: Fabric) => {
    const lag = monitorEventLoopDelay({ resolution: 1 });
    const cpu0 = threadCpuMs();
    const t0 = performance.now();
    lag.enable();
    const allReady = waitReady(fabric, count, timeoutMs);
    await deployMany(fabric, count);
    const readyCount = await allReady;
    const wallMs = performance.now() - t0;
    const cpuBringUpMs = threadCpuMs() - cpu0;
    lag.disable();
    const before = fabric.nodes?.traffic() ?? [];
    const steady = monitorEventLoopDelay({ resolution: 1 });
    const cpu1 = threadCpuMs();
    steady.enable();
    await new Promise((r) => setTimeout(r, 5_000));
    steady.disable();
    const perNode = (fabric.nodes?.traffic() ?? []).map((after) => {
      const b = before.find((x) => x.node === after.node)!;
      return {
        node: after.node,
        bringUp: { messagesInPerS: (b.messagesIn * 1000) / wallMs, messagesOutPerS: (b.messagesOut * 1000) / wallMs, bytesInPerS: (b.bytesIn * 1000) / wallMs, bytesOutPerS: (b.bytesOut * 1000) / wallMs },
        steady: { messagesInPerS: (after.messagesIn - b.messagesIn) / 5, messagesOutPerS: (after.messagesOut - b.messagesOut) / 5, bytesInPerS: (after.bytesIn - b.bytesIn) / 5, bytesOutPerS: (after.bytesOut - b.bytesOut) / 5 },
      };
    });
    return {
      readyCount,
      wallMs,
      mainCpuMsPerInstance: cpuBringUpMs / count,
      lagBringUp: { p50Ms: lag.percentile(50) / 1e6, p99Ms: lag.percentile(99) / 1e6, maxMs: lag.max / 1e6 },
      lagSteady: { p50Ms: steady.percentile(50) / 1e6, p99Ms: steady.percentile(99) / 1e6, maxMs: steady.max / 1e6, mainCpuShare: (threadCpuMs() - cpu1) / 5_000 },
      perNode,
    };
  };

  // One process: every host a worker thread of this one.
  const single = await startFabric(hostsPerMachine * 3, cores, { timeScale });
  const oneProcess = await measure(single);
  await single.close();

  // The same hosts over three processes: a third here, a third on each of two host nodes, through NATS.
  const port = await freePort();
  const server = spawn(natsServer, ['-a', '127.0.0.1', '-p', String(port), '--user', 'bench', '--pass', 'bench-password'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const children: ChildProcess[] = [server];
  try {
    await says(server, /Server is ready/, 10_000);
    const token = 'bench-join-token-0123456789';
    const fabric = await startFabric(hostsPerMachine, cores, { timeScale, coreQuota: hostsPerMachine * 3 * cores, nats: { url: `nats://127.0.0.1:${port}`, user: 'bench', password: 'bench-password', joinToken: token } });
    const cli = new URL('cli.js', outMain).pathname;
    for (const name of ['bench-node-1', 'bench-node-2']) {
      const dir = benchFolder('fabric-bench-node-');
      const child = spawn(process.execPath, [cli, 'host-node', '--nats', `nats://127.0.0.1:${port}`, '--nats-user', 'bench', '--pool', `Local:${hostsPerMachine}x${cores}`, '--name', name, '--session', dir], {
        env: { ...process.env, FABRIC_LAB_NATS_PASSWORD: 'bench-password', FABRIC_LAB_JOIN_TOKEN: token },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      await says(child, /joined pool-1/, 60_000);
    }
    // Every host Healthy before the clock starts, as in the one-process case (Fabric.start waits for its own).
    for (const end = performance.now() + 60_000; ; ) {
      const hosts = (await fabric.getSnapshot()).hosts;
      if (hosts.length === hostsPerMachine * 3 && hosts.every((h) => h.health === 'Healthy')) break;
      if (performance.now() > end) throw new Error('the nodes\' hosts did not all become Healthy within 60 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    const withNodes = await measure(fabric);
    const nodeRss = children.slice(1).map((c) => {
      try {
        return Number(readFileSync(`/proc/${c.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)![1]) * 1024;
      } catch {
        return null;
      }
    });
    // Both while the instances run: the fabric's process holds a third of the hosts, each node another third.
    const fabricRssBytes = process.memoryUsage().rss;
    await fabric.close();
    emit({ figure: 'nodes', instances: count, hosts: hostsPerMachine * 3, coresPerHost: cores, timeScale, oneProcess, withNodes, fabricRssBytes, nodeRssBytes: nodeRss });
  } finally {
    for (const child of children.reverse()) child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1_000));
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/**
 * CPU per guest heartbeat (issue 14: the host agent asks, the guest answers): 256 Ready instances on 8 hosts at
 * 1000x, then the whole process's CPU (main thread and host workers) over 10 real seconds of steady running,
 * divided by the heartbeats the fabric heard meanwhile. Most of a steady fabric's work is heartbeats.
 */
async function heartbeatCost(): Promise<void> {
  const count = 256;
  const fabric = await startFabric(8, 32);
  const allReady = waitReady(fabric, count, 120_000);
  await deployMany(fabric, count);
  const readyCount = await allReady;
  const beats = async () => (await fabric.getSnapshot()).instances.reduce((n, i) => n + i.guestHeartbeats, 0);
  await new Promise((r) => setTimeout(r, 2_000)); // settle after the bring-up
  const beats0 = await beats();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 10_000));
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const heard = (await beats()) - beats0;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  emit({ figure: 'heartbeat-cost', instances: count, readyCount, wallMs, heartbeats: heard, heartbeatsPerSecond: (heard * 1000) / wallMs, cpuMs, cpuUsPerHeartbeat: (cpuMs * 1000) / Math.max(1, heard) });
  await fabric.close();
}

/**
 * What an idle fabric costs the machine: 64 hosts without instances at `timeScale`, CPU of every thread of the
 * process and of the main thread alone over 5 real s, after 3 s to settle. Each wake-up of a host thread costs
 * 0.1-0.2 ms of CPU here, so this counts the hosts' wake-ups (docs/PERFORMANCE.md, "Host wake-ups").
 */
async function idle(timeScale: number): Promise<void> {
  const hosts = 64;
  const fabric = await startFabric(hosts, 8, { timeScale });
  await new Promise((r) => setTimeout(r, 3000));
  const cpu0 = process.cpuUsage();
  const main0 = threadCpuMs();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 5000));
  const seconds = (performance.now() - t0) / 1000;
  const mainMs = threadCpuMs() - main0;
  emit({ figure: 'idle', hosts, timeScale, processCpuMsPerS: cpuMs(process.cpuUsage(cpu0)) / seconds, mainCpuMsPerS: mainMs / seconds });
  await fabric.close();
}

/** Wake-ups (context switches) of every thread but the main one, summed, from /proc: how often the hosts wake. */
function otherThreadsWakeUps(): number {
  let total = 0;
  for (const task of readdirSync('/proc/self/task')) {
    if (task === String(process.pid)) continue;
    try {
      const status = readFileSync(`/proc/self/task/${task}/status`, 'utf8');
      for (const match of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)/gm)) total += Number(match[1]);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return total;
}

/**
 * A Ready fleet's steady state at `timeScale`: the CPU of all threads and of the main thread, and the wake-ups of
 * every other thread, a real second, over 10 s after 5 s to settle. What the hosts cost once the work is done.
 */
async function steady(count: number, hosts: number, timeScale: number): Promise<void> {
  const fabric = await ready(count, hosts, Math.ceil(count / hosts), 10);
  await fabric.setClock({ scale: timeScale });
  await new Promise((r) => setTimeout(r, 5000));
  // Windows one after another (BENCH_STEADY_WINDOWS, default 1): whether the cost settles, e.g. as the hosts' code is optimised.
  for (let window = 0; window < Number(process.env.BENCH_STEADY_WINDOWS ?? 1); window++) {
    const cpu0 = process.cpuUsage();
    const main0 = threadCpuMs();
    const wakes0 = otherThreadsWakeUps();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 10_000));
    const seconds = (performance.now() - t0) / 1000;
    const wakes = otherThreadsWakeUps() - wakes0;
    emit({ figure: 'steady', instances: count, hosts, timeScale, window, processCpuMsPerS: cpuMs(process.cpuUsage(cpu0)) / seconds, mainCpuMsPerS: (threadCpuMs() - main0) / seconds, otherThreadWakeUpsPerS: wakes / seconds, wakeUpsPerHostPerS: wakes / seconds / hosts });
  }
  await fabric.close();
}

const [figure, arg1, arg2, arg3] = process.argv.slice(2);
const runs: Record<string, () => Promise<unknown>> = {
  'host-start': hostStart,
  'ready-512': async () => (await shellReady(512, 64, 8)).close(),
  ready: async () => (await shellReady(Number(arg1), Number(arg2), 8)).close(),
  // 10,000 on 313 hosts of 32 cores, one worker thread each: time and total RSS to bring all Ready.
  'ready-10000': async () => {
    const fabric = await shellReady(10_000, 313, 32, Number(process.env.BENCH_READY_SCALE ?? 10));
    // Closing 313 hosts behind a main thread that cannot keep up at the asked pace can take longer than the figure:
    // it is timed, within a bound, and the process ends either way.
    const started = performance.now();
    const closed = await Promise.race([fabric.close().then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 120_000).unref())]);
    console.log(JSON.stringify({ figure: 'close-10000', closed, closeMs: closed ? performance.now() - started : null }));
    // Its session folder (2-5 GB of logs) goes too: a bench left one behind each run.
    removeSessions();
    process.exit(0);
  },
  'lag-2048': lag2048,
  'soak-2048': soak,
  rss: () => rss(arg1 as 'bare' | 'host', Number(arg2), arg3 === undefined ? undefined : Number(arg3)),
  'fleet-2048': () => fleet(2048),
  'fleet-10000': () => fleet(10_000),
  'load-balancer': loadBalancerFigure,
  nodes: () => nodes(Number(arg1 ?? 384), Number(arg2 ?? 8), 16),
  'heartbeat-cost': heartbeatCost,
  idle: () => idle(Number(arg1 ?? 1000)),
  steady: () => steady(Number(arg1 ?? 2048), Number(arg2 ?? 64), Number(arg3 ?? 1)),
};
const run = runs[figure ?? ''];
if (!run) {
  console.error(`fabric-bench: unknown figure "${figure}"; one of ${Object.keys(runs).join(', ')}`);
  process.exit(2);
}
/**
 * Session folders go at the end. A guest's real processes are killed when their host's thread ends, but on a
 * loaded machine one may still write a line after the fabric has closed: a folder not empty yet is tried again,
 * and one that still cannot go is named, not a failed figure.
 */
function removeSessions(): void {
  for (const dir of sessionDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch (error) {
      console.error(`fabric-bench: ${dir} left behind: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

run()
  .then(() => {
    removeSessions();
    process.exit(0);
  })
  .catch((error: unknown) => {
    console.error(`fabric-bench ${figure}: ${error instanceof Error ? error.stack : String(error)}`);
    removeSessions();
    process.exit(1);
  });
