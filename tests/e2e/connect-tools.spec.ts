// "Connect tools": browser mode serves the Service Management API and writes what tools need into
// --session/management; the panel shows the URL serve printed, downloads the same publish settings, and a call
// made with the token it shows appears in the dashboard's operations with its request id.
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startServe, type RunningServe } from './support/browser-mode';
import { DashboardPage } from './support/dashboard-page';

let serve: RunningServe;
test.beforeAll(async () => {
  serve = await startServe(['--time-scale', '500', '--seed', '3']);
});
test.afterAll(async () => serve?.stop());

function call(method: 'GET' | 'POST', url: string, token: string, caPem: string, body = ''): Promise<{ status: number; requestId: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method, ca: caPem, headers: { 'x-ms-version': '2017-01-01', Authorization: `Bearer ${token}`, 'Content-Type': 'application/xml' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, requestId: String(res.headers['x-ms-request-id']) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('the panel shows the API, downloads the publish settings, and API calls show in the operations list', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  await page.getByRole('button', { name: 'Connect tools' }).click();
  const panel = page.getByRole('dialog', { name: 'Connect tools' });
  await expect(panel.locator('[data-management-url]')).toHaveText(serve.managementUrl);
  const folder = join(serve.session, 'management');
  await expect(panel.locator('[data-folder]')).toHaveText(folder);
  const subscriptionId = (await panel.locator('[data-subscription-id]').textContent())!;
  await expect(panel.getByRole('region', { name: 'azure CLI (classic, asm mode)' })).toContainText(`--management-endpoint-url ${serve.managementUrl}`);

  const download = page.waitForEvent('download');
  await panel.getByRole('button', { name: 'Download publish settings' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('Fabric Lab.publishsettings');
  const downloaded = readFileSync((await file.path())!, 'utf8');
  expect(downloaded).toContain(`ServiceManagementUrl="${serve.managementUrl}" Id="${subscriptionId}"`);
  expect(downloaded).toBe(readFileSync(join(folder, 'Fabric Lab.publishsettings'), 'utf8'));
  await panel.getByRole('button', { name: 'Show bearer token' }).click();
  const token = readFileSync(join(folder, 'token'), 'utf8').trim();
  await expect(panel.locator('[data-token]')).toHaveText(token);
  await panel.screenshot({ path: 'test-results/screenshots/connect-tools.png' });
  await panel.getByRole('button', { name: 'Close' }).click();

  const caPem = readFileSync(join(folder, 'ca.pem'), 'utf8');
  const created = await call(
    'POST',
    `${serve.managementUrl}/${subscriptionId}/services/hostedservices`,
    token,
    caPem,
    '<CreateHostedService xmlns="http://schemas.microsoft.com/windowsazure"><ServiceName>fromtools</ServiceName><Label>dA==</Label><Location>Local</Location></CreateHostedService>',
  );
  expect(created.status).toBe(201);
  const activity = page.getByRole('region', { name: 'Activity' });
  await expect(activity.locator(`[data-request-id="${created.requestId}"]`)).toBeVisible();
  await expect(activity).toContainText('CreateHostedService fromtools');

  // A read starts no operation: it is listed as an API call, which the user can hide.
  const read = await call('GET', `${serve.managementUrl}/${subscriptionId}/services/hostedservices`, token, caPem);
  expect(read.status).toBe(200);
  const readRow = activity.locator('li', { has: page.locator(`[data-request-id="${read.requestId}"]`) });
  await expect(readRow).toContainText('Succeeded GET /services/hostedservices → 200');
  await activity.screenshot({ path: 'test-results/screenshots/activity-api-calls.png' });
  await activity.getByRole('checkbox', { name: /API calls/ }).uncheck();
  await expect(readRow).toHaveCount(0);
  await expect(activity.locator(`[data-request-id="${created.requestId}"]`)).toBeVisible();
});
