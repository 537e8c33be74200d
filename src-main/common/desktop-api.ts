// What the Electron preload offers beside the FabricApi: choices only a system dialog can make. The page
// never names a path on this machine; the user does, in the dialog, and the main process reads the files.
// Browser mode has no such object (window.fabricLab.choosePackage is absent), and the page uploads instead.
import type { PackageView } from './fabric-api';

/** A package on disk is chosen as files (.cspkg or .csdef, with its .cscfg) or as a csx folder. */
export type PackageChoice = 'files' | 'folder';

export const packageChoices = ['files', 'folder'] as const satisfies readonly PackageChoice[];

export function isPackageChoice(value: unknown): value is PackageChoice {
  return (packageChoices as readonly unknown[]).includes(value);
}

export interface DesktopDialogs {
  /**
   * Shows the open dialog, reads what the user chose (asking for the .cscfg when the choice holds none) and
   * opens it with openPackage. Null when the user cancelled; a FabricError when the choice cannot be read
   * or passes the upload limits.
   */
  choosePackage(choice: PackageChoice): Promise<PackageView | null>;
}
