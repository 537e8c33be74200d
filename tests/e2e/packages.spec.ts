// A user checks packages before deploying them: a sample's validation report, their own package opened
// from disk (with its configuration chosen separately), and a broken one refused with its errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { startServe, type RunningServe } from './support/browser-mode';
import { DashboardPage } from './support/dashboard-page';

const samples = resolve(import.meta.dirname, '../../resources/samples');
let serve: RunningServe;
test.beforeAll(async () => {
  serve = await startServe(['--time-scale', '1000', '--seed', '3']);
});
test.afterAll(async () => serve?.stop());

test('a sample with validation errors shows every error with file, line and rule, and cannot be deployed', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  const title = 'A package with validation errors (teaching sample)';
  await expect(dashboard.deployButton(title)).toBeDisabled();
  await page.getByRole('button', { name: `Report for ${title}` }).click();
  const report = page.getByLabel('Validation report for validation-errors');
  await expect(report).toContainText('✗ 9 error(s)');
  await expect(report).toContainText('ServiceDefinition.csdef:3:12');
  await expect(report).toContainText('[csdef.role-name]');
  await expect(report).toContainText('[cscfg.service-name]');
});

test('open a package from disk with its configuration, read its report, and deploy it', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  await page.getByLabel('Package file', { exact: true }).setInputFiles(join(samples, 'web-and-worker/ServiceDefinition.csdef'));
  await page.getByLabel('Configuration file').setInputFiles(join(samples, 'web-and-worker/ServiceConfiguration.cscfg'));
  await page.getByRole('button', { name: 'Check package' }).click();
  const report = page.getByLabel('Validation report for WebAndWorker');
  await expect(report).toContainText('✓ WebAndWorker is valid');
  await report.getByText('WebFrontEnd', { exact: true }).click();
  await expect(report).toContainText('HttpIn: http 80 (input)');
  await page.screenshot({ path: 'test-results/screenshots/package-report.png', fullPage: true });
  await page.getByRole('button', { name: 'Deploy WebAndWorker' }).click();
  // The upload's deploy is answered where it was clicked, and the new card is brought into view.
  const picker = page.getByRole('region', { name: 'Deploy', exact: true });
  await expect(picker.getByRole('status')).toContainText(/Deploying as deployment\d+\(\d+\)/);
  const deployment = dashboard.deployment('WebAndWorker');
  await expect(deployment).toBeInViewport();
  await expect(deployment.locator('[data-status="ReadyRole"]')).toHaveCount(4, { timeout: 30_000 });
});

test('a broken definition is reported with its line, and nothing is deployed', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  const dir = mkdtempSync(join(tmpdir(), 'fabric-lab-e2e-'));
  const broken = join(dir, 'Broken.csdef');
  writeFileSync(broken, '<?xml version="1.0"?>\n<ServiceDefinition name="Broken" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceDefinition">\n  <WorkerRole name="W"\n</ServiceDefinition>\n');
  await page.getByLabel('Package file', { exact: true }).setInputFiles(broken);
  await page.getByRole('button', { name: 'Check package' }).click();
  await expect(page.getByText(/✗ \d+ error\(s\)/)).toBeVisible();
  await expect(page.getByText(/Broken\.csdef:\d+:\d+/).first()).toBeVisible();
  await expect(page.getByRole('button', { name: 'Deploy Broken.csdef' })).toBeDisabled();
  rmSync(dir, { recursive: true, force: true });
});
