// The fabric controller of one machine pool: keeps the inventory of hosts, places instances on hosts
// with free cores (spread over fault domains), hands each host agent its instances' goal state, follows
// the status the host agents report, and heals: a host whose heartbeat stops is marked bad and its
// instances are re-created on healthy hosts.
import type { DeploymentView, FabricRecord, HostView, InstanceFaultKind, InstanceView, PoolView } from '../common/fabric-api';
import { FabricError } from '../common/fabric-api';
import type { EmulatedTimers } from '../common/emulated-timers';
import type { FromHost, InstanceFault, InstanceSpec, ToHost } from '../common/host-protocol';
import { assertTransition, isFinal, powerStateOf, type InstanceStatus } from '../common/instance-status';
import { vmSizeCores, type ServiceModel } from '../common/service-model';
import type { PhaseTimings } from '../common/timings';
import type { EventHub } from './event-hub';
import { HostProxy } from './host-proxy';
import { inRotation } from './load-balancer-rotation';
import { pickHost, upgradeDomainOf } from './placement';

export interface PoolConfig {
  name: string;
  region: string;
  hosts: number;
  coresPerHost: number;
  faultDomains: number;
}

interface Host {
  view: HostView;
  /** performance.now() when the last heartbeat arrived: silence must also last in real time (see watchHosts). */
  heardAt: number;
  proxy: HostProxy;
  /** Settles when the host agent reports ready, or fails when the worker dies first. */
  ready: Promise<void>;
  settle: (error?: Error) => void;
}

interface Instance {
  view: InstanceView;
  spec: InstanceSpec;
  /** Waiting for a host after its own failed (service healing). */
  orphaned: boolean;
  /** The goal state the controller drives the instance toward. */
  goal: 'Started' | 'Stopped';
}

/** What the controller tells its owner about the deployments it runs. */
export interface DeploymentListener {
  onInstanceChanged(deploymentId: string): void;
}

export class FabricController {
  readonly pool: PoolView;
  private readonly hosts = new Map<string, Host>();
  private readonly instances = new Map<string, Instance>();

  constructor(
    id: string,
    config: PoolConfig,
    workerUrl: URL,
    private readonly events: EventHub,
    private readonly timers: EmulatedTimers,
    private readonly timings: PhaseTimings,
    private readonly listener: DeploymentListener,
    /** Real milliseconds a host must also be silent before it is marked bad. */
    private readonly hostSilenceFloorMs: number,
  ) {
    this.pool = { id, name: config.name, region: config.region, hostIds: [] };
    for (let i = 0; i < config.hosts; i++) {
      const hostId = `${id}-host-${String(i + 1).padStart(2, '0')}`;
      const view: HostView = {
        id: hostId,
        poolId: id,
        name: `Host ${i + 1}`,
        cores: config.coresPerHost,
        usedCores: 0,
        faultDomain: i % config.faultDomains,
        health: 'Booting',
        healthDetails: 'The host OS is starting.',
        lastHeartbeat: null,
      };
      const proxy = new HostProxy(hostId, workerUrl, (m) => this.fromHost(hostId, m), (reason) => this.hostExited(hostId, reason));
      let settle: Host['settle'] = () => {};
      const ready = new Promise<void>((resolve, reject) => {
        settle = (error) => (error ? reject(error) : resolve());
      });
      this.hosts.set(hostId, { view, proxy, heardAt: performance.now(), ready, settle });
      this.pool.hostIds.push(hostId);
    }
  }

  /** Start every host agent; resolves once all have reported ready. */
  async start(init: (hostId: string) => ToHost): Promise<void> {
    for (const host of this.hosts.values()) host.proxy.send(init(host.view.id));
    await Promise.all([...this.hosts.values()].map((host) => host.ready));
    this.scheduleHostWatch();
  }

  broadcast(message: ToHost): void {
    for (const host of this.hosts.values()) host.proxy.send(message);
  }

  async shutdown(): Promise<void> {
    // Off first, so the workers' exits read as a shutdown and not as failed hosts.
    for (const host of this.hosts.values()) host.view.health = 'Off';
    await Promise.all([...this.hosts.values()].map((host) => host.proxy.shutdown()));
  }

  hostViews(): HostView[] {
    return [...this.hosts.values()].map((h) => h.view);
  }

  hasHost(hostId: string): boolean {
    return this.hosts.has(hostId);
  }

  instanceViews(): InstanceView[] {
    return [...this.instances.values()].map((i) => i.view);
  }

  instancesOf(deploymentId: string): InstanceView[] {
    return this.instanceViews().filter((i) => i.deploymentId === deploymentId);
  }

  instance(instanceId: string): InstanceView | undefined {
    return this.instances.get(instanceId)?.view;
  }

  freeCores(): number {
    let free = 0;
    for (const { view } of this.hosts.values()) if (view.health === 'Healthy') free += view.cores - view.usedCores;
    return free;
  }

  /**
   * Place every instance of the deployment, or none: each role's instances spread over fault domains,
   * each on a healthy host with enough free cores. Throws AllocationFailed when the pool has no room.
   */
  place(deployment: DeploymentView, model: ServiceModel): void {
    const plan: { spec: InstanceSpec; host: Host }[] = [];
    const reserved = new Map<string, number>();
    for (const role of model.roles) {
      const cores = vmSizeCores[role.vmSize];
      const perFaultDomain = new Map<number, number>();
      for (let n = 0; n < role.instanceCount; n++) {
        const host = pickHost(this.hosts.values(), cores, perFaultDomain, reserved);
        if (!host) {
          const need = model.roles.reduce((sum, r) => sum + vmSizeCores[r.vmSize] * r.instanceCount, 0);
          throw new FabricError(
            'AllocationFailed',
            `Allocation failed: pool ${this.pool.name} has no host with ${cores} free core(s) for ${role.name}_IN_${n} (${role.vmSize}); the deployment needs ${need} cores and the pool has ${this.freeCores()} free.`,
          );
        }
        perFaultDomain.set(host.view.faultDomain, (perFaultDomain.get(host.view.faultDomain) ?? 0) + 1);
        reserved.set(host.view.id, (reserved.get(host.view.id) ?? 0) + cores);
        const instanceName = `${role.name}_IN_${n}`;
        plan.push({
          host,
          spec: {
            instanceId: `${deployment.id}/${instanceName}`,
            instanceName,
            deploymentId: deployment.id,
            roleName: role.name,
            roleType: role.type,
            vmSize: role.vmSize,
            upgradeDomain: upgradeDomainOf(n, model.upgradeDomainCount),
            faultDomain: host.view.faultDomain,
            startupTasks: role.startupTasks,
          },
        });
      }
    }
    for (const { spec, host } of plan) {
      const view: InstanceView = {
        id: spec.instanceId,
        name: spec.instanceName,
        deploymentId: spec.deploymentId,
        roleName: spec.roleName,
        hostId: host.view.id,
        status: 'RoleStateUnknown',
        stateDetails: 'Allocated; waiting for the host agent.',
        powerState: 'Unknown',
        upgradeDomain: spec.upgradeDomain,
        faultDomain: spec.faultDomain,
        vmSize: spec.vmSize,
        statusSince: this.timers.now(),
        lastGuestHeartbeat: null,
        guestHeartbeats: 0,
        inRotation: false,
        restarts: 0,
        faults: [],
      };
      this.instances.set(view.id, { view, spec, orphaned: false, goal: 'Started' });
      this.assign(this.instances.get(view.id)!, host);
    }
    this.updateRotation(deployment.id);
  }

  /** Tell each instance's host agent to stop it; the instances go away once StoppedVM. */
  stop(deploymentId: string): void {
    for (const instance of [...this.instances.values()]) {
      if (instance.view.deploymentId !== deploymentId) continue;
      instance.goal = 'Stopped';
      if (instance.orphaned) {
        this.setStatus(instance, 'StoppedVM', '', this.timers.now());
      } else {
        this.hosts.get(instance.view.hostId)?.proxy.send({ type: 'stop-instance', instanceId: instance.view.id });
      }
    }
  }

  injectInstanceFault(instanceId: string, fault: InstanceFault): void {
    const instance = this.instances.get(instanceId)!;
    const view = instance.view;
    const booted = !['RoleStateUnknown', 'CreatingVM', 'StartingVM'].includes(view.status);
    if (instance.goal === 'Stopped') {
      throw new FabricError('Conflict', `Instance ${view.name} is being stopped (${view.status}); faults go to running instances.`);
    }
    if (instance.orphaned) {
      throw new FabricError('Conflict', `Instance ${view.name} is waiting for a host (service healing); faults go to running instances.`);
    }
    if (fault.kind === 'hang-guest' && !booted) {
      throw new FabricError('Conflict', `Instance ${view.name} is ${view.status}: its guest OS has not booted yet, so there is nothing to hang.`);
    }
    if (fault.kind === 'crash-role' && !fault.persistent && !['BusyRole', 'ReadyRole'].includes(view.status)) {
      throw new FabricError('Conflict', `Instance ${view.name} is ${view.status}: its host process is not running. Make the crash persistent to crash it at its next start.`);
    }
    if (fault.kind === 'fail-startup-task' && !instance.spec.startupTasks.some((t) => t.taskType === 'simple')) {
      throw new FabricError('BadRequest', `Role ${view.roleName} has no simple startup task to fail.`);
    }
    const kinds = new Set<InstanceFaultKind>(view.faults);
    if (fault.kind === 'clear') {
      kinds.delete('crash-role');
      kinds.delete('fail-startup-task');
    } else if (fault.kind !== 'crash-role' || fault.persistent) {
      kinds.add(fault.kind);
    }
    view.faults = [...kinds];
    this.publish(instance);
    this.hosts.get(view.hostId)?.proxy.send({ type: 'fault', instanceId, fault });
  }

  injectHostFault(hostId: string, kind: 'kill-host' | 'disconnect-host'): void {
    const host = this.hosts.get(hostId)!;
    if (host.view.health !== 'Healthy') {
      throw new FabricError('Conflict', `${host.view.name} is ${host.view.health}; faults go to healthy hosts.`);
    }
    if (kind === 'kill-host') host.proxy.terminate();
    else host.proxy.partition();
  }

  record(record: FabricRecord): void {
    this.events.record(record);
  }

  private assign(instance: Instance, host: Host): void {
    instance.orphaned = false;
    instance.view.hostId = host.view.id;
    instance.view.faultDomain = host.view.faultDomain;
    instance.spec = { ...instance.spec, faultDomain: host.view.faultDomain };
    host.view.usedCores += vmSizeCores[instance.spec.vmSize];
    this.events.publish({ type: 'host', host: { ...host.view } });
    this.publish(instance);
    host.proxy.send({ type: 'start-instance', spec: instance.spec });
  }

  private fromHost(hostId: string, message: FromHost): void {
    const host = this.hosts.get(hostId);
    // A host marked bad has been powered off; anything still in flight from it is stale.
    if (!host || host.view.health === 'Unhealthy' || host.view.health === 'Off') return;
    switch (message.type) {
      case 'ready':
        host.view.health = 'Healthy';
        host.view.healthDetails = '';
        host.view.lastHeartbeat = this.timers.now();
        host.heardAt = performance.now();
        this.events.publish({ type: 'host', host: { ...host.view } });
        host.settle();
        break;
      case 'host-heartbeat':
        host.view.lastHeartbeat = message.at;
        host.heardAt = performance.now();
        this.events.publish({ type: 'host', host: { ...host.view } });
        for (const guest of message.guests) {
          const instance = this.instances.get(guest.instanceId);
          if (instance && instance.view.hostId === hostId && instance.view.guestHeartbeats !== guest.count) {
            instance.view.lastGuestHeartbeat = guest.at;
            instance.view.guestHeartbeats = guest.count;
            this.publish(instance);
          }
        }
        break;
      case 'instance-status': {
        const instance = this.instances.get(message.instanceId);
        if (!instance || instance.view.hostId !== hostId || instance.orphaned) return;
        instance.view.restarts = Math.max(instance.view.restarts, message.restarts);
        this.setStatus(instance, message.status, message.details, message.at);
        break;
      }
      case 'error':
        console.error(`[${hostId}] ${message.message}`);
        break;
    }
  }

  private setStatus(instance: Instance, status: InstanceStatus, details: string, at: number): void {
    const view = instance.view;
    if (view.status !== status) {
      assertTransition(view.id, view.status, status);
      this.events.record({ kind: 'instance-status', at, instanceId: view.id, deploymentId: view.deploymentId, from: view.status, to: status, details });
      // A rebooted guest is no longer hung.
      if (status === 'StartingVM') view.faults = view.faults.filter((f) => f !== 'hang-guest');
    }
    view.status = status;
    view.stateDetails = details;
    view.powerState = powerStateOf(status);
    view.statusSince = at;
    if (isFinal(status)) {
      const host = this.hosts.get(view.hostId);
      if (host && !instance.orphaned) {
        host.view.usedCores -= vmSizeCores[view.vmSize];
        this.events.publish({ type: 'host', host: { ...host.view } });
      }
      this.instances.delete(view.id);
      this.heal();
    }
    this.publish(instance);
    this.updateRotation(view.deploymentId);
    this.listener.onInstanceChanged(view.deploymentId);
  }

  private scheduleHostWatch(): void {
    this.timers.after(this.timings.hostHeartbeat, () => {
      const at = this.timers.now();
      this.scheduleHostWatch();
      // Judge after the worker messages already queued are handled (they come before setImmediate).
      setImmediate(() => this.watchHosts(at));
    });
  }

  /**
   * The fabric controller's probe of its hosts: a host silent for too long is marked bad. Silence must
   * last in emulated time and, at high time scales, a floor of real time too: a host worker that two busy
   * cores left waiting for 60 ms has not failed, though at 1000x that is a minute of emulated silence.
   */
  private watchHosts(now: number): void {
    const realNow = performance.now();
    for (const host of this.hosts.values()) {
      if (host.view.health !== 'Healthy' || host.view.lastHeartbeat === null) continue;
      const silence = now - host.view.lastHeartbeat;
      if (silence >= this.timings.hostHeartbeatTimeout && realNow - host.heardAt >= this.hostSilenceFloorMs) {
        this.hostFailed(host, `No heartbeat from the host agent for ${Math.round(silence / 1000)} s.`);
      }
    }
  }

  /** Mark the host bad, power it off, and re-create its instances on healthy hosts (service healing). */
  private hostFailed(host: Host, reason: string): void {
    host.view.health = 'Unhealthy';
    host.view.healthDetails = `${reason} Marked out for repair; its instances are being re-created on healthy hosts.`;
    host.view.usedCores = 0;
    host.proxy.terminate();
    this.events.publish({ type: 'host', host: { ...host.view } });
    const now = this.timers.now();
    for (const instance of this.instances.values()) {
      if (instance.view.hostId !== host.view.id) continue;
      instance.orphaned = true;
      instance.view.restarts++;
      instance.view.lastGuestHeartbeat = null;
      instance.view.guestHeartbeats = 0;
      instance.view.faults = instance.view.faults.filter((f) => f !== 'hang-guest');
      this.setStatus(instance, 'RoleStateUnknown', `${host.view.name} failed: ${reason} Service healing: waiting for a healthy host.`, now);
    }
    this.heal();
  }

  /** Place every instance waiting for a host, keeping its fault domain where it can. */
  private heal(): void {
    for (const instance of this.instances.values()) {
      if (!instance.orphaned) continue;
      const sameRole = new Map<number, number>();
      for (const other of this.instances.values()) {
        if (other.view.deploymentId === instance.view.deploymentId && other.view.roleName === instance.view.roleName && !other.orphaned) {
          sameRole.set(other.view.faultDomain, (sameRole.get(other.view.faultDomain) ?? 0) + 1);
        }
      }
      const host = pickHost(this.hosts.values(), vmSizeCores[instance.spec.vmSize], sameRole, new Map(), instance.view.faultDomain);
      if (!host) {
        instance.view.stateDetails = `Service healing: no healthy host in pool ${this.pool.name} has ${vmSizeCores[instance.spec.vmSize]} free core(s); waiting for capacity.`;
        this.publish(instance);
        continue;
      }
      this.assign(instance, host);
    }
  }

  private hostExited(hostId: string, reason: string): void {
    const host = this.hosts.get(hostId);
    if (!host || host.view.health === 'Off' || host.view.health === 'Unhealthy') return;
    // Not acted on here: the controller notices a dead host the way Azure's does, by its missing heartbeat.
    host.settle(new Error(`${hostId} stopped before it was ready: ${reason}`));
  }

  private updateRotation(deploymentId: string): void {
    const byRole = new Map<string, Instance[]>();
    for (const instance of this.instances.values()) {
      if (instance.view.deploymentId !== deploymentId) continue;
      const list = byRole.get(instance.view.roleName) ?? [];
      list.push(instance);
      byRole.set(instance.view.roleName, list);
    }
    for (const list of byRole.values()) {
      for (const instance of list) {
        const rotation = inRotation(instance.view, list.length);
        if (rotation !== instance.view.inRotation) {
          instance.view.inRotation = rotation;
          this.publish(instance);
        }
      }
    }
  }

  private publish(instance: Instance): void {
    this.events.publish({ type: 'instance', instance: { ...instance.view, faults: [...instance.view.faults] } });
  }
}
