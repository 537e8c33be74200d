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
import { instanceKey, type EventHub } from './event-hub';
import { checkInstanceFault, faultsAfter } from './instance-faults';
import { inRotation, rotationOf, type RotationEndpoint } from './load-balancer-rotation';
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
  /** The role's input endpoints, each with its own rotation rule (ignoreRoleInstanceStatus keeps Busy instances in). */
  inputEndpoints: RotationEndpoint[];
  waiters: Waiter[];
  /** Configuration versions sent to the host and not yet taken, each with what to do when it is. */
  configurationAcks: Map<number, (recycled: boolean) => void>;
}

interface Waiter {
  targets: readonly InstanceStatus[];
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * A host that fails again this soon after the controller restarted it is marked bad ("repeated failures"): 15
 * emulated minutes, or 20 real seconds, since at high time scales detecting a failure alone takes longer than that.
 */
const repeatedFailureWindow = { emulated: 15 * 60_000, real: 20_000 };

/** Statuses that end a wait for Ready with a failure the operation reports. */
const failedStart: readonly InstanceStatus[] = ['FailedStartingRole', 'FailedStartingVM'];

export class FabricController {
  readonly pool: PoolView;
  private readonly hosts: PoolHosts;
  private readonly instances = new Map<string, Instance>();
  /** The instances of each role of each deployment (key: deploymentId/roleName), so per-role work is not O(all instances). */
  private readonly roles = new Map<string, Set<Instance>>();
  /** Each role's instance count at its last full rotation pass (updateRotation). */
  private readonly rotationSizes = new Map<string, number>();
  /** Instances waiting for a host (service healing). */
  private readonly orphans = new Set<Instance>();
  /** Hosts being restarted by repairHost, until they are Healthy again (or the repair fails). */
  private readonly repairing = new Set<string>();

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
      onBadMessage: (host, message, error) => this.badMessage(host, message, error),
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
          inputEndpoints: role.endpoints.input.map((e) => ({ name: e.name, ignoreRoleInstanceStatus: e.ignoreRoleInstanceStatus })),
          waiters: [],
          configurationAcks: new Map(),
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

  /**
   * Change Deployment Configuration for one role: every instance's goal state takes the new values, and the
   * host agents of running ones hand them to their guests. Resolves once each has taken them (an instance
   * whose role code cancelled Changing recycles, and counts once it is Ready again).
   */
  changeConfiguration(deploymentId: string, roleName: string, settings: Record<string, string>, version: number, requestId?: string): Promise<void> {
    const list = [...(this.roles.get(`${deploymentId}/${roleName}`) ?? [])];
    this.log.write('INFO', `Configuration version ${version} for ${list.length} instance(s) of ${deploymentId}/${roleName}.`, requestId);
    return Promise.all(
      list.map((instance) => {
        instance.spec = { ...instance.spec, roleEnvironment: { ...instance.spec.roleEnvironment, settings: { ...settings } }, configurationVersion: version };
        // Healing or the next start gives the instance its new spec.
        if (instance.orphaned || !instance.vmOnHost) return undefined;
        return new Promise<void>((resolve, reject) => {
          instance.configurationAcks.set(version, (recycled) => {
            if (!recycled) return resolve();
            instance.waiters.push({ targets: ['ReadyRole', ...failedStart], resolve, reject });
          });
          this.hosts.send(instance.view.hostId, { type: 'update-configuration', instanceId: instance.view.id, settings, version, requestId });
        });
      }),
    ).then(() => undefined);
  }

  injectInstanceFault(instanceId: string, fault: InstanceFault): void {
    const instance = this.instances.get(instanceId)!;
    checkInstanceFault({ view: instance.view, startupTasks: instance.spec.startupTasks, stopping: instance.goal !== 'Started', orphaned: instance.orphaned }, fault);
    instance.view.faults = faultsAfter(instance.view.faults, fault);
    this.log.write('WARN', `Fault ${fault.kind} injected into ${instanceId} on ${instance.view.hostId}.`);
    this.publish(instance);
    this.hosts.send(instance.view.hostId, { type: 'fault', instanceId, fault });
  }

  injectHostFault(hostId: string, kind: 'kill-host' | 'disconnect-host' | 'hang-host'): void {
    const host = this.hosts.get(hostId)!;
    if (host.view.health !== 'Healthy') {
      throw new FabricError('Conflict', `${host.view.name} is ${host.view.health}; faults go to healthy hosts.`);
    }
    this.log.write('WARN', `Fault ${kind} injected into ${hostId}.`);
    // Dead hardware and a cut link outlast the controller's restart of the host; a hung host OS does not.
    if (kind === 'kill-host') {
      host.fault = 'dead';
      host.proxy?.terminate();
    } else if (kind === 'disconnect-host') {
      host.fault = 'cut-off';
      host.proxy?.partition();
    } else {
      host.proxy?.send({ type: 'hang-host' });
    }
  }

  /**
   * Restart an Unhealthy host: a fresh worker and host agent, Booting then Healthy, with every core free for
   * later placements (and for instances still waiting for a host). Instances healed elsewhere stay there.
   */
  repairHost(hostId: string): void {
    const host = this.hosts.get(hostId)!;
    if (this.repairing.has(hostId)) throw new FabricError('Conflict', `${host.view.name} is already being repaired.`);
    if (host.view.health !== 'Unhealthy') {
      throw new FabricError('Conflict', `${host.view.name} is ${host.view.health}; only an Unhealthy host can be repaired.`);
    }
    this.repairing.add(hostId);
    this.log.write('WARN', `Repairing ${hostId}: restarting the host OS and its host agent.`);
    this.hosts.repair(host).then(
      () => {
        this.repairing.delete(hostId);
        this.log.write('INFO', `${hostId} is repaired and Healthy; it takes placements again.`);
        this.heal();
      },
      (error: Error) => {
        this.repairing.delete(hostId);
        this.log.write('ERROR', `Repair of ${hostId} failed: ${error.message}`);
        this.hosts.markFailed(host, `The repair failed: ${error.message}`);
      },
    );
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
      case 'instance-endpoints': {
        const instance = this.instances.get(message.instanceId);
        if (!instance || instance.view.hostId !== host.view.id || instance.orphaned) return;
        instance.view.endpoints = message.endpoints;
        this.publish(instance);
        break;
      }
      case 'configuration-applied': {
        const instance = this.instances.get(message.instanceId);
        if (!instance) return;
        this.log.write('INFO', `${message.instanceId} took configuration version ${message.version}${message.recycled ? ' by recycling its role (Changing was cancelled)' : ''}.`, message.requestId);
        const ack = instance.configurationAcks.get(message.version);
        instance.configurationAcks.delete(message.version);
        ack?.(message.recycled);
        break;
      }
      case 'error':
        this.reportError(host.view.id, `The host worker reported an error: ${message.message}`);
        break;
      default:
        break;
    }
  }

  /** A host said something the controller cannot accept: logged and shown, and the host is treated as failed. */
  private badMessage(host: Host, message: FromHost, error: unknown): void {
    const what = error instanceof Error ? error.message : String(error);
    this.reportError(host.view.id, `Could not handle ${message.type} from the host agent: ${what}`);
    if (host.view.health === 'Healthy') this.hostFailed(host, `Its host agent reported something the fabric controller could not accept (${what}).`);
  }

  /** ERROR in FabricController.log and a fabric-error record for the dashboard and events.jsonl. */
  private reportError(source: string, message: string): void {
    this.log.write('ERROR', `${source}: ${message}`);
    this.events.record({ kind: 'fabric-error', at: this.timers.now(), source, message });
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
    this.updateRotation(view.deploymentId, view.roleName, instance);
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
    this.settleConfigurationAcks(instance);
    for (const waiter of instance.waiters) {
      if (waiter.targets.includes('StoppedVM')) waiter.resolve();
      else waiter.reject(new Error(`Instance ${view.name} was removed.`));
    }
    instance.waiters = [];
    this.heal();
  }

  private settleConfigurationAcks(instance: Instance): void {
    const acks = [...instance.configurationAcks.values()];
    instance.configurationAcks.clear();
    for (const ack of acks) ack(false);
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

  /**
   * The host's probe failed. As Azure's controller does, restart the host first: once it is back, its instances
   * are re-created on it. A host that does not come back, or fails again soon after its restart, is marked bad.
   */
  private hostFailed(host: Host, reason: string): void {
    const now = this.timers.now();
    const last = host.restartedAt;
    if (last && (now - last.emulated < repeatedFailureWindow.emulated || performance.now() - last.real < repeatedFailureWindow.real)) {
      this.markBad(host, `${reason} It failed again soon after the fabric controller restarted it.`);
      return;
    }
    this.log.write('ERROR', `${host.view.id} failed: ${reason} Restarting the host.`);
    for (const instance of this.instancesOn(host)) this.loseVm(instance, `${host.view.name} failed: ${reason} The fabric controller is restarting the host.`, now);
    this.hosts.restart(host, `${reason} The fabric controller is restarting the host.`).then(
      () => {
        this.log.write('INFO', `${host.view.id} is back after its restart; re-creating its instances on it.`);
        for (const instance of this.instancesOn(host)) {
          if (instance.goal === 'Started') this.startOnHost(instance);
          else if (instance.goal === 'Removed' && instance.view.status !== 'StoppedVM') this.setStatus(instance, 'StoppedVM', '', this.timers.now());
        }
      },
      (error: Error) => this.markBad(host, `${reason} The fabric controller restarted it, but ${error.message}.`),
    );
  }

  /** Power the host off for repair, and re-create its instances on healthy hosts (service healing). */
  private markBad(host: Host, reason: string): void {
    this.log.write('ERROR', `${host.view.id} is bad: ${reason} Marking it out for repair and healing its instances.`);
    this.hosts.markFailed(host, `${reason} Marked out for repair; its instances are being re-created on healthy hosts.`);
    const now = this.timers.now();
    for (const instance of this.instancesOn(host)) {
      instance.orphaned = true;
      this.orphans.add(instance);
      this.loseVm(
        instance,
        instance.view.status === 'StoppedVM' ? `${host.view.name} failed; the stopped instance will be re-created on another host.` : `${host.view.name} failed: ${reason} Service healing: waiting for a healthy host.`,
        now,
      );
    }
    this.heal();
  }

  /** Instances placed on the host (not those that once were and now wait for another). */
  private instancesOn(host: Host): Instance[] {
    return [...this.instances.values()].filter((i) => i.view.hostId === host.view.id && !i.orphaned);
  }

  /** The instance's VM went with its host: it waits, RoleStateUnknown, to be re-created (stopped ones stay StoppedVM). */
  private loseVm(instance: Instance, details: string, now: number): void {
    // The host that was to apply a configuration is gone; the re-created instance starts with it.
    this.settleConfigurationAcks(instance);
    // Counted once per lost VM, not again when a host that was being restarted is then marked bad.
    const running = instance.vmOnHost && instance.view.status !== 'StoppedVM';
    instance.vmOnHost = false;
    instance.view.lastGuestHeartbeat = null;
    instance.view.guestHeartbeats = 0;
    instance.view.faults = instance.view.faults.filter((f) => f !== 'hang-guest');
    // The lost host's listeners are gone with it.
    instance.view.endpoints = instance.view.endpoints.map((e) => ({ ...e, address: null, servedBy: null }));
    if (instance.view.status === 'StoppedVM') {
      instance.view.stateDetails = details;
      this.publish(instance);
    } else {
      if (running) instance.view.restarts++;
      this.setStatus(instance, 'RoleStateUnknown', details, now);
    }
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
        // Placed: no longer waiting, so a later heal() does not place it again.
        this.orphans.delete(instance);
        this.assign(instance, host);
        continue;
      }
      const spare = this.hosts.spares()[0];
      instance.view.stateDetails = spare
        ? `Service healing: powering on ${spare.view.name} for a host with ${cores} free core(s).`
        : `Service healing: no healthy host in pool ${this.pool.name} has ${cores} free core(s); waiting for capacity.`;
      this.publish(instance);
      if (spare) {
        void this.hosts.powerOn(spare).then(
          () => this.heal(),
          // The spare did not boot: said in the log; the instance keeps waiting and the next heal tries again.
          (error: Error) => this.log.write('ERROR', `Spare ${spare.view.id} did not power on for service healing: ${error.message}`),
        );
      }
    }
  }

  /**
   * Recompute load-balancer rotation, per input endpoint, for one role: its instance count changes the
   * single-instance rule. While the count is what it was at the last full pass, a status change can move
   * only the instance that `changed`, so a 2,048-instance role is not walked at each of its status changes.
   */
  private updateRotation(deploymentId: string, roleName: string, changed?: Instance): void {
    const key = `${deploymentId}/${roleName}`;
    const list = this.roles.get(key);
    if (!list) return void this.rotationSizes.delete(key);
    if (changed && list.has(changed) && this.rotationSizes.get(key) === list.size) return this.rotate(changed, list.size);
    this.rotationSizes.set(key, list.size);
    for (const instance of list) this.rotate(instance, list.size);
  }

  private rotate(instance: Instance, roleSize: number): void {
    const rotation = rotationOf(instance.view, roleSize, instance.inputEndpoints);
    // A role without input endpoints still shows whether the default probe would answer.
    const any = instance.inputEndpoints.length > 0 ? rotation.length > 0 : inRotation(instance.view, roleSize);
    if (any !== instance.view.inRotation || rotation.join('\n') !== instance.view.rotation.join('\n')) {
      instance.view.inRotation = any;
      instance.view.rotation = rotation;
      this.publish(instance);
    }
  }

  /** The view is copied when the batch is made, not at each change (a heartbeat, a status): see publishLatest. */
  private publish(instance: Instance): void {
    const view = instance.view;
    this.events.publishLatest(instanceKey(view.id), () => ({ type: 'instance', instance: { ...view, faults: [...view.faults], endpoints: [...view.endpoints] } }));
  }
}
