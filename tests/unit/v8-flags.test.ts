// The shells' V8 flags (src-main/serve/v8-flags.ts) must reach every process that runs a fabric: they can only be
// given on a command line, so each launch line carries them, and this test holds those lines to the one list.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { electronArgs } from '../../src-main/serve/start';
import { shellV8Flags } from '../../src-main/serve/v8-flags';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const flags = shellV8Flags.join(' ');

describe('the shells V8 flags', () => {
  it('are on the npm scripts that start a shell, before the entry', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    for (const entry of ['start', 'serve', 'cli']) expect(scripts[entry], entry).toContain(`node ${flags} out/main/${entry}.js`);
  });

  it('are on the fabric-lab bin’s shebang', () => {
    expect(read('src-main/serve/cli.ts').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${flags}`);
  });

  it('are the bench’s default, so its figures are the app’s', () => {
    expect(read('tests/bench/run-bench.mjs')).toContain(`process.env.BENCH_NODE_FLAGS ?? '${flags}'`);
  });

  it('are given to Electron as --js-flags, before the app, the only way its main process’s V8 takes them', () => {
    expect(electronArgs('/app', ['--nats', 'nats://127.0.0.1:4222'])).toEqual([`--js-flags=${flags}`, '/app', '--nats', 'nats://127.0.0.1:4222']);
  });
});
