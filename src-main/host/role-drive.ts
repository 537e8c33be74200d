// The package reaches the VM (seed, step 3): each instance's E: holds its role's files as cspack laid them out
// (roles/<Role>/ becomes E:\ — approot, sitesroot\<n>, base, plugins, RoleModel.xml), and startup tasks, role
// code and sites run from there. A file is a copy-on-write clone where the file system has them, else a hard
// link to the package's copy, else a copy: 2,048 instances of one package cost 2,048 directory trees, not
// 2,048 copies of its bytes. E: is wiped and laid out again where Azure rebuilds it (reimage, in-place upgrade).
import { constants } from 'node:fs';
import { copyFile, link, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { RoleFiles } from './role-stack';

/** The role's files on E:, and how they got there (the host agent's log says). */
export interface RoleDriveLayout {
  files: RoleFiles;
  count: number;
  cloned: number;
  linked: number;
  copied: number;
}

/** The folder of an instance's E: in the session (instance-paths.ts maps drive letters to folders). */
export function roleDriveFolder(instanceRoot: string): string {
  return join(instanceRoot, 'E');
}

/**
 * Wipe E: and lay the role's files out on it. Returns the role folder, entry module and site folders as
 * they are on E:, so everything the guest runs reads the instance's own files. A role with no files in the
 * package (a .csdef alone) gets an empty E:.
 */
export async function layOutRoleDrive(spec: RoleFiles, instanceRoot: string, roleModelXml: () => string): Promise<RoleDriveLayout> {
  const drive = roleDriveFolder(instanceRoot);
  await rm(drive, { recursive: true, force: true });
  await mkdir(drive, { recursive: true });
  const counts = { count: 0, cloned: 0, linked: 0, copied: 0 };
  const moved: RoleFiles = { ...spec };
  // roles/<Role>/approot's parent is the role's folder of the package: all of it goes to E:\.
  const roleRoot = spec.roleDirectory ? dirname(spec.roleDirectory) : null;
  if (roleRoot) {
    await placeTree(roleRoot, drive, counts);
    moved.roleDirectory = join(drive, 'approot');
    if (spec.roleEntryModule) moved.roleEntryModule = onDrive(spec.roleEntryModule, roleRoot, drive) ?? spec.roleEntryModule;
  }
  if (spec.sites) {
    const sites: NonNullable<RoleFiles['sites']> = [];
    for (const [index, site] of spec.sites.entries()) {
      if (!site.directory) {
        sites.push(site);
        continue;
      }
      const inside = roleRoot ? onDrive(site.directory, roleRoot, drive) : null;
      const target = inside ?? join(drive, 'sitesroot', String(index));
      // A site whose folder lies outside the role's (a csdef physicalDirectory) is laid out as cspack would: sitesroot\<n>.
      if (!inside) await placeTree(site.directory, target, counts);
      sites.push({ ...site, directory: target });
    }
    moved.sites = sites;
  }
  // A package without RoleModel.xml (a .csdef alone) gets the one cspack would have written.
  const roleModel = join(drive, 'RoleModel.xml');
  if (!(await stat(roleModel).catch(() => null))) await writeFile(roleModel, roleModelXml());
  return { files: moved, ...counts };
}

/** `file` under `from`, as the same path under `to`; null when it is not under `from`. */
function onDrive(file: string, from: string, to: string): string | null {
  const rel = relative(from, file);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..') return null;
  return join(to, rel);
}

async function placeTree(from: string, to: string, counts: Omit<RoleDriveLayout, 'files'>): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) await placeTree(source, target, counts);
    else if (entry.isFile()) {
      counts.count++;
      counts[await placeFile(source, target)]++;
    }
    // Symbolic links and other special files are not part of a package (the readers refuse them).
  }
}

async function placeFile(source: string, target: string): Promise<'cloned' | 'linked' | 'copied'> {
  try {
    await copyFile(source, target, constants.COPYFILE_FICLONE_FORCE);
    return 'cloned';
  } catch {
    // No copy-on-write here: a hard link shares the package's bytes (a role that writes into a file in place
    // writes the package's copy too: see docs/DIFFERENCES.md).
  }
  try {
    await link(source, target);
    return 'linked';
  } catch {
    // Another device, or a file system without hard links.
  }
  await copyFile(source, target);
  return 'copied';
}
