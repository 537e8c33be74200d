// Nothing a user does breaks the dashboard (issue 15): same-named instances, a dropped connection, a reload.
import { expect, test, type Page } from '@playwright/test';
import { startServe, type RunningServe } from './support/browser-mode';
import { DashboardPage } from './support/dashboard-page';

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
    await expect(dashboard.deployment('HelloWorker', slot).getByRole('progressbar')).toContainText('2 / 2 ready', { timeout: 30_000 });
  }
  // Four VMs on the pool's tiles (two of each name), the tree lists both slots' instances.
  await expect(dashboard.pool('Pool A').locator('.vm')).toHaveCount(4);
  await expect(dashboard.tree().getByRole('treeitem', { name: /WorkerRole1_IN_0/ })).toHaveCount(2);
  // A reload still gets past "Connecting to the fabric…".
  await page.reload();
  await expect(dashboard.pool('Pool A').locator('.vm')).toHaveCount(4);
  // (Resource and CSP console noise is the shells' business, checked in browser-mode.spec.)
  expect(errors.filter((e) => !/favicon|frame-ancestors|Failed to load resource/.test(e))).toEqual([]);
});
