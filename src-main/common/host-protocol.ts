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
}

export type ToHost =
  | { type: 'init'; hostId: string; clock: SharedArrayBuffer; seed: number; timings: PhaseTimings }
  | { type: 'clock-changed' }
  | { type: 'start-instance'; spec: InstanceSpec }
  /** Stop the role, then: delete the VM, keep it stopped (suspend), restart its OS, or re-create it. */
  | { type: 'stop-instance'; instanceId: string; then: AfterStop }
  /** Boot a VM that was kept stopped. */
  | { type: 'resume-instance'; instanceId: string }
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
  | { type: 'instance-status'; instanceId: string; status: InstanceStatus; details: string; at: number; restarts: number }
  | { type: 'error'; message: string };
