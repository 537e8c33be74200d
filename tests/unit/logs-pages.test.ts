// Reading logs by pages: any page of a million-line file, a file that grows between reads, a clear
// error past the end, and the current file with its earlier rotations.
import { appendFileSync, mkdtempSync, openSync, closeSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRotations, LogPageError, LogPageReader, readPage } from '../../src-main/logs/log-pages';
import { LogWriter } from '../../src-main/logs/log-writer';
import { instanceFolder, vmPathToFile, waHostBootstrapperLogPath } from '../../src-main/logs/instance-paths';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fabric-lab-logs-pages-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const lineAt = (i: number): string => `[00000020] line ${i} ${'é'.repeat(i % 5)}`;
const range = (from: number, count: number): string[] => Array.from({ length: count }, (_, k) => lineAt(from + k));

describe('a file of 1,000,000 lines', () => {
  const million = 1_000_000;
  let file: string;

  beforeAll(() => {
    file = join(dir, 'million.log');
    const fd = openSync(file, 'w');
    for (let start = 0; start < million; start += 50_000) writeSync(fd, `${range(start, 50_000).join('\n')}\n`);
    closeSync(fd);
  });

  it('reads its first, a middle and its last page, with the total', async () => {
    const reader = new LogPageReader();
    expect(await reader.readPage(file, 0, 100)).toEqual({ file, fromLine: 0, lines: range(0, 100), total: million });
    expect((await reader.readPage(file, 531_777, 250)).lines).toEqual(range(531_777, 250));
    expect((await reader.readPage(file, 1_024 * 300, 3)).lines).toEqual(range(1_024 * 300, 3)); // exactly on an indexed line
    const last = await reader.readPage(file, million - 40, 100);
    expect(last.lines).toEqual(range(million - 40, 40));
    expect(last.total).toBe(million);
  });

  it('answers a page past the end with the rule and the file name', async () => {
    const attempt = readPage(file, million, 10);
    await expect(attempt).rejects.toBeInstanceOf(LogPageError);
    await expect(readPage(file, million, 10)).rejects.toMatchObject({ code: 'PageOutOfRange' });
    await expect(readPage(file, million + 5, 10)).rejects.toThrow(
      `The page starting at line ${million + 5} is past the end of ${file}: it has ${million} lines, numbered from 0, so a page must start at line ${million - 1} or before.`,
    );
  });
});

describe('paging a log that is being written', () => {
  it('extends its index as the file grows between reads', async () => {
    const file = join(dir, 'growing.log');
    const reader = new LogPageReader({ stride: 4, chunkBytes: 64 }); // small: chunk edges and index steps are crossed often
    const writer = new LogWriter(file);
    writer.writeLines(range(0, 10));
    expect(await reader.readPage(file, 8, 10)).toMatchObject({ lines: range(8, 2), total: 10 });
    writer.writeLines(range(10, 25));
    expect(await reader.readPage(file, 8, 10)).toMatchObject({ lines: range(8, 10), total: 35 });
    expect((await reader.readPage(file, 33, 10)).lines).toEqual(range(33, 2));
    expect(await reader.lineCount(file)).toBe(35);
    writer.close();
  });

  it('counts a last line still without its newline, and reads it when it is finished', async () => {
    const file = join(dir, 'partial.log');
    writeFileSync(file, 'one\ntw');
    const reader = new LogPageReader({ stride: 2 });
    expect(await reader.readPage(file, 0, 5)).toMatchObject({ lines: ['one', 'tw'], total: 2 });
    appendFileSync(file, 'o\r\nthree\n');
    expect(await reader.readPage(file, 1, 5)).toMatchObject({ lines: ['two', 'three'], total: 3 });
  });

  it('answers a page as one text, the same lines joined by newlines, whatever the chunk edges', async () => {
    // Empty lines, CRLF, a lone CR kept inside a line, multi-byte characters cut by chunk edges, no newline at the end.
    const lines = ['', 'a\r', 'é€😀 b', '', '', 'x\ry', '\r', 'last before', ...Array.from({ length: 40 }, (_, i) => `${'ü'.repeat(i % 7)}line ${i}`), 'no newline\r'];
    const file = join(dir, 'text-pages.log');
    writeFileSync(file, `${lines.join('\n').replace('a\r\n', 'a\r\r\n')}`); // one CRLF line ends "\r\r\n": only its last CR goes
    const expected = lines.map((l, i) => (i === 1 ? 'a\r' : l.replace(/\r$/, '')));
    for (const chunkBytes of [1, 3, 7, 64, 1 << 20]) {
      const reader = new LogPageReader({ stride: 4, chunkBytes });
      for (const [from, count] of [[0, 1], [0, 5], [1, 2], [3, 1], [6, 3], [0, 10_000], [lines.length - 1, 5], [lines.length - 3, 2], [9, 40]] as const) {
        const want = expected.slice(from, from + count);
        const text = await reader.readText(file, from, count);
        expect(text, `chunk ${chunkBytes}, page ${from}+${count}`).toEqual({ file, fromLine: from, text: want.join('\n'), count: want.length, total: lines.length });
        expect((await reader.readPage(file, from, count)).lines).toEqual(want);
      }
    }
    writeFileSync(file, '');
    expect(await new LogPageReader().readText(file, 0, 10)).toEqual({ file, fromLine: 0, text: '', count: 0, total: 0 });
    writeFileSync(file, '\n\n');
    expect(await new LogPageReader().readText(file, 0, 10)).toMatchObject({ text: '\n', count: 2, total: 2 });
  });

  it('starts over when the file is rotated under the same name', async () => {
    const file = join(dir, 'WaHostBootstrapper.log');
    const reader = new LogPageReader({ stride: 2 });
    const writer = new LogWriter(file);
    writer.writeLines(range(0, 9));
    expect((await reader.readPage(file, 0, 20)).total).toBe(9);
    writer.rotate();
    writer.writeLines(['after restart']);
    expect(await reader.readPage(file, 0, 20)).toMatchObject({ lines: ['after restart'], total: 1 });
    writer.close();
  });

  it('reads an empty file as an empty first page, and refuses bad requests and missing files', async () => {
    const file = join(dir, 'empty.log');
    writeFileSync(file, '');
    expect(await readPage(file, 0, 10)).toEqual({ file, fromLine: 0, lines: [], total: 0 });
    await expect(readPage(file, 1, 10)).rejects.toMatchObject({ code: 'PageOutOfRange' });
    await expect(readPage(file, -1, 10)).rejects.toMatchObject({ code: 'BadPageRequest' });
    await expect(readPage(file, 0, 0)).rejects.toMatchObject({ code: 'BadPageRequest' });
    await expect(readPage(file, 0, 1_000_000)).rejects.toThrow(/1 to 10000 lines/);
    await expect(readPage(join(dir, 'nope.log'), 0, 10)).rejects.toMatchObject({ code: 'LogNotFound' });
  });
});

describe('listRotations', () => {
  it('lists the current file first, then earlier rotations newest first, by VM path', async () => {
    const root = instanceFolder(dir, 'deployment3(3)', 'WebRole1_IN_0');
    const vmPath = waHostBootstrapperLogPath('deployment3(3)', 'WebRole1');
    const writer = new LogWriter(vmPathToFile(root, vmPath));
    for (const run of [1, 2, 3]) {
      writer.write(`bootstrapper run ${run}`);
      if (run < 3) writer.rotate();
    }
    writer.close();
    const versions = await listRotations(root, vmPath);
    const store = 'C:\\Resources\\Directory\\deployment3(3).WebRole1.DiagnosticStore';
    expect(versions.map((v) => [v.vmPath, v.current, v.rotation])).toEqual([
      [`${store}\\WaHostBootstrapper.log`, true, 0],
      [`${store}\\WaHostBootstrapper.002.log`, false, 2],
      [`${store}\\WaHostBootstrapper.001.log`, false, 1],
    ]);
    expect((await readPage(versions[2]!.file, 0, 10)).lines).toEqual(['bootstrapper run 1']);
    expect(await listRotations(root, 'C:\\Logs\\never-written.log')).toEqual([]);
  });
});
