// The fabric controller of one machine pool: places role instances on hosts with free cores (spread
// over fault domains, powering on spare hosts when it must), hands each host agent its instances' goal
// state and follows the status the host agents report. Each instance's life is an explicit state
// (instance-lifecycle.ts) that only this class moves; its own modules hold the promises operations wait on
// (instance-waiters.ts), what is done when a host fails (host-recovery.ts), service healing
// (service-healing.ts) and load-balancer rotation (load-balancer-rotation.ts).
import type { DeploymentView, FabricRecord, FaultRequest, HostView, InstanceView, PoolView } from '../common/fabric-api';
import { FabricErrors } from '../common/fabric-errors';
import { instanceFaultMessage, isHostFault } from '../common/fault-kinds';
import type { EmulatedTimers } from '../common/emulated-timers';
import type { AfterStop, FromHost, InstanceRestart, InstanceSpec, ToHost } from '../common/host-protocol';
import { assertTransition, canTransition, isFinal, powerStateOf, type InstanceStatus } from '../common/instance-status';
import { vmSizeCores, type RoleModel } from '../common/service-model';
import type { PhaseTimings } from '../common/timings';
import type { ComponentLog } from '../logs/component-log';
import { instanceKey, type EventHub } from './event-hub';
import { faultHandler, type HostFaultHandler, type InstanceFaultHandler } from './fault-registry';
import { assertMove, goalIsStarted, hasVm, holdsCores, type InstanceLifecycle, type PoolInstance } from './instance-lifecycle';
import { InstanceWaiters, readyOrFailed } from './instance-waiters';
import { RoleRotation } from './load-balancer-rotation';
import { newInstanceView, planInstances } from './placement';
import type { HostBooter } from './host-link';
import { PoolHosts, type Host, type PoolConfig } from './pool-hosts';
import { HostRecovery } from './host-recovery';
import { DeploymentTopologies } from './role-topology';
import { ServiceHealing } from './service-healing';

export type { PoolConfig } from './pool-hosts';

export interface FabricControllerOptions {
  /** The pool's id (pool-1, ...): its hosts are <id>-host-NN. */
  id: string;
  config: PoolConfig;
  /** How the pool's own hosts boot: a worker thread of this process each (host-proxy.ts). */
  boot: HostBooter;
  /** The first message each host worker gets. */
  init: (hostId: string) => ToHost;
  events: EventHub;
  timers: EmulatedTimers;
  /** The session's phase durations, changed in place by setTimings (the host probe reads them). */
  timings: PhaseTimings;
  /** Real milliseconds a host must also be silent before it counts as failed. */
  hostSilenceFloorMs: number;
  /** FabricController.log of this pool. */
  log: ComponentLog;
}

export class FabricController {
  readonly pool: PoolView;
  private readonly hosts: PoolHosts;
  private readonly events: EventHub;
  private readonly timers: EmulatedTimers;
  private readonly log: ComponentLog;
  private readonly instances = new Map<string, PoolInstance>();
  /** The instances of each role of each deployment (key: deploymentId/roleName), so per-role work is not O(all instances). */
  private readonly roles = new Map<string, Set<PoolInstance>>();
  private readonly waiters = new InstanceWaiters();
  private readonly rotation = new RoleRotation<PoolInstance>((instance) => this.publish(instance));
  private readonly healing: ServiceHealing;
  private readonly recovery: HostRecovery;
  private readonly topologies: DeploymentTopologies;

  constructor(options: FabricControllerOptions) {
    const { id, config, events, timers } = options;
    this.events = events;
    this.timers = timers;
    this.log = options.log;
    this.hosts = new PoolHosts(id, config, options.boot, options.init, events, timers, options.timings, options.hostSilenceFloorMs, {
      onMessage: (host, message) => this.fromHost(host, message),
      onHostFailed: (host, reason) => this.recovery.hostFailed(host, reason),
      onBadMessage: (host, message, error) => this.badMessage(host, message, error),
    });
    this.pool = { id, name: config.name, region: config.region, hostIds: [...this.hosts.all()].map((h) => h.view.id) };
    this.topologies = new DeploymentTopologies(
      (deploymentId) => [...this.instances.values()].filter((i) => i.view.deploymentId === deploymentId),
      (hostId, message) => this.hosts.send(hostId, message),
    );
    this.healing = new ServiceHealing({
      name: config.name,
      hosts: this.hosts,
      sameRole: (instance) => this.roles.get(roleKey(instance.view)) ?? [],
      assign: (instance, host) => this.assign(instance, host, goalIsStarted(instance.lifecycle)),
      publish: (instance) => this.publish(instance),
      deallocate: (instance, details) => {
        if (!canTransition(instance.view.status, 'StoppedDeallocated')) {
          instance.view.stateDetails = details;
          this.publish(instance);
        } else this.setStatus(instance, 'StoppedDeallocated', details, this.timers.now());
      },
      spareFailed: (spare, error) => this.log.write('ERROR', `Spare ${spare.view.id} did not power on for service healing: ${error.message}`),
    });
    this.recovery = new HostRecovery({
      hosts: this.hosts,
      log: this.log,
      now: () => this.timers.now(),
      instancesOn: (host) => this.instancesOn(host),
      loseVm: (instance, details, now, orphan) => this.loseVm(instance, details, now, orphan),
      recreate: (instance) => {
        if (instance.lifecycle.state === 'HostRestarting') this.startOnHost(instance);
      },
      heal: () => this.healing.heal(),
    });
  }

  start(): Promise<void> {
    return this.hosts.start();
  }

  broadcast(message: ToHost): void {
    this.hosts.broadcast(message);
  }

  /** The clock's scale or pause changed: every host's timers follow, and the controller's probe of them. */
  clockChanged(): void {
    this.hosts.broadcast({ type: 'clock-changed' });
    this.hosts.clockChanged();
  }

  /** The most real ms this pool's hosts' timers ran behind since the last call (for the clock governor). */
  hostsBehindMs(): number {
    return this.hosts.takeBehind();
  }

  flushHosts(boundMs: number): Promise<void> {
    return this.hosts.flush(boundMs);
  }

  shutdown(): Promise<void> {
    return this.hosts.shutdown();
  }

  /** Every host of the pool off at once, without a shutdown (PoolHosts.powerOffAll); how many were running. */
  powerOffHosts(): Promise<number> {
    return this.hosts.powerOffAll();
  }

  /**
   * A host node (fabric/nats-host-nodes.ts) brings `count` hosts of `cores` cores into this pool, or comes back
   * with them. Hosts never seen power on; Unhealthy ones are repaired (the node's machine is back, so they
   * rejoin empty, as a repaired host does); one the fabric still believes up lost its OS with the node's
   * old process, so it fails now and the ordinary restart brings it back on the new one.
   */
  addNodeHosts(node: string, count: number, cores: number, boot: HostBooter, comeback: boolean): string[] {
    const hosts = this.hosts.addNodeHosts(node, count, cores, boot);
    const added = hosts.filter((h) => !this.pool.hostIds.includes(h.view.id));
    if (added.length > 0) {
      this.pool.hostIds.push(...added.map((h) => h.view.id));
      this.events.publish({ type: 'pool', pool: { ...this.pool, hostIds: [...this.pool.hostIds] } });
    }
    this.log.write('INFO', `Host node ${node} ${comeback ? 'came back' : 'joined'} with ${count} host(s) of ${cores} cores: ${hosts.map((h) => h.view.id).join(', ')}.`);
    for (const host of hosts) {
      if (host.view.health === 'Off' && host.proxy === null) {
        this.hosts.powerOn(host, `The host OS is starting on node ${node}.`).then(
          () => this.healing.heal(),
          (error: Error) => this.log.write('ERROR', `${host.view.id} on node ${node} did not start: ${error.message}`),
        );
      } else if (host.view.health === 'Unhealthy') {
        // Already being repaired (by the user, or an earlier join) is fine: the repair goes on.
        if (!this.recovery.isRepairing(host.view.id)) this.recovery.repair(host);
      } else if (comeback && host.view.health === 'Healthy') {
        // (A Booting host's boot is simply sent again to the new process: nats-host-nodes.ts, join.)
        this.recovery.hostFailed(host, `Host node ${node} restarted, and the host OS with it.`);
      }
    }
    return hosts.map((h) => h.view.id);
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
      const plan = planInstances(this.pool.name, deployment, roles, upgradeDomainCount, this.hosts.all(), (role) => this.instancesOf(deployment.id, role), this.capacity().free);
      if (!Array.isArray(plan)) {
        const spare = this.hosts.spares()[0];
        if (!spare) {
          this.log.write('ERROR', `Allocation failed: ${plan.reason}`, requestId);
          throw FabricErrors.allocationFailed(plan.reason, requestId);
        }
        this.log.write('INFO', `No room on the running hosts; powering on spare ${spare.view.id}.`, requestId);
        await this.hosts.powerOn(spare);
        continue;
      }
      for (const { spec, host } of plan) {
        const role = roles.find((r) => r.role.name === spec.roleName)!.role;
        const instance: PoolInstance = {
          view: newInstanceView(spec, host.view.id, this.timers.now()),
          spec,
          lifecycle: { state: 'Placed' },
          inputEndpoints: role.endpoints.input.map((e) => ({ name: e.name, ignoreRoleInstanceStatus: e.ignoreRoleInstanceStatus })),
          listed: role.endpoints.internal.length > 0,
        };
        this.instances.set(spec.instanceId, instance);
        const key = roleKey(instance.view);
        if (!this.roles.has(key)) this.roles.set(key, new Set());
        this.roles.get(key)!.add(instance);
        this.assign(instance, host, true, requestId);
        this.topologies.changed(instance);
      }
      for (const { role } of roles) this.updateRotation(`${deployment.id}/${role.name}`);
      return plan.map((p) => p.spec.instanceId);
    }
  }

  /** Resolves when every instance has reached one of `targets`; rejects when one fails to start. */
  whenStatus(instanceIds: string[], targets: readonly InstanceStatus[]): Promise<void> {
    return Promise.all(
      instanceIds.map((id) => {
        const instance = this.instances.get(id);
        if (!instance) return targets.includes('StoppedVM') ? undefined : Promise.reject(new Error(`Instance ${id} is gone.`));
        if (targets.includes(instance.view.status) && instance.lifecycle.state !== 'Orphaned') return undefined;
        return this.waiters.status(id, targets);
      }),
    ).then(() => undefined);
  }

  /** Stop instances: `delete` removes them and frees their cores, `keep` leaves them StoppedVM on their host. */
  stopInstances(instanceIds: string[], then: 'delete' | 'keep', requestId?: string): Promise<void> {
    this.log.write('INFO', `Stopping ${instanceIds.length} instance(s), then ${then}: ${instanceIds.join(', ')}.`, requestId);
    for (const id of instanceIds) {
      const instance = this.instances.get(id);
      if (!instance) continue;
      const { lifecycle } = instance;
      switch (lifecycle.state) {
        case 'Running':
          this.move(instance, { state: 'Stopping', then });
          this.hosts.send(instance.view.hostId, { type: 'stop-instance', instanceId: id, then, requestId });
          break;
        case 'Stopping':
          // A suspend overtaken by a delete: the host agent deletes the VM once it has stopped.
          if (then === 'delete' && lifecycle.then === 'keep') {
            this.move(instance, { state: 'Stopping', then });
            this.hosts.send(instance.view.hostId, { type: 'stop-instance', instanceId: id, then, requestId });
          }
          break;
        case 'Stopped':
          if (then === 'delete') {
            this.hosts.send(instance.view.hostId, { type: 'stop-instance', instanceId: id, then: 'delete', requestId });
            this.remove(instance);
          }
          break;
        case 'Orphaned':
          // No VM anywhere: the stop ends at once; a kept instance still waits for healing to give it a host.
          if (then === 'delete') this.stopWithoutVm(instance, { state: 'Removed' }, '', requestId);
          else this.stopWithoutVm(instance, { state: 'Orphaned', then: 'keep' }, '', requestId);
          break;
        case 'Placed':
        case 'HostRestarting':
          this.stopWithoutVm(instance, then === 'delete' ? { state: 'Removed' } : { state: 'Placed' }, '', requestId);
          break;
        case 'Removed':
          break;
      }
    }
    return this.whenStatus(instanceIds, ['StoppedVM']);
  }

  /** Start instances that were kept stopped; resolves once they are Ready. */
  resumeInstances(instanceIds: string[], requestId?: string): Promise<void> {
    this.log.write('INFO', `Starting ${instanceIds.length} kept instance(s).`, requestId);
    for (const id of instanceIds) {
      const instance = this.instances.get(id);
      if (!instance) continue;
      switch (instance.lifecycle.state) {
        case 'Stopped':
          this.move(instance, { state: 'Running' });
          this.hosts.send(instance.view.hostId, { type: 'resume-instance', instanceId: id, requestId });
          break;
        case 'Placed':
          this.startOnHost(instance, requestId);
          break;
        case 'Orphaned':
          // Healing starts it once it has a host.
          this.move(instance, { state: 'Orphaned', then: 'start' });
          break;
        default:
          // Running or being re-created already; a stop under way or a removal keeps its course.
          break;
      }
    }
    return this.whenStatus(instanceIds, readyOrFailed);
  }

  /** Reboot (restart the guest OS), reimage or rebuild (re-create the VM) one instance; resolves once it is Ready again. */
  restartInstance(instanceId: string, how: InstanceRestart, requestId?: string): Promise<void> {
    const instance = this.instances.get(instanceId)!;
    const orphaned = instance.lifecycle.state === 'Orphaned';
    if (!goalIsStarted(instance.lifecycle) || orphaned || isFinal(instance.view.status)) {
      throw FabricErrors.instanceNotRunning(instance.view.name, orphaned ? 'waiting for a host' : instance.view.status, how, requestId);
    }
    const done = this.waiters.status(instanceId, readyOrFailed);
    this.log.write('INFO', `${{ reboot: 'Rebooting', reimage: 'Reimaging', rebuild: 'Rebuilding' }[how]} ${instanceId} on ${instance.view.hostId}.`, requestId);
    this.hosts.send(instance.view.hostId, { type: 'stop-instance', instanceId, then: how satisfies AfterStop, requestId });
    return done;
  }

  /**
   * Change Deployment Configuration for one role: every instance's goal state takes the new values, and the
   * host agents of running ones hand them to their guests. Resolves once each has taken them (an instance
   * whose role code cancelled Changing recycles, and counts once it is Ready again).
   */
  changeConfiguration(deploymentId: string, roleName: string, settings: Record<string, string>, version: number, requestId?: string, only?: ReadonlySet<string>): Promise<void> {
    // `only`: the instances of one upgrade domain, when the change walks the domains.
    const list = [...(this.roles.get(`${deploymentId}/${roleName}`) ?? [])].filter((i) => !only || only.has(i.view.id));
    this.log.write('INFO', `Configuration version ${version} for ${list.length} instance(s) of ${deploymentId}/${roleName}.`, requestId);
    return Promise.all(
      list.map((instance) => {
        instance.spec = { ...instance.spec, roleEnvironment: { ...instance.spec.roleEnvironment, settings: { ...settings } }, configurationVersion: version };
        // Healing or the next start gives the instance its new spec.
        if (!hasVm(instance.lifecycle)) return undefined;
        const taken = this.waiters.configuration(instance.view.id, version);
        this.hosts.send(instance.view.hostId, { type: 'update-configuration', instanceId: instance.view.id, settings, version, requestId });
        return taken;
      }),
    ).then(() => undefined);
  }

  /** Take instances out of rotation whatever their status (`held`), or give them back to their probe's rule. */
  holdOutOfRotation(instanceIds: string[], held: boolean): void {
    const keys = new Set<string>();
    for (const id of instanceIds) {
      const instance = this.instances.get(id);
      if (!instance) continue;
      instance.held = held;
      keys.add(roleKey(instance.view));
    }
    for (const key of keys) this.updateRotation(key);
  }

  /**
   * In-place upgrade of instances: each takes the goal state `specOf` makes from its own (the new package's
   * role files, the same instance, domains and host). One whose VM runs restarts its role with it, and counts
   * once Ready again (a failed start fails the wait); one without a running VM takes it at its next start.
   */
  upgradeInstances(instanceIds: string[], specOf: (spec: InstanceSpec) => InstanceSpec, requestId?: string): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const id of instanceIds) {
      const instance = this.instances.get(id);
      if (!instance) continue;
      instance.spec = specOf(instance.spec);
      if (instance.lifecycle.state !== 'Running') continue;
      this.log.write('INFO', `Upgrading ${id} on ${instance.view.hostId} in place.`, requestId);
      waits.push(this.waiters.status(id, readyOrFailed));
      this.hosts.send(instance.view.hostId, { type: 'upgrade-instance', spec: instance.spec, requestId });
    }
    return Promise.all(waits).then(() => undefined);
  }

  /** Inject a fault into one of this pool's instances or hosts, through its kind's handler (fault-registry.ts). */
  /** Checked and applied at once (a refusal throws); resolves once a host fault has taken hold (a killed host's thread ended). */
  injectFault(fault: FaultRequest): Promise<void> {
    if (isHostFault(fault)) {
      const handler = faultHandler(fault.kind) as HostFaultHandler;
      const host = this.hosts.get(fault.hostId)!;
      if (host.view.health !== 'Healthy') throw FabricErrors.hostNotHealthy(host.view.name, host.view.health);
      this.log.write('WARN', `Fault ${fault.kind} injected into ${fault.hostId}.`);
      return Promise.resolve(handler.apply(host));
    }
    const handler = faultHandler(fault.kind) as InstanceFaultHandler;
    const instance = this.instances.get(fault.instanceId)!;
    const { view, lifecycle } = instance;
    handler.check({ view, startupTasks: instance.spec.startupTasks, stopping: !goalIsStarted(lifecycle), orphaned: lifecycle.state === 'Orphaned' }, fault);
    view.faults = [...handler.inForce(new Set(view.faults), fault)];
    this.log.write('WARN', `Fault ${fault.kind} injected into ${view.id} on ${view.hostId}.`);
    this.publish(instance);
    this.hosts.send(view.hostId, { type: 'fault', instanceId: view.id, fault: instanceFaultMessage(fault) });
    return Promise.resolve();
  }

  /** Restart an Unhealthy host (host-recovery.ts). */
  repairHost(hostId: string): void {
    this.recovery.repair(this.hosts.get(hostId)!);
  }

  record(record: FabricRecord): void {
    this.events.record(record);
  }

  /** Move the instance to its next lifecycle state; a move the lifecycle does not allow is a bug here. */
  private move(instance: PoolInstance, next: InstanceLifecycle): void {
    assertMove(instance.view.id, instance.lifecycle.state, next.state);
    instance.lifecycle = next;
  }

  /** Give the instance a host: its cores are reserved there, and its VM is created if it is to run (`start`). */
  private assign(instance: PoolInstance, host: Host, start: boolean, requestId?: string): void {
    this.move(instance, { state: 'Placed' });
    instance.view.hostId = host.view.id;
    instance.view.faultDomain = host.view.faultDomain;
    instance.spec = { ...instance.spec, faultDomain: host.view.faultDomain };
    host.view.usedCores += vmSizeCores[instance.spec.vmSize];
    this.hosts.publish(host);
    this.log.write('INFO', `${instance.view.id} assigned to ${host.view.id} (fault domain ${host.view.faultDomain}).`, requestId);
    if (start) this.startOnHost(instance, requestId);
    else this.publish(instance);
  }

  /** Create the instance's VM on its host (a first start, a kept instance with no VM there, or a restarted host). */
  private startOnHost(instance: PoolInstance, requestId?: string): void {
    this.move(instance, { state: 'Running' });
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
            // Not the whole view: 10,000 instances at 1x made batches of 10,000 views (4.6 MB) every 5 s.
            this.events.publish({ type: 'guest-heartbeat', instanceId: instance.view.id, lastGuestHeartbeat: guest.at, guestHeartbeats: guest.count });
          }
        }
        break;
      case 'instance-status': {
        const instance = this.instances.get(message.instanceId);
        if (!instance || instance.view.hostId !== host.view.id || instance.lifecycle.state === 'Orphaned') return;
        instance.view.restarts = Math.max(instance.view.restarts, message.restarts);
        this.setStatus(instance, message.status, message.details, message.at, message.requestId);
        break;
      }
      case 'instance-endpoints': {
        const instance = this.instances.get(message.instanceId);
        if (!instance || instance.view.hostId !== host.view.id || instance.lifecycle.state === 'Orphaned') return;
        instance.view.endpoints = message.endpoints;
        if (message.ipAddress !== undefined) instance.view.ipAddress = message.ipAddress;
        if (message.roleEndpoints) instance.roleEndpoints = message.roleEndpoints;
        this.publish(instance);
        this.topologies.changed(instance);
        break;
      }
      case 'configuration-applied': {
        if (!this.instances.has(message.instanceId)) return;
        this.log.write('INFO', `${message.instanceId} took configuration version ${message.version}${message.recycled ? ' by recycling its role (Changing was cancelled)' : ''}.`, message.requestId);
        this.waiters.configurationApplied(message.instanceId, message.version, message.recycled);
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
    if (host.view.health === 'Healthy') this.recovery.hostFailed(host, `Its host agent reported something the fabric controller could not accept (${what}).`);
  }

  /** ERROR in FabricController.log and a fabric-error record for the dashboard and events.jsonl. */
  private reportError(source: string, message: string): void {
    this.log.write('ERROR', `${source}: ${message}`);
    this.events.record({ kind: 'fabric-error', at: this.timers.now(), source, message });
  }

  private setStatus(instance: PoolInstance, status: InstanceStatus, details: string, at: number, requestId?: string): void {
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
    const { lifecycle } = instance;
    // StoppedVM ends a stop: a deleted instance goes away and frees its cores, a suspended one stays with its VM.
    if (status === 'StoppedVM' && lifecycle.state === 'Stopping') {
      if (lifecycle.then === 'delete') return this.remove(instance);
      this.move(instance, { state: 'Stopped' });
    }
    this.publish(instance);
    if (changed) this.waiters.statusChanged(view.id, status, view.name, view.stateDetails);
    this.updateRotation(roleKey(view), instance);
  }

  /** A stop of an instance that has no VM (orphaned, placed, or its host restarting): StoppedVM at once. */
  private stopWithoutVm(instance: PoolInstance, next: InstanceLifecycle, details: string, requestId?: string): void {
    if (next.state === 'Removed') {
      if (instance.view.status !== 'StoppedVM') this.setStatus(instance, 'StoppedVM', details, this.timers.now(), requestId);
      // A stop under way ends in setStatus itself.
      if (instance.lifecycle.state !== 'Removed') this.remove(instance);
      return;
    }
    this.move(instance, next);
    if (instance.view.status !== 'StoppedVM') this.setStatus(instance, 'StoppedVM', details, this.timers.now(), requestId);
    else this.publish(instance);
  }

  /** The instance is gone: its cores are freed, its waits settled, and healing may use the room. */
  private remove(instance: PoolInstance): void {
    const view = instance.view;
    const held = holdsCores(instance.lifecycle);
    this.move(instance, { state: 'Removed' });
    const host = this.hosts.get(view.hostId);
    // An Unhealthy host has let go of every core already.
    if (held && host && host.view.health !== 'Unhealthy') {
      host.view.usedCores -= vmSizeCores[view.vmSize];
      this.hosts.publish(host);
    }
    this.instances.delete(view.id);
    this.topologies.changed(instance);
    this.healing.delete(instance);
    const key = roleKey(view);
    this.roles.get(key)?.delete(instance);
    if (this.roles.get(key)?.size === 0) this.roles.delete(key);
    this.events.publish({ type: 'instance-removed', id: view.id });
    this.waiters.removed(view.id, view.name);
    this.updateRotation(key);
    this.healing.heal();
  }

  /** Instances whose host is this one (not those that once were and now wait for another). */
  private instancesOn(host: Host): PoolInstance[] {
    return [...this.instances.values()].filter((i) => i.view.hostId === host.view.id && holdsCores(i.lifecycle));
  }

  /**
   * The instance's VM went with its host. One to run waits, RoleStateUnknown, to be re-created: on the restarted
   * host (`orphan` false) or, by healing, on another (`orphan` true). A stop under way ends at once, as no VM is
   * left to stop; a stopped instance stays StoppedVM.
   */
  private loseVm(instance: PoolInstance, details: string, now: number, orphan: boolean): void {
    const { lifecycle, view } = instance;
    // The host that was to apply a configuration is gone; the re-created instance starts with it.
    this.waiters.vmLost(view.id);
    // Counted once per lost VM, not again when a host that was being restarted is then marked bad.
    const running = (lifecycle.state === 'Running' || lifecycle.state === 'Stopping') && view.status !== 'StoppedVM';
    view.lastGuestHeartbeat = null;
    view.guestHeartbeats = 0;
    view.faults = view.faults.filter((f) => f !== 'hang-guest');
    // The lost host's listeners are gone with it.
    view.endpoints = view.endpoints.map((e) => ({ ...e, address: null, servedBy: null }));
    view.ipAddress = null;
    if (lifecycle.state === 'Stopping') {
      const next: InstanceLifecycle = lifecycle.then === 'delete' ? { state: 'Removed' } : orphan ? { state: 'Orphaned', then: 'keep' } : { state: 'Placed' };
      if (next.state === 'Orphaned') this.healing.add(instance);
      this.stopWithoutVm(instance, next, details);
      return;
    }
    const toRun = goalIsStarted(lifecycle);
    if (orphan) {
      this.move(instance, { state: 'Orphaned', then: toRun ? 'start' : 'keep' });
      this.healing.add(instance);
    } else {
      this.move(instance, toRun ? { state: 'HostRestarting' } : { state: 'Placed' });
    }
    if (view.status === 'StoppedVM') {
      view.stateDetails = details;
      this.publish(instance);
    } else {
      if (running) view.restarts++;
      this.setStatus(instance, 'RoleStateUnknown', details, now);
    }
  }

  private updateRotation(key: string, changed?: PoolInstance): void {
    this.rotation.update(key, this.roles.get(key), changed);
  }

  /** The view is copied when the batch is made, not at each change (a heartbeat, a status): see publishLatest. */
  private publish(instance: PoolInstance): void {
    const view = instance.view;
    this.events.publishLatest(instanceKey(view.id), () => ({ type: 'instance', instance: { ...view, faults: [...view.faults], endpoints: [...view.endpoints] } }));
  }
}

function roleKey(view: InstanceView): string {
  return `${view.deploymentId}/${view.roleName}`;
}
