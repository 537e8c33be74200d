// A user opens an instance's WaAppAgent.log, watches heartbeats arrive, searches and filters it, and
// exports the session as one .zip (browser mode: the browser downloads it).
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import yauzl from 'yauzl';
import { appAgentLine } from '../../src-main/logs/log-formats';
import { startServe, type RunningServe } from './support/browser-mode';
import { DashboardPage } from './support/dashboard-page';

/** The log viewer dialog, found by roles and labels. */
class LogViewerPage {
  readonly dialog: Locator;
  constructor(page: Page, instance: string) {
    this.dialog = page.getByRole('dialog', { name: `Logs of ${instance}` });
  }
  file() {
    return this.dialog.getByLabel('Log file');
  }
  lines() {
    return this.dialog.getByRole('log', { name: 'Log lines' });
  }
  search() {
    return this.dialog.getByLabel('Search the log');
  }
}

function zipNames(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: false }, (error, zip) => {
      if (error || !zip) return reject(error);
      const names: string[] = [];
      zip.on('entry', (e: yauzl.Entry) => names.push(e.fileName));
      zip.on('end', () => resolve(names));
      zip.on('error', reject);
    });
  });
}

let serve: RunningServe;
let session: string;
test.beforeAll(async () => {
  session = mkdtempSync(join(tmpdir(), 'e2e-logs-'));
  serve = await startServe(['--time-scale', '1000', '--seed', '11', '--session', session]);
});
test.afterAll(async () => {
  await serve?.stop();
  rmSync(session, { recursive: true, force: true });
});

test.describe.configure({ mode: 'serial' });

test('read WaAppAgent.log live, search it, filter it, and export the session', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  const { detail } = await dashboard.deployHelloWorkerAndOpen('WorkerRole1_IN_0');
  await detail.getByRole('button', { name: 'Open logs' }).click();

  const viewer = new LogViewerPage(page, 'WorkerRole1_IN_0');
  await expect(viewer.file()).toContainText('WaAppAgent (current)');
  await expect(viewer.file().locator('option:checked')).toContainText('C:\\Logs\\WaAppAgent.log');
  const lines = viewer.lines();
  // Follow mode: the view keeps to the end, where new heartbeats arrive.
  await expect(viewer.dialog.getByLabel('Follow')).toBeChecked();
  await expect(lines).toContainText('[HEART] WindowsAzureGuestAgent Heartbeat.');
  const before = Number(await lines.getAttribute('data-total-lines'));
  await expect.poll(async () => Number(await lines.getAttribute('data-total-lines'))).toBeGreaterThan(before);
  // Virtualised: far fewer rows in the DOM than lines in the file once it is long.
  await expect.poll(async () => Number(await lines.getAttribute('data-total-lines')), { timeout: 20_000 }).toBeGreaterThan(200);
  expect(Number(await lines.getAttribute('data-rendered-rows'))).toBeLessThan(100);

  // Search: matches counted by the worker, highlighted in the visible rows, next/previous move between them.
  await viewer.search().fill('starting');
  const count = viewer.dialog.locator('[data-matches]');
  await expect(count).toHaveAttribute('data-matches', /^[1-9]\d*$/);
  await viewer.dialog.getByRole('button', { name: 'Next match' }).click();
  await expect(lines.locator('mark').first()).toHaveText('starting');
  await expect(lines.locator('.row.current')).toContainText('WindowsAzureGuestAgent starting. Version 2.7.41491.949');
  await expect(viewer.dialog.getByLabel('Follow')).not.toBeChecked();

  // A regular expression that does not parse says why, matches nothing, and matches again once fixed.
  await viewer.dialog.getByTitle('Regular expression').click();
  await viewer.search().fill('start(ing');
  await expect(viewer.dialog.getByRole('alert')).toContainText('Invalid regular expression: /start(ing/: Unterminated group');
  await expect(viewer.search()).toHaveAttribute('aria-invalid', 'true');
  await expect(count).toHaveAttribute('data-matches', '0');
  await expect(lines).toContainText('WindowsAzureGuestAgent'); // the lines still show, unmarked
  await page.screenshot({ path: 'test-results/screenshots/logs-viewer-bad-regex.png' });
  await viewer.search().fill('start(ing)');
  await expect(viewer.dialog.getByRole('alert')).toHaveCount(0);
  await expect(count).toHaveAttribute('data-matches', /^[1-9]\d*$/);
  await viewer.dialog.getByTitle('Regular expression').click();

  // Filter: heartbeats hidden, the status lines stay.
  await viewer.search().fill('');
  await viewer.dialog.getByRole('checkbox', { name: 'heartbeat' }).uncheck();
  await expect(lines).not.toContainText('[HEART]');
  await expect(lines).toContainText('status: ReadyRole');
  await page.screenshot({ path: 'test-results/screenshots/logs-viewer.png' });

  // Export: the browser downloads one zip holding the instance's drives and the fabric's logs.
  const downloading = page.waitForEvent('download');
  await viewer.dialog.getByRole('button', { name: 'Export session logs' }).click();
  const download = await downloading;
  const saved = join(session, '..', `e2e-export-${Date.now()}.zip`);
  await download.saveAs(saved);
  const names = await zipNames(saved);
  rmSync(saved, { force: true });
  expect(names).toContain('manifest.json');
  expect(names).toContain('fabric/events.jsonl');
  expect(names.some((n) => /instances\/deployment1\(1\)\/WorkerRole1_IN_0\/C\/Logs\/WaAppAgent\.log$/.test(n))).toBe(true);
  await expect(viewer.dialog.getByRole('status')).toContainText('Exported');
  await page.screenshot({ path: 'test-results/screenshots/logs-exported.png' });
});

test('follow one request from the instance\'s events to every event it caused', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  await dashboard.deployment('HelloWorker').getByRole('button', { name: 'Show WorkerRole1_IN_0' }).click();
  await page.getByRole('complementary', { name: 'Instance WorkerRole1_IN_0' }).getByRole('button', { name: 'Open events' }).click();
  const events = page.getByRole('dialog', { name: 'Events of deployment1(1)/WorkerRole1_IN_0' });
  const list = events.getByRole('list', { name: 'Session events' });
  await expect(list).toContainText('StartingRole → BusyRole');
  await expect(list).not.toContainText('WorkerRole1_IN_1');
  // The status changes of the deployment's creation carry its request id: one click shows all it caused.
  await list.getByRole('button', { name: /^[0-9a-f]{8}$/ }).first().click();
  await expect(events.getByLabel('Instance id')).toHaveValue('deployment1(1)/WorkerRole1_IN_0');
  await events.getByLabel('Instance id').fill('');
  await events.getByRole('button', { name: 'Apply' }).click();
  await expect(list).toContainText('CreateDeployment deployment1(1): Succeeded');
  await expect(list).toContainText('WorkerRole1_IN_1');
  await page.screenshot({ path: 'test-results/screenshots/logs-events.png' });
  await events.getByRole('button', { name: 'Close events' }).click();
  await expect(events).toHaveCount(0);
});

/** A 1,000,000-line WaAppAgent file (85 MB): a heartbeat every 2.5 s, an ERROR line every 1,000th. */
function writeMillionLines(file: string, start: number): void {
  for (let chunk = 0; chunk < 100; chunk++) {
    const lines: string[] = [];
    for (let i = chunk * 10_000; i < (chunk + 1) * 10_000; i++) {
      lines.push(i % 1000 === 999 ? appAgentLine(start + i * 2500, 6, 'ERROR', `Role failed (line ${i + 1}).`) : appAgentLine(start + i * 2500, 20, 'HEART', 'WindowsAzureGuestAgent Heartbeat.'));
    }
    appendFileSync(file, `${lines.join('\n')}\n`);
  }
}

/** The longest gap between animation frames over `ms`: what a user feels as a stutter. */
function longestFrameGap(page: Page, ms: number): Promise<number> {
  return page.evaluate(
    (duration) =>
      new Promise<number>((resolve) => {
        // In the page (DOM types are not in the test's tsconfig).
        const requestAnimationFrame = (globalThis as unknown as { requestAnimationFrame(cb: (now: number) => void): number }).requestAnimationFrame;
        let last = performance.now();
        let worst = 0;
        const end = last + duration;
        const tick = (now: number) => {
          worst = Math.max(worst, now - last);
          last = now;
          if (now < end) requestAnimationFrame(tick);
          else resolve(worst);
        };
        requestAnimationFrame(tick);
      }),
    ms,
  );
}

test('stays smooth on a 1,000,000-line file: paged, virtualised, filtered in a worker', async ({ page }) => {
  const warnings: string[] = [];
  page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
  const start = Date.UTC(2019, 10, 14, 0, 0, 0);
  writeMillionLines(join(session, 'instances', 'deployment1(1)', 'WorkerRole1_IN_1', 'C', 'Logs', 'WaAppAgent.001.log'), start);
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  const deployment = dashboard.deployment('HelloWorker');
  await deployment.getByRole('button', { name: 'Show WorkerRole1_IN_1' }).click();
  await page.getByRole('complementary', { name: 'Instance WorkerRole1_IN_1' }).getByRole('button', { name: 'Open logs' }).click();
  const viewer = new LogViewerPage(page, 'WorkerRole1_IN_1');
  const lines = viewer.lines();
  await expect(lines).toContainText('[HEART]');
  await viewer.dialog.getByLabel('Follow').uncheck();
  await viewer.file().selectOption({ label: 'WaAppAgent (earlier run 1) · 1,000,000 lines · C:\\Logs\\WaAppAgent.001.log' });
  await expect(lines).toHaveAttribute('data-total-lines', '1000000');
  expect(Number(await lines.getAttribute('data-rendered-rows'))).toBeLessThan(60);

  // Jump to a time in the middle: line 500,001 is 500,000 x 2.5 s after the start (14 days and a bit).
  await viewer.dialog.getByLabel('Jump to time').fill('2019-11-28 11:13:20');
  await viewer.dialog.getByRole('button', { name: 'Jump' }).click();
  await expect(lines).toContainText('[11/28/2019 11:13:20.00] [HEART]');
  await expect(lines.locator('.n').getByText('500001', { exact: true })).toBeVisible();

  // Filter to the errors: the worker scans all of it while the page keeps drawing frames.
  for (const level of ['heartbeat', 'verbose', 'info', 'warning']) await viewer.dialog.getByRole('checkbox', { name: level }).uncheck();
  const gap = await longestFrameGap(page, 1500);
  await expect(viewer.dialog.getByText('1,000 shown')).toBeVisible({ timeout: 60_000 });
  await expect(lines).toContainText('Role failed');
  await expect(lines).not.toContainText('[HEART]');
  await page.screenshot({ path: 'test-results/screenshots/logs-million-lines.png' });
  expect(gap).toBeLessThan(250);

  // A text filter, in any case, and a search among the lines it shows: lines 5,000, 50,000-59,000 and 500,000-599,000 fail with "(line 5".
  await viewer.dialog.getByLabel('Filter lines').fill('role FAILED (line 5');
  await expect(viewer.dialog.getByText('111 shown')).toBeVisible({ timeout: 60_000 });
  await viewer.search().fill('00000)');
  await expect(viewer.dialog.locator('[data-matches]')).toHaveAttribute('data-matches', '1', { timeout: 60_000 });
  expect(warnings.filter((w) => w.includes('UI thread'))).toEqual([]); // the Web Worker did the filtering
});
