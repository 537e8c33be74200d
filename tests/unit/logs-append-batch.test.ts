// Batched log appends (src-main/logs/append-batch.ts): a turn's lines reach each file with one write at the
// end of the turn, in order across files; a worker told to stop flushes what it holds; a worker killed while
// writing keeps every line of the turns it finished, none torn. The workers run the real LogWriter and
// AppendBatch, bundled by rolldown into a temp folder as in logs-worker-kill.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppendBatch, type BatchedFile } from '../../src-main/logs/append-batch';
import { appAgentLine, bootstrapperLine } from '../../src-main/logs/log-formats';
import { LogWriter } from '../../src-main/logs/log-writer';

const repo = resolve(import.meta.dirname, '../..');
let dir: string;

const read = (file: string): string[] => readFileSync(file, 'utf8').split('\n').slice(0, -1);
const nextTurn = () => new Promise((r) => setImmediate(r));

// Two files written turn after turn; after each turn's flush the worker publishes how many turns are on disk.
const killSource = `
import { workerData } from 'node:worker_threads';
import { LogWriter, turnBatch } from './logs.mjs';
const done = new Int32Array(workerData.counter);
const a = new LogWriter(workerData.a, { batch: turnBatch });
const b = new LogWriter(workerData.b, { batch: turnBatch });
let turn = 0;
function work() {
  for (let i = 0; i < 10; i++) {
    a.write('A' + turn + '.' + i + ' ' + 'x'.repeat((turn + i) % 70) + ' END');
    b.write('B' + turn + '.' + i + ' END');
  }
  const finished = ++turn;
  queueMicrotask(() => Atomics.store(done, 0, finished)); // runs after the batch's flush, queued first
  setImmediate(work);
}
work();
`;

// Writes a line per turn to three files until told to stop; then a last line each, and closes them.
const stopSource = `
import { parentPort, workerData } from 'node:worker_threads';
import { LogWriter, turnBatch } from './logs.mjs';
const writers = workerData.files.map((file) => new LogWriter(file, { batch: turnBatch }));
let turn = 0;
const timer = setInterval(() => {
  writers.forEach((w, i) => w.write('f' + i + ' turn ' + turn));
  turn++;
  if (turn === 5) parentPort.postMessage('ready');
}, 1);
parentPort.on('message', () => {
  clearInterval(timer);
  writers.forEach((w, i) => w.write('f' + i + ' last'));
  for (const w of writers) w.close();
  parentPort.close();
});
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fabric-lab-append-batch-'));
  writeFileSync(
    join(dir, 'entry.ts'),
    `export { LogWriter } from ${JSON.stringify(join(repo, 'src-main/logs/log-writer.ts'))};\nexport { turnBatch } from ${JSON.stringify(join(repo, 'src-main/logs/append-batch.ts'))};\n`,
  );
  const rolldown = join(repo, 'node_modules', '.bin', process.platform === 'win32' ? 'rolldown.cmd' : 'rolldown');
  execFileSync(rolldown, [join(dir, 'entry.ts'), '--file', join(dir, 'logs.mjs'), '--format', 'esm', '--platform', 'node'], { stdio: 'pipe', shell: process.platform === 'win32' });
  writeFileSync(join(dir, 'kill.mjs'), killSource);
  writeFileSync(join(dir, 'stop.mjs'), stopSource);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('an append batch', () => {
  it('writes a turn’s lines at the end of the turn, each file’s in order', async () => {
    const batch = new AppendBatch();
    const a = new LogWriter(join(dir, 'order', 'a.log'), { batch });
    const b = new LogWriter(join(dir, 'order', 'b.log'), { batch });
    a.write('a1');
    b.write('b1');
    a.writeLines(['a2', 'a3']);
    b.write('b2\nb3');
    expect(read(a.file)).toEqual([]); // still in this turn
    expect(a.lineCount).toBe(3); // counted as written: the events file's seq relies on it
    await nextTurn();
    expect(read(a.file)).toEqual(['a1', 'a2', 'a3']);
    expect(read(b.file)).toEqual(['b1', 'b2', 'b3']);
    b.write('b4');
    a.write('a4');
    await nextTurn();
    expect(read(a.file)).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(read(b.file)).toEqual(['b1', 'b2', 'b3', 'b4']);
    a.close();
    b.close();
  });

  it('flushes files in the order they first got a line, and each once per turn', () => {
    const batch = new AppendBatch();
    const flushed: string[] = [];
    const file = (name: string): BatchedFile => ({ flush: () => void flushed.push(name) });
    const [x, y] = [file('x'), file('y')];
    batch.enlist(y);
    batch.enlist(x);
    batch.enlist(y);
    batch.flush();
    expect(flushed).toEqual(['y', 'x']);
    batch.flush();
    expect(flushed).toEqual(['y', 'x']);
  });

  it('flushes a file enlisted while it flushes in the same pass, and the same files again turn after turn', () => {
    const batch = new AppendBatch();
    const flushed: string[] = [];
    const late: BatchedFile = { flush: () => void flushed.push('late') };
    // Its first flush writes a line to `late` and one more to itself (as a log listener might).
    const first: BatchedFile = { flush: () => void (flushed.push('first') === 1 && (batch.enlist(late), batch.enlist(first))) };
    for (let turn = 0; turn < 3; turn++) {
      flushed.length = 0;
      batch.enlist(first);
      batch.flush();
      // Both enlisted while flushing: flushed in the same pass, in the order they were enlisted.
      expect(flushed).toEqual(['first', 'late', 'first']);
      expect(batch.pending).toBe(0);
    }
  });

  it('goes on from where it is when a flush starts inside a file’s flush: each file once', () => {
    const batch = new AppendBatch();
    const flushed: string[] = [];
    const file = (name: string, inside?: () => void): BatchedFile => ({ flush: () => (flushed.push(name), inside?.()) });
    batch.enlist(file('a', () => batch.flush()));
    batch.enlist(file('b'));
    batch.enlist(file('c'));
    batch.flush();
    expect(flushed).toEqual(['a', 'b', 'c']);
    expect(batch.pending).toBe(0);
  });

  it('writes the waiting lines before a rotation and at close, and nothing after close', () => {
    const batch = new AppendBatch();
    const writer = new LogWriter(join(dir, 'rotate', 'WaHostBootstrapper.log'), { batch });
    writer.write('first run');
    const rotated = writer.rotate();
    expect(read(rotated!)).toEqual(['first run']);
    writer.write('second run');
    writer.close();
    expect(read(writer.file)).toEqual(['second run']);
    expect(() => writer.write('late')).toThrow(/closed/);
    expect(() => batch.flush()).not.toThrow();
  });

  it('keeps writing the other files when one cannot be written, and then says what failed', () => {
    const batch = new AppendBatch();
    const flushed: string[] = [];
    batch.enlist({
      flush: () => {
        throw new Error('ENOSPC: no space left on device');
      },
    });
    batch.enlist({ flush: () => void flushed.push('other') });
    expect(() => batch.flush()).toThrow(/ENOSPC/);
    expect(flushed).toEqual(['other']);
  });

  it('stamps lines exactly as Date would, across days and years', () => {
    const p = (n: number, w: number) => String(n).padStart(w, '0');
    let seed = 7;
    const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), seed / 2 ** 32);
    for (let i = 0; i < 5000; i++) {
      const at = Math.floor(next() * 4e12) + (i % 3 === 0 ? 0.75 : 0);
      const d = new Date(Math.floor(at));
      const [mo, day, h, mi, s] = [d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()].map((n) => p(n, 2));
      expect(appAgentLine(at, 20, 'HEART', 'x')).toBe(`[00000020] [${mo}/${day}/${d.getUTCFullYear()} ${h}:${mi}:${s}.${p(Math.floor(d.getUTCMilliseconds() / 10), 2)}] [HEART] x`);
      expect(bootstrapperLine(at, 4, 8, 'INFO', 'y')).toBe(`[00000004:00000008, ${d.getUTCFullYear()}/${mo}/${day}, ${h}:${mi}:${s}.${p(d.getUTCMilliseconds(), 3)}, INFO ] y`);
    }
    expect(() => appAgentLine(Number.NaN, 20, 'INFO', 'x')).toThrow(RangeError);
    expect(() => bootstrapperLine(Infinity, 4, 8, 'INFO', 'x')).toThrow(RangeError);
  });
});

describe('a worker writing through the batch', () => {
  it('writes what it holds when told to stop, every file in order', async () => {
    const files = [0, 1, 2].map((i) => join(dir, 'stop', `f${i}.log`));
    const worker = new Worker(join(dir, 'stop.mjs'), { workerData: { files } });
    await new Promise((r) => worker.once('message', r));
    const exited = new Promise((r) => worker.once('exit', r));
    worker.postMessage('stop');
    await exited;
    files.forEach((file, i) => {
      const lines = read(file);
      expect(lines.at(-1)).toBe(`f${i} last`);
      const turns = lines.slice(0, -1);
      expect(turns.length).toBeGreaterThanOrEqual(5);
      expect(turns).toEqual(turns.map((_, t) => `f${i} turn ${t}`));
    });
  });

  it.each([1, 2, 3])('keeps every line of the turns it finished when killed, none torn (run %i)', async (run) => {
    const a = join(dir, 'kill', `a-${run}.log`);
    const b = join(dir, 'kill', `b-${run}.log`);
    const counter = new SharedArrayBuffer(4);
    const done = new Int32Array(counter);
    const worker = new Worker(join(dir, 'kill.mjs'), { workerData: { a, b, counter } });
    while (Atomics.load(done, 0) < 200 * run) await new Promise((r) => setTimeout(r, 1));
    await worker.terminate();
    const turns = Atomics.load(done, 0);
    for (const [file, letter] of [[a, 'A'], [b, 'B']] as const) {
      const text = readFileSync(file, 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      const lines = text.split('\n').slice(0, -1);
      // Every finished turn is there; at most the turn being flushed when the kill landed is extra.
      expect(lines.length).toBeGreaterThanOrEqual(turns * 10);
      expect(lines.length).toBeLessThanOrEqual((turns + 1) * 10);
      const want = (n: number) => (letter === 'A' ? `A${Math.floor(n / 10)}.${n % 10} ${'x'.repeat((Math.floor(n / 10) + (n % 10)) % 70)} END` : `B${Math.floor(n / 10)}.${n % 10} END`);
      expect(lines.findIndex((line, n) => line !== want(n))).toBe(-1);
    }
  });
});
