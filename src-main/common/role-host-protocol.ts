// Messages between WaHostBootstrapper (in the host worker) and a role's host process (WaWorkerHost,
// WaWebHost or WaIISHost): a child process that runs the package's own JavaScript role entry point, so that
// a crash or an infinite loop in role code is a real process death or a real hang, and never the host's.

import type { RoleTopology } from './host-protocol';

/** What role code can learn about itself through RoleEnvironment. */
export interface RoleEnvironmentData {
  deploymentId: string;
  roleName: string;
  instanceId: string;
  updateDomain: number;
  faultDomain: number;
  isEmulated: boolean;
  settings: Record<string, string>;
  localResources: Record<string, { rootPath: string; maximumSizeInMegabytes: number }>;
  endpoints: Record<string, { protocol: string; address: string; port: number }>;
  /** RoleEnvironment.Roles: the roles that list their instances (those with an internal endpoint). */
  roles: RoleTopology[];
  /** The role's certificates from the VM's store: the stand-in's key and certificate (PEM), null where none could be made. */
  certificates?: Record<string, RoleCertificateData>;
}

export interface RoleCertificateData {
  thumbprint: string;
  storeName: string;
  storeLocation: string;
  key: string | null;
  cert: string | null;
}

export type ToRoleHost =
  /** Load the entry point module and call OnStart. */
  | { type: 'start'; modulePath: string; environment: RoleEnvironmentData }
  /** WaHostBootstrapper's status probe: raise StatusCheck and answer whether the role called setBusy. */
  | { type: 'status-check'; id: number }
  /** Configuration change: raise Changing (cancellable) and, unless cancelled, Changed. */
  | { type: 'changing'; id: number; settings: Record<string, string> }
  /** Topology change: raise Changing with a topology change per role (cancellable), then Changed with the new Roles. */
  | { type: 'topology'; id: number; roles: RoleTopology[]; changedRoles: string[] }
  /** The instance is leaving the load balancer: raise Stopping, call OnStop, then exit. */
  | { type: 'stop' }
  /** Sent every second: a host process that hears nothing for 5 s ends, as its host worker is gone. */
  | { type: 'ping' };

export type FromRoleHost =
  | { type: 'loaded' }
  /** OnStart returned; `false` (or a throw, reported as `error`) stops the process. */
  | { type: 'on-start'; result: boolean }
  /** Run returned: the role recycles. */
  | { type: 'run-returned' }
  | { type: 'status'; id: number; busy: boolean }
  | { type: 'changing-answer'; id: number; cancelled: boolean }
  | { type: 'recycle-requested' }
  | { type: 'stopped' }
  | { type: 'error'; phase: 'load' | 'OnStart' | 'OnStop'; message: string };
