// Messages between the fabric (main thread) and a host worker. The host worker is the host OS: its host
// agent receives these, and reports back with the messages below. Nothing else crosses.
import type { InstanceStatus } from './instance-status';
import type { RoleType, StartupTask, VmSize } from './service-model';
import type { PhaseTimings } from './timings';

/** Everything a host agent needs to create and run one role instance (its goal state). */
export interface InstanceSpec {
  instanceId: string;
  instanceName: string;
  deploymentId: string;
  roleName: string;
  roleType: RoleType;
  vmSize: VmSize;
  upgradeDomain: number;
  faultDomain: number;
  startupTasks: StartupTask[];
  /** The role's approot in the unpacked package, when it has one (a bare .csdef has none). */
  roleDirectory?: string;
  /** The role's JavaScript entry point: run in a real host process. Absent: the built-in default code, emulated. */
  roleEntryModule?: string;
  /** What RoleEnvironment tells role code about its role (the instance's own fields are added by the host). */
  roleEnvironment: { settings: Record<string, string>; localResources: Record<string, { maximumSizeInMegabytes: number }>; endpoints: Record<string, { protocol: string; port: number }> };
}

export type ToHost =
  /** `sessionDir`: the session folder the host writes its instances' logs under (a temporary one when absent). */
  | { type: 'init'; hostId: string; clock: SharedArrayBuffer; seed: number; timings: PhaseTimings; sessionDir?: string }
  | { type: 'clock-changed' }
  /** `requestId`: the front-end request this work is for, written in the host agent's log and echoed in status. */
  | { type: 'start-instance'; spec: InstanceSpec; requestId?: string }
  /** Stop the role, then: delete the VM, keep it stopped (suspend), restart its OS, or re-create it. */
  | { type: 'stop-instance'; instanceId: string; then: AfterStop; requestId?: string }
  /** Boot a VM that was kept stopped. */
  | { type: 'resume-instance'; instanceId: string; requestId?: string }
  | { type: 'fault'; instanceId: string; fault: InstanceFault }
  | { type: 'shutdown' };

export type AfterStop = 'delete' | 'keep' | 'reboot' | 'reimage';

/** A fault as the host agent applies it to one guest. */
export type InstanceFault =
  | { kind: 'crash-role'; persistent: boolean }
  | { kind: 'fail-startup-task' }
  | { kind: 'hang-guest' }
  | { kind: 'clear' };

export interface GuestHeartbeatReport {
  instanceId: string;
  /** Emulated time of the latest heartbeat the guest agent sent. */
  at: number;
  /** Heartbeats received from this guest since it booted. */
  count: number;
}

export type FromHost =
  | { type: 'ready'; hostId: string }
  | { type: 'host-heartbeat'; at: number; guests: GuestHeartbeatReport[] }
  | { type: 'instance-status'; instanceId: string; status: InstanceStatus; details: string; at: number; restarts: number; requestId?: string }
  | { type: 'error'; message: string };
