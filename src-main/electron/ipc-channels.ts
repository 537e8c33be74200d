// The only IPC channels between the window and the main process. The preload and the main side both
// import these names, so a typo cannot open a channel nobody checks.
import type { CommandAnswer } from '../common/command-dispatcher';

/** renderer -> main, invoke(method, arg): one FabricApi command, answered by an IpcAnswer. */
export const fabricInvokeChannel = 'fabric:invoke';
/** renderer -> main, send(): the page is ready for event batches. */
export const fabricSubscribeChannel = 'fabric:subscribe';
/** renderer -> main, send(): the page has no listeners left; stop pushing batches. */
export const fabricUnsubscribeChannel = 'fabric:unsubscribe';
/** renderer -> main, invoke(choice): show the open dialog and open the package chosen; answers an IpcAnswer. */
export const choosePackageChannel = 'fabric:choose-package';
/** main -> renderer, send(batch): one FabricEventBatch. */
export const fabricEventsChannel = 'fabric:events';

/** What fabric:invoke answers. Errors travel as data because ipcMain.handle would strip a thrown error's code. */
export type IpcAnswer = CommandAnswer;
