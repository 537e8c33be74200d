// A host worker that is killed mid-write loses no line it had written, and leaves no torn line.
// The worker runs the real LogWriter: rolldown bundles src-main/logs/log-writer.ts into a temp folder
// (out/ holds only the app's entries), and a small .mjs worker imports that bundle.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
let dir: string;

// The worker publishes how many lines write() has returned for in shared memory, after each write. That is
// a stronger report than a message: it is visible the instant the write returns.
const workerSource = `
import { workerData } from 'node:worker_threads';
import { LogWriter } from './log-writer.mjs';
const written = new Int32Array(workerData.counter);
const writer = new LogWriter(workerData.file);
for (let i = 0; i < workerData.lines; i++) {
  if (i % 7 === 6) writer.writeLines(['L' + i + ' ' + 'x'.repeat(i % 90) + ' END' + i]);
  else writer.write('L' + i + ' ' + 'x'.repeat(i % 90) + ' END' + i);
  Atomics.store(written, 0, i + 1);
}
writer.close();
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fabric-lab-logs-kill-'));
  const rolldown = join(repo, 'node_modules', '.bin', process.platform === 'win32' ? 'rolldown.cmd' : 'rolldown');
  execFileSync(rolldown, [join(repo, 'src-main/logs/log-writer.ts'), '--file', join(dir, 'log-writer.mjs'), '--format', 'esm', '--platform', 'node'], {
    stdio: 'pipe',
    shell: process.platform === 'win32',
  });
  writeFileSync(join(dir, 'worker.mjs'), workerSource);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 1));
}

describe('a host worker killed while writing', () => {
  it.each([1, 2, 3])('keeps every line it reported as written, none torn (run %i)', async (run) => {
    const file = join(dir, `WaAppAgent-${run}.log`);
    const total = 5_000_000; // far more than it can write before it is killed
    const counter = new SharedArrayBuffer(4);
    const written = new Int32Array(counter);
    const worker = new Worker(join(dir, 'worker.mjs'), { workerData: { file, lines: total, counter } });
    const killAfter = 5_000 * run;
    await waitFor(() => Atomics.load(written, 0) >= killAfter);
    await worker.terminate();
    const reported = Atomics.load(written, 0);
    expect(reported).toBeLessThan(total); // it was killed mid-way

    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true); // the last line is whole
    const lines = text.split('\n').slice(0, -1);
    // Every reported line is there; at most the one line being written when the kill landed is extra.
    expect(lines.length).toBeGreaterThanOrEqual(reported);
    expect(lines.length).toBeLessThanOrEqual(reported + 1);
    const bad = lines.findIndex((line, i) => line !== `L${i} ${'x'.repeat(i % 90)} END${i}`);
    expect(bad).toBe(-1);
  });
});
