// The built app in real Electron: one window titled Fabric Lab, its UI rendered, the fabric reachable
// through window.fabricLab and nothing else of Electron or Node visible to the page.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { test, expect, _electron, type ElectronApplication } from '@playwright/test';
import { fabricCommandNames } from '../../src-main/common/fabric-api';

/** What window.fabricLab holds: every FabricApi command, onEvents, and the desktop dialog (common/desktop-api.ts). */
const exposed = [...fabricCommandNames, 'onEvents', 'choosePackage'].sort();

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

function findElectronBinary(): string | null {
  try {
    // The electron package exports its binary's path and throws when the binary was never downloaded.
    return createRequire(import.meta.url)('electron') as string;
  } catch {
    return null;
  }
}

const electronBinary = findElectronBinary();
const skipReason =
  "Electron's binary is not installed on this machine (allowScripts keeps npm from downloading it); the Electron end-to-end test runs where it is.";
if (!electronBinary) console.log(`Skipping tests/e2e/electron.spec.ts: ${skipReason}`);

test.describe('Fabric Lab in Electron', () => {
  test.skip(!electronBinary, skipReason);

  let app: ElectronApplication;
  test.beforeAll(async () => {
    expect(existsSync(new URL('../../out/main/index.js', import.meta.url)), 'run "npm run build" first').toBe(true);
    app = await _electron.launch({ executablePath: electronBinary ?? undefined, args: ['.'], cwd: repoRoot });
  });
  test.afterAll(async () => {
    await app?.close();
  });

  test('opens one window titled Fabric Lab showing the app', async () => {
    const page = await app.firstWindow();
    await expect(page).toHaveTitle('Fabric Lab');
    await expect(page.locator('#app > *').first()).toBeVisible();
    expect(app.windows()).toHaveLength(1);
  });

  test('gives the page the FabricApi and no Node or Electron', async () => {
    const page = await app.firstWindow();
    const seen = await page.evaluate(async () => {
      // The page's window; this file compiles without the DOM lib.
      const w = globalThis as unknown as Record<string, unknown> & { fabricLab: { listSamples(): Promise<unknown[]> } };
      return {
        api: Object.keys(w.fabricLab).sort(),
        samples: (await w.fabricLab.listSamples()).length,
        require: typeof w.require,
        process: typeof w.process,
        ipcRenderer: typeof w.ipcRenderer,
      };
    });
    expect(seen.api).toEqual(exposed);
    expect(seen.samples).toBeGreaterThan(0);
    expect(seen).toMatchObject({ require: 'undefined', process: 'undefined', ipcRenderer: 'undefined' });
  });

  test('answers a bad command with an Error and the fabric keeps running', async () => {
    const page = await app.firstWindow();
    const message = await page.evaluate(() =>
      (globalThis as unknown as { fabricLab: { deleteDeployment(r: unknown): Promise<unknown> } }).fabricLab
        .deleteDeployment({ deploymentId: 42 })
        .then(
          () => 'resolved',
          (error: unknown) => (error instanceof Error ? error.message : `not an Error: ${String(error)}`),
        ),
    );
    expect(message).toMatch(/Bad argument to deleteDeployment/);
  });
});
