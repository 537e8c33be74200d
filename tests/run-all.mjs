// The one test command: type-check, lint (typescript-eslint; dependency-cruiser for the layers and cycles),
// build, unit + integration tests (vitest), end-to-end tests (Playwright), then one closing line
// `N passed, N failed[, N skipped]` over every kind of test.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const results = 'test-results';
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

function run(title, command, args) {
  console.log(`\n=== ${title}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  return result.status === 0;
}

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const steps = [];
const checks = [
  ['Type-check (TypeScript)', npx, ['tsc', '-b', 'tsconfig.json']],
  ['Type-check (Svelte)', npx, ['svelte-check', '--tsconfig', './tsconfig.web.json', '--fail-on-warnings']],
  ['Lint (typescript-eslint)', npx, ['eslint', '.']],
  ['Layers and import cycles (dependency-cruiser)', npx, ['depcruise', 'src-main', 'src-renderer', '--config', '.dependency-cruiser.cjs']],
  ['Build', npx, ['electron-vite', 'build']],
];
for (const [title, command, args] of checks) {
  if (!run(title, command, args)) {
    console.log(`\n${title} failed; the tests did not run.\n0 passed, 1 failed`);
    process.exit(1);
  }
}

steps.push(['vitest', run('Unit and integration tests', npx, ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${results}/vitest.json`])]);
steps.push(['playwright', run('End-to-end tests', npx, ['playwright', 'test'])]);

let passed = 0;
let failed = 0;
let skipped = 0;
const vitest = `${results}/vitest.json`;
if (existsSync(vitest)) {
  const report = JSON.parse(readFileSync(vitest, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
}
const playwright = `${results}/playwright.json`;
if (existsSync(playwright)) {
  const { stats } = JSON.parse(readFileSync(playwright, 'utf8'));
  passed += stats.expected + stats.flaky;
  failed += stats.unexpected;
  skipped += stats.skipped;
}
// A runner that failed without reporting any failed test (it crashed, or found nothing) still fails the run.
for (const [name, ok] of steps) {
  if (!ok && failed === 0) {
    console.log(`${name} failed without reporting a failed test.`);
    failed += 1;
  }
}
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
