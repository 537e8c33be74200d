// FabricApi over Electron IPC, for one window. Like Podman Desktop's ipcHandle, every call goes through
// one handler that answers {result} or {error} and never throws across IPC: the command dispatcher that the
// WebSocket bridge uses too (common/command-dispatcher.ts). Unlike it, a call is first checked to come from
// this window's own page.
import { ipcMain, type BrowserWindow, type IpcMainEvent, type IpcMainInvokeEvent } from 'electron';
import { dispatchCommand, type CommandGuards } from '../common/command-dispatcher';
import { isPackageChoice } from '../common/desktop-api';
import { toErrorInfo, type Disposer, type FabricApi } from '../common/fabric-api';
import { FabricErrors } from '../common/fabric-errors';
import type { ExportRequest } from '../common/log-api';
import { choosePackageChannel, fabricEventsChannel, fabricInvokeChannel, fabricSubscribeChannel, fabricUnsubscribeChannel, type IpcAnswer } from './ipc-channels';
import { openChosenPackage, type PackageDialogs } from './package-chooser';

export interface FabricIpcOptions {
  win: BrowserWindow;
  api: FabricApi;
  /** True for the app's own page URLs (see rendererLocation). */
  isAppUrl(url: string): boolean;
  /** A save dialog for exportSession({saveAs: true}); null when the user cancels. */
  chooseExportPath?: () => Promise<string | null>;
  /** The open dialogs behind window.fabricLab.choosePackage. */
  packageDialogs?: PackageDialogs;
}

/** Wire fabric:invoke and the event channels to one window; the returned disposer unwires them. */
export function connectFabricIpc({ win, api, isAppUrl, chooseExportPath, packageDialogs }: FabricIpcOptions): Disposer {
  const contents = win.webContents;

  // Any frame can reach ipcRenderer through a compromised page or an iframe; only the window's own
  // top frame, showing the app's own page, may drive the fabric.
  const fromAppWindow = (event: IpcMainEvent | IpcMainInvokeEvent): boolean => {
    if (win.isDestroyed() || event.sender !== contents) return false;
    const frame = event.senderFrame;
    return frame !== null && frame === contents.mainFrame && isAppUrl(frame.url);
  };

  const refused: IpcAnswer = { error: FabricErrors.notTheAppWindow().toInfo() };

  // The page never names a path on this machine: the user does, in the save dialog; without one the
  // export goes to the session's own exports folder.
  const guards: CommandGuards = {
    exportSession: async (request: ExportRequest): Promise<ExportRequest> => {
      if (request.path !== undefined) throw FabricErrors.exportPathInApp();
      if (!request.saveAs || !chooseExportPath) return {};
      const path = await chooseExportPath();
      if (!path) throw FabricErrors.exportCancelled();
      return { path };
    },
  };

  const invoke = async (event: IpcMainInvokeEvent, method: unknown, args: unknown): Promise<IpcAnswer> =>
    fromAppWindow(event) ? dispatchCommand(api, method, args, guards) : refused;

  // The page asks for a dialog, never for a path: what the user picks is read here and given to openPackage.
  const choosePackage = async (event: IpcMainInvokeEvent, choice: unknown): Promise<IpcAnswer> => {
    if (!fromAppWindow(event)) return refused;
    try {
      if (!isPackageChoice(choice)) throw FabricErrors.badPackageChoice(choice);
      if (!packageDialogs) throw FabricErrors.noPackageDialog();
      return { result: await openChosenPackage(api, packageDialogs, choice) };
    } catch (error) {
      return { error: toErrorInfo(error) };
    }
  };

  // Batches go out only after the page asked (it subscribes once it can handle them), and stop when it
  // leaves: a reload subscribes afresh, replacing the old subscription rather than doubling it.
  let unsubscribe: Disposer | null = null;
  const stopEvents = (): void => {
    unsubscribe?.();
    unsubscribe = null;
  };
  const subscribe = (event: IpcMainEvent): void => {
    if (!fromAppWindow(event)) return;
    stopEvents();
    unsubscribe = api.onEvents((batch) => {
      if (!contents.isDestroyed()) contents.send(fabricEventsChannel, batch);
    });
  };
  const unsubscribeRequest = (event: IpcMainEvent): void => {
    if (fromAppWindow(event)) stopEvents();
  };

  ipcMain.handle(fabricInvokeChannel, invoke);
  ipcMain.handle(choosePackageChannel, choosePackage);
  ipcMain.on(fabricSubscribeChannel, subscribe);
  ipcMain.on(fabricUnsubscribeChannel, unsubscribeRequest);
  contents.once('destroyed', stopEvents);

  return () => {
    stopEvents();
    ipcMain.removeHandler(fabricInvokeChannel);
    ipcMain.removeHandler(choosePackageChannel);
    ipcMain.removeListener(fabricSubscribeChannel, subscribe);
    ipcMain.removeListener(fabricUnsubscribeChannel, unsubscribeRequest);
    if (!contents.isDestroyed()) contents.removeListener('destroyed', stopEvents);
  };
}
