// The system dialogs of the app window: where an export is saved, which package on disk is opened. Each
// answers a path (or paths) the user chose, or null when they cancelled; nothing here reads or writes.
import { dialog, type BrowserWindow, type OpenDialogOptions } from 'electron';
import { join } from 'node:path';
import type { PackageChoice } from '../common/desktop-api';
import type { PackageDialogs } from './package-chooser';

/** The save dialog for "Export session logs", offering a timestamped name in the user's Downloads. */
export async function chooseExportPath(win: BrowserWindow, downloadsDir: string, now = new Date()): Promise<string | null> {
  const name = `fabric-lab-session-${now.toISOString().replace(/[:.]/g, '-')}.zip`;
  const choice = await dialog.showSaveDialog(win, {
    title: 'Export session logs',
    defaultPath: join(downloadsDir, name),
    filters: [{ name: 'Zip archive', extensions: ['zip'] }],
  });
  return choice.canceled || !choice.filePath ? null : choice.filePath;
}

/** Open dialogs for a package: .cspkg/.csdef files (with their .cscfg), or a csx folder, then a .cscfg. */
export function packageDialogs(win: BrowserWindow): PackageDialogs {
  const open = async (options: OpenDialogOptions): Promise<string[] | null> => {
    const choice = await dialog.showOpenDialog(win, options);
    return choice.canceled || choice.filePaths.length === 0 ? null : choice.filePaths;
  };
  return {
    choosePackage: (choice: PackageChoice) =>
      open(
        choice === 'folder'
          ? { title: 'Open a csx folder', properties: ['openDirectory'] }
          : {
              title: 'Open a service package and its configuration',
              properties: ['openFile', 'multiSelections'],
              filters: [
                { name: 'Service package (.cspkg, .csdef, .cscfg)', extensions: ['cspkg', 'csdef', 'cscfg'] },
                { name: 'All files', extensions: ['*'] },
              ],
            },
      ),
    chooseConfiguration: async (near: string) =>
      (
        await open({
          title: 'Choose the service configuration (.cscfg); cancel to check the package without one',
          defaultPath: near,
          properties: ['openFile'],
          filters: [{ name: 'Service configuration (.cscfg)', extensions: ['cscfg'] }],
        })
      )?.[0] ?? null,
  };
}
