// "Choose a package on disk" in the app: the open dialog names files or a csx folder, this module reads them
// in the main process and hands them to the fabric's openPackage exactly as browser mode's upload does
// (paths relative to what was chosen, contents in base64), within the same limits, checked before reading.
import { lstat, readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { parseCommandArgs } from '../common/command-dispatcher';
import type { PackageChoice } from '../common/desktop-api';
import type { FabricApi, PackageView } from '../common/fabric-api';
import { FabricErrors, type FabricError } from '../common/fabric-errors';
import { uploadLimits } from '../fabric/package-store';
import { fileErrorReason } from '../logs/file-errors';

export interface PackageDialogs {
  /** Absolute paths the user chose (one or more files, or one folder); null when the dialog was cancelled. */
  choosePackage(choice: PackageChoice): Promise<string[] | null>;
  /** The .cscfg for a choice that holds none, looked for near `near`; null when the user goes without one. */
  chooseConfiguration(near: string): Promise<string | null>;
}

export interface ChosenFile {
  /** As openPackage wants it: relative to what was chosen, `/`-separated (a folder keeps its own name first). */
  path: string;
  file: string;
  size: number;
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function unreadable(path: string, error: unknown): FabricError {
  const reason = fileErrorReason(error, { ENOENT: 'it does not exist (moved or deleted since it was chosen?)' });
  return FabricErrors.packageFileUnreadable(path, reason);
}

/** Every file under what was chosen, with its size, refusing links and stopping at the upload limits. */
export async function listChosenFiles(paths: readonly string[]): Promise<ChosenFile[]> {
  const out: ChosenFile[] = [];
  let total = 0;
  const add = async (file: string, shown: string): Promise<void> => {
    const info = await lstat(file).catch((error: unknown) => {
      throw unreadable(file, error);
    });
    // A link could point anywhere on the disk; a package is read as the files it holds, as unzip does.
    if (info.isSymbolicLink()) throw FabricErrors.packageFileIsLink(file);
    if (info.isDirectory()) {
      const entries = await readdir(file).catch((error: unknown) => {
        throw unreadable(file, error);
      });
      for (const name of entries.sort()) await add(join(file, name), `${shown}/${name}`);
      return;
    }
    if (!info.isFile()) throw FabricErrors.packageFileNotRegular(file);
    if (out.length === uploadLimits.files) {
      throw FabricErrors.chosenPackageHasTooManyFiles(uploadLimits.files, paths.join(', '));
    }
    total += info.size;
    if (total > uploadLimits.bytes) {
      throw FabricErrors.chosenPackageTooLarge(mib(uploadLimits.bytes), paths.join(', '), mib(total), relative(dirname(paths[0]!), file).split(sep).join('/'));
    }
    out.push({ path: shown, file, size: info.size });
  };
  for (const path of paths) await add(path, basename(path));
  return out;
}

/** The chosen files as openPackage's argument, checked by the same schema every transport uses. */
export async function readChosenFiles(chosen: readonly ChosenFile[]): Promise<{ files: { path: string; data: string }[] }> {
  const files: { path: string; data: string }[] = [];
  for (const { path, file } of chosen) {
    const bytes = await readFile(file).catch((error: unknown) => {
      throw unreadable(file, error);
    });
    files.push({ path, data: bytes.toString('base64') });
  }
  return parseCommandArgs('openPackage', { files });
}

/** The whole choice: dialog, the .cscfg if the package brought none, reading, openPackage. Null if cancelled. */
export async function openChosenPackage(api: FabricApi, dialogs: PackageDialogs, choice: PackageChoice): Promise<PackageView | null> {
  const paths = await dialogs.choosePackage(choice);
  if (!paths || paths.length === 0) return null;
  let chosen = await listChosenFiles(paths);
  if (!chosen.some((f) => f.path.toLowerCase().endsWith('.cscfg'))) {
    const configuration = await dialogs.chooseConfiguration(dirname(paths[0]!));
    // Listed again with the package, so the limits hold for the two together.
    if (configuration) chosen = await listChosenFiles([...paths, configuration]);
  }
  return api.openPackage(await readChosenFiles(chosen));
}
