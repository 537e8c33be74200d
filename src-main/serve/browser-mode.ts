// Browser mode: the one fabric, served to a browser on loopback instead of an Electron window.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultPools, Fabric } from '../fabric/fabric';
import { defaultManagementFolder, startManagementFace } from '../management/management-face';
import { startBrowserServer } from './browser-server';
import type { ServeOptions } from './serve-args';

export interface BrowserModeOptions extends ServeOptions {
  /** The built host worker; by default out/main/host-worker.js. */
  hostWorkerUrl?: URL;
  /** The built renderer; by default out/renderer/. */
  rendererDir?: string;
}

export interface BrowserMode {
  /** The page to open, token included. */
  url: string;
  /** The Service Management API's URL. */
  managementUrl: string;
  close(): Promise<void>;
}

export async function startBrowserMode(options: BrowserModeOptions): Promise<BrowserMode> {
  // Built into out/main/ beside host-worker.js, with the renderer in out/renderer/.
  const hostWorkerUrl = options.hostWorkerUrl ?? new URL('./host-worker.js', import.meta.url);
  const rendererDir = options.rendererDir ?? fileURLToPath(new URL('../renderer/', import.meta.url));
  // Checked before any worker starts, so a missing build is one clear line rather than a 404 page.
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(`${join(rendererDir, 'index.html')} is missing: run "npm run build" first (npm run serve does).`);
  }

  const base = defaultPools[0]!;
  const sized = options.hosts === undefined && options.cores === undefined ? undefined : [{ ...base, hosts: options.hosts ?? base.hosts, coresPerHost: options.cores ?? base.coresPerHost }];
  const pools = options.pools ?? sized;
  const fabric = await Fabric.start({ hostWorkerUrl, timeScale: options.timeScale, seed: options.seed, pools, coreQuota: options.quota, sessionDir: options.session, timings: options.timings });
  const server = await startBrowserServer({
    api: fabric,
    rendererDir,
    port: options.port,
    log: (line) => console.error(line),
  }).catch(async (error: unknown) => {
    await fabric.close();
    throw error;
  });
  // The Service Management API, with its credentials in the session folder when one is given.
  const managementFolder = options.session ? join(options.session, 'management') : defaultManagementFolder();
  const management = await startManagementFace(fabric, { folder: managementFolder, port: options.managementPort, log: (line) => console.error(line) }).catch(async (error: unknown) => {
    await server.close();
    await fabric.close();
    throw error;
  });
  console.log(`Fabric Lab (browser mode) is running at ${server.url}`);
  console.log(`Service Management API: ${management.server.url} (publish settings, ca.pem and token in ${managementFolder})`);
  console.log(`Session logs: ${fabric.sessionDir}`);

  return {
    url: server.url,
    managementUrl: management.server.url,
    async close() {
      await management.close();
      await server.close();
      await fabric.close();
    },
  };
}

/** Close browser mode on Ctrl+C or SIGTERM, then exit; a second signal while the host workers stop means "now". */
export function closeOnSignals(browserMode: BrowserMode): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`Stopping Fabric Lab (${signal})...`);
    browserMode.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`Fabric Lab did not shut down cleanly: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
