// The fabric controller of one machine pool: keeps the inventory of hosts, places instances on hosts
// with free cores (spread over fault domains), hands each host agent its goal state and follows the
// status the host agents report.
import type { DeploymentView, HostView, InstanceView, PoolView } from '../common/fabric-api';
import { FabricError } from '../common/fabric-api';
import type { FromHost, InstanceSpec, ToHost } from '../common/host-protocol';
import { assertTransition, isFinal, powerStateOf } from '../common/instance-status';
import { vmSizeCores, type ServiceModel } from '../common/service-model';
import type { EventHub } from './event-hub';
import { HostProxy } from './host-proxy';

export interface PoolConfig {
  name: string;
  region: string;
  hosts: number;
  coresPerHost: number;
  faultDomains: number;
}

interface Host {
  view: HostView;
  proxy: HostProxy;
  /** Settles when the host agent reports ready, or fails when the worker dies first. */
  ready: Promise<void>;
  settle: (error?: Error) => void;
}

/** What the controller tells its owner about a deployment it runs. */
export interface DeploymentListener {
  onInstanceChanged(deploymentId: string): void;
}

export class FabricController {
  readonly pool: PoolView;
  private readonly hosts = new Map<string, Host>();
  private readonly instances = new Map<string, InstanceView>();

  constructor(
    id: string,
    config: PoolConfig,
    workerUrl: URL,
    private readonly events: EventHub,
    private readonly listener: DeploymentListener,
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
        lastHeartbeat: null,
      };
      const proxy = new HostProxy(hostId, workerUrl, (m) => this.fromHost(hostId, m), (reason) => this.hostExited(hostId, reason));
      let settle: Host['settle'] = () => {};
      const ready = new Promise<void>((resolve, reject) => {
        settle = (error) => (error ? reject(error) : resolve());
      });
      this.hosts.set(hostId, { view, proxy, ready, settle });
      this.pool.hostIds.push(hostId);
    }
  }

  /** Start every host agent; resolves once all have reported ready. */
  async start(init: (hostId: string) => ToHost): Promise<void> {
    for (const host of this.hosts.values()) host.proxy.send(init(host.view.id));
    await Promise.all([...this.hosts.values()].map((host) => host.ready));
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

  instanceViews(): InstanceView[] {
    return [...this.instances.values()];
  }

  instancesOf(deploymentId: string): InstanceView[] {
    return this.instanceViews().filter((i) => i.deploymentId === deploymentId);
  }

  freeCores(): number {
    let free = 0;
    for (const { view } of this.hosts.values()) if (view.health === 'Healthy') free += view.cores - view.usedCores;
    return free;
  }

  /**
   * Place every instance of the deployment, or none: a role's instances are spread over fault domains,
   * each on a healthy host with enough free cores. Throws AllocationFailed when the pool has no room.
   */
  place(deployment: DeploymentView, model: ServiceModel): void {
    const plan: { spec: InstanceSpec; host: Host }[] = [];
    const reserved = new Map<string, number>();
    const free = (host: Host) => host.view.cores - host.view.usedCores - (reserved.get(host.view.id) ?? 0);
    for (const role of model.roles) {
      const cores = vmSizeCores[role.vmSize];
      const perFaultDomain = new Map<number, number>();
      for (let n = 0; n < role.instanceCount; n++) {
        const candidates = [...this.hosts.values()].filter((h) => h.view.health === 'Healthy' && free(h) >= cores);
        if (candidates.length === 0) {
          const need = model.roles.reduce((sum, r) => sum + vmSizeCores[r.vmSize] * r.instanceCount, 0);
          throw new FabricError(
            'AllocationFailed',
            `Allocation failed: pool ${this.pool.name} has no host with ${cores} free core(s) for ${role.name}_IN_${n} (${role.vmSize}); the deployment needs ${need} cores and the pool has ${this.freeCores()} free.`,
          );
        }
        // Least-used fault domain for this role first, then the host with the most free cores.
        candidates.sort(
          (a, b) =>
            (perFaultDomain.get(a.view.faultDomain) ?? 0) - (perFaultDomain.get(b.view.faultDomain) ?? 0) ||
            free(b) - free(a) ||
            a.view.id.localeCompare(b.view.id),
        );
        const host = candidates[0]!;
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
            upgradeDomain: n % model.upgradeDomainCount,
            faultDomain: host.view.faultDomain,
            startupTasks: role.startupTasks,
          },
        });
      }
    }
    for (const { spec, host } of plan) {
      host.view.usedCores += vmSizeCores[spec.vmSize];
      this.events.publish({ type: 'host', host: { ...host.view } });
      const instance: InstanceView = {
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
        statusSince: 0,
        lastGuestHeartbeat: null,
        guestHeartbeats: 0,
      };
      this.instances.set(instance.id, instance);
      this.events.publish({ type: 'instance', instance: { ...instance } });
      host.proxy.send({ type: 'start-instance', spec });
    }
  }

  /** Tell each instance's host agent to stop it; the instances go away once StoppedVM. */
  stop(deploymentId: string): void {
    for (const instance of this.instancesOf(deploymentId)) {
      this.hosts.get(instance.hostId)?.proxy.send({ type: 'stop-instance', instanceId: instance.id });
    }
  }

  private fromHost(hostId: string, message: FromHost): void {
    const host = this.hosts.get(hostId);
    if (!host) return;
    switch (message.type) {
      case 'ready':
        host.view.health = 'Healthy';
        this.events.publish({ type: 'host', host: { ...host.view } });
        host.settle();
        break;
      case 'host-heartbeat':
        host.view.lastHeartbeat = message.at;
        this.events.publish({ type: 'host', host: { ...host.view } });
        for (const guest of message.guests) {
          const instance = this.instances.get(guest.instanceId);
          if (instance && instance.guestHeartbeats !== guest.count) {
            instance.lastGuestHeartbeat = guest.at;
            instance.guestHeartbeats = guest.count;
            this.events.publish({ type: 'instance', instance: { ...instance } });
          }
        }
        break;
      case 'instance-status':
        this.instanceStatus(host, message);
        break;
      case 'error':
        console.error(`[${hostId}] ${message.message}`);
        break;
    }
  }

  private instanceStatus(host: Host, message: Extract<FromHost, { type: 'instance-status' }>): void {
    const instance = this.instances.get(message.instanceId);
    if (!instance) return;
    if (instance.status !== message.status) {
      assertTransition(instance.id, instance.status, message.status);
      this.events.record({
        kind: 'instance-status',
        at: message.at,
        instanceId: instance.id,
        deploymentId: instance.deploymentId,
        from: instance.status,
        to: message.status,
        details: message.details,
      });
    }
    instance.status = message.status;
    instance.stateDetails = message.details;
    instance.powerState = powerStateOf(message.status);
    instance.statusSince = message.at;
    if (isFinal(message.status)) {
      host.view.usedCores -= vmSizeCores[instance.vmSize];
      this.events.publish({ type: 'host', host: { ...host.view } });
      this.instances.delete(instance.id);
      this.events.publish({ type: 'instance', instance: { ...instance } });
    } else {
      this.events.publish({ type: 'instance', instance: { ...instance } });
    }
    this.listener.onInstanceChanged(instance.deploymentId);
  }

  private hostExited(hostId: string, reason: string): void {
    const host = this.hosts.get(hostId);
    if (!host || host.view.health === 'Off') return;
    host.view.health = 'Unhealthy';
    host.settle(new Error(`${hostId} stopped before it was ready: ${reason}`));
    this.events.publish({ type: 'host', host: { ...host.view } });
    console.error(`[${hostId}] ${reason}`);
  }
}
