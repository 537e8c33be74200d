// A user deploys "Web front end and worker", opens its VIP in the browser, sends a traffic run from the
// deployment's load-balancer panel, watches both instances serve, crashes one instance's role at every start
// and sees the next run served by the instance left, with the counters and the run's report adding up.
import { expect, test } from '@playwright/test';
import { startServe, type RunningServe } from './support/browser-mode';
import { DashboardPage } from './support/dashboard-page';

let serve: RunningServe;
test.beforeAll(async () => {
  serve = await startServe(['--time-scale', '1000', '--seed', '23']);
});
test.afterAll(async () => serve?.stop());

test('open the VIP, send traffic, and watch it move when an instance crashes', async ({ page, context }) => {
  test.setTimeout(90_000);
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve.url);
  await dashboard.deployButton('Web front end and worker').click();
  const deployment = dashboard.deployment('WebAndWorker');
  await expect(deployment.locator('[data-status="ReadyRole"]')).toHaveCount(4, { timeout: 30_000 });

  const lb = deployment.getByRole('group', { name: /Load balancer of deployment/ });
  const url = lb.locator('[data-vip-endpoint="HttpIn"] [data-vip-url]');
  await expect(url).toHaveText(/^http:\/\/127\.\d+\.\d+\.\d+:\d+\/$/);
  // The VIP is a real address: a browser tab opens it.
  const tab = await context.newPage();
  await tab.goto((await url.textContent())!);
  await expect(tab.locator('h1')).toContainText('Hello from');
  await tab.close();

  const form = lb.getByRole('form', { name: /Send traffic to/ });
  await form.getByLabel('Requests per second').fill('40');
  await form.getByLabel('Duration in seconds').fill('2');
  await form.getByRole('button', { name: 'Send traffic' }).click();
  const run = lb.getByLabel('Traffic run', { exact: true });
  await expect(run).toHaveAttribute('data-traffic-run', 'Completed', { timeout: 20_000 });
  const report = run.locator('[data-traffic-report]');
  await expect(report).toContainText(/sent (\d+) = served \1 \+ refused 0 \+ failed 0/);
  await expect(run).toContainText('Bound: stopped at its duration bound (2 s)');
  const requests = (name: string) => lb.locator(`[data-traffic-instance="${name}"] [data-requests]`);
  await expect(requests('WebFrontEnd_IN_0')).not.toHaveText('0');
  await expect(requests('WebFrontEnd_IN_1')).not.toHaveText('0');

  // Crash WebFrontEnd_IN_0 at every start: it leaves rotation, and the next run is all served by IN_1.
  await deployment.getByRole('button', { name: 'Show WebFrontEnd_IN_0' }).click();
  const detail = page.getByRole('complementary', { name: 'Instance WebFrontEnd_IN_0' });
  await expect(detail.locator('[data-dip]')).toHaveText(/^127\.\d+\.\d+\.\d+$/);
  await detail.getByRole('button', { name: 'Crash at every start', exact: true }).click();
  await detail.getByRole('button', { name: 'Yes, crash at every start' }).click();
  await expect(lb.locator('[data-traffic-instance="WebFrontEnd_IN_0"]')).toHaveClass(/out/, { timeout: 20_000 });
  const before0 = Number(await requests('WebFrontEnd_IN_0').textContent());
  const before1 = Number(await requests('WebFrontEnd_IN_1').textContent());
  await form.getByRole('button', { name: 'Send traffic' }).click();
  await expect(run).toHaveAttribute('data-traffic-run', 'Running');
  await expect(run).toHaveAttribute('data-traffic-run', 'Completed', { timeout: 20_000 });
  await expect(report).toContainText(/sent (\d+) = served \1 \+ refused 0 \+ failed 0/);
  const sent = Number(/sent (\d+)/.exec((await report.textContent())!)![1]);
  await expect(requests('WebFrontEnd_IN_1')).toHaveText(String(before1 + sent));
  await expect(requests('WebFrontEnd_IN_0')).toHaveText(String(before0));
  await lb.screenshot({ path: 'test-results/screenshots/load-balancer.png' });

  // A bad path is refused with the reason, and the panel keeps working.
  await form.getByLabel('Traffic path').fill('http://example.com/');
  await form.getByRole('button', { name: 'Send traffic' }).click();
  await expect(lb.getByRole('alert')).toContainText('a path starts with "/"');
});
