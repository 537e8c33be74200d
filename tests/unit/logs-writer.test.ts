// The writer a host worker uses: lines are on disk as soon as write() returns, none is kept in memory,
// and rotation keeps the old file under a stable name.
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LogFiles } from '../../src-main/logs/log-files';
import { DescriptorBudget, LogWriter } from '../../src-main/logs/log-writer';
import { rotatedFileName, rotatedFilesOf } from '../../src-main/logs/log-rotation';
import { waAppAgentLogPath, waHostBootstrapperLogPath } from '../../src-main/logs/instance-paths';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fabric-lab-logs-writer-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const read = (file: string): string[] => readFileSync(file, 'utf8').split('\n').slice(0, -1);

describe('LogWriter', () => {
  it('puts each line in the file before write() returns, creating the folders', () => {
    const file = join(dir, 'C', 'Logs', 'WaAppAgent.log');
    const writer = new LogWriter(file);
    writer.write('first');
    expect(read(file)).toEqual(['first']);
    writer.writeLines(['second', 'third']);
    expect(read(file)).toEqual(['first', 'second', 'third']);
    expect(writer.lineCount).toBe(3);
    writer.close();
  });

  it('splits text holding newlines into lines, so counts and pages stay right', () => {
    const file = join(dir, 'x.log');
    const writer = new LogWriter(file);
    writer.write('a\nb\r\nc');
    expect(read(file)).toEqual(['a', 'b', 'c']);
    expect(writer.lineCount).toBe(3);
    writer.close();
  });

  it('hands each write its lines to the listeners and keeps none itself: the file has every line, whole', () => {
    const writer = new LogWriter(join(dir, 'x.log'));
    const heard: string[][] = [];
    writer.onLines((lines) => heard.push([...lines]));
    for (let i = 0; i < 12; i++) writer.write(`line ${i}`);
    writer.writeLines(['a', 'y'.repeat(100_000)]);
    expect(heard).toHaveLength(13);
    expect(heard[11]).toEqual(['line 11']);
    expect(heard[12]).toEqual(['a', 'y'.repeat(100_000)]);
    expect(read(writer.file).at(-1)).toBe('y'.repeat(100_000));
    expect(writer.lineCount).toBe(14);
    writer.close();
  });

  it('tells listeners about new lines until they unsubscribe', () => {
    const writer = new LogWriter(join(dir, 'x.log'));
    const seen: string[] = [];
    const stop = writer.onLines((lines) => seen.push(...lines));
    writer.writeLines(['a', 'b']);
    stop();
    writer.write('c');
    expect(seen).toEqual(['a', 'b']);
    writer.close();
  });

  it('continues an existing file: counts its lines and ends a torn last line', () => {
    const file = join(dir, 'x.log');
    writeFileSync(file, 'one\ntwo\nthr');
    const writer = new LogWriter(file);
    expect(writer.lineCount).toBe(3);
    writer.write('four');
    expect(read(file)).toEqual(['one', 'two', 'thr', 'four']);
    writer.close();
  });

  it('refuses to write after close, with the file named', () => {
    const writer = new LogWriter(join(dir, 'x.log'));
    writer.close();
    expect(() => writer.write('late')).toThrow(/x\.log is closed/);
  });
});

describe('rotation', () => {
  it('keeps the old file under the next number and starts a new one', () => {
    const file = join(dir, 'WaHostBootstrapper.log');
    const writer = new LogWriter(file);
    writer.write('bootstrapper run 1');
    expect(writer.rotate()).toBe(join(dir, 'WaHostBootstrapper.001.log'));
    expect(writer.lineCount).toBe(0);
    expect(read(file)).toEqual([]);
    writer.write('bootstrapper run 2');
    expect(writer.rotate()).toBe(join(dir, 'WaHostBootstrapper.002.log'));
    writer.write('bootstrapper run 3');
    expect(read(join(dir, 'WaHostBootstrapper.001.log'))).toEqual(['bootstrapper run 1']);
    expect(read(join(dir, 'WaHostBootstrapper.002.log'))).toEqual(['bootstrapper run 2']);
    expect(read(file)).toEqual(['bootstrapper run 3']);
    expect(rotatedFilesOf(file).map((r) => r.number)).toEqual([1, 2]);
    writer.close();
  });

  it('does not keep an empty file, and deletes the oldest beyond keepRotations', () => {
    const file = join(dir, 'AppAgentRuntime.log');
    const writer = new LogWriter(file, { keepRotations: 2 });
    expect(writer.rotate()).toBeNull();
    for (let run = 1; run <= 4; run++) {
      writer.write(`run ${run}`);
      writer.rotate();
    }
    expect(readdirSync(dir).filter((f) => !f.endsWith('.levels')).sort()).toEqual(['AppAgentRuntime.003.log', 'AppAgentRuntime.004.log', 'AppAgentRuntime.log']);
    writer.close();
  });

  it('numbers past 999 and sorts rotations by number, not by name', () => {
    const file = join(dir, 'a.log');
    writeFileSync(rotatedFileName(file, 999), 'x\n');
    const writer = new LogWriter(file);
    writer.write('y');
    expect(writer.rotate()).toBe(join(dir, 'a.1000.log'));
    expect(rotatedFilesOf(file).map((r) => r.number)).toEqual([999, 1000]);
    writer.close();
  });
});

describe('LogFiles', () => {
  it('owns one writer per VM path (case-insensitive, as on the VM) and closes them all', () => {
    const files = new LogFiles(join(dir, 'instances', 'deployment3(3)', 'WorkerRole1_IN_0'));
    const agent = files.open(waAppAgentLogPath);
    expect(files.open('c:\\logs\\waappagent.log')).toBe(agent);
    files.write(waHostBootstrapperLogPath('deployment3(3)', 'WorkerRole1'), 'a', 'b');
    files.write(waAppAgentLogPath, 'heartbeat');
    expect(files.vmPaths()).toEqual([waAppAgentLogPath, waHostBootstrapperLogPath('deployment3(3)', 'WorkerRole1')]);
    expect(read(agent.file)).toEqual(['heartbeat']);
    expect(existsSync(join(files.instanceRoot, 'C', 'Resources', 'Directory', 'deployment3(3).WorkerRole1.DiagnosticStore', 'WaHostBootstrapper.log'))).toBe(true);
    files.closeAll();
    expect(agent.closed).toBe(true);
    expect(files.get(waAppAgentLogPath)).toBeUndefined();
  });
});

describe('the descriptor budget', () => {
  /** Descriptors this process holds on files under the test folder (Linux's /proc; null elsewhere). */
  const openHere = (): number | null => {
    try {
      return readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir);
        } catch {
          return false;
        }
      }).length;
    } catch {
      return null;
    }
  };

  it('keeps at most its limit of logs open, another letting go, and every line lands in its file', () => {
    const budget = new DescriptorBudget(2);
    const files = ['a.log', 'b.log', 'c.log'].map((name) => join(dir, name));
    const writers = files.map((file) => new LogWriter(file, { descriptors: budget, levelIndex: false }));
    for (let round = 0; round < 5; round++) for (const [i, w] of writers.entries()) w.write(`line ${round} of ${i}`);
    expect(budget.openCount).toBe(2);
    const held = openHere();
    if (held !== null) expect(held).toBe(2);
    for (const [i, file] of files.entries()) expect(read(file)).toEqual([0, 1, 2, 3, 4].map((round) => `line ${round} of ${i}`));
    // A writer that let go rotates and closes as any other.
    expect(writers[0]!.rotate()).toBe(rotatedFileName(files[0]!, 1));
    writers[0]!.write('after the rotation');
    expect(read(files[0]!)).toEqual(['after the rotation']);
    for (const w of writers) w.close();
    expect(budget.openCount).toBe(0);
    if (held !== null) expect(openHere()).toBe(0);
    expect(() => writers[1]!.write('late')).toThrow(/is closed/);
  });

  it('does not reopen every log in turn when more are written steadily than it holds', () => {
    const budget = new DescriptorBudget(2);
    const writers = ['a', 'b', 'c'].map((name) => new LogWriter(join(dir, `${name}.log`), { descriptors: budget, levelIndex: false }));
    const rounds = 30;
    for (let round = 0; round < rounds; round++) for (const w of writers) w.write(`line ${round}`);
    // Least recently written first let one go at every write after the first two: 88. Now one of the three keeps its
    // descriptor each round (no policy does better than about one and a half a round here).
    expect(budget.released).toBeLessThanOrEqual(2 * rounds + 2);
    for (const name of ['a', 'b', 'c']) expect(read(join(dir, `${name}.log`))).toHaveLength(rounds);
    for (const w of writers) w.close();
  });

  it('lets the busy log keep its descriptor while the quiet ones share the rest', () => {
    const budget = new DescriptorBudget(2);
    const busy = new LogWriter(join(dir, 'busy.log'), { descriptors: budget, levelIndex: false });
    const quiet = ['q1', 'q2', 'q3'].map((name) => new LogWriter(join(dir, `${name}.log`), { descriptors: budget, levelIndex: false }));
    const round = (n: number) => {
      for (let i = 0; i < 4; i++) busy.write(`busy ${n}.${i}`);
      for (const q of quiet) q.write(`quiet ${n}`);
    };
    round(0);
    const released = vi.spyOn(busy, 'release');
    for (let n = 1; n < 20; n++) round(n);
    expect(released).not.toHaveBeenCalled();
    expect(read(join(dir, 'busy.log'))).toHaveLength(80);
    for (const w of [busy, ...quiet]) w.close();
  });
});
