// The renderer's one way to the fabric. Inside Electron the preload has put the FabricApi on
// window.fabricLab (IPC); in a browser the page talks WebSocket to the server that served it.
// Components only ever see a FabricApi, and, in Electron, the system dialogs (desktopDialogs()).
import type { DesktopDialogs } from '../../src-main/common/desktop-api';
import type { FabricApi } from '../../src-main/common/fabric-api';
import { connectWebSocketFabric, type ConnectionEvents } from './ws-fabric-api';

declare global {
  interface Window {
    fabricLab?: FabricApi & Partial<DesktopDialogs>;
  }
}

export type Transport = 'ipc' | 'websocket';

/** `events`: a browser's socket can drop and come back; Electron's IPC lives as long as the window. */
export async function connectFabric(events: ConnectionEvents): Promise<{ api: FabricApi; transport: Transport }> {
  if (window.fabricLab) return { api: window.fabricLab, transport: 'ipc' };
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${location.host}/fabric?token=${encodeURIComponent(token)}`;
  return { api: await connectWebSocketFabric(url, events), transport: 'websocket' };
}

/** Electron's open dialog for packages on disk; null in a browser, where the page uploads files instead. */
export function desktopDialogs(): DesktopDialogs | null {
  const lab = window.fabricLab;
  if (!lab?.choosePackage) return null;
  return { choosePackage: (choice) => lab.choosePackage!(choice) };
}
