// The level index a log writer keeps beside each log (`<file>.levels`, one code per line): it holds the
// level the viewer would read off each line, moves with its log at a rotation, is rebuilt when a writer
// reopens a log it does not match, is never listed or served for another file, and, written after the lines
// in the same turn, lags the log at worst when the worker is killed: it never describes a line that is not there.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineSeverity, lineSeverityCode } from '../../src-main/common/log-levels';
import type { LogFileFormat } from '../../src-main/common/log-api';
import { AppendBatch } from '../../src-main/logs/append-batch';
import { instanceFolder, vmPathToFile, waAppAgentLogPath } from '../../src-main/logs/instance-paths';
import { appAgentLine, bootstrapperLine, consoleLines, fabricLine, hostProcessLine } from '../../src-main/logs/log-formats';
import { levelIndexOf } from '../../src-main/logs/log-file-kinds';
import { LogWriter } from '../../src-main/logs/log-writer';
import { listInstanceLogs, readSessionLevels } from '../../src-main/logs/session-files';
import { eventLine, roleCrashed } from '../../src-main/logs/windows-azure-events';
import { lineHeader } from '../../src-renderer/lib/log-lines';

const repo = resolve(import.meta.dirname, '../..');
const at = Date.UTC(2019, 10, 14, 5, 52, 13, 440);
let dir: string;

const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').slice(0, -1);
const index = (file: string): string => (existsSync(levelIndexOf(file)) ? readFileSync(levelIndexOf(file), 'latin1') : '');
const codesOf = (format: LogFileFormat, file: string): string => lines(file).map((l) => lineSeverityCode(format, l)).join('');

const mixed = (n: number): string => appAgentLine(at + n * 10, 20, n % 7 === 0 ? 'ERROR' : n % 5 === 0 ? 'WARN' : n % 3 === 0 ? 'INFO' : 'HEART', `line ${n}`);

// A worker writing WaAppAgent.log turn after turn through the thread's batch, publishing finished turns.
const killSource = `
import { workerData } from 'node:worker_threads';
import { LogWriter, turnBatch, line } from './logs.mjs';
const done = new Int32Array(workerData.counter);
const w = new LogWriter(workerData.file, { batch: turnBatch, levelIndexChunk: 1 });
let turn = 0;
function work() {
  for (let i = 0; i < 25; i++) w.write(line(turn * 25 + i));
  const finished = ++turn;
  queueMicrotask(() => Atomics.store(done, 0, finished));
  setImmediate(work);
}
work();
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fabric-lab-level-index-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('reading a line\'s level', () => {
  it('agrees with the viewer\'s header parser for every format, continuations included', () => {
    const samples: [LogFileFormat, string][] = [
      ['app-agent', appAgentLine(at, 20, 'HEART', 'WindowsAzureGuestAgent Heartbeat.')],
      ['app-agent', appAgentLine(at, 20, 'WARN', 'x')],
      ['app-agent', 'a continuation line'],
      ['bootstrapper', bootstrapperLine(at, 3604, 2604, 'VERB', 'x')],
      ['host-process', hostProcessLine(at, 'WaWorkerHost', 1200, 7, 'ERROR', 'x')],
      ...consoleLines(at, 'WaWorkerHost', 1, 7, 'stderr', 'Boom\n   at Run()').map((l) => ['host-process', l] as [LogFileFormat, string]),
      ['fabric', fabricLine(at, 'INFO', 'req 1: x')],
      ['iis', '2019-11-14 05:52:13 10.0.0.4 GET /default.aspx - 80 - 168.63.129.16 Mozilla/5.0 404 0 0 15'],
      ['iis', '#Fields: date time'],
      ['events', eventLine(roleCrashed({ at, instance: 'I', process: 'WaWorkerHost.exe', exception: 'E\n at x' }))],
    ];
    for (const [format, line] of samples) expect(lineSeverity(format, line)).toBe(lineHeader(format, line).level);
  });
});

describe('a log writer\'s level index', () => {
  it('holds one code per line, batched or not, and none for a log without levels', () => {
    const file = join(dir, 'plain', 'WaAppAgent.log');
    const w = new LogWriter(file, { levelIndexChunk: 1 });
    for (let n = 0; n < 50; n++) w.write(mixed(n));
    w.writeLines(['line with\na second line']);
    expect(index(file)).toBe(codesOf('app-agent', file));
    expect(index(file)).toHaveLength(52);
    expect(index(file).slice(0, 6)).toBe('ehhihw'); // line 0 ERROR, 1-2 HEART, 3 INFO, 4 HEART, 5 WARN
    expect(index(file).slice(50)).toBe('..'); // lines that are no record of the format
    w.close();

    const batch = new AppendBatch();
    const host = join(dir, 'plain', 'WaWorkerHost.log');
    const b = new LogWriter(host, { batch, levelIndexChunk: 1 });
    b.writeLines([hostProcessLine(at, 'WaWorkerHost', 1, 7, 'ERROR', 'Boom'), '   at Run() (a foreign line, no header)']);
    expect(index(host)).toBe(''); // nothing before the end of the turn, the lines neither
    batch.flush();
    expect(index(host)).toBe('e.');
    b.close();

    const xml = new LogWriter(join(dir, 'plain', 'RoleModel.xml'));
    xml.write('<RoleModel/>');
    xml.close();
    expect(existsSync(levelIndexOf(join(dir, 'plain', 'RoleModel.xml')))).toBe(false);
  });

  it('moves with its log at a rotation, and the new file starts a new index', () => {
    const file = join(dir, 'rotate', 'WaHostBootstrapper.log');
    const w = new LogWriter(file, { keepRotations: 1, levelIndexChunk: 1 });
    w.write(bootstrapperLine(at, 1, 2, 'WARN', 'first run'));
    const first = w.rotate()!;
    w.write(bootstrapperLine(at, 1, 2, 'ERROR', 'second run'));
    w.write(bootstrapperLine(at, 1, 2, 'INFO', 'second run'));
    expect(index(first)).toBe('w');
    expect(index(file)).toBe('ei');
    const second = w.rotate()!;
    expect(existsSync(levelIndexOf(first))).toBe(false); // beyond keepRotations: the log and its index are gone
    expect(index(second)).toBe('ei');
    expect(index(file)).toBe('');
    w.close();
  });

  it('appends codes in chunks, or once they waited long enough, and all of them at close', () => {
    const file = join(dir, 'chunks', 'WaAppAgent.log');
    const w = new LogWriter(file, { levelIndexChunk: 10, levelIndexDelayMs: 60_000 });
    for (let n = 0; n < 25; n++) w.write(mixed(n));
    expect(index(file)).toBe(codesOf('app-agent', file).slice(0, 20)); // two chunks; five codes wait
    w.close();
    expect(index(file)).toBe(codesOf('app-agent', file));
    const soon = new LogWriter(file, { levelIndexChunk: 1_000, levelIndexDelayMs: 0 });
    soon.write(mixed(25));
    expect(index(file)).toHaveLength(26); // waited long enough (0 ms here)
    soon.close();
  });

  it('is rebuilt when a writer reopens a log it does not match (behind, ahead or missing)', () => {
    const file = join(dir, 'reopen', 'AppAgentRuntime.log');
    const w = new LogWriter(file);
    for (let n = 0; n < 20; n++) w.write(mixed(n));
    w.close();
    for (const damage of [() => truncateSync(levelIndexOf(file), 7), () => appendFileSync(levelIndexOf(file), 'hhh'), () => rmSync(levelIndexOf(file))]) {
      damage();
      const again = new LogWriter(file);
      again.write(mixed(99));
      again.close();
      expect(index(file)).toBe(codesOf('app-agent', file));
    }
  });

  it('lags its log at worst when the worker is killed mid-write, and is whole again once reopened', async () => {
    const bundleDir = join(dir, 'bundle');
    mkdirSync(bundleDir, { recursive: true });
    writeFileSync(
      join(bundleDir, 'entry.ts'),
      [
        `export { LogWriter } from ${JSON.stringify(join(repo, 'src-main/logs/log-writer.ts'))};`,
        `export { turnBatch } from ${JSON.stringify(join(repo, 'src-main/logs/append-batch.ts'))};`,
        `import { appAgentLine } from ${JSON.stringify(join(repo, 'src-main/logs/log-formats.ts'))};`,
        `export const line = (n: number): string => appAgentLine(${at} + n * 10, 20, n % 7 === 0 ? 'ERROR' : n % 5 === 0 ? 'WARN' : n % 3 === 0 ? 'INFO' : 'HEART', 'line ' + n);`,
      ].join('\n'),
    );
    const rolldown = join(repo, 'node_modules', '.bin', process.platform === 'win32' ? 'rolldown.cmd' : 'rolldown');
    execFileSync(rolldown, [join(bundleDir, 'entry.ts'), '--file', join(bundleDir, 'logs.mjs'), '--format', 'esm', '--platform', 'node'], { stdio: 'pipe', shell: process.platform === 'win32' });
    writeFileSync(join(bundleDir, 'kill.mjs'), killSource);
    for (const run of [1, 2, 3]) {
      const file = join(dir, 'kill', `run-${run}`, 'WaAppAgent.log');
      const counter = new SharedArrayBuffer(4);
      const done = new Int32Array(counter);
      const worker = new Worker(join(bundleDir, 'kill.mjs'), { workerData: { file, counter } });
      while (Atomics.load(done, 0) < 100 * run) await new Promise((r) => setTimeout(r, 1));
      await worker.terminate();
      const written = lines(file);
      const codes = index(file);
      expect(codes.length).toBeLessThanOrEqual(written.length);
      expect(codes.length).toBeGreaterThanOrEqual(written.length - 25); // at most the turn being flushed
      expect(codes).toBe(written.slice(0, codes.length).map((l) => lineSeverityCode('app-agent', l)).join(''));
      new LogWriter(file).close();
      expect(index(file)).toBe(codesOf('app-agent', file));
    }
  });
});

describe('serving the level index', () => {
  const session = () => join(dir, 'session');
  const logFile = () => vmPathToFile(instanceFolder(session(), 'deployment1(1)', 'WorkerRole1_IN_0'), waAppAgentLogPath);
  const id = 'instances/deployment1(1)/WorkerRole1_IN_0/C/Logs/WaAppAgent.log';

  it('answers the codes as far as the index reaches, and lists no index as a log', async () => {
    const w = new LogWriter(logFile());
    for (let n = 0; n < 30; n++) w.write(mixed(n));
    w.close();
    expect(await readSessionLevels(session(), id, 0, 1_000)).toEqual({ file: id, fromLine: 0, levels: codesOf('app-agent', logFile()), total: 30 });
    expect((await readSessionLevels(session(), id, 25, 3)).levels).toBe(codesOf('app-agent', logFile()).slice(25, 28));
    // A log that grew past its index (a killed worker's last turn): codes up to where the index stops.
    appendFileSync(logFile(), `${mixed(30)}\n${mixed(31)}\n`);
    expect(await readSessionLevels(session(), id, 28, 10)).toMatchObject({ levels: codesOf('app-agent', logFile()).slice(28, 30), total: 32 });
    // An index longer than its log is never read past the log's end.
    appendFileSync(levelIndexOf(logFile()), 'eeeeee');
    expect((await readSessionLevels(session(), id, 0, 1_000)).levels).toHaveLength(32);
    rmSync(levelIndexOf(logFile()));
    expect((await readSessionLevels(session(), id, 0, 10)).levels).toBe('');
    const listed = await listInstanceLogs(session(), 'deployment1(1)', 'WorkerRole1_IN_0');
    expect(listed!.map((f) => f.vmPath)).toEqual([waAppAgentLogPath]);
  });

  it('refuses a file outside the session and a start past the end, naming them', async () => {
    await expect(readSessionLevels(session(), '../etc/passwd', 0, 10)).rejects.toMatchObject({ code: 'BadRequest' });
    await expect(readSessionLevels(session(), 'instances/nope/x.log', 0, 10)).rejects.toMatchObject({ code: 'NotFound' });
    await expect(readSessionLevels(session(), id, 1_000, 10)).rejects.toThrow(/WaAppAgent\.log.*past its end: it has 32 lines/);
  });
});
