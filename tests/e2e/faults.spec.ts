// A user breaks things on purpose from the dashboard and watches the fabric recover.
import { expect, test } from '@playwright/test';
import { startServe, type RunningServe } from './support/browser-mode';
import { DashboardPage } from './support/dashboard-page';
import { callFabric } from './support/fabric-socket';

let serve: RunningServe;
test.beforeAll(async () => {
  serve = await startServe(['--time-scale', '1000', '--seed', '7']);
});
test.afterAll(async () => serve?.stop());

test('crash a role, then kill its host: the instance restarts, then heals onto another host', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  const { deployment, detail } = await dashboard.deployHelloWorkerAndOpen('WorkerRole1_IN_0');
  await expect(detail).toContainText('In rotation');
  await detail.getByRole('button', { name: 'Crash role', exact: true }).click();
  await detail.getByRole('button', { name: 'Yes, crash role' }).click();
  const timeline = detail.getByRole('list', { name: 'Status timeline' });
  await expect(timeline).toContainText('RestartingRole');
  await expect(timeline).toContainText('WaWorkerHost exited unexpectedly');
  await expect(detail.locator('dd').filter({ hasText: /^1$/ })).toHaveCount(1); // Restarts: 1
  await expect(detail.getByText('ReadyRole').first()).toBeVisible();

  // Kill the host the instance runs on; the controller notices the silence and heals the instance.
  const hostName = (await deployment.locator('tr[data-instance="WorkerRole1_IN_0"] td').nth(3).textContent())!.trim();
  const hostTile = dashboard.pool('Pool A').getByRole('article', { name: new RegExp(`^${hostName},`) });
  await hostTile.getByRole('button', { name: 'Kill' }).click();
  await hostTile.getByRole('button', { name: 'Yes, kill' }).click();
  await expect(hostTile).toContainText('Unhealthy', { timeout: 30_000 });
  await expect(hostTile).toContainText('No heartbeat from the host agent');
  // The controller first restarts the host; dead hardware does not come back, so it is marked bad and healed.
  await expect(timeline).toContainText('The fabric controller is restarting the host');
  await expect(deployment.locator('tr[data-instance="WorkerRole1_IN_0"] [data-status="ReadyRole"]')).toBeVisible({ timeout: 30_000 });
  await expect(deployment.locator('tr[data-instance="WorkerRole1_IN_0"] td').nth(3)).not.toHaveText(hostName);
  await page.screenshot({ path: 'test-results/screenshots/faults-healed.png', fullPage: true });

  // A host that is down offers no faults, only Repair; one aimed at it anyway (another client) is refused with a reason.
  await expect(hostTile.getByRole('button', { name: 'Kill' })).toHaveCount(0);
  await expect(hostTile.getByRole('button', { name: 'Repair' })).toBeVisible();
  const hostId = (await hostTile.getAttribute('data-host'))!;
  await expect(callFabric(serve.url, 'injectFault', { kind: 'hang-host', hostId })).rejects.toMatchObject({
    code: 'Conflict',
    message: `${hostName} is Unhealthy; faults go to healthy hosts.`,
  });
});
