// The Electron shell, driven through a stand-in for the `electron` module: what a reviewer checks in an
// Electron app (window hardening, navigation and permission locks, CSP, IPC sender checks, a preload
// that exposes only the FabricApi) plus the main entry's start and shutdown.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { FabricError, fabricCommandNames, type FabricApi, type FabricEventBatch } from '../../src-main/common/fabric-api';
import { FabricErrors } from '../../src-main/common/fabric-errors';

const fakes = vi.hoisted(() => {
  type Listener = (...args: any[]) => unknown;
  class Emitter {
    readonly listeners = new Map<string, Listener[]>();
    on(name: string, listener: Listener): this {
      this.listeners.set(name, [...(this.listeners.get(name) ?? []), listener]);
      return this;
    }
    once(name: string, listener: Listener): this {
      const wrapper = Object.assign((...args: any[]) => (this.removeListener(name, wrapper), listener(...args)), { original: listener });
      return this.on(name, wrapper);
    }
    removeListener(name: string, listener: Listener): this {
      const kept = (this.listeners.get(name) ?? []).filter((l) => l !== listener && (l as { original?: Listener }).original !== listener);
      this.listeners.set(name, kept);
      return this;
    }
    emit(name: string, ...args: any[]): void {
      for (const listener of [...(this.listeners.get(name) ?? [])]) listener(...args);
    }
    count(name: string): number {
      return this.listeners.get(name)?.length ?? 0;
    }
  }

  class FakeSession {
    permissionRequest: Listener | null = null;
    permissionCheck: Listener | null = null;
    headersReceived: Listener | null = null;
    setPermissionRequestHandler(handler: Listener) {
      this.permissionRequest = handler;
    }
    setPermissionCheckHandler(handler: Listener) {
      this.permissionCheck = handler;
    }
    webRequest = { onHeadersReceived: (listener: Listener) => void (this.headersReceived = listener) };
  }

  class FakeWebContents extends Emitter {
    mainFrame = { url: 'file:///app/out/renderer/index.html' };
    session = new FakeSession();
    windowOpenHandler: Listener | null = null;
    destroyed = false;
    send = vi.fn();
    isDestroyed() {
      return this.destroyed;
    }
    setWindowOpenHandler(handler: Listener) {
      this.windowOpenHandler = handler;
    }
    destroy() {
      this.destroyed = true;
      this.emit('destroyed');
    }
  }

  const log: string[] = [];
  class FakeBrowserWindow extends Emitter {
    static created: FakeBrowserWindow[] = [];
    webContents = new FakeWebContents();
    show = vi.fn();
    loadURL = vi.fn(async (_url: string) => {});
    focus = vi.fn();
    restore = vi.fn();
    constructor(readonly options: any) {
      super();
      FakeBrowserWindow.created.push(this);
      log.push('new BrowserWindow');
    }
    isDestroyed() {
      return this.webContents.destroyed;
    }
    isMinimized() {
      return false;
    }
  }

  class FakeIpcMain extends Emitter {
    readonly handlers = new Map<string, Listener>();
    handle(channel: string, handler: Listener) {
      // As Electron does: a second handler for one channel is a bug.
      if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      this.handlers.set(channel, handler);
    }
    removeHandler(channel: string) {
      this.handlers.delete(channel);
    }
  }

  class FakeApp extends Emitter {
    isPackaged = false;
    enableSandbox = vi.fn(() => void log.push('enableSandbox'));
    requestSingleInstanceLock = vi.fn(() => true);
    getPath = vi.fn((name: string) => `/fake-electron/userData/${name}`);
    quit = vi.fn();
    whenReady = vi.fn(() => Promise.resolve());
    override on(name: string, listener: Listener): this {
      log.push(`app.on ${name}`);
      return super.on(name, listener);
    }
  }

  const ipcRenderer = Object.assign(new Emitter(), { invoke: vi.fn(), send: vi.fn() });
  return {
    log,
    Emitter,
    FakeWebContents,
    FakeBrowserWindow,
    app: new FakeApp(),
    ipcMain: new FakeIpcMain(),
    ipcRenderer,
    exposed: new Map<string, any>(),
    showErrorBox: vi.fn(),
    showSaveDialog: vi.fn(),
    showOpenDialog: vi.fn(),
    // The fabric's thread (which also serves the Service Management API): stood in, so no thread starts and no
    // credentials are written under the fake paths.
    fabricStart: vi.fn(),
  };
});

vi.mock('electron', () => ({
  app: fakes.app,
  BrowserWindow: fakes.FakeBrowserWindow,
  ipcMain: fakes.ipcMain,
  ipcRenderer: fakes.ipcRenderer,
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => fakes.exposed.set(key, api) },
  dialog: { showErrorBox: fakes.showErrorBox, showSaveDialog: fakes.showSaveDialog, showOpenDialog: fakes.showOpenDialog },
}));
vi.mock('../../src-main/fabric-thread/fabric-thread', () => ({ startFabricThread: fakes.fabricStart }));

import { applySecurityRestrictions, contentSecurityPolicy, pageContentSecurityPolicy } from '../../src-main/electron/security-restrictions';
import { createMainWindow, rendererLocation } from '../../src-main/electron/window';
import { connectFabricIpc } from '../../src-main/electron/ipc-bridge';
import { chooseExportPath, packageDialogs } from '../../src-main/electron/dialogs';
import { PackageStore, uploadLimits } from '../../src-main/fabric/package-store';

type FakeWindow = InstanceType<typeof fakes.FakeBrowserWindow>;
const appLocation = rendererLocation({ indexHtml: '/app/out/renderer/index.html' });
const batch: FabricEventBatch = { seq: 7, events: [{ type: 'deployment-removed', id: 'deployment1(1)' }], records: [] };

function fakeFabric() {
  const listeners = new Set<(batch: FabricEventBatch) => void>();
  const api = {
    getSnapshot: vi.fn(async () => ({ seq: 0, hosts: [] })),
    listSamples: vi.fn(async () => [{ id: 'hello', title: 'Hello', summary: '' }]),
    deploy: vi.fn(async () => ({ requestId: 'r-1', deploymentId: 'deployment1(1)' })),
    deleteDeployment: vi.fn(async () => {
      throw FabricErrors.deploymentNotFound('nope', 'req-9');
    }),
    setClock: vi.fn(async () => {
      throw new Error('clock jammed');
    }),
    exportSession: vi.fn(async (request: { path?: string }) => ({ id: 'e-1', path: request.path ?? '/session/exports/x.zip' })),
    onEvents: vi.fn((listener: (batch: FabricEventBatch) => void) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    }),
  };
  return { api, fabric: api as unknown as FabricApi, push: (b: FabricEventBatch) => listeners.forEach((l) => l(b)), listeners };
}

describe('security restrictions', () => {
  function lockedDown() {
    const app = new fakes.Emitter() as InstanceType<typeof fakes.Emitter> & { enableSandbox: () => void };
    app.enableSandbox = vi.fn();
    applySecurityRestrictions(app as any, appLocation.isAppUrl);
    const contents = new fakes.FakeWebContents();
    app.emit('web-contents-created', {}, contents);
    return { app, contents };
  }
  const navigation = (url: string) => ({ url, preventDefault: vi.fn() });

  it('sandboxes every renderer', () => {
    expect(lockedDown().app.enableSandbox).toHaveBeenCalled();
  });

  it('keeps the window on the app: navigation elsewhere is prevented, the app itself is not', () => {
    const { contents } = lockedDown();
    for (const event of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
      const foreign = navigation('https://evil.example/');
      const otherFile = navigation('file:///etc/passwd');
      const own = navigation('file:///app/out/renderer/index.html#/hosts');
      contents.emit(event, foreign);
      contents.emit(event, otherFile);
      contents.emit(event, own);
      expect(foreign.preventDefault, event).toHaveBeenCalled();
      expect(otherFile.preventDefault, event).toHaveBeenCalled();
      expect(own.preventDefault, event).not.toHaveBeenCalled();
    }
  });

  it('denies window.open and <webview>', () => {
    const { contents } = lockedDown();
    expect(contents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    const attach = { preventDefault: vi.fn() };
    contents.emit('will-attach-webview', attach, {}, {});
    expect(attach.preventDefault).toHaveBeenCalled();
  });

  it('answers every permission request and check with no', () => {
    const { session } = lockedDown().contents;
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read']) {
      const callback = vi.fn();
      session.permissionRequest?.({}, permission, callback, {});
      expect(callback).toHaveBeenCalledWith(false);
      expect(session.permissionCheck?.({}, permission, 'file://', {})).toBe(false);
    }
  });

  it("adds a Content-Security-Policy header with script-src 'self', keeping the other headers", () => {
    const { session } = lockedDown().contents;
    const callback = vi.fn();
    session.headersReceived?.({ url: 'http://localhost:5173/', responseHeaders: { 'Content-Type': ['text/html'] } }, callback);
    const headers = callback.mock.calls[0]?.[0].responseHeaders;
    expect(headers['Content-Type']).toEqual(['text/html']);
    expect(headers['Content-Security-Policy']).toEqual([contentSecurityPolicy]);
    expect(contentSecurityPolicy).toContain("script-src 'self'");
    expect(contentSecurityPolicy).not.toContain('unsafe-eval');
  });

  it('uses the policy of the meta tag in src-renderer/index.html, with frame-ancestors only in the header', () => {
    const html = readFileSync(new URL('../../src-renderer/index.html', import.meta.url), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    expect(meta?.[1]).toBe(pageContentSecurityPolicy);
    // Browsers ignore frame-ancestors in a meta tag and log an error on every page load.
    expect(meta?.[1]).not.toContain('frame-ancestors');
    expect(contentSecurityPolicy).toBe(`${pageContentSecurityPolicy}; frame-ancestors 'none'`);
  });
});

describe('the window', () => {
  it('is isolated and sandboxed, with the CommonJS preload, and shows only when ready', () => {
    const win = createMainWindow(appLocation, '/app/out/preload/index.cjs') as unknown as FakeWindow;
    const prefs = win.options.webPreferences;
    expect(prefs.contextIsolation).toBe(true);
    expect(prefs.sandbox).toBe(true);
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.webSecurity).not.toBe(false);
    expect(prefs.webviewTag).toBe(false);
    expect(prefs.preload).toMatch(/\.cjs$/);
    expect(win.options.show).toBe(false);
    expect(win.show).not.toHaveBeenCalled();
    win.emit('ready-to-show');
    expect(win.show).toHaveBeenCalled();
    expect(win.loadURL).toHaveBeenCalledWith('file:///app/out/renderer/index.html');
  });

  it('loads a loopback dev server when given one, and no remote one', () => {
    const dev = rendererLocation({ devServerUrl: 'http://localhost:5173', indexHtml: '/app/out/renderer/index.html' });
    expect(dev.url).toBe('http://localhost:5173/');
    expect(dev.isAppUrl('http://localhost:5173/src/main.ts')).toBe(true);
    expect(dev.isAppUrl('http://localhost:5174/')).toBe(false);

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const remote = rendererLocation({ devServerUrl: 'https://evil.example/', indexHtml: '/app/out/renderer/index.html' });
    warn.mockRestore();
    expect(remote.url).toBe('file:///app/out/renderer/index.html');
    expect(remote.isAppUrl('https://evil.example/')).toBe(false);
    expect(remote.isAppUrl('not a url')).toBe(false);
  });
});

describe('the IPC bridge', () => {
  function wired() {
    const win = new fakes.FakeBrowserWindow({}) as FakeWindow;
    const fabric = fakeFabric();
    const disconnect = connectFabricIpc({ win: win as any, api: fabric.fabric, isAppUrl: appLocation.isAppUrl });
    const invoke = fakes.ipcMain.handlers.get('fabric:invoke');
    if (!invoke) throw new Error('fabric:invoke is not handled');
    const own = { sender: win.webContents, senderFrame: win.webContents.mainFrame };
    return { win, ...fabric, disconnect, own, invoke: (event: unknown, method: unknown, args?: unknown) => invoke(event, method, args) };
  }
  let current: ReturnType<typeof wired> | null = null;
  const setup = () => (current = wired());
  beforeEach(() => {
    current?.disconnect();
    current = null;
  });

  it('refuses calls from another frame, a foreign page or a gone frame, and never reaches the fabric', async () => {
    const { win, api, invoke } = setup();
    const iframe = { url: 'file:///app/out/renderer/index.html' }; // same URL, but not the main frame
    const refusals = [
      { sender: win.webContents, senderFrame: iframe },
      { sender: win.webContents, senderFrame: null },
      { sender: new fakes.FakeWebContents(), senderFrame: win.webContents.mainFrame },
    ];
    for (const event of refusals) {
      const answer = await invoke(event, 'listSamples');
      expect(answer).toEqual({ error: { code: 'BadRequest', message: expect.stringMatching(/sender is not the Fabric Lab window/) } });
    }
    win.webContents.mainFrame.url = 'https://evil.example/';
    expect(await invoke({ sender: win.webContents, senderFrame: win.webContents.mainFrame }, 'listSamples')).toHaveProperty('error.code', 'BadRequest');
    expect(api.listSamples).not.toHaveBeenCalled();
  });

  it('lets the save dialog, never the page, choose where an export is written', async () => {
    const win = new fakes.FakeBrowserWindow({}) as FakeWindow;
    const fabric = fakeFabric();
    const choose = vi.fn(async (): Promise<string | null> => '/fake-electron/chosen/session.zip');
    const disconnect = connectFabricIpc({ win: win as any, api: fabric.fabric, isAppUrl: appLocation.isAppUrl, chooseExportPath: choose });
    const invoke = fakes.ipcMain.handlers.get('fabric:invoke')!;
    const own = { sender: win.webContents, senderFrame: win.webContents.mainFrame };
    expect(await invoke(own, 'exportSession', { saveAs: true })).toEqual({ result: { id: 'e-1', path: '/fake-electron/chosen/session.zip' } });
    expect(fabric.api.exportSession).toHaveBeenLastCalledWith({ path: '/fake-electron/chosen/session.zip' });
    expect(await invoke(own, 'exportSession', { path: '/etc/cron.d/x' })).toHaveProperty('error.message', expect.stringMatching(/save dialog chooses/));
    choose.mockResolvedValueOnce(null);
    expect(await invoke(own, 'exportSession', { saveAs: true })).toHaveProperty('error.message', expect.stringMatching(/cancelled/));
    expect(await invoke(own, 'exportSession', {})).toEqual({ result: { id: 'e-1', path: '/session/exports/x.zip' } });
    expect(fabric.api.exportSession).toHaveBeenCalledTimes(2);
    disconnect();
  });

  it('calls the fabric for its own window and answers {result}', async () => {
    const { api, invoke, own } = setup();
    expect(await invoke(own, 'listSamples')).toEqual({ result: [{ id: 'hello', title: 'Hello', summary: '' }] });
    expect(await invoke(own, 'deploy', { sample: 'hello', slot: 'staging' })).toEqual({ result: { requestId: 'r-1', deploymentId: 'deployment1(1)' } });
    expect(api.deploy).toHaveBeenCalledWith({ sample: 'hello', slot: 'staging' });
  });

  it('answers BadRequest for bad arguments and unknown methods without calling the fabric', async () => {
    const { api, invoke, own } = setup();
    expect(await invoke(own, 'deploy', { sample: 42 })).toEqual({ error: { code: 'BadRequest', message: expect.stringContaining('sample') } });
    expect(await invoke(own, 'deploy', { sample: 'hello', extra: true })).toHaveProperty('error.code', 'BadRequest');
    expect(await invoke(own, 'shutdownEverything')).toHaveProperty('error.code', 'BadRequest');
    expect(await invoke(own, 'constructor')).toHaveProperty('error.code', 'BadRequest');
    expect(api.deploy).not.toHaveBeenCalled();
  });

  it("passes the fabric's errors back as {error} with their code; other throws become Internal", async () => {
    const { invoke, own } = setup();
    expect(await invoke(own, 'deleteDeployment', { deploymentId: 'nope' })).toEqual({
      error: { code: 'NotFound', message: 'There is no deployment "nope".', requestId: 'req-9' },
    });
    expect(await invoke(own, 'setClock', { paused: true })).toEqual({ error: { code: 'Internal', message: 'clock jammed' } });
  });

  it('sends events only after the page subscribed, and stops when the page is destroyed', () => {
    const { win, api, push, listeners, own } = setup();
    push(batch);
    expect(api.onEvents).not.toHaveBeenCalled();
    expect(win.webContents.send).not.toHaveBeenCalled();

    fakes.ipcMain.emit('fabric:subscribe', { sender: win.webContents, senderFrame: { url: own.senderFrame.url } });
    expect(api.onEvents, 'a subframe cannot subscribe').not.toHaveBeenCalled();

    fakes.ipcMain.emit('fabric:subscribe', own);
    push(batch);
    expect(win.webContents.send).toHaveBeenCalledExactlyOnceWith('fabric:events', batch);

    win.webContents.destroy();
    expect(listeners.size).toBe(0);
    push(batch);
    expect(win.webContents.send).toHaveBeenCalledTimes(1);
  });

  it('keeps one subscription per page: a reload replaces it, unsubscribe ends it', () => {
    const { win, push, listeners, own } = setup();
    fakes.ipcMain.emit('fabric:subscribe', own);
    fakes.ipcMain.emit('fabric:subscribe', own);
    expect(listeners.size).toBe(1);
    push(batch);
    expect(win.webContents.send).toHaveBeenCalledTimes(1);
    fakes.ipcMain.emit('fabric:unsubscribe', own);
    expect(listeners.size).toBe(0);
  });

  it('unwires everything it registered', () => {
    const { disconnect, win, own, listeners } = setup();
    fakes.ipcMain.emit('fabric:subscribe', own);
    disconnect();
    current = null;
    expect(fakes.ipcMain.handlers.has('fabric:invoke')).toBe(false);
    expect(fakes.ipcMain.count('fabric:subscribe')).toBe(0);
    expect(fakes.ipcMain.count('fabric:unsubscribe')).toBe(0);
    expect(win.webContents.count('destroyed')).toBe(0);
    expect(listeners.size).toBe(0);
  });
});

describe('the system dialogs', () => {
  let temp: string;
  let win: FakeWindow;
  const own = () => ({ sender: win.webContents, senderFrame: win.webContents.mainFrame });
  const opened = (...filePaths: string[]) => ({ canceled: false, filePaths });
  const cancelled = { canceled: true, filePaths: [] };
  beforeEach(() => {
    temp = mkdtempSync(join(tmpdir(), 'electron-dialogs-'));
    win = new fakes.FakeBrowserWindow({}) as FakeWindow;
    fakes.showOpenDialog.mockReset();
    fakes.showSaveDialog.mockReset();
  });
  afterEach(() => rmSync(temp, { recursive: true, force: true }));

  /** The bridge with the real dialogs module over the stand-in dialog, and a real PackageStore behind openPackage. */
  function wiredWithDialogs() {
    const fabric = fakeFabric();
    const store = new PackageStore(join(temp, 'no-samples'), join(temp, 'work'));
    const openPackage = vi.fn((request: { files: { path: string; data: string }[] }) => store.openUpload(request.files));
    const api = { ...fabric.fabric, openPackage } as unknown as FabricApi;
    const disconnect = connectFabricIpc({ win: win as any, api, isAppUrl: appLocation.isAppUrl, packageDialogs: packageDialogs(win as any) });
    const handler = fakes.ipcMain.handlers.get('fabric:choose-package');
    if (!handler) throw new Error('fabric:choose-package is not handled');
    return { openPackage, disconnect, choose: (choice: unknown, event: unknown = own()) => handler(event, choice) as Promise<any> };
  }

  /** hello-worker as cspack /copyOnly leaves it: Hello.csx/ with the .cscfg beside the folder, not in it. */
  function helloCsx(): { folder: string; configuration: string } {
    const folder = join(temp, 'Hello.csx');
    cpSync(fileURLToPath(new URL('../../resources/samples/hello-worker', import.meta.url)), folder, { recursive: true });
    const configuration = join(temp, 'ServiceConfiguration.cscfg');
    renameSync(join(folder, 'ServiceConfiguration.cscfg'), configuration);
    return { folder, configuration };
  }

  it('opens a csx folder chosen in the dialog, asks for the .cscfg beside it, and answers the package report', async () => {
    const { folder, configuration } = helloCsx();
    fakes.showOpenDialog.mockResolvedValueOnce(opened(folder)).mockResolvedValueOnce(opened(configuration));
    const { choose, openPackage, disconnect } = wiredWithDialogs();
    const answer = await choose('folder');
    expect(answer.error).toBeUndefined();
    expect(answer.result).toMatchObject({ source: 'upload', valid: true, diagnostics: [] });
    expect(answer.result.roles.map((r: { name: string }) => r.name)).toEqual(['WorkerRole1']);

    const [folderCall, configurationCall] = fakes.showOpenDialog.mock.calls;
    expect(folderCall?.[0]).toBe(win);
    expect(folderCall?.[1].properties).toEqual(['openDirectory']);
    expect(configurationCall?.[1]).toMatchObject({ defaultPath: temp, properties: ['openFile'], filters: [{ extensions: ['cscfg'] }] });
    // Read in main, named as the browser's folder upload names them: the folder's own name first.
    const files: { path: string; data: string }[] = openPackage.mock.calls[0]![0].files;
    expect(files.map((f) => f.path)).toContain('Hello.csx/ServiceDefinition.csdef');
    expect(files.map((f) => f.path)).toContain('ServiceConfiguration.cscfg');
    const definition = files.find((f) => f.path === 'Hello.csx/ServiceDefinition.csdef')!;
    expect(Buffer.from(definition.data, 'base64').toString('utf8')).toBe(readFileSync(join(folder, 'ServiceDefinition.csdef'), 'utf8'));
    disconnect();
  });

  it('opens package files chosen together (.csdef with its .cscfg) without asking again', async () => {
    const { folder, configuration } = helloCsx();
    fakes.showOpenDialog.mockResolvedValueOnce(opened(join(folder, 'ServiceDefinition.csdef'), configuration));
    const { choose, openPackage, disconnect } = wiredWithDialogs();
    const answer = await choose('files');
    expect(answer.result).toMatchObject({ valid: true });
    expect(fakes.showOpenDialog).toHaveBeenCalledTimes(1);
    const options = fakes.showOpenDialog.mock.calls[0]![1];
    expect(options.properties).toEqual(['openFile', 'multiSelections']);
    expect(options.filters[0].extensions).toEqual(['cspkg', 'csdef', 'cscfg']);
    expect(openPackage.mock.calls[0]![0].files.map((f: { path: string }) => f.path)).toEqual(['ServiceDefinition.csdef', 'ServiceConfiguration.cscfg']);
    disconnect();
  });

  it('answers null and opens nothing when the dialog is cancelled, or the .cscfg dialog is (checked without one)', async () => {
    const { choose, openPackage, disconnect } = wiredWithDialogs();
    fakes.showOpenDialog.mockResolvedValueOnce(cancelled);
    expect(await choose('files')).toEqual({ result: null });
    expect(openPackage).not.toHaveBeenCalled();
    expect(fakes.showOpenDialog).toHaveBeenCalledTimes(1);

    const { folder } = helloCsx();
    fakes.showOpenDialog.mockResolvedValueOnce(opened(folder)).mockResolvedValueOnce(cancelled);
    const answer = await choose('folder');
    expect(openPackage).toHaveBeenCalledTimes(1);
    expect(openPackage.mock.calls[0]![0].files.some((f: { path: string }) => f.path.endsWith('.cscfg'))).toBe(false);
    expect(answer.result).toHaveProperty('name');
    disconnect();
  });

  it('refuses what cannot be read, links, and choices past the upload limits, naming the path; nothing is opened', async () => {
    const { choose, openPackage, disconnect } = wiredWithDialogs();
    const gone = join(temp, 'moved-away.cspkg');
    fakes.showOpenDialog.mockResolvedValueOnce(opened(gone));
    expect(await choose('files')).toEqual({ error: { code: 'BadRequest', message: `Cannot read ${gone}: it does not exist (moved or deleted since it was chosen?) (ENOENT). Nothing was opened.` } });

    const linked = join(temp, 'Linked.csx');
    mkdirSync(linked);
    writeFileSync(join(linked, 'ServiceDefinition.csdef'), '<ServiceDefinition/>');
    symlinkSync('/etc/passwd', join(linked, 'secrets.txt'));
    fakes.showOpenDialog.mockResolvedValueOnce(opened(linked));
    expect(await choose('folder')).toHaveProperty('error.message', `${join(linked, 'secrets.txt')} is a link; a package on disk is read without following links. Nothing was opened.`);

    const crowded = join(temp, 'Crowded.csx');
    mkdirSync(crowded);
    for (let i = 0; i <= uploadLimits.files; i++) writeFileSync(join(crowded, `f${i}.txt`), 'x');
    fakes.showOpenDialog.mockResolvedValueOnce(opened(crowded));
    expect(await choose('folder')).toHaveProperty('error.message', expect.stringMatching(/^A package holds at most 2000 files; .*Crowded\.csx holds more\. Nothing was opened\.$/));

    const large = join(temp, 'Large.cspkg');
    truncateSync((writeFileSync(large, ''), large), uploadLimits.bytes + 1); // sparse: costs no disk
    fakes.showOpenDialog.mockResolvedValueOnce(opened(large));
    expect(await choose('files')).toHaveProperty('error.message', expect.stringMatching(/^A package holds at most 48\.0 MiB; .*Large\.cspkg holds more/));

    expect(openPackage).not.toHaveBeenCalled();
    disconnect();
  });

  it('refuses a bad choice and a foreign sender before any dialog opens', async () => {
    const { choose, disconnect } = wiredWithDialogs();
    expect(await choose('everything')).toHaveProperty('error', { code: 'BadRequest', message: 'Choose "files" or "folder", not "everything".' });
    expect(await choose(undefined)).toHaveProperty('error.code', 'BadRequest');
    expect(await choose('files', { sender: win.webContents, senderFrame: { url: win.webContents.mainFrame.url } })).toHaveProperty('error.message', expect.stringMatching(/sender is not the Fabric Lab window/));
    expect(fakes.showOpenDialog).not.toHaveBeenCalled();
    disconnect();
    expect(fakes.ipcMain.handlers.has('fabric:choose-package')).toBe(false);
  });

  it('the export save dialog offers a timestamped .zip in Downloads and answers null when cancelled', async () => {
    const at = new Date('2026-11-25T17:05:09.123Z');
    // Paths the stand-in dialog answers with; nothing is written there.
    const downloads = join(tmpdir(), 'fabric-lab-downloads');
    fakes.showSaveDialog.mockResolvedValueOnce({ canceled: false, filePath: join(downloads, 'mine.zip') });
    expect(await chooseExportPath(win as any, downloads, at)).toBe(join(downloads, 'mine.zip'));
    expect(fakes.showSaveDialog).toHaveBeenCalledWith(win, {
      title: 'Export session logs',
      defaultPath: join(downloads, 'fabric-lab-session-2026-11-25T17-05-09-123Z.zip'),
      filters: [{ name: 'Zip archive', extensions: ['zip'] }],
    });
    fakes.showSaveDialog.mockResolvedValueOnce({ canceled: true, filePath: '' });
    expect(await chooseExportPath(win as any, downloads, at)).toBeNull();
    fakes.showSaveDialog.mockResolvedValueOnce({ canceled: false, filePath: '' });
    expect(await chooseExportPath(win as any, downloads, at)).toBeNull();
  });
});

describe('the preload', () => {
  let fabricLab: Record<string, any>;
  beforeAll(async () => {
    await import('../../src-main/electron/preload');
    fabricLab = fakes.exposed.get('fabricLab');
  });
  beforeEach(() => {
    fakes.ipcRenderer.invoke.mockReset();
    fakes.ipcRenderer.send.mockReset();
  });

  it('exposes window.fabricLab with exactly the FabricApi and the package dialog: every command, onEvents, choosePackage', () => {
    expect([...fakes.exposed.keys()]).toEqual(['fabricLab']);
    expect(Object.keys(fabricLab).sort()).toEqual([...fabricCommandNames, 'onEvents', 'choosePackage'].sort());
    for (const value of Object.values(fabricLab)) expect(typeof value).toBe('function');
    for (const forbidden of ['ipcRenderer', 'send', 'invoke', 'on', 'sendSync', 'postMessage']) expect(fabricLab).not.toHaveProperty(forbidden);
  });

  it('sends a command as fabric:invoke with its one argument and resolves with the result', async () => {
    fakes.ipcRenderer.invoke.mockResolvedValue({ result: { requestId: 'r-1', deploymentId: 'deployment1(1)' } });
    await expect(fabricLab.deploy({ sample: 'hello' }, 'an extra argument')).resolves.toEqual({ requestId: 'r-1', deploymentId: 'deployment1(1)' });
    expect(fakes.ipcRenderer.invoke).toHaveBeenCalledExactlyOnceWith('fabric:invoke', 'deploy', { sample: 'hello' });
  });

  it('rethrows an {error} answer as a real Error carrying the code, message and request id', async () => {
    fakes.ipcRenderer.invoke.mockResolvedValue({ error: { code: 'NotFound', message: 'There is no deployment "nope".', requestId: 'req-9' } });
    const error = await fabricLab.deleteDeployment({ deploymentId: 'nope' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(FabricError);
    expect(error).toMatchObject({ code: 'NotFound', message: 'There is no deployment "nope".', requestId: 'req-9' });
  });

  it('asks main for the package dialog with the choice only, answering its report, null, or a thrown FabricError', async () => {
    fakes.ipcRenderer.invoke.mockResolvedValueOnce({ result: { packageId: 'p-1', valid: true } });
    await expect(fabricLab.choosePackage('folder', '/etc/passwd')).resolves.toEqual({ packageId: 'p-1', valid: true });
    expect(fakes.ipcRenderer.invoke).toHaveBeenCalledExactlyOnceWith('fabric:choose-package', 'folder');
    fakes.ipcRenderer.invoke.mockResolvedValueOnce({ result: null });
    await expect(fabricLab.choosePackage('files')).resolves.toBeNull();
    fakes.ipcRenderer.invoke.mockResolvedValueOnce({ error: { code: 'BadRequest', message: 'Cannot read /x.cspkg' } });
    await expect(fabricLab.choosePackage('files')).rejects.toMatchObject({ code: 'BadRequest', message: 'Cannot read /x.cspkg' });
  });

  it('subscribes once, hands listeners the batch only, and each disposer removes exactly its listener', () => {
    const first = vi.fn();
    const second = vi.fn();
    const disposeFirst = fabricLab.onEvents(first);
    const disposeSecond = fabricLab.onEvents(second);
    expect(fakes.ipcRenderer.send).toHaveBeenCalledExactlyOnceWith('fabric:subscribe');

    const electronEvent = { sender: 'the Electron event must not reach the page' };
    fakes.ipcRenderer.emit('fabric:events', electronEvent, batch);
    expect(first).toHaveBeenCalledExactlyOnceWith(batch);
    expect(second).toHaveBeenCalledExactlyOnceWith(batch);

    disposeFirst();
    disposeFirst(); // twice is harmless and must not remove the other listener
    fakes.ipcRenderer.emit('fabric:events', electronEvent, batch);
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(2);
    expect(fakes.ipcRenderer.count('fabric:events')).toBe(1);
    expect(fakes.ipcRenderer.send).toHaveBeenCalledTimes(1);

    disposeSecond();
    expect(fakes.ipcRenderer.count('fabric:events')).toBe(0);
    expect(fakes.ipcRenderer.send).toHaveBeenLastCalledWith('fabric:unsubscribe');
  });
});

describe('the main entry', () => {
  async function startMain(start: () => Promise<unknown>, { lock = true } = {}) {
    vi.resetModules();
    fakes.log.length = 0;
    fakes.app.listeners.clear();
    fakes.app.quit.mockReset();
    fakes.app.requestSingleInstanceLock.mockReturnValue(lock);
    fakes.ipcMain.handlers.clear();
    fakes.ipcMain.listeners.clear();
    fakes.FakeBrowserWindow.created.length = 0;
    fakes.showErrorBox.mockReset();
    fakes.fabricStart.mockReset().mockImplementation(start);
    await import('../../src-main/electron/main');
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  const quitEvent = () => ({ preventDefault: vi.fn() });

  it('locks security down before the window exists, then opens it with the fabric wired', async () => {
    await startMain(async () => fakeFabric().api);
    expect(fakes.log.indexOf('app.on web-contents-created')).toBeGreaterThanOrEqual(0);
    expect(fakes.log.indexOf('app.on web-contents-created')).toBeLessThan(fakes.log.indexOf('new BrowserWindow'));
    // The app keeps a pace the machine holds (the clock slows rather than starve the window).
    // The Service Management API keeps its CA and credentials in the app's data folder, once per installation,
    // and the host code cache is kept there too.
    expect(fakes.fabricStart).toHaveBeenCalledWith({
      hostWorkerUrl: expect.any(URL),
      hostCodeCacheDir: expect.stringMatching(/userData[/\\]host-code$/),
      sessionDir: expect.stringMatching(/userData[/\\]sessions[/\\]\d{4}-/),
      keepPace: true,
      management: { folder: expect.stringMatching(/userData[/\\]management$/) },
    });
    expect(String(fakes.fabricStart.mock.calls[0]?.[0].hostWorkerUrl)).toMatch(/\/host-worker\.cjs$/);
    const win = fakes.FakeBrowserWindow.created[0];
    expect(win?.options.webPreferences.preload).toMatch(/[/\\]preload[/\\]index\.cjs$/);
    expect(win?.loadURL.mock.calls[0]?.[0]).toMatch(/^file:.*\/renderer\/index\.html$/);
    expect(fakes.ipcMain.handlers.has('fabric:invoke')).toBe(true);
    expect(fakes.ipcMain.handlers.has('fabric:choose-package')).toBe(true);
  });

  it('accepts host nodes when its command line names a NATS server, and refuses a bad one with the reason', async () => {
    const argv = process.argv;
    const tokenFile = join(mkdtempSync(join(tmpdir(), 'fabric-lab-electron-nodes-')), 'join.token');
    writeFileSync(tokenFile, 'a-join-token-for-the-electron-test\n', { mode: 0o600 });
    try {
      process.argv = [argv[0]!, '.', '--no-sandbox', '--nats', 'nats://127.0.0.1:4222', '--nats-user', 'fabric', '--join-token-file', tokenFile];
      await startMain(async () => fakeFabric().api);
      // The join token is read from its file first: wait for the start.
      await vi.waitFor(() => expect(fakes.fabricStart).toHaveBeenCalled());
      expect(fakes.fabricStart).toHaveBeenCalledWith(expect.objectContaining({ nats: expect.objectContaining({ url: 'nats://127.0.0.1:4222', user: 'fabric', joinToken: 'a-join-token-for-the-electron-test' }) }));
      process.argv = [argv[0]!, '.', '--nats', 'http://example.test'];
      await startMain(async () => fakeFabric().api);
      expect(fakes.fabricStart).not.toHaveBeenCalled();
      await vi.waitFor(() => expect(fakes.showErrorBox).toHaveBeenCalled());
      expect(fakes.showErrorBox).toHaveBeenCalledWith('Fabric Lab could not start', expect.stringContaining('The command line: --nats must be nats://HOST:PORT or tls://HOST:PORT (user:password@ allowed), got "http://example.test"'));
    } finally {
      process.argv = argv;
    }
  });

  it('opens the window even when the Service Management API cannot start', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    await startMain(async () => ({ ...fakeFabric().api, management: { error: 'listen EADDRINUSE: address already in use 127.0.0.1:8443' } }));
    expect(fakes.FakeBrowserWindow.created).toHaveLength(1);
    expect(fakes.showErrorBox).not.toHaveBeenCalled();
    expect(error).toHaveBeenCalledWith('Fabric Lab: the Service Management API did not start: listen EADDRINUSE: address already in use 127.0.0.1:8443');
    error.mockRestore();
  });

  it("wires the window's save dialog to exportSession({saveAs}) and its open dialog to choosePackage", async () => {
    await startMain(async () => fakeFabric().api);
    const win = fakes.FakeBrowserWindow.created[0]!;
    win.webContents.mainFrame.url = win.loadURL.mock.calls[0]![0]; // the page main.ts loaded
    const own = { sender: win.webContents, senderFrame: win.webContents.mainFrame };
    fakes.showSaveDialog.mockReset().mockResolvedValueOnce({ canceled: false, filePath: '/fake-electron/chosen.zip' });
    expect(await fakes.ipcMain.handlers.get('fabric:invoke')!(own, 'exportSession', { saveAs: true })).toEqual({ result: { id: 'e-1', path: '/fake-electron/chosen.zip' } });
    expect(fakes.showSaveDialog.mock.calls[0]?.[0]).toBe(win);
    expect(fakes.showSaveDialog.mock.calls[0]?.[1].defaultPath).toMatch(/^\/fake-electron\/userData\/downloads\/fabric-lab-session-.*\.zip$/);
    fakes.showOpenDialog.mockReset().mockResolvedValueOnce({ canceled: true, filePaths: [] });
    expect(await fakes.ipcMain.handlers.get('fabric:choose-package')!(own, 'files')).toEqual({ result: null });
    expect(fakes.showOpenDialog.mock.calls[0]?.[0]).toBe(win);
  });

  it('quits when the last window closes, closing the fabric exactly once before the app exits', async () => {
    let finishClose = () => {};
    const close = vi.fn(() => new Promise<void>((resolve) => (finishClose = resolve)));
    await startMain(async () => ({ ...fakeFabric().api, close }));

    fakes.app.emit('window-all-closed');
    expect(fakes.app.quit).toHaveBeenCalledTimes(1);
    const first = quitEvent();
    const again = quitEvent();
    fakes.app.emit('will-quit', first);
    fakes.app.emit('will-quit', again);
    expect(first.preventDefault).toHaveBeenCalled();
    expect(again.preventDefault, 'still closing: keep waiting').toHaveBeenCalled();
    await vi.waitFor(() => expect(close).toHaveBeenCalledTimes(1));
    expect(fakes.app.quit).toHaveBeenCalledTimes(1);

    finishClose();
    await vi.waitFor(() => expect(fakes.app.quit).toHaveBeenCalledTimes(2));
    const last = quitEvent();
    fakes.app.emit('will-quit', last);
    expect(last.preventDefault).not.toHaveBeenCalled();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('shows an error box and quits when the fabric cannot start', async () => {
    await startMain(async () => {
      throw new Error('host worker missing');
    });
    expect(fakes.showErrorBox).toHaveBeenCalledWith(expect.any(String), expect.stringContaining('host worker missing'));
    expect(fakes.app.quit).toHaveBeenCalled();
    expect(fakes.FakeBrowserWindow.created).toHaveLength(0);
  });

  it('leaves the running instance alone when one is already open', async () => {
    await startMain(async () => fakeFabric().api, { lock: false });
    expect(fakes.app.quit).toHaveBeenCalled();
    expect(fakes.fabricStart).not.toHaveBeenCalled();
  });
});
