// The fabric controller of one machine pool: places role instances on hosts with free cores (spread
// over fault domains, powering on spare hosts when it must), hands each host agent its instances' goal
// state, follows the status the host agents report, and heals: when a host is lost, its instances are
// re-created on healthy hosts.
import type { DeploymentView, FabricRecord, HostView, InstanceView, PoolView } from '../common/fabric-api';
import { FabricError } from '../common/fabric-api';
import type { EmulatedTimers } from '../common/emulated-timers';
import type { AfterStop, FromHost, InstanceFault, InstanceSpec, ToHost } from '../common/host-protocol';
import { assertTransition, isFinal, powerStateOf, type InstanceStatus } from '../common/instance-status';
import { vmSizeCores, type RoleModel } from '../common/service-model';
import type { PhaseTimings } from '../common/timings';
import type { ComponentLog } from '../logs/component-log';
import type { EventHub } from './event-hub';
import { checkInstanceFault, faultsAfter } from './instance-faults';
import { inRotation } from './load-balancer-rotation';
import { newInstanceView, pickHost, planInstances } from './placement';
import { PoolHosts, type Host, type PoolConfig } from './pool-hosts';

export type { PoolConfig } from './pool-hosts';

interface Instance {
  view: InstanceView;
  spec: InstanceSpec;
  /** Waiting for a host after its own was lost (service healing). */
  orphaned: boolean;
  /** The goal state the controller drives the instance toward. */
  goal: 'Started' | 'Suspended' | 'Removed';
  /** Whether the instance's VM exists on its host (not after healing moved a stopped instance). */
  vmOnHost: boolean;
  /** The role's input endpoint asks the load balancer to ignore role status (Busy instances stay in rotation). */
  ignoreRoleInstanceStatus: boolean;
  waiters: Waiter[];
}

interface Waiter {
  targets: readonly InstanceStatus[];
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Statuses that end a wait for Ready with a failure the operation reports. */
const failedStart: readonly InstanceStatus[] = ['FailedStartingRole', 'FailedStartingVM'];

export class FabricController {
  readonly pool: PoolView;
  private readonly hosts: PoolHosts;
  private readonly instances = new Map<string, Instance>();
  /** The instances of each role of each deployment (key: deploymentId/roleName), so per-role work is not O(all instances). */
  private readonly roles = new Map<string, Set<Instance>>();
  /** Instances waiting for a host (service healing). */
  private readonly orphans = new Set<Instance>();

  constructor(
    id: string,
    config: PoolConfig,
    workerUrl: URL,
    init: (hostId: string) => ToHost,
    private readonly events: EventHub,
    private readonly timers: EmulatedTimers,
    timings: PhaseTimings,
    hostSilenceFloorMs: number,
    /** FabricController.log of this pool. */
    private readonly log: ComponentLog,
  ) {
    this.hosts = new PoolHosts(id, config, workerUrl, init, events, timers, timings, hostSilenceFloorMs, {
      onMessage: (host, message) => this.fromHost(host, message),
      onHostFailed: (host, reason) => this.hostFailed(host, reason),
    });
    this.pool = { id, name: config.name, region: config.region, hostIds: [...this.hosts.all()].map((h) => h.view.id) };
  }

  start(): Promise<void> {
    return this.hosts.start();
  }

  broadcast(message: ToHost): void {
    this.hosts.broadcast(message);
  }

  shutdown(): Promise<void> {
    return this.hosts.shutdown();
  }

  hostViews(): HostView[] {
    return [...this.hosts.all()].map((h) => h.view);
  }

  hasHost(hostId: string): boolean {
    return this.hosts.get(hostId) !== undefined;
  }

  instanceViews(): InstanceView[] {
    return [...this.instances.values()].map((i) => i.view);
  }

  instancesOf(deploymentId: string, roleName?: string): InstanceView[] {
    if (roleName !== undefined) return [...(this.roles.get(`${deploymentId}/${roleName}`) ?? [])].map((i) => i.view);
    return this.instanceViews().filter((i) => i.deploymentId === deploymentId);
  }

  instance(instanceId: string): InstanceView | undefined {
    return this.instances.get(instanceId)?.view;
  }

  /** Free cores on healthy hosts, and on spare hosts that could be powered on. */
  capacity(): { free: number; spare: number } {
    let free = 0;
    for (const { view } of this.hosts.all()) if (view.health === 'Healthy') free += view.cores - view.usedCores;
    return { free, spare: this.hosts.spares().reduce((sum, h) => sum + h.view.cores, 0) };
  }

  /**
   * Place the given instances of a deployment, all or none: each role's instances spread over fault
   * domains, each on a healthy host with enough free cores; spare hosts are powered on when the running
   * ones have no room. Throws AllocationFailed when the pool cannot hold them.
   */
  async place(deployment: DeploymentView, roles: { role: RoleModel; indices: number[] }[], upgradeDomainCount: number, requestId?: string): Promise<string[]> {
    const count = roles.reduce((n, r) => n + r.indices.length, 0);
    this.log.write('INFO', `Placing ${count} instance(s) of ${deployment.id} in ${this.pool.name}.`, requestId);
    for (;;) {
      const plan = planInstances(this.pool.name, deployment.id, roles, upgradeDomainCount, this.hosts.all(), (role) => this.instancesOf(deployment.id, role), this.capacity().free);
      if (!Array.isArray(plan)) {
        const spare = this.hosts.spares()[0];
        if (!spare) {
          this.log.write('ERROR', `Allocation failed: ${plan.reason}`, requestId);
          throw new FabricError('AllocationFailed', plan.reason);
        }
        this.log.write('INFO', `No room on the running hosts; powering on spare ${spare.view.id}.`, requestId);
        await this.hosts.powerOn(spare);
        continue;
      }
      for (const { spec, host } of plan) {
        const role = roles.find((r) => r.role.name === spec.roleName)!.role;
        const instance: Instance = {
          view: newInstanceView(spec, host.view.id, this.timers.now()),
          spec,
          orphaned: false,
          goal: 'Started',
          vmOnHost: false,
          ignoreRoleInstanceStatus: role.endpoints.input.some((e) => e.ignoreRoleInstanceStatus),
          waiters: [],
        };
        this.instances.set(spec.instanceId, instance);
        const key = `${spec.deploymentId}/${spec.roleName}`;
        if (!this.roles.has(key)) this.roles.set(key, new Set());
        this.roles.get(key)!.add(instance);
        this.assign(instance, host, requestId);
      }
      for (const { role } of roles) this.updateRotation(deployment.id, role.name);
      return plan.map((p) => p.spec.instanceId);
    }
  }

  /** Resolves when every instance has reached one of `targets`; rejects when one fails to start. */
  whenStatus(instanceIds: string[], targets: readonly InstanceStatus[]): Promise<void> {
    return Promise.all(
      instanceIds.map((id) => {
        const instance = this.instances.get(id);
        if (!instance) return targets.includes('StoppedVM') ? undefined : Promise.reject(new Error(`Instance ${id} is gone.`));
        if (targets.includes(instance.view.status) && !instance.orphaned) return undefined;
        return new Promise<void>((resolve, reject) => instance.waiters.push({ targets, resolve, reject }));
      }),
    ).then(() => undefined);
  }

  /** Stop instances: `delete` removes them and frees their cores, `keep` leaves them StoppedVM on their host. */
  stopInstances(instanceIds: string[], then: 'delete' | 'keep', requestId?: string): Promise<void> {
    this.log.write('INFO', `Stopping ${instanceIds.length} instance(s), then ${then}: ${instanceIds.join(', ')}.`, requestId);
    for (const id of instanceIds) {
      const instance = this.instances.get(id);
      if (!instance) continue;
      instance.goal = then === 'delete' ? 'Removed' : 'Suspended';
      if (instance.orphaned || instance.view.status === 'StoppedVM') {
        if (then === 'delete') this.hosts.send(instance.view.hostId, { type: 'stop-instance', instanceId: id, then: 'delete', requestId });
        if (instance.view.status === 'StoppedVM') this.finishStop(instance);
        else this.setStatus(instance, 'StoppedVM', '', this.timers.now());
      } else {
        this.hosts.send(instance.view.hostId, { type: 'stop-instance', instanceId: id, then, requestId });
      }
    }
    return this.whenStatus(instanceIds, ['StoppedVM']);
  }

  /** Start instances that were kept stopped; resolves once they are Ready. */
  resumeInstances(instanceIds: string[], requestId?: string): Promise<void> {
    this.log.write('INFO', `Starting ${instanceIds.length} kept instance(s).`, requestId);
    for (const id of instanceIds) {
      const instance = this.instances.get(id);
      if (!instance || instance.goal === 'Removed') continue;
      instance.goal = 'Started';
      if (instance.orphaned) continue; // healing starts it once it has a host
      if (instance.vmOnHost) this.hosts.send(instance.view.hostId, { type: 'resume-instance', instanceId: id, requestId });
      else this.startOnHost(instance, requestId);
    }
    return this.whenStatus(instanceIds, ['ReadyRole', ...failedStart]);
  }

  /** Reboot (restart the guest OS) or reimage (re-create the VM) one instance; resolves once it is Ready again. */
  restartInstance(instanceId: string, how: 'reboot' | 'reimage', requestId?: string): Promise<void> {
    const instance = this.instances.get(instanceId)!;
    if (instance.goal !== 'Started' || instance.orphaned || isFinal(instance.view.status)) {
      throw new FabricError('Conflict', `Instance ${instance.view.name} is ${instance.orphaned ? 'waiting for a host' : instance.view.status}; only running instances can be ${how === 'reboot' ? 'rebooted' : 'reimaged'}.`);
    }
    const done = new Promise<void>((resolve, reject) => instance.waiters.push({ targets: ['ReadyRole', ...failedStart], resolve, reject }));
    this.log.write('INFO', `${how === 'reboot' ? 'Rebooting' : 'Reimaging'} ${instanceId} on ${instance.view.hostId}.`, requestId);
    this.hosts.send(instance.view.hostId, { type: 'stop-instance', instanceId, then: how satisfies AfterStop, requestId });
    return done;
  }

  injectInstanceFault(instanceId: string, fault: InstanceFault): void {
    const instance = this.instances.get(instanceId)!;
    checkInstanceFault({ view: instance.view, startupTasks: instance.spec.startupTasks, stopping: instance.goal !== 'Started', orphaned: instance.orphaned }, fault);
    instance.view.faults = faultsAfter(instance.view.faults, fault);
    this.log.write('WARN', `Fault ${fault.kind} injected into ${instanceId} on ${instance.view.hostId}.`);
    this.publish(instance);
    this.hosts.send(instance.view.hostId, { type: 'fault', instanceId, fault });
  }

  injectHostFault(hostId: string, kind: 'kill-host' | 'disconnect-host'): void {
    const host = this.hosts.get(hostId)!;
    if (host.view.health !== 'Healthy') {
      throw new FabricError('Conflict', `${host.view.name} is ${host.view.health}; faults go to healthy hosts.`);
    }
    this.log.write('WARN', `Fault ${kind} injected into ${hostId}.`);
    if (kind === 'kill-host') host.proxy?.terminate();
    else host.proxy?.partition();
  }

  record(record: FabricRecord): void {
    this.events.record(record);
  }

  /** Give the instance a host: its cores are reserved there, and the VM is created if the goal is to run. */
  private assign(instance: Instance, host: Host, requestId?: string): void {
    instance.orphaned = false;
    instance.view.hostId = host.view.id;
    instance.view.faultDomain = host.view.faultDomain;
    instance.spec = { ...instance.spec, faultDomain: host.view.faultDomain };
    host.view.usedCores += vmSizeCores[instance.spec.vmSize];
    this.hosts.publish(host);
    this.log.write('INFO', `${instance.view.id} assigned to ${host.view.id} (fault domain ${host.view.faultDomain}).`, requestId);
    if (instance.goal === 'Started') this.startOnHost(instance, requestId);
    else this.publish(instance);
  }

  private startOnHost(instance: Instance, requestId?: string): void {
    instance.vmOnHost = true;
    this.publish(instance);
    this.hosts.send(instance.view.hostId, { type: 'start-instance', spec: instance.spec, requestId });
  }

  private fromHost(host: Host, message: FromHost): void {
    switch (message.type) {
      case 'host-heartbeat':
        for (const guest of message.guests) {
          const instance = this.instances.get(guest.instanceId);
          if (instance && instance.view.hostId === host.view.id && instance.view.guestHeartbeats !== guest.count) {
            instance.view.lastGuestHeartbeat = guest.at;
            instance.view.guestHeartbeats = guest.count;
            this.publish(instance);
          }
        }
        break;
      case 'instance-status': {
        const instance = this.instances.get(message.instanceId);
        if (!instance || instance.view.hostId !== host.view.id || instance.orphaned) return;
        instance.view.restarts = Math.max(instance.view.restarts, message.restarts);
        this.setStatus(instance, message.status, message.details, message.at, message.requestId);
        break;
      }
      case 'error':
        console.error(`[${host.view.id}] ${message.message}`);
        break;
      default:
        break;
    }
  }

  private setStatus(instance: Instance, status: InstanceStatus, details: string, at: number, requestId?: string): void {
    const view = instance.view;
    const changed = view.status !== status;
    if (changed) {
      assertTransition(view.id, view.status, status);
      this.log.write(status.startsWith('Failed') ? 'ERROR' : 'INFO', `${view.id}: ${view.status} -> ${status}.${details ? ` ${details}` : ''}`, requestId);
      this.events.record({ kind: 'instance-status', at, instanceId: view.id, deploymentId: view.deploymentId, from: view.status, to: status, details, ...(requestId ? { requestId } : {}) });
      // A rebooted guest is no longer hung.
      if (status === 'StartingVM') view.faults = view.faults.filter((f) => f !== 'hang-guest');
    }
    view.status = status;
    view.stateDetails = details;
    view.powerState = powerStateOf(status);
    view.statusSince = at;
    if (status === 'StoppedVM') this.finishStop(instance);
    else this.publish(instance);
    if (changed) this.settleWaiters(instance);
    this.updateRotation(view.deploymentId, view.roleName);
  }

  /** StoppedVM reached: a removed instance goes away and frees its cores; a suspended one stays. */
  private finishStop(instance: Instance): void {
    const view = instance.view;
    if (instance.goal !== 'Removed') {
      this.publish(instance);
      return;
    }
    const host = this.hosts.get(view.hostId);
    if (host && !instance.orphaned && host.view.health === 'Healthy') {
      host.view.usedCores -= vmSizeCores[view.vmSize];
      this.hosts.publish(host);
    }
    this.instances.delete(view.id);
    this.orphans.delete(instance);
    const key = `${view.deploymentId}/${view.roleName}`;
    this.roles.get(key)?.delete(instance);
    if (this.roles.get(key)?.size === 0) this.roles.delete(key);
    this.events.publish({ type: 'instance-removed', id: view.id });
    for (const waiter of instance.waiters) {
      if (waiter.targets.includes('StoppedVM')) waiter.resolve();
      else waiter.reject(new Error(`Instance ${view.name} was removed.`));
    }
    instance.waiters = [];
    this.heal();
  }

  private settleWaiters(instance: Instance): void {
    const status = instance.view.status;
    instance.waiters = instance.waiters.filter((waiter) => {
      if (!waiter.targets.includes(status)) return true;
      if (failedStart.includes(status) && !waiter.targets.every((t) => failedStart.includes(t))) {
        waiter.reject(new Error(`${instance.view.name} is ${status}: ${instance.view.stateDetails}`));
      } else {
        waiter.resolve();
      }
      return false;
    });
  }

  /** The host is lost: power it off, and re-create its instances on healthy hosts (service healing). */
  private hostFailed(host: Host, reason: string): void {
    this.log.write('ERROR', `${host.view.id} failed: ${reason} Marking it out for repair and healing its instances.`);
    this.hosts.markFailed(host, `${reason} Marked out for repair; its instances are being re-created on healthy hosts.`);
    const now = this.timers.now();
    for (const instance of this.instances.values()) {
      if (instance.view.hostId !== host.view.id) continue;
      instance.orphaned = true;
      this.orphans.add(instance);
      instance.vmOnHost = false;
      instance.view.lastGuestHeartbeat = null;
      instance.view.guestHeartbeats = 0;
      instance.view.faults = instance.view.faults.filter((f) => f !== 'hang-guest');
      if (instance.view.status === 'StoppedVM') {
        instance.view.stateDetails = `${host.view.name} failed; the stopped instance will be re-created on another host.`;
        this.publish(instance);
      } else {
        instance.view.restarts++;
        this.setStatus(instance, 'RoleStateUnknown', `${host.view.name} failed: ${reason} Service healing: waiting for a healthy host.`, now);
      }
    }
    this.heal();
  }

  /** Place every instance waiting for a host, keeping its fault domain where it can. */
  private heal(): void {
    for (const instance of [...this.orphans]) {
      const sameRole = new Map<number, number>();
      for (const other of this.roles.get(`${instance.view.deploymentId}/${instance.view.roleName}`) ?? []) {
        if (other !== instance && !other.orphaned) sameRole.set(other.view.faultDomain, (sameRole.get(other.view.faultDomain) ?? 0) + 1);
      }
      const cores = vmSizeCores[instance.spec.vmSize];
      const host = pickHost(this.hosts.all(), cores, sameRole, new Map(), instance.view.faultDomain);
      if (host) {
        this.assign(instance, host);
        continue;
      }
      const spare = this.hosts.spares()[0];
      instance.view.stateDetails = spare
        ? `Service healing: powering on ${spare.view.name} for a host with ${cores} free core(s).`
        : `Service healing: no healthy host in pool ${this.pool.name} has ${cores} free core(s); waiting for capacity.`;
      this.publish(instance);
      if (spare) void this.hosts.powerOn(spare).then(() => this.heal(), () => {});
    }
  }

  /** Recompute load-balancer rotation for one role: its instance count changes the single-instance rule. */
  private updateRotation(deploymentId: string, roleName: string): void {
    const list = this.roles.get(`${deploymentId}/${roleName}`);
    if (!list) return;
    for (const instance of list) {
      const rotation = inRotation(instance.view, list.size, instance.ignoreRoleInstanceStatus);
      if (rotation !== instance.view.inRotation) {
        instance.view.inRotation = rotation;
        this.publish(instance);
      }
    }
  }

  private publish(instance: Instance): void {
    this.events.publish({ type: 'instance', instance: { ...instance.view, faults: [...instance.view.faults] } });
  }
}
