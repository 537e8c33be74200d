// Nothing a user does breaks the dashboard (issue 15): same-named instances, a dropped connection, a reload.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test, type Page, type WebSocketRoute } from '@playwright/test';
import { startServe, type RunningServe } from './support/browser-mode';
import { DashboardPage } from './support/dashboard-page';
import { callFabric } from './support/fabric-socket';

// A fabric of its own for each test: what one deploys is not in the next one's way.
let serve: RunningServe | null = null;
const start = async (...args: string[]) => (serve = await startServe(['--time-scale', '1000', '--seed', '15', ...args]));
test.afterEach(async () => {
  await serve?.stop();
  serve = null;
});

/** Every uncaught error and console error of the page, so a test can say there were none. */
function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  return errors;
}

test('Hello worker in production and in staging: both show everywhere, keyed by instance id, with no page error', async ({ page }) => {
  // One host (and no spare), so both deployments' WorkerRole1_IN_0 and _IN_1 share its tile.
  const { url } = await start('--pool', 'Local:1x8+0');
  const errors = pageErrors(page);
  const dashboard = new DashboardPage(page);
  await dashboard.open(url);
  await dashboard.deployButton('Hello worker').click();
  await page.getByLabel('Slot').selectOption('staging');
  await dashboard.deployButton('Hello worker').click();
  for (const slot of ['production', 'staging']) {
    await expect(dashboard.deployment('HelloWorker', slot).getByRole('progressbar', { name: 'Instances ready' })).toContainText('2 / 2 ready', { timeout: 30_000 });
  }
  // Four VMs on the pool's tiles (two of each name), the tree lists both slots' instances.
  await expect(dashboard.pool('Pool A').locator('.vm')).toHaveCount(4);
  // Each chip says its status by symbol, not by colour alone.
  for (const chip of await dashboard.pool('Pool A').locator('.vm').all()) await expect(chip).toContainText('●');
  await expect(dashboard.tree().getByRole('treeitem', { name: /WorkerRole1_IN_0/ })).toHaveCount(2);
  // A reload still gets past "Connecting to the fabric…".
  await page.reload();
  await expect(dashboard.pool('Pool A').locator('.vm')).toHaveCount(4);
  expect(errors).toEqual([]);
});

test('a dropped connection: a banner, frozen and greyed views, then a reconnect that shows what changed meanwhile', async ({ page }) => {
  const { url } = await start();
  // Every page socket goes through this route, so the test can drop it and refuse new ones, as a stopped server would.
  let down = false;
  const sockets: WebSocketRoute[] = [];
  await page.routeWebSocket(/\/fabric/, (ws) => {
    if (down) return void ws.close();
    sockets.push(ws);
    ws.connectToServer();
  });
  const dashboard = new DashboardPage(page);
  await dashboard.open(url);
  await expect(page.getByText('Connected (WebSocket)')).toBeVisible();

  down = true;
  for (const ws of sockets) await ws.close();
  const banner = page.getByRole('alert').filter({ hasText: 'Lost the connection to the fabric' });
  await expect(banner).toBeVisible();
  await expect(banner).toContainText(/Reconnecting/);
  await expect(page.getByText('Disconnected')).toBeVisible();
  // Frozen: the clock stops, the views are greyed and take no clicks.
  const clock = page.getByTitle('Emulated time (UTC)');
  const frozenAt = await clock.textContent();
  await expect(page.locator('main')).toHaveAttribute('inert', '');
  await expect(page.locator('main')).toHaveCSS('filter', 'grayscale(1)');
  // A few reconnect attempts fail; the banner then says a restarted fabric has a new address.
  await expect(banner).toContainText('open the new address', { timeout: 15_000 });
  expect(await clock.textContent()).toBe(frozenAt);

  // Meanwhile another client deploys: no batch of it reaches the page.
  await callFabric(url, 'deploy', { sample: 'hello-worker' });
  down = false;
  await expect(banner).toBeHidden({ timeout: 15_000 });
  await expect(page.locator('main')).not.toHaveAttribute('inert', '');
  // Only a fresh snapshot can show the deployment made while the page was away.
  await expect(dashboard.deployment('HelloWorker')).toBeVisible();
  await expect(dashboard.deployment('HelloWorker').getByRole('progressbar', { name: 'Instances ready' })).toContainText('2 / 2 ready', { timeout: 30_000 });
  await expect(clock).not.toHaveText(frozenAt!);
});


test('a reload keeps the user’s place: the selected instance and its open logs come back from the URL', async ({ page }) => {
  const { url } = await start();
  const dashboard = new DashboardPage(page);
  await dashboard.open(url);
  const { detail } = await dashboard.deployHelloWorkerAndOpen('WorkerRole1_IN_1');
  await detail.getByRole('button', { name: 'Open logs' }).click();
  await expect(page.getByRole('dialog', { name: 'Logs of WorkerRole1_IN_1' })).toBeVisible();
  expect(new URL(page.url()).hash).toBe('#instance=deployment1%281%29%2FWorkerRole1_IN_1&panel=logs');

  await page.reload();
  await expect(page.getByRole('dialog', { name: 'Logs of WorkerRole1_IN_1' })).toBeVisible();
  await page.getByRole('button', { name: 'Close logs' }).click();
  await expect(detail).toBeVisible();
  expect(new URL(page.url()).hash).toBe('#instance=deployment1%281%29%2FWorkerRole1_IN_1');
  // Back to the overview: closing the panel empties the hash, and a reload shows no instance.
  await detail.getByRole('button', { name: 'Close instance details' }).click();
  expect(new URL(page.url()).hash).toBe('');
  await page.reload();
  await expect(dashboard.deployment('HelloWorker')).toBeVisible();
  await expect(detail).toBeHidden();
});

test('a reload redraws the charts from the fabric’s history, not from the moment of the reload', async ({ page }) => {
  const { url } = await start();
  const dashboard = new DashboardPage(page);
  await dashboard.open(url);
  await dashboard.deployButton('Hello worker').click();
  await expect(dashboard.deployment('HelloWorker').getByRole('progressbar', { name: 'Instances ready' })).toContainText('2 / 2 ready', { timeout: 30_000 });
  const charts = dashboard.charts();
  await expect(charts.locator('[data-chart-latest="status"]')).toContainText('● 2 ready');
  const since = Number(await charts.getAttribute('data-since'));

  await page.reload();
  await expect(charts.locator('[data-chart-latest="status"]')).toContainText('● 2 ready');
  // The history starts where it started before (the fabric kept it), with the deployment's ramp in it.
  expect(Number(await charts.getAttribute('data-since'))).toBeLessThanOrEqual(since);
  expect(Number(await charts.getAttribute('data-points'))).toBeGreaterThan(2);
  expect(await dashboard.canvasDrawn(charts.getByRole('img', { name: 'Instances by status over time' }).or(charts.locator('canvas').first()))).toBe(true);
});

test('a first run: Hello worker first, teaching samples last and marked, the quota shown, answers where the user clicked', async ({ page }) => {
  const { url } = await start('--quota', '4');
  const dashboard = new DashboardPage(page);
  await dashboard.open(url);
  const picker = page.getByRole('region', { name: 'Deploy', exact: true });
  await expect(picker.getByRole('button', { name: /^Deploy / }).first()).toHaveAccessibleName('Deploy Hello worker');
  const teaching = picker.locator('ul').nth(1);
  await expect(teaching.locator('li', { hasText: 'fails on purpose' })).toHaveCount(4);
  await expect(picker.locator('ul').first()).not.toContainText('fails on purpose');
  await expect(picker.locator('[data-quota]')).toHaveText('Core quota: 0 of 4 cores used, 4 left');

  // Success: said at the sample's row, the quota follows, and the new card is scrolled into view.
  await page.getByLabel('Slot').selectOption('staging');
  await dashboard.deployButton('Hello worker').click();
  const helloRow = picker.locator('li', { has: page.getByRole('button', { name: 'Deploy Hello worker' }) });
  await expect(helloRow.locator('+ li').getByRole('status')).toContainText('Deploying as deployment1(1)');
  await expect(picker.locator('[data-quota]')).toHaveText('Core quota: 2 of 4 cores used, 2 left');
  await expect(dashboard.deployment('HelloWorker', 'staging')).toBeInViewport();

  // A refusal (the quota) appears under the sample the user clicked, not at the bottom of the panel.
  await dashboard.deployButton('Web front end and worker').click();
  const webRow = picker.locator('li', { has: page.getByRole('button', { name: 'Deploy Web front end and worker' }) });
  await expect(webRow.locator('+ li').getByRole('alert')).toContainText('quota');
  await expect(helloRow.locator('+ li').getByRole('status')).toHaveCount(0);
});

test('views that follow the fabric: the scale box after a configuration change, a scheduled export, host names, what an operation asked', async ({ page }) => {
  const { url } = await start();
  const dashboard = new DashboardPage(page);
  await dashboard.open(url);
  await dashboard.deployButton('Worker role with role code').click();
  const deployment = dashboard.deployment('WorkerWithCode');
  await expect(deployment.getByRole('progressbar', { name: 'Instances ready' })).toContainText('2 / 2 ready', { timeout: 30_000 });

  // A count typed but not applied gives way to the count a new configuration sets.
  const box = deployment.getByLabel('Instance count for WorkerRole1');
  await box.fill('5');
  const dir = mkdtempSync(join(tmpdir(), 'fabric-lab-e2e-scale-'));
  const three = join(dir, 'Three.cscfg');
  writeFileSync(three, readFileSync(resolve(import.meta.dirname, '../../resources/samples/worker-with-code/ServiceConfiguration.cscfg'), 'utf8').replace('<Instances count="2"', '<Instances count="3"'));
  await deployment.getByText('Change configuration').click();
  await deployment.getByLabel('New configuration file').setInputFiles(three);
  await deployment.getByRole('button', { name: 'Apply configuration' }).click();
  await expect(deployment.getByRole('progressbar', { name: 'Instances ready' })).toContainText('3 / 3 ready', { timeout: 30_000 });
  await expect(box).toHaveValue('3');

  // A scheduled export (started by no click) shows up in the panel by itself.
  const exportPanel = page.getByRole('region', { name: 'Session export' });
  await exportPanel.getByLabel('Cron expression').fill('* * * * * *');
  await exportPanel.getByRole('button', { name: 'Start' }).click();
  await expect(exportPanel.locator('li', { hasText: '⏱' }).first()).toBeVisible({ timeout: 10_000 });
  await exportPanel.getByRole('button', { name: 'Stop' }).click();

  // A fault on a host reads with the host's name, as its tile says it.
  const tile = dashboard.pool('Pool A').getByRole('article', { name: /^Host 4,/ });
  await tile.getByRole('button', { name: 'Hang' }).click();
  await tile.getByRole('button', { name: 'Yes, hang' }).click();
  const activity = page.getByRole('region', { name: 'Activity' });
  await expect(activity.locator('li.fault').first()).toHaveText(/hang-host → Host 4$/);

  // Suspending says so in the activity, not only "UpdateDeploymentStatus".
  await deployment.getByRole('button', { name: 'Suspend' }).click();
  await deployment.getByRole('button', { name: 'Yes, suspend' }).click();
  await expect(activity.locator('li', { hasText: 'UpdateDeploymentStatus' }).first()).toContainText('to Suspended');
  // The target and what was asked read as words, not run together ("deployment1(1) to Suspended").
  await expect(activity.locator('li', { hasText: 'UpdateDeploymentStatus' }).first()).toContainText(/\(\d+\) to Suspended/);
});

test('layout: the longest status and every header fit their cells, and an open instance leaves the host tiles in view', async ({ page }) => {
  const { url } = await start();
  const dashboard = new DashboardPage(page);
  await dashboard.open(url);
  await dashboard.deployButton('A startup task that fails (teaching sample)').click();
  const deployment = dashboard.deployment('FailingStartupTask');
  await expect(deployment.locator('[data-status="FailedStartingRole"]').first()).toBeVisible({ timeout: 30_000 });
  // Nothing cut off: each badge and header is no wider than the room its cell gives it.
  const cut = await deployment.locator('td:has([data-status]), th').evaluateAll((cells) =>
    cells
      .map((cell) => {
        const c = cell as unknown as { clientWidth: number; textContent: string; querySelector(s: string): { scrollWidth: number; offsetWidth: number } | null; scrollWidth: number };
        const inner = c.querySelector('[data-status]');
        const need = inner ? inner.offsetWidth : c.scrollWidth;
        return need > c.clientWidth ? `${c.textContent.trim()} needs ${need}px, has ${c.clientWidth}px` : null;
      })
      .filter((x) => x !== null),
  );
  expect(cut).toEqual([]);

  await deployment.getByRole('button', { name: 'Show WorkerRole1_IN_0' }).click();
  await expect(page.getByRole('complementary', { name: 'Instance WorkerRole1_IN_0' })).toBeVisible();
  await page.evaluate('window.scrollTo(0, 0)');
  await expect(dashboard.pool('Pool A').getByRole('article').first()).toBeInViewport();
});

test('a page left open across a restart of the same session reconnects by itself and shows the new fabric', async ({ page }) => {
  test.setTimeout(90_000);
  const session = mkdtempSync(join(tmpdir(), 'fabric-lab-e2e-restart-'));
  const port = await freePort();
  const args = ['--time-scale', '1000', '--seed', '15', '--port', String(port)];
  let first: RunningServe | null = await startServe(args, session);
  try {
    const dashboard = new DashboardPage(page);
    await dashboard.open(first.url);
    await dashboard.deployButton('Hello worker').click();
    await expect(dashboard.deployment('HelloWorker').getByRole('progressbar', { name: 'Instances ready' })).toContainText('2 / 2 ready', { timeout: 30_000 });

    await first.stop();
    first = null;
    const banner = page.getByRole('alert').filter({ hasText: 'Lost the connection to the fabric' });
    await expect(banner).toBeVisible();
    // The same session (its kept token) on the same port: the page's next attempt gets through, with no reload.
    serve = await startServe(args, session);
    await expect(banner).toBeHidden({ timeout: 20_000 });
    // A fresh snapshot of the restarted fabric, which has deployed nothing yet (its batches count from 1 again).
    await expect(page.getByText('No deployments.')).toBeVisible();
    await dashboard.deployButton('Hello worker').click();
    await expect(dashboard.deployment('HelloWorker').getByRole('progressbar', { name: 'Instances ready' })).toContainText('2 / 2 ready', { timeout: 30_000 });
  } finally {
    await first?.stop();
    await serve?.stop();
    serve = null;
    rmSync(session, { recursive: true, force: true });
  }
});

/** A port nothing listens on now, for a server that must come back at the same address. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
