import { existsSync } from 'node:fs';
import { chromium, defineConfig } from '@playwright/test';
import { findChromium } from './tests/support/chromium.mjs';

// tests/support/chromium.mjs chooses; Playwright's own needs no executablePath (undefined).
function chromiumPath(): string | undefined {
  const found = findChromium({ env: process.env, playwrightPath: chromium.executablePath(), exists: existsSync });
  return found && found.kind !== 'playwright' ? found.path : undefined;
}

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results/e2e',
  workers: 1,
  timeout: 60_000,
  reporter: [['list'], ['json', { outputFile: 'test-results/playwright.json' }]],
  use: {
    browserName: 'chromium',
    viewport: { width: 1400, height: 900 },
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromiumPath(),
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
});
