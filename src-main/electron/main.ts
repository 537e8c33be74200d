// Electron main entry (out/main/index.js): wiring only. The fabric, the window, the IPC bridge and the
// security locks each live in their own module; this file decides the order and the shutdown.
import { applySecurityRestrictions } from './security-restrictions';
import { app, dialog, type BrowserWindow } from 'electron';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFabricThread, type FabricThread } from '../fabric-thread/fabric-thread';
import { installLastResortHandlers } from '../fabric/last-resort';
import { natsServerName } from '../fabric/nats-connection';
import { fabricHostNodes, natsSettings } from '../serve/nats-args';
import { desktopNatsFlags } from './desktop-settings';
import { chooseExportPath, packageDialogs } from './dialogs';
import { connectFabricIpc } from './ipc-bridge';
import { createMainWindow, rendererLocation } from './window';

// Paths are relative to this bundle, out/main/index.js.
const location = rendererLocation({
  devServerUrl: app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL,
  indexHtml: fileURLToPath(new URL('../renderer/index.html', import.meta.url)),
});
const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const hostWorkerUrl = new URL('./host-worker.cjs', import.meta.url);

// Before anything can create a webContents.
applySecurityRestrictions(app, location.isAppUrl);

let fabric: FabricThread | null = null;
let fabricClosing = false;
let fabricClosed = false;
let win: BrowserWindow | null = null;

if (!app.requestSingleInstanceLock()) {
  // A second Fabric Lab would start a second datacenter; focus the first one instead.
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!win || win.isDestroyed()) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('window-all-closed', () => app.quit());
  // Host workers write logs until the fabric closes them; quitting waits for that, exactly once.
  app.on('will-quit', (event) => {
    if (!fabric || fabricClosed) return;
    event.preventDefault();
    if (fabricClosing) return;
    fabricClosing = true;
    // The fabric's thread closes the Service Management API first, then the fabric.
    fabric
      .close()
      .catch((error: unknown) => console.error(`Fabric Lab: the fabric did not close cleanly: ${describe(error)}`))
      .finally(() => {
        fabricClosed = true;
        app.quit();
      });
  });
  app.whenReady().then(start).catch(fail);
}

async function start(): Promise<void> {
  // Each launch is a session of its own under the app's data folder; older sessions stay for the user.
  const sessionDir = join(app.getPath('userData'), 'sessions', new Date().toISOString().replace(/[:.]/g, '-'));
  // Host nodes, when the command line or settings.json asks for them (desktop-settings.ts); a bad setting stops the start, named.
  const settingsFile = join(app.getPath('userData'), 'settings.json');
  const flags = desktopNatsFlags(process.argv.slice(1), readSettings(settingsFile), settingsFile);
  const settings = natsSettings(flags);
  const nodes = settings ? await fabricHostNodes(settings, flags.joinTokenFile, () => (mkdirSync(sessionDir, { recursive: true }), sessionDir)) : undefined;
  // The fabric runs in a thread of its own (fabric-thread.ts), so this thread only keeps the window and its IPC.
  // The Service Management API, its CA and credentials made once per installation in the app's data folder, is
  // served from there; the app is useful without it, so its failure is logged, not fatal.
  const started = (fabric = await startFabricThread({ hostWorkerUrl, sessionDir, hostCodeCacheDir: join(app.getPath('userData'), 'host-code'), keepPace: true, management: { folder: join(app.getPath('userData'), 'management') }, ...(nodes ? { nats: nodes.options } : {}) }));
  if (nodes && settings) console.log(`Fabric Lab: host nodes join through NATS at ${natsServerName(settings)}; ${nodes.note}.`);
  installLastResortHandlers((message) => started.reportError('Process', message));
  if (started.management && 'error' in started.management) console.error(`Fabric Lab: the Service Management API did not start: ${started.management.error}`);
  const window = (win = createMainWindow(location, preloadPath));
  const disconnect = connectFabricIpc({
    win,
    api: started,
    isAppUrl: location.isAppUrl,
    reportError: (source, message) => started.reportError(source, message),
    chooseExportPath: () => chooseExportPath(window, app.getPath('downloads')),
    packageDialogs: packageDialogs(window),
  });
  win.once('closed', () => {
    disconnect();
    win = null;
  });
}

function fail(error: unknown): void {
  dialog.showErrorBox('Fabric Lab could not start', `The emulated datacenter failed to start:\n\n${describe(error)}`);
  app.quit();
}

/** settings.json's text, or null when there is none (the app's defaults). */
function readSettings(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${file}: ${(error as Error).message}`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
