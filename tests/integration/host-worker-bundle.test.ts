// Each host's thread keeps the host worker's script text, and V8 keeps a string at two bytes a character when one
// character is outside Latin-1: one `…` in a comment made the 148 KB bundle 297 KB in every host worker. The build
// drops comments and escapes the rest to ASCII (electron.vite.config.ts); this holds it to that.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hostWorkerUrl } from '../support/built';

/** The first character V8 could not keep in a one-byte string, with its line and column (1-based); null if none. */
function firstWideCharacter(text: string): { line: number; column: number; character: string } | null {
  const at = text.search(/[^\u0000-\u00ff]/u);
  if (at < 0) return null;
  const before = text.slice(0, at).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1, character: String.fromCodePoint(text.codePointAt(at)!) };
}

describe('the built host worker', () => {
  it('finds a character outside Latin-1 and says where', () => {
    expect(firstWideCharacter('const a = 1;\n// cut lines end with …\n')).toEqual({ line: 2, column: 23, character: '…' });
    expect(firstWideCharacter('/^com[0-9¹²³]$/ and "naïve"')).toBeNull(); // Latin-1 stays one byte
  });

  it('is Latin-1 text throughout, so each host keeps it at one byte a character', () => {
    const folder = fileURLToPath(new URL('.', hostWorkerUrl));
    const files = readdirSync(folder).filter((f) => f.startsWith('host-') && f.endsWith('.cjs')); // host-worker.cjs and its pieces
    expect(files.length).toBeGreaterThan(1); // the entry and its lazily loaded pieces
    const wide = files.map((file) => ({ file, wide: firstWideCharacter(readFileSync(`${folder}${file}`, 'utf8')) })).filter((f) => f.wide);
    expect(wide).toEqual([]);
  });

  it('has pieces that take their shared code from host-os.cjs, never from the entry, which would start a second host OS', () => {
    const folder = fileURLToPath(new URL('.', hostWorkerUrl));
    const pieces = readdirSync(folder).filter((f) => /^host-.*-.*\.cjs$/.test(f) && f !== 'host-os.cjs');
    const required = pieces.flatMap((file) => [...readFileSync(`${folder}${file}`, 'utf8').matchAll(/require\("\.\/([^"]+)"\)/g)].map((m) => m[1]));
    expect(required).toContain('host-os.cjs');
    expect(required).not.toContain('host-worker.cjs');
  });
});
