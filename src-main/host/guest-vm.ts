// A guest VM as its host agent keeps it (host-agent.ts): its goal state, its status, its guest agent and channel, its
// logs and drives, its DIP and endpoints, and the step under way.
import type { TimerHandle } from '../common/emulated-timers';
import type { AfterStop, InstanceSpec } from '../common/host-protocol';
import type { InstanceStatus } from '../common/instance-status';
import type { BoundEndpoint, EndpointListeners } from './endpoint-listeners';
import type { GuestAgent } from './guest-agent';
import type { FromGuest, ToGuest } from './guest-protocol';
import type { GuestBeats } from './host-heartbeat';
import type { InstanceLogs } from './instance-logs';
import type { InstanceWebServer } from './instance-web-server';
import type { RoleFaults } from './role-faults';
import type { RoleFiles } from './role-stack';
import type { VmBusEnd } from './vm-bus';

export interface GuestVm {
  spec: InstanceSpec;
  status: InstanceStatus;
  /** The guest's heartbeats, and what of them the fabric has heard (host-heartbeat.ts). */
  beats: GuestBeats;
  restarts: number;
  faults: RoleFaults;
  /** The host's end of the VM's channel, and the guest on the other end, once the guest has booted. */
  vmBus: VmBusEnd<FromGuest, ToGuest> | null;
  guest: GuestAgent | null;
  /** The VM-level step in progress (creating or booting), cancelled if the VM is stopped first. */
  step: TimerHandle | null;
  /** Set while the VM is being stopped: what happens once the role has stopped. */
  stopping: AfterStop | null;
  frozen: boolean;
  /** The instance's drives' logs; kept across reboots (a reimage rotates them), closed when the VM is deleted. */
  logs: InstanceLogs;
  /** The front-end request the VM is working for, until the work is done (Ready, stopped or failed). */
  requestId: string | null;
  /** A web role's IIS: its endpoint listeners live while the guest OS is up (host/instance-web-server.ts). */
  web: InstanceWebServer | null;
  /** The instance's DIP, kept while its VM exists on this host. */
  ipAddress: string;
  /** The endpoints IIS does not serve (host/endpoint-listeners.ts), and the ports they got at this boot. */
  listeners: EndpointListeners | null;
  bound: BoundEndpoint[];
  /** The goal state an in-place upgrade starts the role with once it has stopped (the new package's role files). */
  upgradeTo: InstanceSpec | null;
  /** The role's files in the package, which E: is laid out from (role-drive.ts)... */
  roleFiles: RoleFiles;
  /** ...and whether E: must be laid out (again) before the VM is created or booted. */
  driveStale: boolean;
}
