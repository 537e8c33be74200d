// `npm run bench`: bundles tests/bench/fabric-bench.ts against the built host worker, runs each figure in
// its own process with a time bound, measures the renderer in Chromium through Playwright, then prints one
// summary line per figure and the whole result as JSON. Not a test: it asserts nothing, it reports.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { loadFleetPage, profileRenderer, sampleFrames, setScaleFromPage, watchPushedBatches } from './frame-probe.mjs';
import { logFigures } from './log-bench.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const bundle = `${repo}/out/bench/fabric-bench.mjs`;
if (!existsSync(`${repo}/out/main/host-worker.cjs`)) throw new Error('out/main/host-worker.cjs is missing: run "npm run build" first (npm run bench does).');
mkdirSync(`${repo}/out/bench`, { recursive: true });
execFileSync(`${repo}/node_modules/.bin/rolldown`, [`${repo}/tests/bench/fabric-bench.ts`, '--file', bundle, '--format', 'esm', '--platform', 'node'], { stdio: 'ignore' });

/** The shells' V8 flags (src-main/serve/v8-flags.ts), so each figure runs as the app does; BENCH_NODE_FLAGS replaces them ("" for none). */
const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '--single-threaded-gc').split(' ').filter(Boolean);

/**
 * Run one figure; resolves with its JSON lines. `onLine` sees each as it comes (the serve figure's URL). Its session
 * folders (gigabytes of logs for 10,000 instances) are made under a folder of its own, removed when it exits, even
 * killed at its bound.
 */
function figure(args, { timeoutMs, env = {}, onLine } = {}) {
  return new Promise((resolve, reject) => {
    const sessionRoot = mkdtempSync(join(tmpdir(), 'fabric-bench-run-'));
    const child = spawn(process.execPath, [...nodeFlags, '--expose-gc', bundle, ...args], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, BENCH_SESSION_ROOT: sessionRoot, ...env } });
    const results = [];
    let buffered = '';
    // A figure that fails keeps what it printed before (a bring-up's figure before a close that hung).
    const failed = (message) => Object.assign(new Error(message), { printed: results });
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(failed(`${args.join(' ')} ran past ${timeoutMs / 1000} s`))), timeoutMs);
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let at;
      while ((at = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
        const result = JSON.parse(line);
        results.push(result);
        onLine?.(result, child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      try {
        rmSync(sessionRoot, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      } catch (error) {
        console.error(`run-bench: ${sessionRoot} left behind: ${error.message}`);
      }
      if (code === 0) resolve(results);
      else reject(failed(`${args.join(' ')} exited with ${code}`));
    });
  });
}

const chromiumPath = (() => {
  if (process.env.PLAYWRIGHT_CHROMIUM_PATH) return process.env.PLAYWRIGHT_CHROMIUM_PATH;
  if (existsSync(chromium.executablePath())) return undefined;
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
})();

/**
 * Frame time with 2,048 live tiles, per time scale. The page is loaded while the fabric runs at 1x (at 100x,
 * and at 10x on a loaded machine, the starved main thread cannot serve it within 120 s), then the scale is
 * changed through the page's own time-scale control; each scale is its own entry, or an error if it could
 * not be measured.
 */
/** The page is loaded at the first scale; the others are switched to from the page's own control. */
async function frames(frameScales = [1, 10, 100], instances = 2048) {
  let url;
  let serveChild;
  const served = figure([`fleet-${instances}`], {
    timeoutMs: 1_200_000,
    // 10x: on two cores the host workers cannot bring 2,048 up at 1000x (see docs/PERFORMANCE.md).
    env: { BENCH_READY_SCALE: '10', BENCH_SCALE: String(frameScales[0]), BENCH_READY_TIMEOUT_MS: '900000' },
    onLine: (r, child) => {
      if (r.figure === 'serve') (url = r.url), (serveChild = child), ready();
    },
  });
  let ready;
  const started = new Promise((r) => (ready = r));
  await Promise.race([started, served]);
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    // BENCH_RENDERER_JS_FLAGS: V8 flags for the page, e.g. the shells' (src-main/serve/v8-flags.ts), which Electron passes
    // to its renderers with --js-flags; browser mode's page runs in the user's browser without them (the default).
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...(process.env.BENCH_RENDERER_JS_FLAGS ? [`--js-flags=${process.env.BENCH_RENDERER_JS_FLAGS}`] : [])],
  });
  const byScale = [];
  let tiles;
  let loadMs;
  let profile;
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const watcher = watchPushedBatches(page);
    const t0 = Date.now();
    let domContentLoadedMs;
    ({ tiles, domContentLoadedMs } = await loadFleetPage(page, url, instances, 300_000));
    loadMs = Date.now() - t0;
    for (const scale of frameScales) {
      try {
        const { confirmedMs } = scale === frameScales[0] ? { confirmedMs: 0 } : await setScaleFromPage(page, watcher, scale, 90_000);
        await page.waitForTimeout(2000); // let the workers re-arm at the new scale
        // Sample while batches flow: wait (at most 30 s) for one to arrive after the switch.
        const before = watcher.take();
        const waitStart = Date.now();
        while (watcher.batchesSinceTake === 0 && Date.now() - waitStart < 30_000) await page.waitForTimeout(100);
        const waitedForBatchMs = Date.now() - waitStart;
        watcher.take();
        const sample = await sampleFrames(page, 10);
        const pushed = watcher.take();
        // Fewer than one batch a second: the tiles barely updated, so this is an idle page's frame time, not the figure.
        byScale.push({ scale, live: pushed.batches >= 10, ...sample, ...pushed, batchesBeforeWindow: before.batches, waitedForBatchMs, scaleConfirmedMs: confirmedMs });
        if (scale === 10) {
          await page.screenshot({ path: `${repo}/test-results/screenshots/bench-2048-tiles.png`, timeout: 60_000 });
          // Where the renderer's time goes at this scale, measured after (not during) the frame sample.
          profile = await profileRenderer(page, 5).catch((error) => ({ error: error.message }));
        }
      } catch (error) {
        byScale.push({ scale, error: error.message });
      }
    }
    return { tiles, loadMs, domContentLoadedMs, loadedAtScale: frameScales[0], byScale, profileAt10x: profile };
  } catch (error) {
    return { tiles, loadMs, byScale, error: error.message };
  } finally {
    await browser.close();
    serveChild?.stdin.end();
    const serveResults = await served.catch(() => []);
    // The same process measured the bring-up and the event-loop lag; keep them beside the frame times.
    frames.ready = serveResults.find((r) => r.figure === `ready-${instances}`);
    frames.lag = serveResults.find((r) => r.figure === 'lag');
  }
}

// `npm run bench -- --only ready512,rss`: only the named figures (hostStart, loadBalancer, heartbeatCost, ready512,
// nodes, ready512At100x, idle, steady2048, rss, logs, frames2048: the last also gives lag2048 and ready2048At10x; framesLoadedAtScale,
// frames10000, lagByScale2048, ready10000, soak2048), written to results-only.json.
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? new Set((process.argv[onlyAt + 1] ?? '').split(',').filter(Boolean)) : null;

const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform };
const results = { machine, at: new Date().toISOString() };
const step = async (name, run) => {
  if (only && !only.has(name)) return;
  console.error(`bench: ${name}...`);
  try {
    results[name] = await run();
  } catch (error) {
    results[name] = { error: error.message, ...(error.printed?.length ? { printed: error.printed } : {}) };
  }
};

// Figures that first print their bring-up figure: keep the one named.
const named = (results, name) => results.find((r) => r.figure === name) ?? { error: `no ${name} figure`, printed: results };

await step('hostStart', async () => (await figure(['host-start'], { timeoutMs: 120_000 }))[0]);
await step('loadBalancer', async () => (await figure(['load-balancer'], { timeoutMs: 300_000 }))[0]);
await step('heartbeatCost', async () => (await figure(['heartbeat-cost'], { timeoutMs: 200_000 }))[0]);
await step('ready512', async () => (await figure(['ready-512'], { timeoutMs: 200_000, env: { BENCH_READY_TIMEOUT_MS: '60000' } }))[0]);
await step('nodes', async () => (await figure(['nodes'], { timeoutMs: 600_000 }))[0]);
await step('ready512At100x', async () => (await figure(['ready-512'], { timeoutMs: 200_000, env: { BENCH_READY_SCALE: '100', BENCH_READY_TIMEOUT_MS: '120000' } }))[0]);
await step('idle', async () => {
  const at = async (scale) => (await figure(['idle', String(scale)], { timeoutMs: 120_000 }))[0];
  return { byScale: [await at(1), await at(100), await at(1000)] };
});
// A Ready fleet's steady state (2,048 on 64 hosts, after the bring-up) at 1x and 10x: what the hosts' wake-ups cost.
await step('steady2048', async () => {
  const at = async (scale) => named(await figure(['steady', '2048', '64', String(scale)], { timeoutMs: 300_000 }), 'steady');
  return { byScale: [await at(1), await at(10)] };
});
await step('rss', async () => {
  const one = async (kind, n, scale = 1000) => (await figure(['rss', kind, String(n), String(scale)], { timeoutMs: 120_000 }))[0].rssBytes;
  const [bare4, bare36, host4, host36] = [await one('bare', 4), await one('bare', 36), await one('host', 4), await one('host', 36)];
  // Hosts at rest (1x: a beat every 5 s) beside hosts at 1000x (20 beats a wake-up every ~0.1 s, and its timers' garbage).
  const [idle4, idle36] = [await one('host', 4, 1), await one('host', 36, 1)];
  return { bareBytesPerWorker: (bare36 - bare4) / 32, hostBytesPerWorker: (host36 - host4) / 32, idleHostBytesPerWorker: (idle36 - idle4) / 32 };
});
// Issue #16: lag at 1x-1000x at the asked scale and keeping pace; 10,000 Ready; the one-hour soak.
await step('lagByScale2048', async () => named(await figure(['lag-2048'], { timeoutMs: 1_200_000 }), 'lag-2048'));
// 10,000 at the asked 10x: kept pace would slow the bring-up itself (313 workers starting lag the main thread).
await step('ready10000', async () => {
  const printed = await figure(['ready-10000'], { timeoutMs: 1_200_000, env: { BENCH_READY_TIMEOUT_MS: process.env.BENCH_READY_TIMEOUT_MS ?? '900000' } });
  return { ...named(printed, 'ready-10000'), close: printed.find((r) => r.figure === 'close-10000') ?? null };
});
await step('soak2048', async () => named(await figure(['soak-2048'], { timeoutMs: 1_500_000, env: { BENCH_READY_TIMEOUT_MS: process.env.BENCH_READY_TIMEOUT_MS ?? '400000' } }), 'soak-2048'));
// Log writing, export and filtering (issue #6); also runnable alone: node tests/bench/log-bench.mjs.
await step('logs', logFigures);
mkdirSync(`${repo}/test-results/screenshots`, { recursive: true });
await step('frames2048', async () => ({ ...(await frames()), bringUp: frames.ready, lag: frames.lag }));
// Issue 16 asks for the page loaded at 10x and at 100x: one fleet each, the page loaded while the clock runs there.
await step('framesLoadedAtScale', async () => ({ at10x: await frames([10]), at100x: await frames([100]) }));
// And 10,000 instances at 1x (313 hosts): the page's frames, and the main thread's lag keeping pace.
await step('frames10000', async () => ({ ...(await frames([1], 10_000)), bringUp: frames.ready, lag: frames.lag }));
if (!only || only.has('frames2048')) {
  // The 2,048 fleet's own: the later steps' fleets replace frames.lag and frames.ready.
  results.lag2048 = results.frames2048?.lag ?? { error: 'not measured (the 2,048 fleet did not come up)' };
  results.ready2048At10x = results.frames2048?.bringUp;
}

const mb = (b) => (b / 2 ** 20).toFixed(1);
const fix = (x, d = 1) => (typeof x === 'number' ? x.toFixed(d) : 'n/a');
// The shells run the fabric in a thread of its own (fabric-thread/): "main thread" is then the shell's, and the fabric's thread is given beside it.
const fabricCpu = (r) => (r.fabricThread === 'own' ? `; the fabric's own thread ${fix(r.fabricCpuMsPerInstance, 3)} ms` : ' (the fabric on the main thread)');
const fabricLag = (s) => (typeof s.fabricThreadP99Ms === 'number' ? `; the fabric's own thread p99 ${fix(s.fabricThreadP99Ms)} ms` : '');
const lines = [];
const { hostStart, ready512, ready512At100x, ready2048At10x, rss, lag2048, frames2048, nodes, lagByScale2048, ready10000, soak2048 } = results;
if (results.heartbeatCost?.cpuUsPerHeartbeat) lines.push(`heartbeats, host agent asking (256 Ready at 1000x): ${fix(results.heartbeatCost.heartbeatsPerSecond, 0)} a second, ${fix(results.heartbeatCost.cpuUsPerHeartbeat, 1)} us of CPU (all threads) per heartbeat`);
if (nodes?.error) lines.push(`host nodes: not measured: ${nodes.error}`);
else if (nodes?.oneProcess) {
  const side = (r) => `${r.readyCount}/${nodes.instances} Ready in ${fix(r.wallMs / 1000)} s, ${fix(r.mainCpuMsPerInstance, 3)} ms main-thread CPU per instance, lag p99 ${fix(r.lagBringUp.p99Ms)} ms (steady ${fix(r.lagSteady.p99Ms)} ms)`;
  const per = nodes.withNodes.perNode.map((n) => `${n.node} ${fix(n.steady.messagesInPerS)} msg/s in, ${fix(n.steady.bytesInPerS / 1024)} KiB/s in (bring-up ${fix(n.bringUp.messagesInPerS)} msg/s)`).join('; ');
  lines.push(`host nodes, ${nodes.instances} on ${nodes.hosts} hosts at ${nodes.timeScale}x: one process ${side(nodes.oneProcess)}; this process + 2 nodes ${side(nodes.withNodes)}; per node steady: ${per}`);
}
if (hostStart?.hostMs) lines.push(`host start: ${fix(hostStart.hostsPerSecond)} hosts/s vs ${fix(hostStart.bareWorkersPerSecond)} bare Workers/s = ${fix(hostStart.hostMs / hostStart.bareMs, 2)}x the bare time (target <= 1.2x; an empty ES module's Worker: ${fix(hostStart.hostMs / hostStart.bareEsModuleMs, 2)}x; the first launch, before the host code cache was kept: ${fix(hostStart.firstLaunch.hostMs / hostStart.firstLaunch.bareMs, 2)}x)`);
for (const r of [ready512, ready512At100x, ready2048At10x]) {
  if (r?.wallMs) lines.push(`ready ${r.instances} on ${r.hosts} hosts at ${r.timeScale}x: ${r.readyCount}/${r.instances} Ready in ${fix(r.wallMs / 1000)} s wall, ${fix(r.mainCpuMsPerInstance, 3)} ms main-thread CPU per instance (target < 0.2 ms)${fabricCpu(r)}`);
}
if (lag2048?.byScale) for (const s of lag2048.byScale) lines.push(`event-loop lag with 2,048 heartbeating at ${s.scale}x: p99 ${fix(s.p99Ms)} ms, max ${fix(s.maxMs)} ms, main thread busy ${fix(100 * s.mainCpuShare, 0)}% (target p99 < 10 ms)${fabricLag(s)}`);
if (ready10000?.wallMs) lines.push(`ready 10,000 on ${ready10000.hosts} hosts of ${ready10000.cores} cores at ${ready10000.timeScale}x${ready10000.keepPace ? ` (keeping pace, ${ready10000.keptScale}x kept at the end)` : ''}: ${ready10000.readyCount}/10000 Ready in ${fix(ready10000.wallMs / 1000)} s, total RSS ${mb(ready10000.rssBytes)} MiB, ${fix(ready10000.mainCpuMsPerInstance, 3)} ms main-thread CPU per instance${fabricCpu(ready10000)}; ${ready10000.close?.closed ? `closed in ${fix(ready10000.close.closeMs / 1000)} s` : 'close not done within 120 s'}`);
for (const [how, list] of [['asked scale', lagByScale2048?.exact], ['keeping pace', lagByScale2048?.keptPace?.byScale]]) {
  for (const s of list ?? []) lines.push(`event-loop lag, 2,048 heartbeating, ${s.scale}x asked (${how}${how === 'keeping pace' ? `, ${s.keptScale}x kept` : ''}): p99 ${fix(s.p99Ms)} ms, max ${fix(s.maxMs)} ms (target p99 <= 10 ms)`);
}
if (soak2048?.samples) lines.push(`soak, 2,048 at 100x asked, ${fix(soak2048.emulatedMinutes)} emulated min in ${fix(soak2048.realS)} s: after ${soak2048.warmupMin} min warm-up RSS x${fix(soak2048.rssGrowth, 3)} (largest/smallest ${fix(soak2048.rssSpread, 3)}, halves x${fix(soak2048.rssHalves, 3)}), main heap x${fix(soak2048.heapGrowth, 3)}, host agents' heaps x${fix(soak2048.agentHeapGrowth, 3)} last/first, x${fix(soak2048.agentHeapHalves, 3)} second half's mean/first's (a sawtooth) (target within 1.1)`);
for (const i of results.idle?.byScale ?? []) if (i.processCpuMsPerS !== undefined) lines.push(`idle fabric, ${i.hosts} hosts without instances at ${i.timeScale}x: ${fix(i.processCpuMsPerS, 0)} ms of CPU a real second in all threads, ${fix(i.mainCpuMsPerS, 0)} ms on the main thread`);
for (const i of results.steady2048?.byScale ?? []) if (i.processCpuMsPerS !== undefined) lines.push(`steady fleet, ${i.instances} Ready on ${i.hosts} hosts at ${i.timeScale}x: ${fix(i.processCpuMsPerS, 0)} ms of CPU a real second in all threads, ${fix(i.mainCpuMsPerS, 0)} ms on the main thread; ${fix(i.wakeUpsPerHostPerS, 1)} wake-ups a host a second`);
if (rss?.hostBytesPerWorker) lines.push(`RSS per host worker: at 1000x ${mb(rss.hostBytesPerWorker)} MiB, at 1x ${mb(rss.idleHostBytesPerWorker)} MiB, vs ${mb(rss.bareBytesPerWorker)} MiB per bare Worker = ${fix(rss.hostBytesPerWorker / rss.bareBytesPerWorker, 2)}x and ${fix(rss.idleHostBytesPerWorker / rss.bareBytesPerWorker, 2)}x (target <= 1.1x)`);
/** The summary lines of one frames() result. */
function frameLines(f) {
  if (!f) return [];
  const out = [];
  if (f.error) out.push(`renderer: not measured: ${f.error}`);
  if (f.loadMs !== undefined) out.push(`renderer: page with ${f.tiles} tiles loaded at ${f.loadedAtScale ?? 10}x in ${fix(f.loadMs / 1000)} s`);
  for (const s of f.byScale ?? []) {
    if (s.error) out.push(`renderer frame time with 2,048 live tiles at ${s.scale}x: not measured: ${s.error}`);
    else if (!s.live) out.push(`renderer frame time with 2,048 live tiles at ${s.scale}x: not measured: only ${s.batches} batches (${s.updates} instance updates) reached the page in the ${fix(s.wallMs / 1000)} s window, so the tiles were not updating live; the near-idle page's frames: p95 ${fix(s.p95Ms)} ms over ${s.frames} frames`);
    else out.push(`renderer frame time with ${f.tiles} live tiles at ${s.scale}x (page loaded at ${f.loadedAtScale}x): p95 ${fix(s.p95Ms)} ms, p50 ${fix(s.p50Ms)} ms, p99 ${fix(s.p99Ms)} ms over ${s.frames} frames in ${fix(s.wallMs / 1000)} s; ${s.batches} batches with ${s.updates} instance updates (${s.instancesUpdated} instances) applied, ${s.mapRedraws} map redraws (target p95 < 16.7 ms)`);
  }
  return out;
}
lines.push(...frameLines(frames2048), ...frameLines(results.framesLoadedAtScale?.at10x), ...frameLines(results.framesLoadedAtScale?.at100x), ...frameLines(results.frames10000));
for (const s of results.frames10000?.lag?.byScale ?? []) lines.push(`event-loop lag with 10,000 heartbeating at ${s.scale}x (keeping pace, ${s.keptScale ?? s.scale}x kept): p99 ${fix(s.p99Ms)} ms, max ${fix(s.maxMs)} ms (target p99 <= 10 ms)${fabricLag(s)}`);
for (const m of results.loadBalancer?.modes ?? []) {
  lines.push(
    `load balancer, ${m.keepAlive ? 'keep-alive' : 'a connection per request'}, ${m.concurrency} in flight: ${fix(m.vip.requestsPerSecond, 0)} req/s through the VIP vs ${fix(m.direct.requestsPerSecond, 0)} straight to the DIPs = ${fix(m.ratio, 2)}x (target >= 0.8x); added latency p50 ${fix(m.addedP50Ms, 2)} ms, p99 ${fix(m.addedP99Ms, 2)} ms; fabric main thread lag p99 ${fix(m.vip.mainLagP99Ms, 1)} ms (max ${fix(m.vip.mainLagMaxMs, 1)}) under VIP load, ${fix(m.direct.mainLagP99Ms, 1)} ms direct`,
  );
}
lines.push(...(results.logs?.summary ?? []));
for (const [name, r] of Object.entries(results)) if (r?.error) lines.push(`${name}: not measured: ${r.error}${r.printed ? `; printed before it: ${JSON.stringify(r.printed)}` : ''}`);

writeFileSync(`${repo}/out/bench/${only ? 'results-only' : 'results'}.json`, JSON.stringify(results, null, 2));
console.log(JSON.stringify(results, null, 2));
console.log(lines.join('\n'));
