// The one Fabric Lab window, and where its pages come from. The renderer gets no Node and no Electron:
// everything it may do goes through the preload's window.fabricLab.
import { BrowserWindow } from 'electron';
import { pathToFileURL } from 'node:url';

export interface RendererLocation {
  /** What the window loads: the dev server in development, else the built out/renderer/index.html. */
  url: string;
  /** True only for the app's own pages; navigation and IPC from anything else are refused. */
  isAppUrl(url: string): boolean;
}

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * devServerUrl is electron-vite's ELECTRON_RENDERER_URL; main.ts passes it only when the app is not
 * packaged. It must be plain http(s) on loopback, so a stray environment variable cannot hand the
 * preload's fabric access to a remote site.
 */
export function rendererLocation(options: { devServerUrl?: string; indexHtml: string }): RendererLocation {
  const dev = options.devServerUrl ? parseUrl(options.devServerUrl) : null;
  if (dev && (dev.protocol === 'http:' || dev.protocol === 'https:') && loopbackHosts.has(dev.hostname)) {
    return { url: dev.href, isAppUrl: (url) => parseUrl(url)?.origin === dev.origin };
  }
  if (options.devServerUrl) console.warn(`Ignoring ELECTRON_RENDERER_URL=${options.devServerUrl}: only a loopback dev server is trusted.`);

  const index = pathToFileURL(options.indexHtml);
  return {
    url: index.href,
    // Same file, any query or #fragment: the UI may route with the hash.
    isAppUrl: (url) => {
      const parsed = parseUrl(url);
      return parsed?.protocol === 'file:' && parsed.pathname === index.pathname;
    },
  };
}

function parseUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

export function createMainWindow(location: RendererLocation, preloadPath: string): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'Fabric Lab',
    // Shown on ready-to-show so the user never sees a blank white frame.
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.loadURL(location.url).catch((error: unknown) => {
    // A dead dev server or a missing build: say which page failed; the window stays for the devtools.
    console.error(`Fabric Lab could not load ${location.url}: ${error instanceof Error ? error.message : String(error)}`);
  });
  return win;
}
