// The .zip container for pre-deflated entries (logs/zip-writer.ts) and the session export built on it
// (logs/session-archive.ts), read back by yauzl (CRCs checked by the test) and, where installed, `unzip -t`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { writeArchive, type ArchiveEntry } from '../../src-main/logs/session-archive';
import { ZipWriter } from '../../src-main/logs/zip-writer';
import { readZip, zipEntryCount } from '../support/read-zip';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const temp = (): string => (dir = mkdtempSync(join(tmpdir(), 'zip-writer-')));

const unzipFound = spawnSync('unzip', ['-v'], { stdio: 'ignore' }).error === undefined;
/** Info-ZIP's own test of every entry (CRCs, sizes, the directory); skipped, saying so, without `unzip`. */
function expectUnzipTestPasses(file: string): void {
  if (!unzipFound) return console.warn('unzip not installed: archive checked by yauzl only');
  const run = spawnSync('unzip', ['-tqq', file], { encoding: 'utf8' });
  expect(run.status, run.stdout + run.stderr).toBe(0);
}

/** Lines as a log has them, varied enough that deflate has work to do. */
function logText(bytes: number, seed: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `[00000${(i * 7919 + seed) % 99991}] [12/04/2026 05:${String(i % 60).padStart(2, '0')}:00.${i % 1000}] [INFO] Role WebRole1_IN_${i % 13} heartbeat ${((i * 2654435761) >>> 0).toString(16)}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

describe('ZipWriter', () => {
  it('writes stored and deflated entries, one known up front and one patched after its data, that yauzl and unzip read back', async () => {
    const file = join(temp(), 'a.zip');
    const zip = await ZipWriter.create(file);
    const mtime = new Date(2026, 11, 4, 5, 30, 12);
    const small = Buffer.from('hello, fabric\n');
    const deflated = deflateRawSync(small);
    await zip.begin({ name: 'small.txt', mtime, method: 8, size: small.length, crc: crc32(small), compressedSize: deflated.length });
    await zip.data(deflated);
    await zip.end(crc32(small));
    // Two pieces deflated on their own: the first ends with a sync flush, the second is final.
    const big = logText(300_000, 1);
    const first = deflateRawSync(big.subarray(0, 100_000), { finishFlush: 2 /* Z_SYNC_FLUSH */ });
    const second = deflateRawSync(big.subarray(100_000));
    await zip.begin({ name: 'logs/WaAppAgent.log', mtime, method: 8, size: big.length });
    await zip.data(first);
    await zip.data(second);
    await zip.end(crc32(big));
    await zip.begin({ name: 'empty/é.log', mtime, method: 0, size: 0, crc: 0, compressedSize: 0 });
    await zip.end(0);
    await zip.close();

    const entries = await readZip(file);
    expect([...entries.keys()]).toEqual(['small.txt', 'logs/WaAppAgent.log', 'empty/é.log']);
    expect(entries.get('small.txt')!.data.equals(small)).toBe(true);
    expect(entries.get('logs/WaAppAgent.log')!.data.equals(big)).toBe(true);
    expect(entries.get('empty/é.log')!.data.length).toBe(0);
    expect(entries.get('small.txt')!.mtime.getTime()).toBe(new Date(2026, 11, 4, 5, 30, 12).getTime());
    expectUnzipTestPasses(file);
  });

  it('switches to zip64 records past 65,535 entries', async () => {
    const file = join(temp(), 'many.zip');
    const zip = await ZipWriter.create(file);
    const mtime = new Date();
    const count = 65_540;
    for (let i = 0; i < count; i++) {
      const data = Buffer.from(String(i));
      await zip.begin({ name: `f/${i}`, mtime, method: 0, size: data.length, crc: crc32(data), compressedSize: data.length });
      await zip.data(data);
      await zip.end(crc32(data));
    }
    await zip.close();
    // The 16-bit count alone would say 4; yauzl reads the zip64 end record's. Reading 65,540 entries through
    // yauzl takes seconds, so their bytes are checked by unzip where it is installed.
    expect(await zipEntryCount(file)).toBe(count);
    expectUnzipTestPasses(file);
  });

  it('refuses data that does not match what an entry began with, a name too long, and data outside an entry', async () => {
    const zip = await ZipWriter.create(join(temp(), 'bad.zip'));
    const mtime = new Date();
    await expect(zip.data(Buffer.from('x'))).rejects.toThrow('zip data outside an entry');
    await expect(zip.begin({ name: 'n'.repeat(70_000), mtime, method: 0, size: 0 })).rejects.toThrow('zip entry name longer than 65,535 bytes');
    await zip.begin({ name: 'a', mtime, method: 0, size: 1, crc: crc32(Buffer.from('a')), compressedSize: 1 });
    await zip.data(Buffer.from('b'));
    await expect(zip.end(crc32(Buffer.from('b')))).rejects.toThrow('zip entry a: its data does not match the CRC and size it began with');
    await zip.abort();
  });
});

describe('writeArchive', () => {
  function entry(root: string, name: string, data: Buffer | null): ArchiveEntry {
    const file = join(root, name.replace(/\//g, '_'));
    if (data) writeFileSync(file, data);
    return { name, file, size: data?.length ?? 100, mtime: new Date() };
  }

  it('archives files of several pieces, empty files and the extras, and leaves out a file gone before its turn', async () => {
    const root = temp();
    const big = logText(9 * 2 ** 20 + 12_345, 2); // three pieces
    const entries = [entry(root, 'a/big.log', big), entry(root, 'a/empty.log', Buffer.alloc(0)), entry(root, 'a/gone.log', null), entry(root, 'b/small.log', logText(5000, 3))];
    const target = join(root, 'out.zip');
    const progress: number[] = [];
    const result = await writeArchive(entries, { target, extra: [{ name: 'manifest.json', data: Buffer.from('{}\n') }], onProgress: (done) => progress.push(done) });
    expect(result.files).toBe(4);
    const read = await readZip(target);
    expect([...read.keys()]).toEqual(['manifest.json', 'a/big.log', 'a/empty.log', 'b/small.log']);
    expect(read.get('a/big.log')!.data.equals(big)).toBe(true);
    expect(progress.at(-1)).toBe(big.length + 5000);
    expect(statSync(target).size).toBeLessThan(big.length / 2);
    expectUnzipTestPasses(target);
  });

  it('fails, naming the file, when a file shrank after the walk, and leaves no archive or partial file', async () => {
    const root = temp();
    const shrunk = entry(root, 'c/shrunk.log', logText(6 * 2 ** 20, 4));
    truncateSync(shrunk.file, 2 ** 20);
    const target = join(root, 'out.zip');
    await expect(writeArchive([entry(root, 'c/first.log', logText(1000, 5)), shrunk], { target, extra: [] })).rejects.toThrow(/c\/shrunk\.log shrank from 6291456 bytes while it was exported/);
    expect(existsSync(target) || existsSync(`${target}.partial`)).toBe(false);
  });

  it('lets go of the file of an entry whose later pieces are never read after a failure', async () => {
    const root = temp();
    // Said to hold 400 MiB (100 pieces, more than are ever in flight), it holds 1 MiB: the first piece fails.
    const file = join(root, 'big.log');
    writeFileSync(file, logText(2 ** 20, 6));
    const claimed: ArchiveEntry = { name: 'big.log', file, size: 400 * 2 ** 20, mtime: new Date() };
    await expect(writeArchive([claimed], { target: join(root, 'out.zip'), extra: [] })).rejects.toThrow(/big\.log shrank/);
    if (!existsSync('/proc/self/fd')) return console.warn('no /proc/self/fd: descriptors not checked');
    const openOnFile = readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === file;
      } catch {
        return false; // closed while listed
      }
    });
    expect(openOnFile).toEqual([]);
  });
});
