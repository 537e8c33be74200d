// The Activity panel follows an operation that tells its progress: a platform update shows a bar under its row
// while it walks the upgrade domains (a slow clock and short VM phases, so the walk lasts a few seconds).
import { expect, test } from '@playwright/test';
import { startServe, type RunningServe } from './support/browser-mode';
import { DashboardPage } from './support/dashboard-page';

let serve: RunningServe;
test.beforeAll(async () => {
  serve = await startServe(['--time-scale', '20', '--seed', '3', '--phase', 'createVm=1000', '--phase', 'bootGuest=1000']);
});
test.afterAll(async () => serve?.stop());

test('a platform update shows its progress under its row in Activity until it has ended', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  await dashboard.deployButton('Hello worker').click();
  const production = dashboard.deployment('HelloWorker', 'production');
  await expect(production.locator('[data-status="ReadyRole"]')).toHaveCount(2, { timeout: 90_000 });
  await production.getByRole('button', { name: 'Platform update' }).click();
  await production.getByRole('button', { name: 'Yes, platform update' }).click();
  const activity = page.getByRole('region', { name: 'Activity' });
  const progress = activity.getByRole('progressbar', { name: 'PlatformUpdate progress' });
  await expect(progress).toBeVisible({ timeout: 20_000 });
  await activity.screenshot({ path: 'test-results/screenshots/activity-progress.png' });
  await expect(activity.getByText(/Succeeded\s*PlatformUpdate/)).toBeVisible({ timeout: 60_000 });
  await expect(progress).toHaveCount(0);
});
