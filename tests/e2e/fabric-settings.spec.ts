// The fabric controls from the dashboard: the settings panel (seed, phase durations), a region picked for a
// deployment when serve runs pools in two regions, and an Unhealthy host repaired from its tile.
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { startServe, type RunningServe } from './support/browser-mode';
import { DashboardPage } from './support/dashboard-page';

const fixtures = resolve(import.meta.dirname, '../fixtures/packages');
let serve: RunningServe;
test.beforeAll(async () => {
  // --exact-pace: a test below counts on an emulated hour passing in seconds, which a busy machine keeping pace would slow.
  serve = await startServe(['--time-scale', '1000', '--seed', '5', '--pool', 'West Europe:2x4', '--pool', 'East US:2x4+0', '--exact-pace']);
});
test.afterAll(async () => serve?.stop());

test('the settings panel shows and sets the seed and phase durations, refusing bad values with a reason', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  await page.getByRole('button', { name: 'Fabric settings' }).click();
  const settings = page.getByRole('dialog', { name: 'Fabric settings' });
  await expect(settings.locator('[data-current-seed]')).toHaveText('5');

  await settings.getByRole('textbox', { name: 'Seed' }).fill('twelve');
  await settings.getByRole('button', { name: 'Set seed' }).click();
  await expect(settings.getByRole('alert')).toContainText('The seed must be a whole number from 0 to 4294967295, got "twelve"');
  await settings.getByRole('textbox', { name: 'Seed' }).fill('4294967296');
  await settings.getByRole('button', { name: 'Set seed' }).click();
  await expect(settings.getByRole('alert')).toContainText('the seed is a whole number from 0 to 4294967295');
  await settings.getByRole('textbox', { name: 'Seed' }).fill('77');
  await settings.getByRole('button', { name: 'Set seed' }).click();
  await expect(settings.locator('[data-current-seed]')).toHaveText('77');
  await expect(page.getByTitle("Seed of this session's random jitter")).toHaveText('seed 77');

  // Scheduled platform updates: a bad number is refused here, the fabric's range there; Off stops them.
  const every = settings.getByLabel('Platform updates every (emulated hours)');
  await every.fill('monthly');
  await settings.getByRole('button', { name: 'Schedule' }).click();
  await expect(settings.getByRole('alert')).toContainText('Platform updates every: "monthly" is not a number');
  await every.fill('0');
  await settings.getByRole('button', { name: 'Schedule' }).click();
  await expect(settings.getByRole('alert')).toContainText('platform updates come at most every 0.1 emulated hours');
  await every.fill('720');
  await settings.getByRole('button', { name: 'Schedule' }).click();
  await expect(settings.locator('[data-platform-updates]')).toContainText('every 720 h; next at');
  await settings.getByRole('region', { name: 'Platform updates' }).screenshot({ path: 'test-results/screenshots/platform-updates.png' });
  await settings.getByRole('button', { name: 'Off' }).click();
  await expect(settings.locator('[data-platform-updates]')).toHaveText('off');

  const createVm = settings.getByRole('row').filter({ has: page.getByText('createVm', { exact: true }) });
  await expect(createVm).toContainText('45000');
  await settings.getByLabel('New value of createVm', { exact: true }).fill('-5');
  await settings.getByRole('button', { name: 'Apply 1 change' }).click();
  await expect(settings.getByRole('alert')).toContainText('phase createVm needs a number from 0 to 86400000');
  await settings.getByLabel('New value of createVm', { exact: true }).fill('2000');
  await settings.getByLabel('New value of hostHeartbeat', { exact: true }).fill('0');
  await settings.getByRole('button', { name: 'Apply 2 changes' }).click();
  await expect(settings.getByRole('alert')).toContainText('phase hostHeartbeat needs a number from 100');
  await expect(createVm.getByRole('cell').nth(2)).toHaveText('45000'); // nothing applied
  await settings.getByLabel('New value of hostHeartbeat', { exact: true }).fill('5000');
  await settings.getByRole('button', { name: 'Apply 1 change' }).click();
  await expect(settings.getByRole('status')).toContainText('Changed createVm');
  await expect(createVm.getByRole('cell').nth(2)).toHaveText('2000 (changed)');
  await page.screenshot({ path: 'test-results/screenshots/fabric-settings.png', fullPage: false });

  await settings.getByRole('button', { name: 'Reset all to defaults' }).click();
  await expect(createVm.getByRole('cell').nth(2)).toHaveText('45000');
  await settings.getByRole('button', { name: 'Close' }).click();
  await expect(settings).toHaveCount(0);
});

test('deploy into a chosen region, kill a host there, then repair it from its tile', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  await page.getByLabel('Region').selectOption('East US');
  await dashboard.deployButton('Hello worker').click();
  const deployment = dashboard.deployment('HelloWorker');
  await expect(deployment.locator('[data-status="ReadyRole"]')).toHaveCount(2, { timeout: 30_000 });
  const east = dashboard.pool('Pool B');
  await expect(east).toContainText('East US');
  await expect(east).toContainText('2/8 cores used');
  await expect(dashboard.pool('Pool A')).toContainText('0/8 cores used');

  const host = east.getByRole('article', { name: /^Host 1,/ });
  await host.getByRole('button', { name: 'Kill' }).click();
  await host.getByRole('button', { name: 'Yes, kill' }).click();
  await expect(host).toContainText('Unhealthy', { timeout: 30_000 });
  await expect(deployment.locator('[data-status="ReadyRole"]')).toHaveCount(2, { timeout: 30_000 });
  await host.getByRole('button', { name: 'Repair' }).click();
  await page.screenshot({ path: 'test-results/screenshots/host-repair-confirm.png', fullPage: true });
  await host.getByRole('button', { name: 'Yes, repair' }).click();
  await expect(host).toContainText('Healthy', { timeout: 30_000 });
  await expect(host.getByRole('button', { name: 'Kill' })).toBeVisible();
  await expect(host).toContainText('0 used · 4 free');
  await page.screenshot({ path: 'test-results/screenshots/host-repaired.png', fullPage: true });

  // A hung host OS is cured by the controller's own restart: the instances come back on the same host.
  const busyHost = east.getByRole('article', { name: /^Host 2,/ });
  await expect(busyHost).toContainText('2 used');
  await deployment.getByRole('button', { name: 'Show WorkerRole1_IN_0' }).click();
  const timeline = page.getByRole('complementary', { name: 'Instance WorkerRole1_IN_0' }).getByRole('list', { name: 'Status timeline' });
  await busyHost.getByRole('button', { name: 'Hang' }).click();
  await busyHost.getByRole('button', { name: 'Yes, hang' }).click();
  await expect(timeline).toContainText('The fabric controller is restarting the host', { timeout: 30_000 });
  await expect(deployment.locator('[data-status="ReadyRole"]')).toHaveCount(2, { timeout: 30_000 });
  await expect(busyHost).toContainText('Healthy');
  await expect(busyHost).toContainText('2 used');
});

test('the instance detail shows rotation per input endpoint: a Busy instance stays in for ignoreRoleInstanceStatus only', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  // A long OnStart keeps the default role code Busy for a while (an hour of emulated time, 3.6 s at 1000x).
  await page.getByRole('button', { name: 'Fabric settings' }).click();
  const settings = page.getByRole('dialog', { name: 'Fabric settings' });
  await settings.getByLabel('New value of onStart', { exact: true }).fill('3600000');
  await settings.getByRole('button', { name: 'Apply 1 change' }).click();
  await expect(settings.getByRole('status')).toContainText('Changed onStart');
  await settings.getByRole('button', { name: 'Close' }).click();

  const deploy = page.getByRole('region', { name: 'Deploy', exact: true });
  await deploy.getByLabel('Package file', { exact: true }).setInputFiles(join(fixtures, 'rotation.csdef'));
  await deploy.getByLabel('Configuration file', { exact: true }).setInputFiles(join(fixtures, 'rotation.cscfg'));
  await deploy.getByRole('button', { name: 'Check package' }).click();
  await deploy.getByRole('button', { name: 'Deploy Rotation' }).click();
  const deployment = dashboard.deployment('Rotation');
  await expect(deployment.locator('[data-status="BusyRole"]')).toHaveCount(2, { timeout: 30_000 });
  await page.getByRole('button', { name: 'Pause' }).click();
  await deployment.getByRole('button', { name: 'Show WorkerRole1_IN_0' }).click();
  const detail = page.getByRole('complementary', { name: 'Instance WorkerRole1_IN_0' });
  await expect(detail.locator('[data-rotation]')).toHaveText('In rotation for Probe; out for HttpIn');
  await page.screenshot({ path: 'test-results/screenshots/rotation-per-endpoint.png', fullPage: false });
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(detail.locator('[data-rotation]')).toHaveText('In rotation for HttpIn, Probe', { timeout: 30_000 });
});
