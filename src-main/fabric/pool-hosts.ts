// The host inventory of one machine pool: a worker thread per powered-on host, spare hosts kept powered
// off until the fabric controller needs their cores, and the controller's probe of each host agent's
// heartbeat. A host silent for too long is reported failed; what that means for instances is the
// controller's business.
import type { HostView } from '../common/fabric-api';
import type { EmulatedTimers } from '../common/emulated-timers';
import type { FromHost, ToHost } from '../common/host-protocol';
import type { PhaseTimings } from '../common/timings';
import { hostKey, type EventHub } from './event-hub';
import type { HostBooter, HostLink } from './host-link';

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
  /** The powered-on host OS; null while the host is off. */
  proxy: HostLink | null;
  /** How this host's OS boots: a worker thread here, or one on the host node that brought it (view.node). */
  boot: HostBooter;
  /** performance.now() when the last heartbeat arrived: silence must also last in real time (see watch). */
  heardAt: number;
  /** Settles when the host agent reports ready, or fails when the worker dies first. */
  ready: Promise<void> | null;
  settle: (error?: Error) => void;
  /** What is broken and outlasts a restart (dead hardware, a cut network link), until the host is repaired. */
  fault: 'dead' | 'cut-off' | null;
  /** When the fabric controller last restarted the host (emulated time and performance.now()); a failure soon after marks it bad. */
  restartedAt: { emulated: number; real: number } | null;
}

/** Real milliseconds at least that a restarted host gets to boot, however fast emulated time runs. */
const restartFloorMs = 5_000;

export interface PoolHostsEvents {
  /** Everything a host agent says except its own readiness and heartbeats, which this class handles. */
  onMessage(host: Host, message: FromHost): void;
  onHostFailed(host: Host, reason: string): void;
  /** Handling what the host said threw: the host is faulty (it reported something impossible), never the fabric. */
  onBadMessage(host: Host, message: FromHost, error: unknown): void;
}

/** Real ms between two probes of the hosts, at least (`watchEvery`). */
const watchRealMs = 250;

export class PoolHosts {
  private readonly hosts = new Map<string, Host>();
  private readonly initialHosts: number;
  /** The next probe of the hosts' silence (`watch`); null before the pool starts. */
  private watchTimer: { cancel(): void } | null = null;

  constructor(
    private readonly poolId: string,
    private readonly config: PoolConfig,
    private readonly localBoot: HostBooter,
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
      this.hosts.set(id, { view, proxy: null, boot: this.localBoot, heardAt: 0, ready: null, settle: () => {}, fault: null, restartedAt: null });
    }
    this.initialHosts = config.hosts;
  }

  /** Power on the pool's regular hosts and start probing them. */
  async start(): Promise<void> {
    await Promise.all([...this.hosts.values()].slice(0, this.initialHosts).map((host) => this.powerOn(host)));
    this.scheduleWatch();
  }

  /**
   * Hosts a host node brings into the pool (fabric/nats-host-nodes.ts): `count` hosts of `cores` cores whose
   * OS boots on that node, numbered after the pool's own and spread over its fault domains like them. A node
   * that comes back finds its hosts again by name; they are returned, not added twice.
   */
  addNodeHosts(node: string, count: number, cores: number, boot: HostBooter): Host[] {
    const hosts: Host[] = [];
    for (let i = 0; i < count; i++) {
      const id = `${this.poolId}-${node}-${String(i + 1).padStart(2, '0')}`;
      let host = this.hosts.get(id);
      if (!host) {
        const index = this.hosts.size;
        const view: HostView = {
          id,
          poolId: this.poolId,
          name: `${node} ${i + 1}`,
          node,
          cores,
          usedCores: 0,
          faultDomain: index % this.config.faultDomains,
          health: 'Off',
          healthDetails: `A host of node ${node}, waiting for the fabric controller to power it on.`,
          lastHeartbeat: null,
        };
        host = { view, proxy: null, boot, heardAt: 0, ready: null, settle: () => {}, fault: null, restartedAt: null };
        this.hosts.set(id, host);
      }
      host.boot = boot;
      hosts.push(host);
    }
    return hosts;
  }

  /** Start a host's worker and wait for its host agent; resolves at once for a host already on. */
  powerOn(host: Host, details = 'The host OS is starting.'): Promise<void> {
    if (host.ready) return host.ready;
    host.view.health = 'Booting';
    host.view.healthDetails = details;
    host.ready = new Promise<void>((resolve, reject) => {
      host.settle = (error) => (error ? reject(error) : resolve());
    });
    if (host.fault === 'dead') {
      // Dead hardware does not boot at all.
      this.publish(host);
      host.settle(new Error('it did not power on (hardware fault)'));
      return host.ready;
    }
    // Only the current worker speaks for the host: a repaired host's old worker may still exit or flush late.
    const proxy: HostLink = host.boot(
      host.view.id,
      (m) => host.proxy === proxy && this.receive(host, m),
      (reason) => host.proxy === proxy && this.exited(host, reason),
    );
    host.proxy = proxy;
    // A cut link stays cut across a power cycle: the new host OS boots, but its controller never hears it.
    if (host.fault === 'cut-off') proxy.partition();
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

  /** What every host said before now has been handled (HostLink.flush), each host bounded by `boundMs`. */
  async flush(boundMs: number): Promise<void> {
    await Promise.all([...this.hosts.values()].map((host) => host.proxy?.flush?.(boundMs)));
  }

  publish(host: Host): void {
    // Copied when the batch is made: a host's view changes at each of its heartbeats.
    const view = host.view;
    this.events.publishLatest(hostKey(view.id), () => ({ type: 'host', host: { ...view } }));
  }

  /** Power the host off for good after a failure: the worker ends with every guest on it. */
  markFailed(host: Host, details: string): void {
    host.view.health = 'Unhealthy';
    host.view.healthDetails = details;
    host.view.usedCores = 0;
    void host.proxy?.terminate();
    this.publish(host);
  }

  /** Bring a failed host back after repair: its faults are fixed, and a fresh worker boots with every core free. */
  repair(host: Host): Promise<void> {
    host.fault = null;
    host.restartedAt = null;
    host.view.usedCores = 0;
    return this.powerCycle(host, 'The fabric controller is restarting the host (repair): a fresh host OS and host agent.');
  }

  /**
   * The controller's restart of a silent host: power-cycle it (its cores stay reserved for its instances) and
   * wait for the new host agent, at least a heartbeat timeout of emulated time and 5 s of real time.
   */
  restart(host: Host, details: string): Promise<void> {
    host.restartedAt = { emulated: this.timers.now(), real: performance.now() };
    const booted = this.powerCycle(host, details);
    const startedAt = performance.now();
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const give = (error?: Error) => {
        if (settled) return;
        settled = true;
        if (error) reject(error);
        else resolve();
      };
      booted.then(() => give(), give);
      const deadline = () => {
        if (settled) return;
        if (performance.now() - startedAt < restartFloorMs) this.timers.after(this.timings.hostHeartbeat, deadline);
        else give(new Error(`its host agent did not answer within ${Math.round(this.timings.hostHeartbeatTimeout / 1000)} s of the restart`));
      };
      this.timers.after(this.timings.hostHeartbeatTimeout, deadline);
    });
  }

  /** Turn the host off (what is left of its worker) and on again. */
  private powerCycle(host: Host, details: string): Promise<void> {
    void host.proxy?.terminate();
    host.proxy = null;
    host.ready = null;
    host.view.lastHeartbeat = null;
    delete host.view.agentHeapUsed;
    return this.powerOn(host, details);
  }

  async shutdown(): Promise<void> {
    // Off first, so the workers' exits read as a shutdown and not as failed hosts.
    for (const host of this.hosts.values()) host.view.health = 'Off';
    await Promise.all([...this.hosts.values()].map((host) => host.proxy?.shutdown()));
  }

  /**
   * Every host off at once, its worker ended without a shutdown: for a close that ran past its bound. Ending the
   * thread that owns them instead would end them one after another, each waited for (Node joins a thread's workers
   * in turn as the thread ends): 64 busy hosts took 18 s that way, against 1 s for a close.
   */
  async powerOffAll(): Promise<number> {
    for (const host of this.hosts.values()) host.view.health = 'Off';
    // This process's host threads; a host node's are its own to end, when its connection goes.
    const running = [...this.hosts.values()].filter((host) => host.boot === this.localBoot && host.proxy?.alive);
    await Promise.all(running.map((host) => host.proxy!.terminate()));
    return running.length;
  }

  /**
   * The boundary where a host worker's messages enter the fabric: a throw here would end the process (it is
   * a Worker 'message' listener), so it is caught and the host, not the fabric, pays for it.
   */
  private receive(host: Host, message: FromHost): void {
    try {
      this.fromHost(host, message);
    } catch (error) {
      try {
        this.handlers.onBadMessage(host, message, error);
      } catch (reportError) {
        // Reporting failed too (a closed log, a broken subscriber): stderr is what is left.
        console.error(`[${host.view.id}] a bad message could not be reported:`, error, reportError);
      }
    }
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
      if (message.heapUsed !== undefined) host.view.agentHeapUsed = message.heapUsed;
      host.heardAt = performance.now();
      this.publish(host);
    }
    this.handlers.onMessage(host, message);
  }

  /** A heartbeat the host agent wrote in its register since the last probe is heard now (common/heartbeat-register.ts). */
  private readHeartbeat(host: Host, realNow: number): void {
    const beat = host.proxy?.heartbeat?.();
    if (!beat || beat.at <= host.view.lastHeartbeat!) return;
    host.view.lastHeartbeat = beat.at;
    if (beat.heapUsed !== undefined) host.view.agentHeapUsed = beat.heapUsed;
    host.heardAt = realNow;
    this.publish(host);
  }

  private exited(host: Host, reason: string): void {
    if (host.view.health === 'Off' || host.view.health === 'Unhealthy') return;
    // Not acted on here: a dead host is noticed the way Azure's controller notices it, by its silence.
    host.settle(new Error(`${host.view.id} stopped before it was ready: ${reason}`));
  }

  /**
   * Emulated ms between probes. Each wakes the main thread, and each reads the hosts' heartbeat registers into
   * their views: every host heartbeat (5 emulated s), but no more often than every quarter real second, nor
   * further apart than an eighth of the silence that fails a host (the emulated timeout, or the real floor if that
   * is longer). At 1000x every 5 emulated s was 200 probes a real second, for a failure that takes 2 real s.
   */
  private watchEvery(): number {
    const { scale } = this.timers;
    const silence = Math.max(this.timings.hostHeartbeatTimeout, scale * this.silenceFloorMs);
    return Math.max(this.timings.hostHeartbeat, Math.min(scale * watchRealMs, silence / 8));
  }

  /** The most real ms any of these hosts' timers ran behind since the last call (HostLink.behind). */
  takeBehind(): number {
    let most = 0;
    for (const host of this.hosts.values()) most = Math.max(most, host.proxy?.behind?.() ?? 0);
    return most;
  }

  /** The clock's scale changed: the next probe keeps the new spacing (one set at 1000x would wait 250 s at 1x). */
  clockChanged(): void {
    if (this.watchTimer) this.scheduleWatch();
  }

  private scheduleWatch(): void {
    this.watchTimer?.cancel();
    this.watchTimer = this.timers.after(this.watchEvery(), () => {
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
      this.readHeartbeat(host, realNow);
      const silence = now - host.view.lastHeartbeat;
      if (silence >= this.timings.hostHeartbeatTimeout && realNow - host.heardAt >= this.silenceFloorMs) {
        this.handlers.onHostFailed(host, `No heartbeat from the host agent for ${Math.round(silence / 1000)} s.`);
      }
    }
  }
}
