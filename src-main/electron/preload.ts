// The preload: window.fabricLab is exactly a FabricApi plus the desktop dialogs (common/desktop-api.ts) and
// nothing more. No ipcRenderer, no generic send/invoke reaches the page, and listeners never see the
// Electron event (as in Headlamp's preload).
// Bundled to one CommonJS file (out/preload/index.cjs) because a sandboxed preload cannot be an ES module.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { DesktopDialogs, PackageChoice } from '../common/desktop-api';
import { FabricError, commandsOver, type FabricApi, type FabricEventBatch, type PackageView } from '../common/fabric-api';
import { choosePackageChannel, fabricEventsChannel, fabricInvokeChannel, fabricSubscribeChannel, fabricUnsubscribeChannel, type IpcAnswer } from './ipc-channels';

function unwrap(answer: IpcAnswer): unknown {
  if ('error' in answer) throw FabricError.fromInfo(answer.error);
  return answer.result;
}

async function invoke(method: string, arg: unknown): Promise<unknown> {
  return unwrap((await ipcRenderer.invoke(fabricInvokeChannel, method, arg)) as IpcAnswer);
}

// One function per command, taking at most its one argument (anything more is dropped, not forwarded).
const commands = commandsOver(invoke);

let listenerCount = 0;

const fabricLab: FabricApi & DesktopDialogs = {
  ...commands,
  async choosePackage(choice: PackageChoice) {
    return unwrap((await ipcRenderer.invoke(choosePackageChannel, choice)) as IpcAnswer) as PackageView | null;
  },
  onEvents(listener: (batch: FabricEventBatch) => void) {
    const forward = (_event: IpcRendererEvent, batch: FabricEventBatch): void => listener(batch);
    ipcRenderer.on(fabricEventsChannel, forward);
    // The main process pushes nothing until the first listener exists, and stops when the last one goes.
    if (listenerCount++ === 0) ipcRenderer.send(fabricSubscribeChannel);
    let disposed = false;
    return () => {
      if (disposed) return;
      disposed = true;
      ipcRenderer.removeListener(fabricEventsChannel, forward);
      if (--listenerCount === 0) ipcRenderer.send(fabricUnsubscribeChannel);
    };
  },
};

contextBridge.exposeInMainWorld('fabricLab', fabricLab);
