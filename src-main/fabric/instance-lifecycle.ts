// An instance's life as its fabric controller sees it, in explicit states (Azurite keeps a blob lease's
// life the same way). The Service Management status (common/instance-status.ts) says what the instance's
// components report; the lifecycle says what the controller holds for it: a host and its cores, a VM on
// that host, and where it drives the instance next (its goal state). Pure: the controller acts on it.
import type { InstanceView } from '../common/fabric-api';
import type { InstanceSpec, RoleEndpoint } from '../common/host-protocol';
import type { RotationEndpoint } from './load-balancer-rotation';

export type InstanceLifecycle =
  /** Holds cores on its host, with no VM there: kept stopped (a suspended instance healed onto a new host, or whose host restarted), or about to start. */
  | { state: 'Placed' }
  /** Its VM is on the host and the goal is Started, whatever status its components report. */
  | { state: 'Running' }
  /** A stop was sent to the host; StoppedVM ends it: `delete` removes the instance, `keep` leaves it Stopped. */
  | { state: 'Stopping'; then: 'delete' | 'keep' }
  /** StoppedVM with its VM kept on the host (a suspended deployment): Run boots the same VM. */
  | { state: 'Stopped' }
  /** Its VM went with its host, which the controller is restarting; its cores stay reserved there. */
  | { state: 'HostRestarting' }
  /** Its host was marked bad: it holds nothing and waits for service healing; then `start` it or `keep` it stopped. */
  | { state: 'Orphaned'; then: 'start' | 'keep' }
  /** Stopped and deleted: its cores are free and it is gone from the pool. */
  | { state: 'Removed' };

export type LifecycleState = InstanceLifecycle['state'];

/** state -> the states it may move to. Anything else is a bug in the controller that tried it. */
export const lifecycleTransitions: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = {
  // Started on its host, deleted (nothing to stop), or orphaned when its host is marked bad.
  Placed: ['Running', 'Placed', 'Removed', 'Orphaned'],
  Running: ['Stopping', 'HostRestarting', 'Orphaned'],
  // Stopping again changes what happens after (a suspend overtaken by a delete); a lost host ends the stop at once.
  Stopping: ['Stopping', 'Stopped', 'Removed', 'Placed', 'Orphaned'],
  Stopped: ['Running', 'Removed', 'Placed', 'Orphaned'],
  // The restarted host re-creates it; a stop needs no VM and ends at once; a failed restart orphans it.
  HostRestarting: ['Running', 'HostRestarting', 'Removed', 'Placed', 'Orphaned'],
  // Healing places it (started or kept), Run/Suspend change what healing will do, Delete removes it.
  Orphaned: ['Running', 'Placed', 'Orphaned', 'Removed'],
  Removed: [],
};

export class InvalidLifecycleError extends Error {
  constructor(
    readonly instance: string,
    readonly from: LifecycleState,
    readonly to: LifecycleState,
  ) {
    super(`The fabric controller cannot move instance ${instance} from ${from} to ${to}`);
    this.name = 'InvalidLifecycleError';
  }
}

export function canMove(from: LifecycleState, to: LifecycleState): boolean {
  return lifecycleTransitions[from].includes(to);
}

export function assertMove(instance: string, from: LifecycleState, to: LifecycleState): void {
  if (!canMove(from, to)) throw new InvalidLifecycleError(instance, from, to);
}

/** Whether the instance's cores are reserved on the host it names. */
export function holdsCores(lifecycle: InstanceLifecycle): boolean {
  return lifecycle.state !== 'Orphaned' && lifecycle.state !== 'Removed';
}

/** Whether the instance's VM exists on its host (it gets messages: stop, resume, configuration). */
export function hasVm(lifecycle: InstanceLifecycle): boolean {
  return lifecycle.state === 'Running' || lifecycle.state === 'Stopping' || lifecycle.state === 'Stopped';
}

/** Whether the controller drives the instance toward Started (faults and reboots go only to such). */
export function goalIsStarted(lifecycle: InstanceLifecycle): boolean {
  return lifecycle.state === 'Running' || lifecycle.state === 'HostRestarting' || (lifecycle.state === 'Orphaned' && lifecycle.then === 'start');
}

/** What the controller keeps for one instance of its pool. */
export interface PoolInstance {
  view: InstanceView;
  spec: InstanceSpec;
  lifecycle: InstanceLifecycle;
  /** The role's input endpoints, each with its own rotation rule (ignoreRoleInstanceStatus keeps Busy instances in). */
  inputEndpoints: RotationEndpoint[];
  /** Held out of rotation by an upgrade walking its domain (load-balancer-rotation.ts). */
  held?: boolean;
  /** Its role has an internal endpoint, so RoleEnvironment.Roles lists its instances (role-topology.ts). */
  listed?: boolean;
  /** Its endpoints as its host bound them, as RoleEnvironment names them (instance-endpoints). */
  roleEndpoints?: Record<string, RoleEndpoint>;
}
