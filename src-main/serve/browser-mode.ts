// Browser mode: the one fabric, served to a browser on loopback instead of an Electron window.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultPools } from '../fabric/fabric';
import { defaultHostCodeCacheDir } from '../fabric/host-code-cache';
import { startFabricThread, type FabricThread } from '../fabric-thread/fabric-thread';
import { createSessionDir } from '../fabric/fabric-logs';
import type { HostNodesOptions } from '../fabric/nats-host-nodes';
import { natsServerName } from '../fabric/nats-connection';
import { fabricHostNodes } from './nats-args';
import { browserTokenFile, managementFolderName } from '../logs/session-archive';
import { defaultManagementFolder } from '../management/management-face';
import { startBrowserServer } from './browser-server';
import type { ServeOptions } from './serve-args';

export interface BrowserModeOptions extends ServeOptions {
  /** The built host worker; by default out/main/host-worker.cjs. */
  hostWorkerUrl?: URL;
  /** The built renderer; by default out/renderer/. */
  rendererDir?: string;
}

export interface BrowserMode {
  /** The page to open, token included. */
  url: string;
  /** The fabric, in its own thread (fabric-thread.ts). */
  fabric: FabricThread;
  /** The Service Management API's URL. */
  managementUrl: string;
  close(): Promise<void>;
}

export async function startBrowserMode(options: BrowserModeOptions): Promise<BrowserMode> {
  // Built into out/main/ beside host-worker.cjs, with the renderer in out/renderer/.
  const hostWorkerUrl = options.hostWorkerUrl ?? new URL('./host-worker.cjs', import.meta.url);
  const rendererDir = options.rendererDir ?? fileURLToPath(new URL('../renderer/', import.meta.url));
  // Checked before any worker starts, so a missing build is one clear line rather than a 404 page.
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(`${join(rendererDir, 'index.html')} is missing: run "npm run build" first (npm run serve does).`);
  }

  const base = defaultPools[0]!;
  const sized = options.hosts === undefined && options.cores === undefined ? undefined : [{ ...base, hosts: options.hosts ?? base.hosts, coresPerHost: options.cores ?? base.coresPerHost }];
  const pools = options.pools ?? sized;
  let sessionDir = options.session;
  let nats: HostNodesOptions | undefined;
  let tokenNote = '';
  if (options.nats) {
    // Host nodes present this token; without one given, the session keeps its own (shown to the user, never exported).
    const nodes = await fabricHostNodes(options.nats, options.joinTokenFile, () => (sessionDir = createSessionDir(sessionDir)));
    nats = nodes.options;
    tokenNote = nodes.note;
  }
  // The Service Management API, with its credentials in the session folder when one is given; served from the fabric's thread.
  const managementFolder = options.session ? join(options.session, managementFolderName) : defaultManagementFolder();
  const fabric = await startFabricThread({
    hostWorkerUrl,
    hostCodeCacheDir: defaultHostCodeCacheDir(),
    timeScale: options.timeScale,
    seed: options.seed,
    pools,
    coreQuota: options.quota,
    sessionDir,
    timings: options.timings,
    nats,
    keepPace: !options.exactPace,
    platformUpdateEveryHours: options.platformUpdateEveryHours,
    management: { folder: managementFolder, port: options.managementPort },
  });
  const management = fabric.management;
  if (!management || 'error' in management) {
    await fabric.close();
    throw new Error(`The Service Management API did not start: ${management?.error ?? 'not asked'}`);
  }
  const server = await (async () => {
    // A session named with --session keeps its token, so a page left open works again after a restart.
    const token = options.session === undefined ? undefined : await sessionToken(fabric.sessionDir);
    return startBrowserServer({ api: fabric, rendererDir, port: options.port, token, log: (line) => console.error(line), reportError: (source, message) => fabric.reportError(source, message) });
  })().catch(async (error: unknown) => {
    await fabric.close();
    throw error;
  });
  console.log(`Fabric Lab (browser mode) is running at ${server.url}`);
  console.log(`Service Management API: ${management.url} (publish settings, ca.pem and token in ${managementFolder})`);
  console.log(`Session logs: ${fabric.sessionDir}`);
  if (options.nats) console.log(`Host nodes join through NATS at ${natsServerName(options.nats)}; ${tokenNote}.`);
  if (options.session !== undefined) console.log(`The page's token is kept in ${join(fabric.sessionDir, browserTokenFile)} (readable only by you) for restarts of this session.`);

  return {
    url: server.url,
    fabric,
    managementUrl: management.url,
    async close() {
      // The fabric's thread closes the Service Management API before the fabric.
      await server.close();
      await fabric.close();
    },
  };
}

/**
 * The token of a session folder: the one kept in it by an earlier run, or a new one written there with mode 0600.
 * A kept file that others can read (or that holds no valid token) is not trusted: a new token replaces it.
 */
export async function sessionToken(sessionDir: string): Promise<string> {
  const file = join(sessionDir, browserTokenFile);
  const kept = await stat(file).then(
    async (s) => (s.isFile() && (s.mode & 0o077) === 0 ? (await readFile(file, 'utf8')).trim() : null),
    () => null,
  );
  if (kept !== null && /^[A-Za-z0-9_-]{32,}$/.test(kept)) return kept;
  const token = randomBytes(24).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // writeFile's mode applies only to a file it creates
  return token;
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
