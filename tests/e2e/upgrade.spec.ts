// A user upgrades a running deployment in place from its card: a package whose roles differ is refused as
// Azure refuses it; a Manual upgrade shows its progress bar and the walk on the fault x upgrade domain map,
// and each upgrade domain is walked with a button until the upgrade is complete.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { startServe, type RunningServe } from './support/browser-mode';
import { DashboardPage } from './support/dashboard-page';

let serve: RunningServe;
test.beforeAll(async () => {
  serve = await startServe(['--time-scale', '1000', '--seed', '7']);
});
test.afterAll(async () => serve?.stop());

test('upgrade in place: refused when the roles differ, then walked domain by domain in Manual mode', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  await dashboard.deployButton('Hello worker').click();
  const deployment = dashboard.deployment('HelloWorker');
  await expect(deployment.locator('[data-status="ReadyRole"]')).toHaveCount(2, { timeout: 30_000 });

  await deployment.getByText('Upgrade in place').click();
  await deployment.getByLabel('Upgrade mode').selectOption('Manual');
  await deployment.getByLabel('Upgrade to sample').selectOption({ label: 'Web front end and worker' });
  await deployment.getByRole('button', { name: 'Upgrade', exact: true }).click();
  await expect(deployment.getByRole('alert')).toContainText('cannot change the roles');

  await deployment.getByLabel('Upgrade to sample').selectOption({ label: 'Hello worker' });
  await deployment.getByRole('button', { name: 'Upgrade', exact: true }).click();
  const progress = deployment.getByRole('progressbar', { name: 'Upgrade domains walked' });
  await expect(progress).toContainText('Upgrade (Manual): 0 of 2 upgrade domain(s) walked');
  await expect(deployment.locator('[data-walk="waiting"]')).toHaveCount(2);
  await deployment.getByRole('button', { name: 'Walk upgrade domain 0' }).click();
  await expect(progress).toContainText('1 of 2 upgrade domain(s) walked', { timeout: 30_000 });
  await expect(deployment.locator('[data-walk="walked"]')).toHaveText(/^UD 0\s·\supgraded$/);
  await page.screenshot({ path: 'test-results/screenshots/upgrade-manual-walked-0.png', fullPage: true });

  await deployment.getByRole('button', { name: 'Walk upgrade domain 1' }).click();
  await expect(progress).toHaveCount(0, { timeout: 30_000 });
  await expect(deployment.getByText('Upgrade in place')).toBeVisible();
  await expect(deployment.locator('[data-status="ReadyRole"]')).toHaveCount(2, { timeout: 30_000 });
});

/** The Hello worker deployment upgraded in Manual mode with its first upgrade domain walked; its card and progress bar. */
async function manualUpgradeWalkedOnce(page: Page): Promise<{ deployment: Locator; progress: Locator }> {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  const deployment = dashboard.deployment('HelloWorker');
  await expect(deployment.locator('[data-status="ReadyRole"]')).toHaveCount(2, { timeout: 30_000 });
  await deployment.getByText('Upgrade in place').click();
  await deployment.getByLabel('Upgrade mode').selectOption('Manual');
  await deployment.getByLabel('Upgrade to sample').selectOption({ label: 'Hello worker' });
  await deployment.getByRole('button', { name: 'Upgrade', exact: true }).click();
  const progress = deployment.getByRole('progressbar', { name: 'Upgrade domains walked' });
  await deployment.getByRole('button', { name: 'Walk upgrade domain 0' }).click();
  await expect(progress).toContainText('1 of 2 upgrade domain(s) walked', { timeout: 30_000 });
  return { deployment, progress };
}

test('roll back a Manual upgrade from its panel: the walked domain returns and the upgrade is gone', async ({ page }) => {
  const { deployment, progress } = await manualUpgradeWalkedOnce(page);
  await deployment.getByRole('button', { name: 'Roll back' }).click();
  await expect(progress).toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByText(/Succeeded\s*RollbackUpdateOrUpgrade/)).toBeVisible();
  await expect(deployment.locator('[data-status="ReadyRole"]')).toHaveCount(2, { timeout: 30_000 });
});

test('roll back a Manual upgrade by hand: the walk back waits for each domain, shown on the map', async ({ page }) => {
  const { deployment, progress } = await manualUpgradeWalkedOnce(page);
  await deployment.getByLabel('Rollback mode').selectOption('Manual');
  await deployment.getByRole('button', { name: 'Roll back' }).click();
  await expect(progress).toContainText('Rollback of the upgrade (Manual): 0 of 1 upgrade domain(s) walked back', { timeout: 30_000 });
  const map = deployment.getByRole('table', { name: 'Fault domain by upgrade domain map' });
  await expect(map.locator('[data-walk="waiting"]')).toContainText('to roll back');
  await expect(deployment.getByRole('button', { name: 'Roll back' })).toHaveCount(0);
  await deployment.screenshot({ path: 'test-results/screenshots/manual-rollback.png' });
  await deployment.getByRole('button', { name: 'Walk upgrade domain 0' }).click();
  await expect(progress).toHaveCount(0, { timeout: 30_000 });
  await expect(deployment.locator('[data-status="ReadyRole"]')).toHaveCount(2, { timeout: 30_000 });
});
