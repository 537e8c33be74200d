// A user opens browser mode, deploys the sample, watches both instances reach ReadyRole, deletes it.
import { expect, test } from '@playwright/test';
import { startServe, type RunningServe } from './support/browser-mode';
import { DashboardPage } from './support/dashboard-page';
import { callFabric } from './support/fabric-socket';

let serve: RunningServe;
test.beforeAll(async () => {
  serve = await startServe(['--time-scale', '200', '--seed', '42']);
});
test.afterAll(async () => serve?.stop());

test('deploy the sample, see both instances ReadyRole on their hosts, then delete it', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  await expect(page.getByText('Connected (WebSocket)')).toBeVisible();
  const pool = dashboard.pool('Pool A');
  await expect(pool).toContainText('0/32 cores used');

  await dashboard.deployButton('Hello worker').click();
  const deployment = dashboard.deployment('HelloWorker');
  await expect(deployment).toBeVisible();
  const rows = dashboard.instanceRows(deployment);
  await expect(rows).toHaveCount(2);
  await expect(rows.locator('[data-status="ReadyRole"]')).toHaveCount(2, { timeout: 30_000 });
  await expect(deployment.locator('[data-deployment-status]')).toHaveText('Running');
  await expect(deployment.getByRole('progressbar', { name: 'Instances ready' })).toContainText('2 / 2 ready');
  await expect(pool).toContainText('2/32 cores used');
  await expect(page.getByRole('region', { name: 'Activity' })).toContainText('→ ReadyRole');
  await page.screenshot({ path: 'test-results/screenshots/dashboard-ready.png', fullPage: true });

  // A second deployment into the same slot is refused with a reason, and nothing else changes.
  await dashboard.deployButton('Hello worker').click();
  await expect(dashboard.alert()).toContainText('already has a deployment in the production slot');
  await expect(rows.locator('[data-status="ReadyRole"]')).toHaveCount(2);

  await deployment.getByRole('button', { name: 'Delete…' }).click();
  await deployment.getByRole('alertdialog', { name: 'Confirm delete' }).getByRole('button', { name: 'Delete' }).click();
  // Deleting may last less than one event batch (100 ms) at 200x, when the card goes straight from Running to gone:
  // the operation in Activity is what is sure to show.
  await expect(page.getByRole('region', { name: 'Activity' })).toContainText('DeleteDeployment');
  await expect(deployment).toHaveCount(0, { timeout: 30_000 });
  await expect(pool).toContainText('0/32 cores used');
  await expect(page.getByRole('region', { name: 'Activity' })).toContainText('→ StoppedVM');
  // The refusal named the deployment now gone: it is no longer shown.
  await expect(page.getByRole('region', { name: 'Deploy' }).getByRole('alert')).toHaveCount(0);
  await page.screenshot({ path: 'test-results/screenshots/dashboard-deleted.png', fullPage: true });
});

test('the time scale and pause controls change the emulated clock for everyone', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  const scale = page.getByLabel('Time scale');
  await scale.selectOption('10');
  await expect(scale).toHaveValue('10');
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByRole('button', { name: 'Resume' })).toBeVisible();
  // Paused, the page shows the fabric's own paused time to the second, and stays there (a clock still
  // running locally would have moved past it).
  const clock = page.getByTitle('Emulated time (UTC)');
  const snapshot = (await callFabric(serve.url, 'getSnapshot', undefined)) as { clock: { now: number; paused: boolean } };
  expect(snapshot.clock.paused).toBe(true);
  await expect(clock).toHaveText(new Date(snapshot.clock.now).toISOString().slice(11, 19));
  await page.getByRole('button', { name: 'Resume' }).click();
  await scale.selectOption('1000');
});

test('a page opened without the token is refused', async ({ page }) => {
  const response = await page.goto(serve.origin + '/');
  expect(response?.status()).toBe(401);
  await expect(page.locator('body')).toContainText('token');
});

test('the Deploy panel can make a deployment act as the old local emulator (emulated="true"); the cloud is the default', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  const box = page.getByRole('checkbox', { name: 'Act as local emulator' });
  await expect(box).not.toBeChecked();
  await box.check();
  await dashboard.deployButton('Hello worker').click();
  const deployment = dashboard.deployment('HelloWorker');
  await expect(deployment.locator('[data-emulated]')).toContainText('acts as local emulator');
  await page.screenshot({ path: 'test-results/screenshots/deploy-as-local-emulator.png', fullPage: true });
  const view = ((await callFabric(serve.url, 'getSnapshot', undefined)) as { deployments: { serviceName: string; emulated: boolean }[] }).deployments.find((d) => d.serviceName === 'HelloWorker');
  expect(view?.emulated).toBe(true);
});
