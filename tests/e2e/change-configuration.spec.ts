// A user gives a running deployment a new .cscfg from its card: a wrong one is refused with every error's
// file, line and rule; a right one reaches the role (its new setting value shows on the card).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { startServe, type RunningServe } from './support/browser-mode';
import { DashboardPage } from './support/dashboard-page';

const sample = resolve(import.meta.dirname, '../../resources/samples/worker-with-code/ServiceConfiguration.cscfg');
let serve: RunningServe;
test.beforeAll(async () => {
  serve = await startServe(['--time-scale', '1000', '--seed', '5']);
});
test.afterAll(async () => serve?.stop());

test('change the configuration of a running deployment: refused with its errors, then accepted', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'fabric-lab-e2e-cscfg-'));
  const original = readFileSync(sample, 'utf8');
  const wrong = join(dir, 'Wrong.cscfg');
  writeFileSync(wrong, original.replace('serviceName="WorkerWithCode"', 'serviceName="SomeoneElse"').replace('<Setting name="Greeting"', '<Setting name="Colour" value="red" />\n      <Setting name="Greeting"'));
  const right = join(dir, 'Right.cscfg');
  writeFileSync(right, original.replace('Hello from the fabric', 'Hello again'));

  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  await dashboard.deployButton('Worker role with role code').click();
  const deployment = dashboard.deployment('WorkerWithCode');
  await expect(deployment.locator('[data-status="ReadyRole"]')).toHaveCount(2, { timeout: 30_000 });

  await deployment.getByText('Change configuration').click();
  await deployment.getByLabel('New configuration file').setInputFiles(wrong);
  await deployment.getByRole('button', { name: 'Apply configuration' }).click();
  const refused = deployment.getByRole('alert', { name: 'Configuration refused' });
  await expect(refused).toContainText('nothing deployed changed');
  await expect(refused).toContainText('Wrong.cscfg:2:');
  await expect(refused).toContainText('[cscfg.service-name]');
  await expect(refused).toContainText('[cscfg.setting-undeclared] Setting "Colour"');
  // The definition is named as the package report names it, not by the fabric's own folders.
  await expect(refused).toContainText('(worker-with-code/ServiceDefinition.csdef, line 2)');
  await page.screenshot({ path: 'test-results/screenshots/change-configuration-refused.png', fullPage: true });

  await deployment.getByLabel('New configuration file').setInputFiles(right);
  await deployment.getByRole('button', { name: 'Apply configuration' }).click();
  await expect(deployment.getByRole('status')).toContainText('Right.cscfg accepted');
  await expect(refused).toHaveCount(0);
  await expect(deployment.locator('[data-deployment-status="Running"]')).toBeVisible({ timeout: 30_000 });
  await expect(deployment).toContainText('Hello again');
  await page.screenshot({ path: 'test-results/screenshots/change-configuration-accepted.png', fullPage: true });
});
