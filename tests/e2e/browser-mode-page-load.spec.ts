// Browser mode's page loads cleanly (no console error, no failed request: CSP frame-ancestors travels as a
// header, /favicon.ico is answered), and a page left open keeps working after the server of the same
// --session restarts (the token is kept in the session folder).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startServe } from './support/browser-mode';
import { DashboardPage } from './support/dashboard-page';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('the page loads with no console error and no failed request, favicon included', async ({ page }) => {
  const serve = await startServe();
  try {
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${new URL(response.url()).pathname}`);
    });
    await new DashboardPage(page).open(serve.url);
    await expect(page.getByText('Connected (WebSocket)')).toBeVisible();
    const favicon = await page.request.get(`${serve.origin}/favicon.ico`);
    expect(favicon.status()).toBe(200);
    expect(favicon.headers()['content-type']).toBe('image/svg+xml');
    expect(problems).toEqual([]);
  } finally {
    await serve.stop();
  }
});

test('a reloaded page keeps working after the server of the same --session restarts', async ({ page }) => {
  const session = mkdtempSync(join(tmpdir(), 'fabric-lab-e2e-restart-'));
  const port = String(await freePort());
  try {
    const first = await startServe(['--port', port], session);
    await new DashboardPage(page).open(first.url);
    await expect(page.getByText('Connected (WebSocket)')).toBeVisible();
    await first.stop();

    const second = await startServe(['--port', port], session);
    try {
      expect(second.url).toBe(first.url);
      // The page's own address carries no token after the first load: the cookie does.
      await page.goto(`${second.origin}/`);
      await expect(page.getByText('Connected (WebSocket)')).toBeVisible();
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(session, { recursive: true, force: true });
  }
});
