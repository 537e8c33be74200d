// Keyboard and accessibility (issue 15): WCAG 2 A/AA as axe-core checks it, dialogs that trap focus and close
// on Escape, the service tree as an ARIA tree, and skip links to the main actions.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { startServe, type RunningServe } from './support/browser-mode';
import { DashboardPage } from './support/dashboard-page';

let serve: RunningServe;
// A fabric of its own for each test: each deploys Hello worker.
test.beforeEach(async () => {
  serve = await startServe(['--time-scale', '1000', '--seed', '21']);
});
test.afterEach(async () => serve?.stop());

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
  await page.keyboard.press('Escape');
  await detail.getByRole('button', { name: 'Open events' }).click();
  await expect(page.getByRole('dialog', { name: /Events of/ })).toBeVisible();
  expect(await violations(page, '[role="dialog"]')).toEqual([]);
});

test('dialogs take focus, keep it inside, close on Escape and give it back; a confirmation keeps focus', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  const opener = page.getByRole('button', { name: 'Fabric settings' });
  await opener.focus();
  await page.keyboard.press('Enter');
  const settings = page.getByRole('dialog', { name: 'Fabric settings' });
  await expect(settings).toBeVisible();
  const inside = () => settings.evaluate((d) => d.contains((d.ownerDocument as unknown as { activeElement: unknown }).activeElement as never));
  expect(await inside()).toBe(true);
  // Tab and Shift+Tab through more controls than the dialog has: focus never leaves it.
  for (let i = 0; i < 40; i++) await page.keyboard.press('Tab');
  expect(await inside()).toBe(true);
  for (let i = 0; i < 5; i++) await page.keyboard.press('Shift+Tab');
  expect(await inside()).toBe(true);
  expect(await violations(page, '[role="dialog"]')).toEqual([]);
  await page.keyboard.press('Escape');
  await expect(settings).toBeHidden();
  await expect(opener).toBeFocused();

  // A destructive button asks, with focus on "Yes"; Escape cancels and focus returns to the button.
  const kill = dashboard.pool('Pool A').getByRole('article', { name: /^Host 1,/ }).getByRole('button', { name: 'Kill' });
  await kill.click();
  await expect(page.getByRole('button', { name: 'Yes, kill' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(kill).toBeFocused();
});

test('the service tree follows the ARIA tree pattern, and skip links put Deploy a few Tabs from the top', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  // From the top of the page (once the fabric has answered): the first Tab is a skip link, and Deploy is a few
  // Tabs after following it.
  await expect(dashboard.deployButton('Hello worker')).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to Deploy', exact: true })).toBeFocused();
  await page.keyboard.press('Enter');
  let tabs = 0;
  while (tabs < 8 && !(await dashboard.deployButton('Hello worker').evaluate((b) => b === (b.ownerDocument as unknown as { activeElement: unknown }).activeElement))) {
    await page.keyboard.press('Tab');
    tabs++;
  }
  expect(tabs).toBeLessThanOrEqual(4);
  await page.keyboard.press('Enter');
  await expect(dashboard.deployment('HelloWorker').getByRole('progressbar', { name: 'Instances ready' })).toContainText('2 / 2 ready', { timeout: 30_000 });

  // The tree is one Tab stop; arrows walk it: service, deployment, role, then the instances.
  const tree = dashboard.tree();
  const item = (name: RegExp) => tree.getByRole('treeitem', { name });
  await item(/^HelloWorker$/).focus();
  await expect(item(/^HelloWorker$/)).toHaveAttribute('tabindex', '0');
  await page.keyboard.press('ArrowDown'); // production
  await page.keyboard.press('ArrowDown'); // WorkerRole1
  await expect(item(/^WorkerRole1,/)).toBeFocused();
  await page.keyboard.press('ArrowLeft'); // collapse the role: its instances go
  await expect(item(/^WorkerRole1,/)).toHaveAttribute('aria-expanded', 'false');
  await expect(item(/WorkerRole1_IN_0/)).toHaveCount(0);
  await page.keyboard.press('ArrowRight'); // expand again
  await page.keyboard.press('ArrowRight'); // into its first instance
  await expect(item(/WorkerRole1_IN_0/)).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('complementary', { name: 'Instance WorkerRole1_IN_0' })).toBeVisible();
  await expect(item(/WorkerRole1_IN_0/)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowLeft'); // back to its role
  await expect(item(/^WorkerRole1,/)).toBeFocused();
  await page.keyboard.press('Home');
  await expect(item(/^HelloWorker$/)).toBeFocused();
});
