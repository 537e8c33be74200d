// `npm test` passes in a clone with no ../shared beside it and on a machine without Debian's chromium.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureChromium, findChromium, systemChromiumPaths } from '../support/chromium.mjs';

const repoRoot = resolve(import.meta.dirname, '../..');
const playwrightPath = '/home/user/.cache/ms-playwright/chromium-1/chrome';

describe('the end-to-end tests’ Chromium', () => {
  it('is PLAYWRIGHT_CHROMIUM_PATH, else Playwright’s own, else the system’s, else none', () => {
    const on = (...paths: string[]) => (p: string) => paths.includes(p);
    expect(findChromium({ env: { PLAYWRIGHT_CHROMIUM_PATH: '/opt/c' }, playwrightPath, exists: on() })).toEqual({ kind: 'env', path: '/opt/c' });
    expect(findChromium({ env: {}, playwrightPath, exists: on(playwrightPath, '/usr/bin/chromium') })).toEqual({ kind: 'playwright', path: playwrightPath });
    expect(findChromium({ env: {}, playwrightPath, exists: on('/usr/bin/chromium-browser') })).toEqual({ kind: 'system', path: '/usr/bin/chromium-browser' });
    expect(findChromium({ env: {}, playwrightPath, exists: on() })).toBeNull();
  });

  it('is installed (Playwright’s own) when there is none, and the log says so', () => {
    const log: string[] = [];
    let installs = 0;
    expect(ensureChromium({ found: null, playwrightPath, log: (l) => log.push(l), install: () => (installs++, true) })).toBe(true);
    expect(installs).toBe(1);
    expect(log[0]).toBe(`No Chromium found (not Playwright's at ${playwrightPath}, nor ${systemChromiumPaths.join(' or ')}): installing Playwright's own (npx playwright install chromium).`);
    // An install that fails says what to do instead, and the end-to-end tests do not run.
    expect(ensureChromium({ found: null, playwrightPath, log: (l) => log.push(l), install: () => false })).toBe(false);
    expect(log.at(-1)).toMatch(/set PLAYWRIGHT_CHROMIUM_PATH/);
    // One that is there is named, and nothing is installed.
    expect(ensureChromium({ found: { kind: 'system', path: '/usr/bin/chromium' }, playwrightPath, log: (l) => log.push(l), install: () => (installs++, true) })).toBe(true);
    expect(installs).toBe(1);
    expect(log.at(-1)).toBe("End-to-end tests use the system's Chromium: /usr/bin/chromium");
  });
});

describe('a clone without ../shared', () => {
  it('skips the corpus tests, saying why, and passes', () => {
    const run = spawnSync(process.execPath, [resolve(repoRoot, 'node_modules/vitest/vitest.mjs'), 'run', 'tests/unit/package-corpus.test.ts'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, FABRIC_LAB_CORPUS: resolve(repoRoot, 'no-such-shared/corpus/real') },
      timeout: 60_000,
    });
    const output = run.stdout + run.stderr;
    expect(run.status, output).toBe(0);
    expect(output).toContain('the shared real-file corpus is missing');
    expect(output).toMatch(/skipped/);
  });
});
