// The Node side of the log figures (issue #6), bundled by log-bench.mjs to out/bench/log-figures.mjs and run
// one figure per process: `log-write` (lines per second through the host worker's LogWriter, in a worker
// thread) and `log-export` (the app's session exporter against the system `zip -r` on the same folder).
// Each prints one JSON line on stdout. Every loop stops at a line count or a time limit, whichever is first,
// and every file lives under a temp folder removed at the end.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { appAgentLine, bootstrapperLine, type AppAgentLevel } from '../../src-main/logs/log-formats';
import { LogWriter } from '../../src-main/logs/log-writer';
import { appAgentRuntimeLogPath, instanceFolder, vmPathToFile, waAppAgentLogPath, waHostBootstrapperLogPath } from '../../src-main/logs/instance-paths';
import { writeSessionArchive } from '../../src-main/logs/session-archive';

const deploymentId = 'deployment1(1)';
const instanceName = (i: number): string => `WorkerRole1_IN_${i}`;
const startAt = Date.UTC(2026, 10, 25, 12, 0, 0);

/** The three logs a guest writes most, at their VM paths under an instance folder. */
function instanceLogs(session: string, i: number): { appAgent: string; runtime: string; bootstrapper: string } {
  const root = instanceFolder(session, deploymentId, instanceName(i));
  return {
    appAgent: vmPathToFile(root, waAppAgentLogPath),
    runtime: vmPathToFile(root, appAgentRuntimeLogPath),
    bootstrapper: vmPathToFile(root, waHostBootstrapperLogPath(deploymentId, 'WorkerRole1')),
  };
}

/** Line n of an instance's WaAppAgent.log: mostly heartbeats, as in a real one, with some of every level. */
function appAgentAt(n: number): string {
  const level: AppAgentLevel = n % 50 === 0 ? 'WARN' : n % 97 === 0 ? 'ERROR' : n % 10 === 0 ? 'INFO' : 'HEART';
  const message = level === 'HEART' ? 'WindowsAzureGuestAgent Heartbeat.' : `Role ${instanceName(n % 8)} is reporting state Ready; sequence ${n}.`;
  return appAgentLine(startAt + n * 2_500, 20, level, message);
}

function emit(result: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(result) + '\n');
}

// ---- log-write: the worker thread ------------------------------------------------------------------------

interface WriteJob {
  session: string;
  instances: number;
  maxLines: number;
  maxMs: number;
}

/** In the worker: one LogWriter per instance log, a line at a time round-robin, as a host's guests write. */
function writeInWorker({ session, instances, maxLines, maxMs }: WriteJob): { lines: number; ms: number; bytes: number } {
  const writers = Array.from({ length: instances }, (_, i) => new LogWriter(instanceLogs(session, i).appAgent));
  const started = performance.now();
  let lines = 0;
  // Check the clock every 1,000 lines: the bound holds without a clock read per line.
  while (lines < maxLines && (lines % 1_000 !== 0 || performance.now() - started < maxMs)) {
    writers[lines % instances]!.write(appAgentAt(lines));
    lines++;
  }
  const ms = performance.now() - started;
  let bytes = 0;
  for (const writer of writers) {
    writer.close();
    bytes += statSync(writer.file).size;
  }
  return { lines, ms, bytes };
}

async function logWrite(): Promise<void> {
  const session = mkdtempSync(join(tmpdir(), 'fabric-bench-logs-'));
  try {
    const job: WriteJob = { session, instances: 16, maxLines: 1_000_000, maxMs: 60_000 };
    const worker = new Worker(new URL(import.meta.url), { workerData: { figure: 'log-write', job } });
    const result = await new Promise<{ lines: number; ms: number; bytes: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the writer worker exited with ${code} before answering`)));
    });
    await worker.terminate();
    emit({ figure: 'log-write', ...result, instances: job.instances, linesPerSecond: (result.lines / result.ms) * 1000, bytesPerLine: result.bytes / result.lines });
  } finally {
    rmSync(session, { recursive: true, force: true });
  }
}

// ---- log-export ------------------------------------------------------------------------------------------

/** A session folder holding `totalLines` lines over `instances` instances' drives, written in large chunks. */
function makeSession(session: string, instances: number, totalLines: number): { files: number; bytes: number; lines: number } {
  const perInstance = Math.ceil(totalLines / instances);
  // Per instance: 80% WaAppAgent heartbeats, 10% AppAgentRuntime, 10% WaHostBootstrapper, as a busy session.
  const split = [Math.round(perInstance * 0.8), Math.round(perInstance * 0.1)];
  let written = 0;
  let files = 0;
  let bytes = 0;
  const writeFile = (file: string, count: number, line: (n: number) => string): void => {
    mkdirSync(dirname(file), { recursive: true });
    const chunk: string[] = [];
    let text = '';
    for (let n = 0; n < count && written < totalLines; n++, written++) {
      chunk.push(line(n));
      if (chunk.length === 10_000) (text += `${chunk.join('\n')}\n`), (chunk.length = 0);
    }
    if (chunk.length) text += `${chunk.join('\n')}\n`;
    writeFileSync(file, text);
    files++;
    bytes += Buffer.byteLength(text);
  };
  for (let i = 0; i < instances; i++) {
    const logs = instanceLogs(session, i);
    writeFile(logs.appAgent, split[0]!, appAgentAt);
    writeFile(logs.runtime, split[1]!, (n) => appAgentLine(startAt + n * 20_000, 6, 'INFO', `Role ${instanceName(i)} state changed to Ready (change ${n}).`));
    writeFile(logs.bootstrapper, perInstance - split[0]! - split[1]!, (n) => bootstrapperLine(startAt + n * 15_000, 1248, 3, 'VERB', `Getting status from client WaWorkerHost.exe (${n}).`));
  }
  return { files, bytes, lines: written };
}

function zipFound(): boolean {
  return spawnSync('zip', ['-v'], { stdio: 'ignore' }).error === undefined;
}

async function logExport(): Promise<void> {
  const temp = mkdtempSync(join(tmpdir(), 'fabric-bench-export-'));
  try {
    const session = join(temp, 'session');
    const lines = 1_000_000;
    const made = makeSession(session, 40, lines);

    const appTarget = join(temp, 'app.zip');
    const appStarted = performance.now();
    const archived = await writeSessionArchive({ sessionDir: session, target: appTarget, exclude: [], extra: [{ name: 'manifest.json', data: Buffer.from('{}\n') }] });
    const appMs = performance.now() - appStarted;

    let zip: Record<string, unknown> = { found: false };
    if (zipFound()) {
      const zipTarget = join(temp, 'zip.zip');
      const zipStarted = performance.now();
      // Same default deflate level (6) as yazl; -q so its output costs nothing. Bounded like every figure.
      const run = spawnSync('zip', ['-r', '-q', zipTarget, '.'], { cwd: session, timeout: 300_000 });
      const zipMs = performance.now() - zipStarted;
      zip = run.status === 0 ? { found: true, ms: zipMs, archiveBytes: statSync(zipTarget).size } : { found: true, error: `zip exited with ${run.status ?? run.signal}` };
    }
    emit({
      figure: 'log-export',
      lines: made.lines,
      files: made.files,
      sessionBytes: made.bytes,
      app: { ms: appMs, files: archived.files, archiveBytes: statSync(appTarget).size },
      zip,
      appOverZip: typeof zip.ms === 'number' ? appMs / zip.ms : null,
    });
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

// ---- entry -----------------------------------------------------------------------------------------------

if (!isMainThread) {
  const { job } = workerData as { figure: 'log-write'; job: WriteJob };
  parentPort!.postMessage(writeInWorker(job));
} else {
  const figure = process.argv[2];
  const figures: Record<string, () => Promise<void>> = { 'log-write': logWrite, 'log-export': logExport };
  const run = figure ? figures[figure] : undefined;
  if (!run) {
    console.error(`usage: log-figures.mjs ${Object.keys(figures).join('|')}`);
    process.exit(2);
  }
  await run();
}
