// What a role's stack is made of on an instance, shared by the bootstrapper, the instance's logs, IIS's
// configurator and its web server. Kept apart so none of those imports another for a name or a type, and
// small, because the host worker loads instance-web-server.ts only when a web role boots.
import type { InstanceSpec } from '../common/host-protocol';

/** The host process of a role: WaWorkerHost (worker role), WaIISHost (web role with <Sites>) or WaWebHost (HWC). */
export function hostProcessFor(spec: InstanceSpec): 'WaWorkerHost' | 'WaWebHost' | 'WaIISHost' {
  if (spec.roleType === 'WorkerRole') return 'WaWorkerHost';
  return spec.sites && spec.sites.length > 0 ? 'WaIISHost' : 'WaWebHost';
}

/** WaHostBootstrapper's status probe of role code: one unanswered this long (emulated) reads as Busy... */
export const statusCheckTimeout = 30_000;
/** ...and this long (emulated) recycles the host process. */
export const unresponsiveLimit = 5 * 60_000;
/**
 * Real ms a probe must also have waited before it counts as unanswered: at 1000x, 30 emulated seconds are
 * 30 real ms, less than a busy machine may take to schedule a healthy process's answer.
 */
export const statusCheckFloorMs = 3_000;

/**
 * The IIS version of a guest OS family: 2 Windows Server 2008 R2 (7.5), 3 2012 (8.0), 4 2012 R2 (8.5), 5 2016,
 * 6 2019 and 7 2022 (10.0). Absent, '*' or unknown: the latest family's.
 */
export function iisVersionFor(osFamily: string | undefined): string {
  return ({ '2': '7.5', '3': '8.0', '4': '8.5' } as Record<string, string>)[osFamily ?? ''] ?? '10.0';
}

/** Where a role's files are: the package's folders as the controller sends them, or their places on E:. */
export type RoleFiles = Pick<InstanceSpec, 'roleDirectory' | 'roleEntryModule' | 'sites'>;

/** The role files of a goal state. */
export function roleFilesOf(spec: InstanceSpec): RoleFiles {
  return {
    ...(spec.roleDirectory ? { roleDirectory: spec.roleDirectory } : {}),
    ...(spec.roleEntryModule ? { roleEntryModule: spec.roleEntryModule } : {}),
    ...(spec.sites ? { sites: spec.sites } : {}),
  };
}

/** The path WaWebHost asks for once it hosts the site, so the runtime is initialised before the first user request. */
export const warmUpPath = '/do.rd_runtime_init';

/** A site as IIS holds it: id (W3SVC<id>), the folder it serves and the endpoints bound to it. */
export interface IisSite {
  id: number;
  name: string;
  appPool: string;
  /** As IIS shows it on the VM: E:\sitesroot\<index> (full IIS) or E:\approot (HWC). */
  physicalPath: string;
  /** The folder on this machine whose files the site serves; null when the package has no content for it. */
  folder: string | null;
  endpointNames: string[];
}
