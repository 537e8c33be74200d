// The host inventory of one machine pool: a worker thread per powered-on host, spare hosts kept powered
// off until the fabric controller needs their cores, and the controller's probe of each host agent's
// heartbeat. A host silent for too long is reported failed; what that means for instances is the
// controller's business.
import type { HostView } from '../common/fabric-api';
import type { EmulatedTimers } from '../common/emulated-timers';
import type { FromHost, ToHost } from '../common/host-protocol';
import type { PhaseTimings } from '../common/timings';
import type { EventHub } from './event-hub';
import { HostProxy } from './host-proxy';

export interface PoolConfig {
  name: string;
  region: string;
  /** Hosts powered on when the fabric starts. */
  hosts: number;
  /** Hosts kept powered off until placement needs them. */
  spareHosts?: number;
  coresPerHost: number;
  faultDomains: number;
}

export interface Host {
  view: HostView;
  proxy: HostProxy | null;
  /** performance.now() when the last heartbeat arrived: silence must also last in real time (see watch). */
  heardAt: number;
  /** Settles when the host agent reports ready, or fails when the worker dies first. */
  ready: Promise<void> | null;
  settle: (error?: Error) => void;
}

export interface PoolHostsEvents {
  /** Everything a host agent says except its own readiness and heartbeats, which this class handles. */
  onMessage(host: Host, message: FromHost): void;
  onHostFailed(host: Host, reason: string): void;
}

export class PoolHosts {
  private readonly hosts = new Map<string, Host>();
  private readonly initialHosts: number;

  constructor(
    poolId: string,
    config: PoolConfig,
    private readonly workerUrl: URL,
    private readonly init: (hostId: string) => ToHost,
    private readonly events: EventHub,
    private readonly timers: EmulatedTimers,
    private readonly timings: PhaseTimings,
    private readonly silenceFloorMs: number,
    private readonly handlers: PoolHostsEvents,
  ) {
    const total = config.hosts + (config.spareHosts ?? 0);
    for (let i = 0; i < total; i++) {
      const id = `${poolId}-host-${String(i + 1).padStart(2, '0')}`;
      const view: HostView = {
        id,
        poolId,
        name: `Host ${i + 1}`,
        cores: config.coresPerHost,
        usedCores: 0,
        faultDomain: i % config.faultDomains,
        health: 'Off',
        healthDetails: 'Spare host, powered off until the fabric controller needs its cores.',
        lastHeartbeat: null,
      };
      this.hosts.set(id, { view, proxy: null, heardAt: 0, ready: null, settle: () => {} });
    }
    this.initialHosts = config.hosts;
  }

  /** Power on the pool's regular hosts and start probing them. */
  async start(): Promise<void> {
    await Promise.all([...this.hosts.values()].slice(0, this.initialHosts).map((host) => this.powerOn(host)));
    this.scheduleWatch();
  }

  /** Start a host's worker and wait for its host agent; resolves at once for a host already on. */
  powerOn(host: Host): Promise<void> {
    if (host.ready) return host.ready;
    host.view.health = 'Booting';
    host.view.healthDetails = 'The host OS is starting.';
    host.ready = new Promise<void>((resolve, reject) => {
      host.settle = (error) => (error ? reject(error) : resolve());
    });
    host.proxy = new HostProxy(host.view.id, this.workerUrl, (m) => this.fromHost(host, m), (reason) => this.exited(host, reason));
    host.proxy.send(this.init(host.view.id));
    this.publish(host);
    return host.ready;
  }

  /** Spare hosts (powered off, never failed), in order. */
  spares(): Host[] {
    return [...this.hosts.values()].filter((h) => h.view.health === 'Off' && h.proxy === null);
  }

  all(): Iterable<Host> {
    return this.hosts.values();
  }

  get(hostId: string): Host | undefined {
    return this.hosts.get(hostId);
  }

  send(hostId: string, message: ToHost): void {
    this.hosts.get(hostId)?.proxy?.send(message);
  }

  broadcast(message: ToHost): void {
    for (const host of this.hosts.values()) host.proxy?.send(message);
  }

  publish(host: Host): void {
    this.events.publish({ type: 'host', host: { ...host.view } });
  }

  /** Power the host off for good after a failure: the worker ends with every guest on it. */
  markFailed(host: Host, details: string): void {
    host.view.health = 'Unhealthy';
    host.view.healthDetails = details;
    host.view.usedCores = 0;
    host.proxy?.terminate();
    this.publish(host);
  }

  async shutdown(): Promise<void> {
    // Off first, so the workers' exits read as a shutdown and not as failed hosts.
    for (const host of this.hosts.values()) host.view.health = 'Off';
    await Promise.all([...this.hosts.values()].map((host) => host.proxy?.shutdown()));
  }

  private fromHost(host: Host, message: FromHost): void {
    // A host marked bad has been powered off; anything still in flight from it is stale.
    if (host.view.health === 'Unhealthy' || host.view.health === 'Off') return;
    if (message.type === 'ready') {
      host.view.health = 'Healthy';
      host.view.healthDetails = '';
      host.view.lastHeartbeat = this.timers.now();
      host.heardAt = performance.now();
      this.publish(host);
      host.settle();
      return;
    }
    if (message.type === 'host-heartbeat') {
      host.view.lastHeartbeat = message.at;
      host.heardAt = performance.now();
      this.publish(host);
    }
    this.handlers.onMessage(host, message);
  }

  private exited(host: Host, reason: string): void {
    if (host.view.health === 'Off' || host.view.health === 'Unhealthy') return;
    // Not acted on here: a dead host is noticed the way Azure's controller notices it, by its silence.
    host.settle(new Error(`${host.view.id} stopped before it was ready: ${reason}`));
  }

  private scheduleWatch(): void {
    this.timers.after(this.timings.hostHeartbeat, () => {
      const at = this.timers.now();
      this.scheduleWatch();
      // Judge after the worker messages already queued are handled (they come before setImmediate).
      setImmediate(() => this.watch(at));
    });
  }

  /**
   * The controller's probe of its hosts. Silence must last in emulated time and, at high time scales, a
   * floor of real time too: a host worker that two busy cores left waiting for 60 ms has not failed,
   * though at 1000x that is a minute of emulated silence.
   */
  private watch(now: number): void {
    const realNow = performance.now();
    for (const host of this.hosts.values()) {
      if (host.view.health !== 'Healthy' || host.view.lastHeartbeat === null) continue;
      const silence = now - host.view.lastHeartbeat;
      if (silence >= this.timings.hostHeartbeatTimeout && realNow - host.heardAt >= this.silenceFloorMs) {
        this.handlers.onHostFailed(host, `No heartbeat from the host agent for ${Math.round(silence / 1000)} s.`);
      }
    }
  }
}
