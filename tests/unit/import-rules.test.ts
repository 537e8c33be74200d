// The layering of docs/ARCHITECTURE.md, enforced: each folder may import only what sits below it.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|svelte)$/.test(e.name))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

/** Module specifiers in a source text: static imports and re-exports, dynamic imports, bare imports. */
function importSpecs(text: string): string[] {
  const found = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm)];
  return found.map((m) => (m[1] ?? m[2] ?? m[3])!);
}

/** Every module a file imports, resolved to a repo path for relative imports. */
function importsOf(file: string): string[] {
  return importSpecs(readFileSync(join(root, file), 'utf8')).map((spec) =>
    spec.startsWith('.') ? relative(root, resolve(root, file, '..', spec)) : spec,
  );
}

const rules: { folder: string; allowed: (spec: string) => boolean; why: string }[] = [
  { folder: 'src-main/common', allowed: (s) => s.startsWith('src-main/common/') || s === 'zod', why: 'common/ is pure TypeScript' },
  {
    folder: 'src-renderer',
    allowed: (s) => s.startsWith('src-renderer/') || s.startsWith('src-main/common/') || s === 'svelte' || s.startsWith('svelte/') || s === 'chart.js',
    why: 'the renderer talks only to the contract',
  },
  {
    folder: 'src-main/host',
    allowed: (s) => s.startsWith('src-main/host/') || s.startsWith('src-main/common/') || s.startsWith('src-main/logs/') || s.startsWith('node:'),
    why: 'host code shares only common/ (and the log library) with the fabric',
  },
  {
    folder: 'src-main/logs',
    // yazl writes the session export, node-cron schedules it (docs/LOGS.md).
    allowed: (s) => s.startsWith('src-main/logs/') || s.startsWith('src-main/common/') || s.startsWith('node:') || s === 'yazl' || s === 'node-cron',
    why: 'logs/ knows nothing of Electron, the fabric or the host',
  },
  {
    folder: 'src-main/package',
    allowed: (s) => s.startsWith('src-main/package/') || s.startsWith('src-main/common/') || s.startsWith('node:') || s === 'saxes' || s === 'yauzl',
    why: 'package/ is pure reading plus safe unzip',
  },
  {
    folder: 'src-main/management',
    // The Service Management API: a face over the fabric, like serve/ and electron/, but knowing neither.
    allowed: (s) =>
      s.startsWith('src-main/management/') || s.startsWith('src-main/fabric/') || s.startsWith('src-main/common/') || s.startsWith('node:') || s === 'node-forge' || s === 'fast-xml-parser',
    why: 'management/ is HTTPS and XML over the fabric, and knows no shell',
  },
  {
    folder: 'src-main/fabric',
    allowed: (s) => s.startsWith('src-main/fabric/') || s.startsWith('src-main/common/') || s.startsWith('src-main/package/') || s.startsWith('src-main/logs/') || s.startsWith('node:'),
    why: 'the fabric knows no transport and runs no host code',
  },
];

describe('layer import rules', () => {
  for (const rule of rules) {
    it(`${rule.folder} imports only what it may (${rule.why})`, () => {
      const files = sources(rule.folder);
      expect(files.length).toBeGreaterThan(0);
      const bad = files.flatMap((f) => importsOf(f).filter((s) => !rule.allowed(s)).map((s) => `${f} imports ${s}`));
      expect(bad).toEqual([]);
    });
  }

  it('only the Electron shell imports electron, and only the serve shell imports ws', () => {
    const all = [...sources('src-main'), ...sources('src-renderer')];
    const electron = all.filter((f) => importsOf(f).includes('electron') && !f.startsWith('src-main/electron/'));
    const ws = all.filter((f) => importsOf(f).includes('ws') && !f.startsWith('src-main/serve/'));
    expect({ electron, ws }).toEqual({ electron: [], ws: [] });
  });

  it('sees every form of import, so a violation cannot hide (the checker itself works)', () => {
    const text = [
      "import { Worker } from 'node:worker_threads';",
      "import type {\n  X,\n} from '../fabric/fabric';",
      "export { y } from './y';",
      "const m = await import('electron');",
      "import './side-effect.css';",
    ].join('\n');
    expect(importSpecs(text)).toEqual(['node:worker_threads', '../fabric/fabric', './y', 'electron', './side-effect.css']);
    expect(rules[0]!.allowed('node:worker_threads')).toBe(false);
  });
});
