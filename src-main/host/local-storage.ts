// Local storage: each LocalStorage a role declares is a folder on the instance's C: drive, where Azure puts
// it: C:\Resources\Directory\<deploymentID>.<role>.<name>. The guest agent creates the folders while it
// configures the guest; on a role recycle it empties those with cleanOnRoleRecycle="true" (the default) and
// leaves the files of the others where they are.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { InstanceSpec } from '../common/host-protocol';
import { roleDirectory, safeName, vmPathToFile } from '../logs/instance-paths';

/** The logs under DiagnosticStore are written while the role recycles: that folder is never emptied. */
const diagnosticStore = 'diagnosticstore';

export function localStorageVmPath(spec: InstanceSpec, name: string): string {
  return `${roleDirectory(spec.deploymentId, spec.roleName)}.${safeName(name)}`;
}

/** Every declared local resource's folder in the session (its rootPath for role code and RoleInstanceValue). */
export function localStoragePaths(instanceRoot: string, spec: InstanceSpec): Record<string, string> {
  return Object.fromEntries(Object.keys(spec.roleEnvironment.localResources).map((name) => [name, vmPathToFile(instanceRoot, localStorageVmPath(spec, name))]));
}

export interface LocalStorageReport {
  created: string[];
  emptied: string[];
  kept: string[];
}

/** Rebuild: every local resource emptied, whatever its cleanOnRoleRecycle (the DiagnosticStore's logs kept); returns the names emptied. */
export function emptyLocalStorage(instanceRoot: string, spec: InstanceSpec): string[] {
  const paths = localStoragePaths(instanceRoot, spec);
  return Object.keys(spec.roleEnvironment.localResources).filter((name) => name.toLowerCase() !== diagnosticStore && emptyFolder(paths[name]!));
}

/** Remove what a folder holds, keeping the folder; false when there is no such folder. */
function emptyFolder(path: string): boolean {
  let entries: string[];
  try {
    entries = readdirSync(path);
  } catch {
    return false;
  }
  for (const entry of entries) rmSync(join(path, entry), { recursive: true, force: true });
  return true;
}

/**
 * Make sure every folder exists; on a recycle, empty those marked cleanOnRoleRecycle. Says what it did,
 * for AppAgentRuntime.log.
 */
export function prepareLocalStorage(instanceRoot: string, spec: InstanceSpec, recycle: boolean): LocalStorageReport {
  const report: LocalStorageReport = { created: [], emptied: [], kept: [] };
  const paths = localStoragePaths(instanceRoot, spec);
  for (const [name, resource] of Object.entries(spec.roleEnvironment.localResources)) {
    const path = paths[name]!;
    if (mkdirSync(path, { recursive: true }) !== undefined) report.created.push(name);
    else if (recycle && name.toLowerCase() !== diagnosticStore) {
      if (resource.cleanOnRoleRecycle) {
        emptyFolder(path);
        report.emptied.push(name);
      } else {
        report.kept.push(name);
      }
    }
  }
  return report;
}
