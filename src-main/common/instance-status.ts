// The Service Management API's InstanceStatus vocabulary and the transitions the fabric allows between
// them. Every component that changes an instance's status goes through `assertTransition`.

export const instanceStatuses = [
  'RoleStateUnknown',
  'CreatingVM',
  'StartingVM',
  'CreatingRole',
  'StartingRole',
  'BusyRole',
  'ReadyRole',
  'StoppingRole',
  'StoppingVM',
  'DeletingVM',
  'StoppedVM',
  'RestartingRole',
  'CyclingRole',
  'FailedStartingRole',
  'FailedStartingVM',
  'UnresponsiveRole',
  'StoppedDeallocated',
  'Preparing',
] as const;
export type InstanceStatus = (typeof instanceStatuses)[number];

export type PowerState = 'Starting' | 'Started' | 'Stopping' | 'Stopped' | 'Unknown';

// Any live instance can be stopped, can have its guest OS restarted by the host agent (a reboot, or the
// 10-minute rule), and can lose its host (the controller then knows nothing of it until service healing
// re-creates it elsewhere).
const stopping: InstanceStatus[] = ['StoppingRole', 'StoppingVM', 'DeletingVM', 'StoppedVM', 'StartingVM', 'RoleStateUnknown'];

/** from -> the statuses it may move to. Anything not listed is a bug in the component that tried it. */
export const instanceTransitions: Readonly<Record<InstanceStatus, readonly InstanceStatus[]>> = {
  RoleStateUnknown: ['CreatingVM', 'Preparing', 'StoppingVM', 'DeletingVM', 'StoppedVM', 'StoppedDeallocated'],
  Preparing: ['CreatingVM', 'FailedStartingVM', ...stopping],
  CreatingVM: ['StartingVM', 'FailedStartingVM', ...stopping],
  StartingVM: ['CreatingRole', 'FailedStartingVM', 'UnresponsiveRole', ...stopping],
  CreatingRole: ['StartingRole', 'RestartingRole', 'CyclingRole', 'UnresponsiveRole', ...stopping],
  StartingRole: ['BusyRole', 'RestartingRole', 'CyclingRole', 'FailedStartingRole', 'UnresponsiveRole', ...stopping],
  BusyRole: ['ReadyRole', 'RestartingRole', 'CyclingRole', 'FailedStartingRole', 'UnresponsiveRole', ...stopping],
  ReadyRole: ['BusyRole', 'RestartingRole', 'CyclingRole', 'UnresponsiveRole', ...stopping],
  RestartingRole: ['StartingRole', 'CyclingRole', 'FailedStartingRole', 'UnresponsiveRole', ...stopping],
  CyclingRole: ['StartingRole', 'FailedStartingRole', 'UnresponsiveRole', ...stopping],
  FailedStartingRole: ['StartingRole', 'RestartingRole', 'CyclingRole', 'UnresponsiveRole', ...stopping],
  FailedStartingVM: ['Preparing', 'CreatingVM', ...stopping],
  UnresponsiveRole: ['StartingVM', 'CreatingRole', 'StartingRole', 'BusyRole', 'ReadyRole', 'RestartingRole', 'CyclingRole', 'FailedStartingRole', ...stopping],
  // A reboot goes from StoppingRole straight to StartingVM; a reimage from StoppingVM to CreatingVM.
  StoppingRole: ['StoppingVM', 'StoppedVM', 'StartingVM', 'RoleStateUnknown'],
  StoppingVM: ['DeletingVM', 'StoppedVM', 'CreatingVM', 'RoleStateUnknown'],
  DeletingVM: ['StoppedVM', 'RoleStateUnknown'],
  StoppedVM: ['Preparing', 'CreatingVM', 'StartingVM', 'RoleStateUnknown', 'StoppedDeallocated'],
  // Service healing found no room: no VM and no cores until a host has room (or the instance is stopped or deleted).
  StoppedDeallocated: ['Preparing', 'CreatingVM', 'StoppedVM', 'RoleStateUnknown'],
};

export function canTransition(from: InstanceStatus, to: InstanceStatus): boolean {
  return instanceTransitions[from].includes(to);
}

export class InvalidTransitionError extends Error {
  constructor(
    readonly instance: string,
    readonly from: InstanceStatus,
    readonly to: InstanceStatus,
  ) {
    super(`Instance ${instance} cannot go from ${from} to ${to}`);
    this.name = 'InvalidTransitionError';
  }
}

export function assertTransition(instance: string, from: InstanceStatus, to: InstanceStatus): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError(instance, from, to);
}

/** Statuses after which an instance is gone and holds no cores. */
export function isFinal(status: InstanceStatus): boolean {
  return status === 'StoppedVM' || status === 'StoppedDeallocated';
}

export function powerStateOf(status: InstanceStatus): PowerState {
  switch (status) {
    case 'CreatingVM':
    case 'StartingVM':
    case 'Preparing':
      return 'Starting';
    case 'StoppingVM':
    case 'DeletingVM':
      return 'Stopping';
    case 'StoppedVM':
    case 'StoppedDeallocated':
      return 'Stopped';
    case 'RoleStateUnknown':
      return 'Unknown';
    default:
      return 'Started';
  }
}
