// A host node joins while the dashboard is open: its hosts appear in the pool, each saying which node runs it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { HostNodeProcess } from '../support/host-node-process';
import { natsMissing, startNatsServer, type NatsServer } from '../support/nats-server';
import { startServe, type RunningServe } from './support/browser-mode';
import { DashboardPage } from './support/dashboard-page';

let nats: NatsServer | null = null;
let serve: RunningServe | null = null;
let node: HostNodeProcess | null = null;
const tokenFile = join(mkdtempSync(join(tmpdir(), 'fabric-lab-e2e-nodes-')), 'join.token');
writeFileSync(tokenFile, 'join-token-for-the-e2e-test\n', { mode: 0o600 });

test.skip(natsMissing !== null, natsMissing ?? '');
test.beforeAll(async () => {
  nats = await startNatsServer();
  // user:password@ in the URL: the credentials' third way in, besides --nats-user with FABRIC_LAB_NATS_PASSWORD.
  serve = await startServe(['--time-scale', '100', '--pool', 'Local:2x4+0', '--nats', `nats://${nats.user}:${nats.password}@127.0.0.1:${nats.port}`, '--join-token-file', tokenFile]);
});
test.afterAll(async () => {
  await node?.stop();
  await serve?.stop();
  await nats?.stop();
});

test('a host node that joins while the page is open shows its hosts in the pool, each naming its node', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(serve!.url);
  const pool = dashboard.pool('Pool A');
  await expect(pool.getByRole('article')).toHaveCount(2);
  node = new HostNodeProcess(['--nats', `nats://${nats!.user}:${nats!.password}@127.0.0.1:${nats!.port}`, '--pool', 'Local:2x4', '--name', 'rack-2', '--join-token-file', tokenFile]);
  await node.says(/joined pool-1/);
  const tile = pool.getByRole('article', { name: /^rack-2 1, 0 of 4 cores used, Healthy, on node rack-2$/ });
  await expect(tile).toBeVisible({ timeout: 30_000 });
  await expect(tile).toContainText('⇄ rack-2');
  await expect(pool.getByRole('article')).toHaveCount(4);
  await expect(pool).toContainText('4 healthy hosts');
  await page.screenshot({ path: 'test-results/screenshots/host-nodes.png' });
});
