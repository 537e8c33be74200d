// Hostile archives: every one is refused with its rule, and — for everything the central directory can
// reveal — before a single byte is written to the target folder.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSymlinkEntry, safeUnzip, unsafeEntryName } from '../../src-main/package/safe-unzip';
import { writeRawZip, writeZip } from '../fixtures/packages/zip-builder';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fabric-lab-zip-test-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

let n = 0;
const paths = () => {
  n++;
  return { zip: join(dir, `a${n}.zip`), target: join(dir, `t${n}`) };
};

async function refused(zip: string, target: string, rule: string, limits = {}) {
  const r = await safeUnzip(zip, target, limits);
  expect(r.ok).toBe(false);
  expect(r.diagnostics.map((d) => d.rule)).toContain(rule);
  expect(r.diagnostics.every((d) => d.severity === 'error' && d.file === zip)).toBe(true);
  return r;
}

describe('safe unzip', () => {
  it('extracts a normal archive', async () => {
    const { zip, target } = paths();
    await writeZip(zip, [
      { name: 'a.txt', data: 'hello' },
      { name: 'dir/b.txt', data: 'x'.repeat(5000) },
    ]);
    const r = await safeUnzip(zip, target);
    expect(r).toMatchObject({ ok: true, files: ['a.txt', 'dir/b.txt'], diagnostics: [] });
    expect(readFileSync(join(target, 'dir', 'b.txt'), 'utf8')).toHaveLength(5000);
  });

  it.each([
    ['../evil.txt', 'zip.path-escape'],
    ['a/../../evil.txt', 'zip.path-escape'],
    ['..\\..\\evil.txt', 'zip.path-escape'],
    ['a\\..\\..\\evil.txt', 'zip.path-escape'],
    ['/etc/evil.txt', 'zip.absolute-path'],
    ['\\\\server\\share\\evil.txt', 'zip.absolute-path'],
    ['C:/Windows/evil.txt', 'zip.absolute-path'],
    ['c:evil.txt', 'zip.absolute-path'],
  ])('refuses the entry name %j (%s) before writing anything', async (name, rule) => {
    const { zip, target } = paths();
    await writeRawZip(zip, [{ name: 'ok.txt', data: 'fine' }, { name, data: 'pwned' }]);
    await refused(zip, target, rule);
    expect(existsSync(target)).toBe(false);
    expect(existsSync(join(dir, 'evil.txt'))).toBe(false);
  });

  it('refuses symbolic links (yazl sets the Unix mode bits)', async () => {
    const { zip, target } = paths();
    await writeZip(zip, [{ name: 'ok.txt', data: 'fine' }, { name: 'link', data: '/etc/passwd', mode: 0o120777 }]);
    await refused(zip, target, 'zip.symlink');
    expect(existsSync(target)).toBe(false);
    expect(isSymlinkEntry(0o120777 << 16)).toBe(true);
    expect(isSymlinkEntry(0o100644 << 16)).toBe(false);
  });

  it('refuses a zip bomb by its compression ratio', async () => {
    const { zip, target } = paths();
    await writeZip(zip, [{ name: 'zeros.bin', data: Buffer.alloc(20 * 1024 * 1024) }]);
    const r = await refused(zip, target, 'zip.ratio');
    expect(r.diagnostics[0]!.message).toMatch(/zip bomb/);
    expect(existsSync(target)).toBe(false);
  });

  it('refuses an archive whose declared size passes the limit', async () => {
    const { zip, target } = paths();
    await writeRawZip(zip, [{ name: 'huge.bin', data: 'tiny', deflate: true, declaredSize: 0xfffffff0 }]);
    await refused(zip, target, 'zip.too-large');
    expect(existsSync(target)).toBe(false);
  });

  it('stops when an entry produces more bytes than its header declares, and leaves nothing behind', async () => {
    const { zip, target } = paths();
    await writeRawZip(zip, [
      { name: 'first.txt', data: 'ok' },
      { name: 'liar.bin', data: Buffer.alloc(100_000, 7), deflate: true, declaredSize: 10 },
    ]);
    await refused(zip, target, 'zip.too-large');
    expect(existsSync(target) ? readdirSync(target, { recursive: true }).filter((f) => !String(f).endsWith('/')) : []).toEqual([]);
  });

  it('counts the real bytes against the total limit', async () => {
    const { zip, target } = paths();
    await writeZip(zip, [
      { name: 'a.bin', data: Buffer.alloc(6000, 1), compress: false },
      { name: 'b.bin', data: Buffer.alloc(6000, 2), compress: false },
    ]);
    await refused(zip, target, 'zip.too-large', { maxTotalBytes: 10_000 });
  });

  it('refuses too many entries (the default limit is 10,000)', async () => {
    const { zip, target } = paths();
    await writeZip(zip, Array.from({ length: 10_001 }, (_, i) => ({ name: `f${i}.txt`, data: '', compress: false })));
    const r = await refused(zip, target, 'zip.too-many-entries');
    expect(r.diagnostics[0]!.message).toContain('10000');
    expect(existsSync(target)).toBe(false);
  });

  it('refuses duplicate names, encrypted-looking and unreadable archives', async () => {
    const { zip, target } = paths();
    await writeRawZip(zip, [{ name: 'A.txt', data: '1' }, { name: 'a.txt', data: '2' }]);
    await refused(zip, target, 'zip.duplicate-entry');
    const bad = paths();
    await writeZip(bad.zip, [{ name: 'x', data: 'y' }]);
    const truncated = readFileSync(bad.zip).subarray(0, 20);
    await import('node:fs/promises').then((fs) => fs.writeFile(bad.zip, truncated));
    await refused(bad.zip, bad.target, 'zip.corrupt');
  });

  it('names what is unsafe about a name', () => {
    expect(unsafeEntryName('roles/W/approot/x.dll')).toBeUndefined();
    expect(unsafeEntryName('a..b/c')).toBeUndefined();
    expect(unsafeEntryName('a/\0b')?.rule).toBe('zip.path-escape');
  });
});
