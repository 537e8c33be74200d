// A user scales a deployment out, reads it in the tree, the FD x UD map and the charts, suspends and runs it.
import { expect, test } from '@playwright/test';
import { startServe, type RunningServe } from './support/browser-mode';
import { DashboardPage } from './support/dashboard-page';

let serve: RunningServe;
test.beforeAll(async () => {
  serve = await startServe(['--time-scale', '1000', '--seed', '11', '--hosts', '6', '--quota', '64']);
});
test.afterAll(async () => serve?.stop());

test('scale to 30, read the tree, the FD x UD map and the charts, then suspend and run', async ({ page }) => {
  test.setTimeout(120_000);
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  await dashboard.deployButton('Hello worker').click();
  const deployment = dashboard.deployment('HelloWorker');
  await expect(deployment.getByRole('progressbar', { name: 'Instances ready' })).toContainText('2 / 2 ready', { timeout: 30_000 });

  // Scale out: the quota (64) and the pool (6 x 8 cores) have room for 30.
  await deployment.getByLabel('Instance count for WorkerRole1').fill('30');
  await deployment.getByRole('button', { name: 'Scale', exact: true }).click();
  await expect(deployment.getByRole('progressbar', { name: 'Instances ready' })).toContainText('30 / 30 ready', { timeout: 60_000 });
  await expect(deployment.locator('[data-deployment-status]')).toHaveText('Running');

  // The FD x UD map holds every instance, spread over both fault domains and all five upgrade domains.
  const map = dashboard.domainMap(deployment);
  await expect(map.locator('[data-instance-id]')).toHaveCount(30);
  for (const fd of [0, 1]) await expect(map.locator(`[data-fd="${fd}"] [data-instance-id]`).first()).toBeVisible();
  for (const ud of [0, 1, 2, 3, 4]) await expect(map.locator(`[data-ud="${ud}"] [data-instance-id]`).first()).toBeVisible();

  // The instance table is virtualised: 30 instances, fewer rows in the DOM.
  const rows = dashboard.instanceRows(deployment);
  const inDom = await rows.count();
  expect(inDom).toBeGreaterThan(5);
  expect(inDom).toBeLessThan(30);

  // The tree: service -> deployment -> role (30/30 ready) -> instances; choosing one opens its detail.
  const tree = dashboard.tree();
  await expect(tree.getByRole('treeitem', { name: /HelloWorker/ }).first()).toBeVisible();
  await expect(tree).toContainText('30/30 ready');
  await tree.getByRole('button', { name: 'Select WorkerRole1_IN_3, ReadyRole' }).click();
  const detail = page.getByRole('complementary', { name: 'Instance WorkerRole1_IN_3' });
  await expect(detail).toBeVisible();
  // Its heartbeat count keeps growing: updates that change only the heartbeat reach the panel, not the lists.
  const beats = detail.locator('[data-guest-heartbeats]');
  await expect(beats).toBeVisible();
  const heard = Number(await beats.textContent());
  await expect.poll(async () => Number(await beats.textContent()), { timeout: 15_000 }).toBeGreaterThan(heard);
  // At 10x and above the panel says the host reports heartbeats about once a real second, so the age is not read
  // as a silent guest. The scale is 1000x asked; a busy machine may keep less (the header then says so).
  const kept = page.getByRole('status').filter({ hasText: /x asked, .*x kept/ });
  const keptScale = (await kept.count()) > 0 ? Number(/([\d.]+)x kept/.exec((await kept.first().textContent()) ?? '')?.[1]) : 1000;
  const reporting = detail.locator('[data-heartbeat-reporting]');
  if (keptScale >= 10) await expect(reporting).toHaveText(/^reported by the host about once a real second: every (\d+m )?\d+s at [\d.]+x$/);
  else await expect(reporting).toHaveCount(0);

  // Charts are drawn from the pushed batches.
  const charts = dashboard.charts();
  await expect(charts.locator('[data-chart-latest="status"]')).toContainText('30 ready');
  expect(await dashboard.canvasDrawn(charts.getByLabel('Instances by status over time'))).toBe(true);
  expect(await dashboard.canvasDrawn(charts.getByLabel('Cores allocated per pool over time'))).toBe(true);
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: 'test-results/screenshots/dashboard-scaled.png' });
  await charts.scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/screenshots/dashboard-charts.png' });

  // Reboot one instance from its panel, confirmed; it comes back Ready.
  await detail.getByRole('button', { name: 'Reboot' }).click();
  await detail.getByRole('button', { name: 'Yes, reboot' }).click();
  await expect(page.getByRole('region', { name: 'Activity' })).toContainText('RebootRoleInstance');
  await expect(deployment.getByRole('progressbar', { name: 'Instances ready' })).toContainText('30 / 30 ready', { timeout: 60_000 });

  // Suspend (confirmed): every instance stops; Run brings them back.
  await deployment.getByRole('button', { name: 'Suspend' }).click();
  await deployment.getByRole('button', { name: 'Yes, suspend' }).click();
  await expect(deployment.locator('[data-deployment-status]')).toHaveText('Suspended', { timeout: 60_000 });
  // The activity says what the status was changed to.
  await expect(page.getByRole('region', { name: 'Activity' }).locator('[data-operation-status="Succeeded"]', { hasText: 'UpdateDeploymentStatus' }).first()).toContainText('to Suspended');
  await expect(map.locator('[data-tile-status="StoppedVM"]')).toHaveCount(30);
  await page.screenshot({ path: 'test-results/screenshots/dashboard-suspended.png' });
  await deployment.getByRole('button', { name: 'Run' }).click();
  await expect(deployment.locator('[data-deployment-status]')).toHaveText('Running', { timeout: 60_000 });
  await expect(deployment.getByRole('progressbar', { name: 'Instances ready' })).toContainText('30 / 30 ready', { timeout: 60_000 });

  // Beyond the quota: refused with the reason on the card, and nothing changes.
  await deployment.getByLabel('Instance count for WorkerRole1').fill('100');
  await deployment.getByRole('button', { name: 'Scale', exact: true }).click();
  await expect(deployment.getByRole('alert')).toContainText('quota');
  await expect(deployment.getByRole('progressbar', { name: 'Instances ready' })).toContainText('30 / 30 ready');
});
