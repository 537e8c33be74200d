// A user deploys the full IIS sample, opens an instance, sees its endpoints listening on loopback, and
// sends a real request from the instance detail: the site's page comes back and w3wp is now serving.
import { expect, test } from '@playwright/test';
import { startServe, type RunningServe } from './support/browser-mode';
import { DashboardPage } from './support/dashboard-page';

let serve: RunningServe;
test.beforeAll(async () => {
  serve = await startServe(['--time-scale', '1000', '--seed', '17']);
});
test.afterAll(async () => serve?.stop());

test('send a request to a full IIS instance from its detail panel', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  await dashboard.deployButton('Full IIS web role with two sites').click();
  const deployment = dashboard.deployment('FullIis');
  await expect(deployment.locator('[data-status="ReadyRole"]')).toHaveCount(2, { timeout: 30_000 });
  await deployment.getByRole('button', { name: 'Show WebRole1_IN_0' }).click();
  const detail = page.getByRole('complementary', { name: 'Instance WebRole1_IN_0' });

  const endpoints = detail.getByRole('table', { name: 'Instance endpoints' });
  await expect(endpoints.locator('[data-endpoint="HttpIn"] [data-address]')).toHaveText(/^127\.\d+\.\d+\.\d+:\d+$/);
  await expect(endpoints.locator('[data-endpoint="HttpIn"]')).toContainText('no worker process');

  const form = detail.getByRole('form', { name: 'Send a request to the instance' });
  await form.getByLabel('Endpoint').selectOption('HttpIn');
  await form.getByLabel('Request path').fill('/');
  await form.getByRole('button', { name: 'Send request' }).click();
  await expect(detail.locator('[data-response-status]')).toContainText('200');
  await expect(detail.locator('pre')).toContainText('Site Web (sitesroot\\0)');
  await expect(endpoints.locator('[data-endpoint="HttpIn"]')).toContainText('w3wp.exe (pid');
  await detail.screenshot({ path: 'test-results/screenshots/instance-request.png' });

  // A path that is not a path is refused with the reason, and the panel keeps working.
  await form.getByLabel('Request path').fill('http://example.com/');
  await form.getByRole('button', { name: 'Send request' }).click();
  await expect(detail.getByRole('alert')).toContainText('a path starts with "/"');
  await form.getByLabel('Request path').fill('/missing.html');
  await form.getByRole('button', { name: 'Send request' }).click();
  await expect(detail.locator('[data-response-status]')).toContainText('404');

  // The log viewer lists IIS's files with the others: IISConfigurator.log, WaIISHost.log and the W3C log.
  await detail.getByRole('button', { name: 'Open logs' }).click();
  const files = page.getByRole('dialog', { name: 'Logs of WebRole1_IN_0' }).getByLabel('Log file');
  await expect(files.locator('option', { hasText: 'IISConfigurator (current)' })).toHaveCount(1);
  await expect(files.locator('option', { hasText: 'WaIISHost (current)' })).toHaveCount(1);
  await expect(files.locator('option', { hasText: /IIS \(current\).*W3SVC1\\u_ex\d{6}\.log/ })).toHaveCount(1);
  await files.selectOption({ label: (await files.locator('option', { hasText: 'W3SVC1' }).textContent())! });
  await expect(page.getByRole('log', { name: 'Log lines' })).toContainText('GET /missing.html');
  await page.screenshot({ path: 'test-results/screenshots/instance-iis-log.png' });
});
