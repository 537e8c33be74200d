// Which faults an instance can take in its current state, and what is in force afterwards. The controller
// refuses the rest with a reason before anything reaches a host.
import type { InstanceFaultKind, InstanceView } from '../common/fabric-api';
import { FabricErrors } from '../common/fabric-errors';
import type { InstanceFault } from '../common/host-protocol';
import type { StartupTask } from '../common/service-model';

export interface FaultTarget {
  view: InstanceView;
  startupTasks: StartupTask[];
  /** Being stopped, suspended or removed: faults go to running instances only. */
  stopping: boolean;
  /** Waiting for a host after its own failed. */
  orphaned: boolean;
}

export function checkInstanceFault({ view, startupTasks, stopping, orphaned }: FaultTarget, fault: InstanceFault): void {
  if (stopping) throw FabricErrors.faultTargetStopping(view.name, view.status);
  if (orphaned || view.status === 'StoppedVM') {
    throw FabricErrors.faultTargetWithoutVm(view.name, orphaned);
  }
  const booted = !['RoleStateUnknown', 'CreatingVM', 'StartingVM'].includes(view.status);
  if (fault.kind === 'hang-guest' && !booted) {
    throw FabricErrors.guestNotBooted(view.name, view.status);
  }
  if (fault.kind === 'crash-role' && !fault.persistent && !['BusyRole', 'ReadyRole'].includes(view.status)) {
    throw FabricErrors.hostProcessNotRunning(view.name, view.status);
  }
  if (fault.kind === 'fail-startup-task' && !startupTasks.some((t) => t.taskType === 'simple')) {
    throw FabricErrors.noSimpleStartupTask(view.roleName);
  }
}

/** The faults in force after `fault` (a one-off crash leaves nothing behind; clear removes the persistent ones). */
export function faultsAfter(current: readonly InstanceFaultKind[], fault: InstanceFault): InstanceFaultKind[] {
  const kinds = new Set(current);
  if (fault.kind === 'clear') {
    kinds.delete('crash-role');
    kinds.delete('fail-startup-task');
  } else if (fault.kind !== 'crash-role' || fault.persistent) {
    kinds.add(fault.kind);
  }
  return [...kinds];
}
