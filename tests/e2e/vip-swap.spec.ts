// A user swaps a service's production and staging deployments from a deployment card (VIP swap): after a
// confirmation, the staging deployment's card says production and the other staging; a lone deployment's card
// offers to move it to the other slot instead.
import { expect, test } from '@playwright/test';
import { startServe, type RunningServe } from './support/browser-mode';
import { DashboardPage } from './support/dashboard-page';

let serve: RunningServe;
test.beforeAll(async () => {
  serve = await startServe(['--time-scale', '1000', '--seed', '9']);
});
test.afterAll(async () => serve?.stop());

test('swap VIPs from a deployment card, after a confirmation', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  await dashboard.deployButton('Hello worker').click();
  const production = dashboard.deployment('HelloWorker');
  await expect(production.locator('[data-status="ReadyRole"]')).toHaveCount(2, { timeout: 30_000 });
  const firstId = await production.getAttribute('data-deployment');
  await expect(production.getByRole('button', { name: 'Move to staging' })).toBeVisible();

  await page.getByLabel('Slot').selectOption('staging');
  await dashboard.deployButton('Hello worker').click();
  const staging = dashboard.deployment('HelloWorker', 'staging');
  await expect(staging.locator('[data-status="ReadyRole"]')).toHaveCount(2, { timeout: 30_000 });
  const secondId = await staging.getAttribute('data-deployment');

  await staging.getByRole('button', { name: 'Swap VIPs' }).click();
  await expect(staging.getByRole('alertdialog')).toContainText(`${secondId} becomes production and ${firstId} staging?`);
  await page.screenshot({ path: 'test-results/screenshots/vip-swap-confirm.png', fullPage: true });
  await staging.getByRole('button', { name: 'Yes, swap vips' }).click();
  await expect(dashboard.deployment('HelloWorker', 'production')).toHaveAttribute('data-deployment', secondId!, { timeout: 10_000 });
  await expect(dashboard.deployment('HelloWorker', 'staging')).toHaveAttribute('data-deployment', firstId!);
  await page.screenshot({ path: 'test-results/screenshots/vip-swap-done.png', fullPage: true });
});

test('a platform update from a deployment card walks its upgrade domains and ends Succeeded', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  const production = dashboard.deployment('HelloWorker', 'production');
  await expect(production.locator('[data-status="ReadyRole"]')).toHaveCount(2, { timeout: 30_000 });
  await production.getByRole('button', { name: 'Platform update' }).click();
  await production.getByRole('button', { name: 'Yes, platform update' }).click();
  await expect(page.getByText(/Succeeded\s*PlatformUpdate/)).toBeVisible({ timeout: 30_000 });
  await expect(production.locator('[data-status="ReadyRole"]')).toHaveCount(2, { timeout: 30_000 });
  await page.screenshot({ path: 'test-results/screenshots/platform-update-done.png', fullPage: true });
});
