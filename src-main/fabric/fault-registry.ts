// The fabric's registry of fault kinds (kind -> target, check, apply), as Headlamp registers its parts: each
// kind registers once, and the front end and the controllers route, refuse and apply faults only through it.
// A fault only flips a switch in the component it breaks; recovery is the fabric's ordinary work.
import type { InstanceFaultKind, InstanceView } from '../common/fabric-api';
import { FabricErrors } from '../common/fabric-errors';
import { faultKinds, faultTargets, type FaultKind, type HostFaultRequest, type InstanceFaultRequest } from '../common/fault-kinds';
import type { StartupTask } from '../common/service-model';
import type { Host } from './pool-hosts';

/** An instance as a fault sees it. */
export interface InstanceFaultTarget {
  view: InstanceView;
  startupTasks: readonly StartupTask[];
  /** Being stopped, suspended or removed: faults go to running instances only. */
  stopping: boolean;
  /** Waiting for a host after its own failed. */
  orphaned: boolean;
}

export interface InstanceFaultHandler {
  target: 'instance';
  /** Throws the refusal when the instance cannot take the fault in its state. */
  check(target: InstanceFaultTarget, fault: InstanceFaultRequest): void;
  /** The faults in force once this one is (shown on the instance); the host agent is then sent the fault. */
  inForce(current: ReadonlySet<InstanceFaultKind>, fault: InstanceFaultRequest): Set<InstanceFaultKind>;
}

export interface HostFaultHandler {
  target: 'host';
  /** Break the host (its worker, its link, its OS); checked Healthy first. Resolves once the fault has taken hold. */
  apply(host: Host): void | Promise<void>;
}

export type FaultHandler = InstanceFaultHandler | HostFaultHandler;

const registry = new Map<FaultKind, FaultHandler>();

/** Register a kind's handler; its target must be the one the contract names, and a kind registers once. */
export function registerFault(kind: FaultKind, handler: FaultHandler): void {
  if (registry.has(kind)) throw new Error(`Fault kind ${kind} is registered twice.`);
  if (faultTargets[kind] !== handler.target) throw new Error(`Fault kind ${kind} is aimed at ${faultTargets[kind]}, not ${handler.target}.`);
  registry.set(kind, handler);
}

/** The handler of a kind. Every kind of the contract has one (checked at load); an unknown kind is a bug upstream of the schema. */
export function faultHandler(kind: FaultKind): FaultHandler {
  const handler = registry.get(kind);
  if (!handler) throw new Error(`No handler is registered for fault kind "${String(kind)}".`);
  return handler;
}

/** What every instance fault needs: an instance that is running, not stopping or waiting for a host. */
export function checkInstanceRunning({ view, stopping, orphaned }: InstanceFaultTarget): void {
  if (stopping) throw FabricErrors.faultTargetStopping(view.name, view.status);
  if (orphaned || view.status === 'StoppedVM') throw FabricErrors.faultTargetWithoutVm(view.name, orphaned);
}

const booted = (view: InstanceView) => !['RoleStateUnknown', 'CreatingVM', 'StartingVM'].includes(view.status);
const adding = (kind: InstanceFaultKind) => (current: ReadonlySet<InstanceFaultKind>) => new Set([...current, kind]);

registerFault('crash-role', {
  target: 'instance',
  check(target, fault) {
    checkInstanceRunning(target);
    const persistent = fault.kind === 'crash-role' && fault.persistent;
    if (!persistent && !['BusyRole', 'ReadyRole'].includes(target.view.status)) throw FabricErrors.hostProcessNotRunning(target.view.name, target.view.status);
  },
  // A one-off crash leaves nothing behind.
  inForce: (current, fault) => (fault.kind === 'crash-role' && fault.persistent ? new Set([...current, 'crash-role']) : new Set(current)),
});

registerFault('fail-startup-task', {
  target: 'instance',
  check(target) {
    checkInstanceRunning(target);
    if (!target.startupTasks.some((t) => t.taskType === 'simple')) throw FabricErrors.noSimpleStartupTask(target.view.roleName);
  },
  inForce: adding('fail-startup-task'),
});

registerFault('hang-guest', {
  target: 'instance',
  check(target) {
    checkInstanceRunning(target);
    if (!booted(target.view)) throw FabricErrors.guestNotBooted(target.view.name, target.view.status);
  },
  inForce: adding('hang-guest'),
});

registerFault('clear', {
  target: 'instance',
  check: checkInstanceRunning,
  // The persistent faults go; a hung guest stays hung until its OS restarts.
  inForce: (current) => new Set([...current].filter((k) => k !== 'crash-role' && k !== 'fail-startup-task')),
});

// Dead hardware and a cut link outlast the controller's restart of the host; a hung host OS does not.
registerFault('kill-host', {
  target: 'host',
  apply(host) {
    host.fault = 'dead';
    // Dead once its thread has ended: from then on its instances' listeners refuse connections.
    return host.proxy?.terminate();
  },
});

registerFault('disconnect-host', {
  target: 'host',
  apply(host) {
    host.fault = 'cut-off';
    host.proxy?.partition();
  },
});

registerFault('hang-host', {
  target: 'host',
  apply(host) {
    host.proxy?.send({ type: 'hang-host' });
  },
});

for (const kind of faultKinds) faultHandler(kind);

export type { HostFaultRequest, InstanceFaultRequest };
