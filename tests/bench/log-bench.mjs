// The log figures of `npm run bench` (issue #6), also runnable alone after a build:
//   node tests/bench/log-bench.mjs [--only logWrite,logExport,logFilter]
// - log-write and log-export run in their own Node processes (tests/bench/log-figures.ts, bundled here);
// - log-filter runs the log viewer's built filter worker (out/renderer/assets/log-filter.worker-*.js) in
//   Chromium through Playwright, fed pages exactly as the viewer's LogScan feeds it.
// Each figure is one JSON object; logFigures() answers them with one summary line each.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const bundle = `${repo}/out/bench/log-figures.mjs`;
const assets = `${repo}/out/renderer/assets`;

function bundleFigures() {
  mkdirSync(`${repo}/out/bench`, { recursive: true });
  execFileSync(`${repo}/node_modules/.bin/rolldown`, [`${repo}/tests/bench/log-figures.ts`, '--file', bundle, '--format', 'esm', '--platform', 'node'], { stdio: 'ignore' });
}

/** One Node figure in its own process, killed past `timeoutMs`; resolves with its JSON line. */
function nodeFigure(name, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, name], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`${name} ran past ${timeoutMs / 1000} s`))), timeoutMs);
    child.stdout.on('data', (chunk) => (out += chunk));
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').at(-1)));
      else reject(new Error(`${name} exited with ${code}`));
    });
  });
}

function chromiumPath() {
  if (process.env.PLAYWRIGHT_CHROMIUM_PATH) return process.env.PLAYWRIGHT_CHROMIUM_PATH;
  if (existsSync(chromium.executablePath())) return undefined;
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
}

/** Serves the built worker (and an empty page) on loopback, as browser mode serves the renderer. */
async function serveWorker(workerFile) {
  const server = createServer((request, response) => {
    if (request.url === `/assets/${workerFile}`) {
      response.writeHead(200, { 'Content-Type': 'text/javascript' });
      response.end(readFileSync(`${assets}/${workerFile}`));
    } else {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end('<!doctype html><title>log filter bench</title>');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((resolve) => server.close(resolve)) };
}

/**
 * In the page: 1,000,000 WaAppAgent lines in 5,000-line pages, `inFlight` pages posted and not yet answered at a
 * time (LogScan's `pagesInFlight`, 2; 1 as it was before 5 December).
 * A job's `codes` says what LogScan sends with a level filter: 'alone' (level only: the file's level index,
 * 1,000,000 codes in one message, no line read), 'with-lines' (each page's codes beside its lines, so no
 * header is parsed), or 'none' (no index: every line's header parsed, as before the index existed).
 * Its `page` says how the lines go: 'text' (one string a page, lines joined by '\n', as readLog's `as: 'text'`
 * answers and LogScan posts), or 'lines' (an array of 5,000 strings, as LogScan posted before).
 */
async function filterInPage({ workerUrl, totalLines, pageLines, maxMs, jobs }) {
  const pad = (n, w) => String(n).padStart(w, '0');
  const codeOf = { WARN: 'w', ERROR: 'e', INFO: 'i', HEART: 'h' };
  const levelAt = (n) => (n % 50 === 0 ? 'WARN' : n % 97 === 0 ? 'ERROR' : n % 10 === 0 ? 'INFO' : 'HEART');
  const codePages = Array.from({ length: 10 }, (_, p) => Array.from({ length: pageLines }, (_, i) => codeOf[levelAt(p * pageLines + i)]).join(''));
  const allCodes = Array.from({ length: totalLines / pageLines }, (_, k) => codePages[k % codePages.length]).join('');
  // Ten distinct pages, cycled: each post still structured-clones a fresh array or string, as readLog's pages are.
  const pages = Array.from({ length: 10 }, (_, p) =>
    Array.from({ length: pageLines }, (_, i) => {
      const n = p * pageLines + i;
      const level = levelAt(n);
      const s = Math.floor(n * 2.5);
      const time = `11/25/2026 ${pad(12 + Math.floor(s / 3600) % 12, 2)}:${pad(Math.floor(s / 60) % 60, 2)}:${pad(s % 60, 2)}.${pad((n * 7) % 100, 2)}`;
      const message = level === 'HEART' ? 'WindowsAzureGuestAgent Heartbeat.' : `Role WorkerRole1_IN_${n % 8} is reporting state Ready; sequence ${n}.`;
      return `[00000020] [${time}] ${`[${level}]`.padEnd(8)}${message}`;
    }),
  );
  const texts = pages.map((lines) => lines.join('\n'));
  const worker = new Worker(workerUrl, { type: 'module' });
  const results = [];
  try {
    for (const [id, { codes, page, inFlight = 2, ...job }] of jobs.entries()) {
      worker.postMessage({ type: 'job', id: id + 1, format: 'app-agent', ...job });
      let scanned = 0;
      let shown = 0;
      let found = 0;
      // The worker answers a job's pages in order: each answer settles the oldest page waiting.
      const waiting = [];
      worker.onmessage = (event) => waiting.shift()?.resolve(event.data);
      worker.onerror = (event) => waiting.shift()?.reject(new Error(event.message || 'the filter worker failed'));
      const answers = [];
      let posted = 0;
      const started = performance.now();
      while (scanned < totalLines && performance.now() - started < maxMs) {
        while (answers.length < inFlight && posted < totalLines) {
          answers.push(new Promise((resolve, reject) => waiting.push({ resolve, reject })));
          const k = (posted / pageLines) % pages.length;
          const lines = page === 'text' ? { text: texts[k], count: pageLines } : { lines: pages[k] };
          if (codes === 'alone') worker.postMessage({ type: 'page', job: id + 1, fromLine: posted, lines: [], levels: allCodes.slice(posted) });
          else if (codes === 'with-lines') worker.postMessage({ type: 'page', job: id + 1, fromLine: posted, ...lines, levels: codePages[k] });
          else worker.postMessage({ type: 'page', job: id + 1, fromLine: posted, ...lines });
          posted += codes === 'alone' ? totalLines - posted : pageLines;
        }
        const result = await answers.shift();
        scanned += result.count;
        shown += result.filter.length;
        found += result.search.length;
      }
      results.push({ job: { ...job, codes, page, inFlight }, lines: scanned, ms: performance.now() - started, shown, found });
    }
  } finally {
    worker.terminate();
  }
  return results;
}

async function logFilter() {
  const workerFile = readdirSync(assets).find((f) => /^log-filter\.worker-.*\.js$/.test(f));
  if (!workerFile) throw new Error('out/renderer/assets holds no log-filter.worker-*.js: run "npm run build" first.');
  const server = await serveWorker(workerFile);
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    const levelOnly = { levels: ['warning', 'error'], filterText: '', search: '', regex: false, caseSensitive: false };
    const levelSearch = { ...levelOnly, search: 'sequence' };
    const textSearch = { levels: null, filterText: 'WorkerRole1_IN_3', search: 'sequence \\d+5\\.', regex: true, caseSensitive: false, codes: 'none' };
    const jobs = [
      // Level filter alone: from the level index (the viewer's path now), then parsing every header (before it).
      { ...levelOnly, codes: 'alone' },
      { ...levelOnly, codes: 'none', page: 'lines', inFlight: 1 },
      // Level filter plus a search among the lines shown: lines are read; their codes come with them, then without.
      { ...levelSearch, codes: 'with-lines', page: 'text' },
      { ...levelSearch, codes: 'none', page: 'lines', inFlight: 1 },
      // Text filter and a regular-expression search, all levels: text pages two in flight (the viewer's path now), then one in
      // flight (before 5 December), then arrays of lines (before 4 December).
      { ...textSearch, page: 'text' },
      { ...textSearch, page: 'text', inFlight: 1 },
      { ...textSearch, page: 'lines', inFlight: 1 },
    ];
    const runs = await page.evaluate(filterInPage, { workerUrl: `${server.url}assets/${workerFile}`, totalLines: 1_000_000, pageLines: 5_000, maxMs: 60_000, jobs });
    return { figure: 'log-filter', where: `Chromium ${browser.version()} (Playwright), the built ${workerFile}`, runs };
  } finally {
    await browser.close();
    await server.close();
  }
}

const fix = (x, d = 1) => (typeof x === 'number' ? x.toFixed(d) : 'n/a');

/** Every log figure, each bounded; a figure that fails is reported as {error}, the others still run. */
export async function logFigures(only = null) {
  if (!existsSync(`${repo}/out/renderer/index.html`)) throw new Error('out/ is missing: run "npm run build" first.');
  bundleFigures();
  const results = {};
  const step = async (name, run) => {
    if (only && !only.includes(name)) return;
    console.error(`bench: ${name}...`);
    try {
      results[name] = await run();
    } catch (error) {
      results[name] = { error: error.message };
    }
  };
  await step('logWrite', () => nodeFigure('log-write', 120_000));
  await step('logExport', () => nodeFigure('log-export', 600_000));
  await step('logFilter', logFilter);

  const summary = [];
  const { logWrite = {}, logExport = {}, logFilter: filter = {} } = results;
  if (logWrite.linesPerSecond) summary.push(`log lines written by one worker thread (LogWriter, ${logWrite.instances} files): ${fix(logWrite.linesPerSecond / 1000)}k lines/s (${logWrite.lines} lines in ${fix(logWrite.ms / 1000, 2)} s)`);
  if (logExport.app) {
    const zip = logExport.zip.ms ? `zip -r ${fix(logExport.zip.ms / 1000, 2)} s, app/zip = ${fix(logExport.appOverZip, 2)}x` : logExport.zip.found ? `zip -r failed: ${logExport.zip.error}` : 'zip not found';
    summary.push(`export of ${logExport.lines} lines (${fix(logExport.sessionBytes / 2 ** 20)} MiB, ${logExport.files} files): app ${fix(logExport.app.ms / 1000, 2)} s, ${zip}`);
  }
  for (const run of filter.runs ?? []) {
    const what = run.job.levels ? `levels ${run.job.levels.join('+')}, level codes ${run.job.codes === 'none' ? 'none (headers parsed)' : run.job.codes}` : `text "${run.job.filterText}"`;
    const pages = `${run.job.page ? `, ${run.job.page === 'text' ? 'text pages' : 'pages of lines'}` : ''}, ${run.job.inFlight} in flight`;
    summary.push(`filter ${run.lines} lines in the viewer's worker (${what}, search "${run.job.search}"${pages}): ${fix(run.ms, 0)} ms, ${fix(run.lines / run.ms, 0)}k lines/s, ${run.shown} shown, ${run.found} found`);
  }
  for (const [name, r] of Object.entries(results)) if (r?.error) summary.push(`${name}: not measured: ${r.error}`);
  return { ...results, summary };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const at = process.argv.indexOf('--only');
  const results = await logFigures(at > 0 ? process.argv[at + 1].split(',') : null);
  console.log(JSON.stringify(results, null, 2));
  console.log(results.summary.join('\n'));
}
