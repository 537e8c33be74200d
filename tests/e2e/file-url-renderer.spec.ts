// The built renderer as Electron loads it: out/renderer/index.html from disk over file://, with the fabric on
// window.fabricLab. The real Electron binary cannot run on these machines, so a stand-in preload (an init
// script) puts a FabricApi there that forwards each call, as the preload's IPC would, to a real browser-mode
// fabric (`npm run serve`'s entry) over its WebSocket from this test process. What is checked is the part
// that differs from browser mode: assets and the log viewer's filter worker resolve from file://, the page's
// CSP lets the worker start, and the worker (not the UI-thread fallback) answers the filter.
//
// Plain Chromium refuses every module script of a file:// page unless started with
// --allow-file-access-from-files. The app's own entry (<script type="module" src="./assets/index-*.js">) needs
// that same access in Electron, so the flag stands in for it; the worker must need nothing more.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import WebSocket from 'ws';
import config from '../../playwright.config';
import { fabricCommandNames } from '../../src-main/common/fabric-api';
import { startServe, type RunningServe } from './support/browser-mode';
import { DashboardPage } from './support/dashboard-page';

const renderer = fileURLToPath(new URL('../../out/renderer/', import.meta.url));
const indexUrl = pathToFileURL(`${renderer}index.html`).href;

const launch = config.use?.launchOptions ?? {};
test.use({ launchOptions: { ...launch, args: [...(launch.args ?? []), '--allow-file-access-from-files'] } });

let serve: RunningServe;
test.beforeAll(async () => {
  serve = await startServe(['--time-scale', '1000', '--seed', '5']);
});
test.afterAll(async () => {
  await serve?.stop();
});

let socket: WebSocket | null = null;
test.afterEach(() => {
  socket?.close();
  socket = null;
});

/** The stand-in for src-main/electron/preload.ts: window.fabricLab answering through this process. */
async function exposeFabricLab(page: Page): Promise<void> {
  const url = new URL(serve.url);
  const ws = (socket = new WebSocket(`ws://${url.host}/fabric?token=${url.searchParams.get('token')}`));
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  let nextId = 1;
  const pending = new Map<number, (answer: unknown) => void>();
  ws.on('message', (data) => {
    const reply = JSON.parse(String(data)) as { id?: number; type?: string; batch?: unknown; result?: unknown; error?: unknown };
    if (reply.type === 'events') return void page.evaluate((batch) => (globalThis as unknown as { __fabricEvents?: (b: unknown) => void }).__fabricEvents?.(batch), reply.batch).catch(() => {});
    const answer = pending.get(reply.id!);
    pending.delete(reply.id!);
    answer?.(reply.error ? { error: reply.error } : { result: reply.result });
  });
  // As the preload's ipcRenderer.invoke: one command, answered {result} or {error}.
  await page.exposeFunction('__fabricInvoke', (method: string, args: unknown) => new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    ws.send(JSON.stringify({ id, method, args }));
  }));
  await page.addInitScript((names: readonly string[]) => {
    type Answer = { result?: unknown; error?: { code: string; message: string } };
    const w = globalThis as unknown as Record<string, unknown> & { __fabricInvoke(method: string, args: unknown): Promise<Answer> };
    const listeners = new Set<(batch: unknown) => void>();
    w.__fabricEvents = (batch: unknown) => listeners.forEach((l) => l(batch));
    const invoke = async (method: string, args: unknown) => {
      const answer = await w.__fabricInvoke(method, args);
      if (answer.error) throw Object.assign(new Error(answer.error.message), { code: answer.error.code });
      return answer.result;
    };
    w.fabricLab = {
      ...Object.fromEntries(names.map((name) => [name, (args?: unknown) => invoke(name, args)])),
      onEvents(listener: (batch: unknown) => void) {
        listeners.add(listener);
        return () => void listeners.delete(listener);
      },
      // Main's dialog and file reading are tested in tests/unit/electron-shell.test.ts; here the "user"
      // picks the Hello worker sample's folder, and the renderer must show the report main answers.
      choosePackage: (choice: string) => (choice === 'folder' ? invoke('getSamplePackage', { sample: 'hello-worker' }) : Promise.resolve(null)),
    };
  }, fabricCommandNames);
}

test('under file://, the log viewer filters in its Web Worker, loaded from out/renderer/assets', async ({ page }) => {
  const workerFile = readdirSync(`${renderer}assets`).find((f) => /^log-filter\.worker-.*\.js$/.test(f));
  expect(workerFile, 'the build holds the filter worker beside the main bundle').toBeTruthy();
  const workers: string[] = [];
  const warnings: string[] = [];
  page.on('worker', (worker) => workers.push(worker.url()));
  page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
  page.on('pageerror', (error) => warnings.push(error.message));
  await exposeFabricLab(page);

  const dashboard = new DashboardPage(page);
  await dashboard.open(indexUrl);
  expect(page.url()).toMatch(/^file:\/\/.*\/out\/renderer\/index\.html$/);
  const { detail } = await dashboard.deployHelloWorkerAndOpen('WorkerRole1_IN_0');
  await detail.getByRole('button', { name: 'Open logs' }).click();
  const viewer = page.getByRole('dialog', { name: 'Logs of WorkerRole1_IN_0' });
  const lines = viewer.getByRole('log', { name: 'Log lines' });
  await expect(lines).toContainText('[HEART] WindowsAzureGuestAgent Heartbeat.');

  // Filter and search: both answered by the worker, which was started from the relative asset URL.
  await viewer.getByRole('checkbox', { name: 'heartbeat' }).uncheck();
  await viewer.getByLabel('Search the log').fill('starting');
  await expect(viewer.locator('[data-matches]')).toHaveAttribute('data-matches', /^[1-9]\d*$/);
  await expect(lines).not.toContainText('[HEART]');
  await expect(lines).toContainText('WindowsAzureGuestAgent starting.');
  expect(workers).toEqual([pathToFileURL(`${renderer}assets/${workerFile}`).href]);
  expect(warnings.filter((w) => /Log filter runs on the UI thread|Content Security Policy|Failed to construct 'Worker'/.test(w))).toEqual([]);
  await page.screenshot({ path: 'test-results/screenshots/file-url-log-filter.png' });
});

test("under file://, with the app's package dialog, the picker offers it instead of file inputs", async ({ page }) => {
  await exposeFabricLab(page);
  const dashboard = new DashboardPage(page);
  await dashboard.open(indexUrl);
  const picker = page.getByRole('region', { name: 'Deploy', exact: true });
  await expect(picker.getByLabel('Package file')).toHaveCount(0);
  await picker.getByRole('button', { name: 'Open package files…' }).click(); // the stand-in's dialog is cancelled
  await expect(picker.getByRole('alert')).toHaveCount(0);
  await picker.getByRole('button', { name: 'Open csx folder…' }).click();
  await expect(picker.getByRole('button', { name: 'Deploy HelloWorker' })).toBeEnabled();
  await picker.screenshot({ path: 'test-results/screenshots/file-url-package-dialog.png' });
});
