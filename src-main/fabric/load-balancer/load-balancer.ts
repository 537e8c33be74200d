// The fabric's side of the load balancer. It gives each deployment a VIP and opens its input endpoints there
// (in the load balancer's worker thread, load-balancer-worker.ts), and tells the worker which instances stand
// behind each endpoint: their DIP:port and whether the endpoint's rotation holds them. Rotation is the fabric
// controller's (InstanceView.rotation, published through the event hub): the default probe is the guest
// agent's answer (in only while Ready, single-instance roles always, ignoreRoleInstanceStatus as the csdef
// says). Counters come back from the worker and go out as 'traffic' events.
import { Worker } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import { vipEndpointKey, type DeploymentView, type FabricEventBatch, type InstanceView, type TrafficRequest, type TrafficRunView, type TrafficView } from '../../common/fabric-api';
import { FabricErrors } from '../../common/fabric-errors';
import type { ServiceModel } from '../../common/service-model';
import type { ComponentLog } from '../../logs/component-log';
import type { BackendConfig, FromLoadBalancer, ToLoadBalancer, VipEndpointConfig } from './protocol';
import { VipAddresses } from './addresses';
import { trafficBounds } from './traffic-generator';
import { vipEndpointsOf } from './vip-endpoints-of';

/** What the load balancer needs of the event hub: the batches (instance views) and a way to publish counters. */
export interface TrafficEvents {
  subscribe(listener: (batch: FabricEventBatch) => void): () => void;
  publish(event: { type: 'traffic'; traffic: TrafficView }): void;
}

interface Attached {
  view: DeploymentView;
  model: ServiceModel;
  changed: () => void;
  configs: VipEndpointConfig[];
  /** Endpoint name -> the backends last sent, as JSON, so an unchanged list is not sent again. */
  sent: Map<string, string>;
}

/** At most this many traffic runs at once, whoever starts them. */
const maxRuns = 4;
/** Connections one VIP endpoint holds at once; more are reset and counted (each costs three sockets here). */
export const defaultMaxConnectionsPerEndpoint = 1_000;

/** Real ms a closing fabric waits for the load balancer's thread to end (it is asked to terminate at 2 s). */
const closeBoundMs = 5_000;

/**
 * A thread that ends is started again after `restartDelayMs`, its VIPs opened again: at most `maxRestarts` times
 * within `restartWindowMs` (a thread that cannot start would otherwise start for ever), then the VIPs stay closed.
 */
export const loadBalancerRestarts = { maxRestarts: 3, restartWindowMs: 60_000, restartDelayMs: 1_000 };
/** Runs of threads that ended, kept in the view beside the running thread's. */
const maxLostRuns = 16;

export class LoadBalancer {
  /** Null until the first endpoint opens (`thread`). */
  private worker: Worker | null = null;
  private vips = new VipAddresses(false);
  private readonly deployments = new Map<string, Attached>();
  private readonly instances = new Map<string, InstanceView>();
  private latest: TrafficView = { at: Date.now(), endpoints: [], runs: [] };
  private readonly reads = new Map<number, (view: TrafficView) => void>();
  private readId = 0;
  private readonly unsubscribe: () => void;
  private closed = false;
  /** The thread ended (a failed start, a crash, or the close); until it starts again, messages for it are dropped. */
  private exited = false;
  /** Real ms of the restarts within the window. */
  private restarts: number[] = [];
  /** Runs a thread held when it ended, Failed: shown beside the next thread's own (the last few). */
  private lostRuns: TrafficRunView[] = [];

  constructor(
    private readonly workerUrl: URL,
    private readonly clock: SharedArrayBuffer,
    private readonly events: TrafficEvents,
    /** FrontEnd.log: what each deployment's VIP got, beside the deployment's own lines. */
    private readonly log: ComponentLog,
    private readonly maxConnectionsPerEndpoint = defaultMaxConnectionsPerEndpoint,
  ) {
    this.unsubscribe = events.subscribe((batch) => {
      const touched = new Set<string>();
      for (const event of batch.events) {
        if (event.type === 'instance') {
          this.instances.set(event.instance.id, event.instance);
          touched.add(event.instance.deploymentId);
        } else if (event.type === 'instance-removed') {
          const gone = this.instances.get(event.id);
          this.instances.delete(event.id);
          if (gone) touched.add(gone.deploymentId);
        }
      }
      for (const id of touched) this.sendBackends(id);
    });
  }

  /** `aliases`: whether VIPs can have their own 127.x addresses (loopbackAliasesWork); `network`: the fabric's (claimNetwork). */
  start(aliases: boolean, network = 0): void {
    this.vips = new VipAddresses(aliases, network);
  }

  /**
   * The worker thread, started by the first endpoint to open: a fabric whose deployments have no input endpoint
   * never pays for it (about 45 ms of CPU, and a thread, at a fabric's start). Messages posted while it starts
   * wait in its port, in order.
   */
  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.workerUrl, { name: 'load-balancer' });
    worker.on('message', (message: FromLoadBalancer) => this.fromWorker(message));
    worker.on('error', (error) => this.log.write('ERROR', `Load balancer worker: ${error.message}`));
    worker.once('exit', (code) => this.ended(code));
    worker.postMessage({ type: 'init', clock: this.clock, maxConnectionsPerEndpoint: this.maxConnectionsPerEndpoint } satisfies ToLoadBalancer);
    this.worker = worker;
    return worker;
  }

  /**
   * The thread ended. Unless the fabric is closing, what it held is gone: its traffic runs failed, and the reads
   * waiting for it are answered from the last counters. It starts again in a second and every attached deployment's
   * endpoints open again, their backends sent afresh (rotation lives here, not in the thread).
   */
  private ended(code: number): void {
    this.exited = true;
    if (this.closed) return;
    const endedAt = Date.now();
    const runs = this.latest.runs.map((r) => (r.status === 'Running' ? { ...r, status: 'Failed' as const, endedAt, inFlight: 0, error: `The load balancer's thread ended (exit code ${code}) during the run.` } : r));
    this.lostRuns = runs.slice(-maxLostRuns);
    this.latest = { ...this.latest, at: endedAt, runs };
    this.events.publish({ type: 'traffic', traffic: this.latest });
    for (const [id, answer] of this.reads) {
      this.reads.delete(id);
      answer(this.latest);
    }
    const { maxRestarts, restartWindowMs, restartDelayMs } = loadBalancerRestarts;
    this.restarts = this.restarts.filter((at) => endedAt - at < restartWindowMs);
    if (this.restarts.length >= maxRestarts) {
      this.log.write('ERROR', `Load balancer worker: its thread ended (exit code ${code}), ${maxRestarts + 1} times within ${restartWindowMs / 1000} s; not started again: VIPs do not answer until the fabric restarts.`);
      return;
    }
    this.restarts.push(endedAt);
    this.log.write('ERROR', `Load balancer worker: its thread ended (exit code ${code}); starting it again in ${restartDelayMs / 1000} s and opening the VIPs again.`);
    setTimeout(() => this.restart(), restartDelayMs).unref();
  }

  private restart(): void {
    if (this.closed) return;
    this.worker = null;
    this.exited = false;
    for (const deployment of this.deployments.values()) {
      deployment.sent.clear();
      // Its answer ('opened') sends the backends.
      this.post({ type: 'open', deploymentId: deployment.view.id, endpoints: deployment.configs });
    }
  }

  /**
   * A new deployment: its VIP, and its input endpoints opened on it. `changed` is called when the view's
   * VIP endpoints change (their ports once they listen).
   */
  attach(view: DeploymentView, model: ServiceModel, changed: () => void): void {
    const vip = this.vips.allocate(view.slot);
    view.vip = vip;
    const { configs, views } = vipEndpointsOf(view.id, model, vip);
    view.inputEndpoints = views;
    this.deployments.set(view.id, { view, model, changed, configs, sent: new Map() });
    this.log.write('INFO', `${view.id} (${view.slot}) has VIP ${vip}; opening ${configs.length} input endpoint(s) on it.`);
    this.post({ type: 'open', deploymentId: view.id, endpoints: configs });
    changed();
  }

  /**
   * VIP swap: the listeners stay on their VIPs and each takes the other deployment's instances (the worker swaps
   * them at once, connections under way keep their instance), so the views trade their VIP and input endpoints.
   * Resolves once the worker has swapped: it handles messages in order, so its answer to a read posted after the swap
   * means the next connection reaches the new deployment.
   */
  async swap(aId: string, bId: string): Promise<void> {
    const a = this.deployments.get(aId);
    const b = this.deployments.get(bId);
    if (!a || !b) return;
    [a.configs, b.configs] = [b.configs.map((c) => ({ ...c, deploymentId: aId })), a.configs.map((c) => ({ ...c, deploymentId: bId }))];
    [a.view.vip, b.view.vip] = [b.view.vip, a.view.vip];
    [a.view.inputEndpoints, b.view.inputEndpoints] = [b.view.inputEndpoints.map((e) => ({ ...e })), a.view.inputEndpoints.map((e) => ({ ...e }))];
    a.sent.clear();
    b.sent.clear();
    this.post({ type: 'swap', a: aId, b: bId });
    this.log.write('INFO', `VIP swap: ${aId} is now behind ${a.view.vip}, ${bId} behind ${b.view.vip}.`);
    this.sendBackends(aId, true);
    this.sendBackends(bId, true);
    a.changed();
    b.changed();
    await this.read();
  }

  detach(deploymentId: string): void {
    if (!this.deployments.delete(deploymentId)) return;
    this.post({ type: 'close', deploymentId });
  }

  /**
   * Resolves once the worker holds none of the instances in any endpoint's rotation and no connection to them
   * is open: what an upgrade waits for before it stops their roles, so no request is cut. The worker learns of
   * rotation through the event batches, so this reads its counters again (every 20 real ms) until they say so;
   * after `maxReads` reads it goes on, saying which connections it did not wait for.
   */
  async drained(instanceIds: string[], maxReads = 500): Promise<void> {
    const ids = new Set(instanceIds);
    let busy: string[] = [];
    for (let n = 0; n < maxReads && !this.closed; n++) {
      const view = await this.read();
      busy = view.endpoints.flatMap((e) => e.instances.filter((i) => ids.has(i.instanceId) && (i.inRotation || i.counters.activeConnections > 0)).map((i) => `${i.instanceName} on ${e.endpointName}`));
      if (busy.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (busy.length) this.log.write('WARN', `Still in rotation or holding connections after ${maxReads} reads, stopped all the same: ${busy.join(', ')}.`);
  }

  /** The counters read now from the worker (the last pushed ones if it does not answer within 2 s). */
  read(): Promise<TrafficView> {
    if (this.closed || !this.worker || this.exited) return Promise.resolve(this.latest);
    const id = ++this.readId;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.reads.delete(id);
        resolve(this.latest);
      }, 2_000);
      this.reads.set(id, (view) => {
        clearTimeout(timer);
        resolve(view);
      });
      this.post({ type: 'read', id });
    });
  }

  async startTraffic(request: TrafficRequest): Promise<TrafficRunView> {
    const deployment = this.deployments.get(request.deploymentId);
    if (!deployment) throw FabricErrors.deploymentNotFound(request.deploymentId);
    const http = deployment.view.inputEndpoints.filter((e) => e.protocol === 'http' && !e.instanceName);
    const endpoint = request.endpointName === undefined ? http[0] : deployment.view.inputEndpoints.find((e) => e.name === request.endpointName && !e.instanceName);
    if (!endpoint) {
      const names = deployment.view.inputEndpoints.filter((e) => !e.instanceName).map((e) => `${e.name} (${e.protocol})`);
      throw FabricErrors.trafficEndpointNotFound(request.deploymentId, request.endpointName, names);
    }
    if (endpoint.protocol !== 'http') throw FabricErrors.trafficNotHttp(endpoint.name, endpoint.protocol);
    if (endpoint.port === null) throw FabricErrors.trafficEndpointNotListening(endpoint.name, endpoint.vip, endpoint.note);
    const bad = (['rate', 'concurrency', 'durationSeconds'] as const).filter((k) => !(request[k] >= 1 && request[k] <= trafficBounds[k]));
    if (bad.length) throw FabricErrors.trafficBounds(bad.map((k) => `${k} must be 1-${trafficBounds[k]}, got ${request[k]}`));
    const running = (await this.read()).runs.filter((r) => r.status === 'Running').length;
    if (running >= maxRuns) throw FabricErrors.trafficRunsBusy(running, maxRuns);
    const id = randomUUID();
    const path = request.path ?? '/';
    const plan = { url: `http://${endpoint.vip}:${endpoint.port}${path}`, rate: request.rate, concurrency: request.concurrency, durationMs: request.durationSeconds * 1000, keepAlive: request.keepAlive ?? false };
    this.log.write('INFO', `Traffic run ${id}: ${plan.rate}/s, at most ${plan.concurrency} in flight, for ${request.durationSeconds} s, to ${plan.url}${plan.keepAlive ? ' (keep-alive)' : ''}.`);
    this.post({ type: 'start-run', id, plan, deploymentId: request.deploymentId, endpointName: endpoint.name });
    return (await this.read()).runs.find((r) => r.id === id) ?? this.pendingRun(id, plan, request, endpoint.name);
  }

  async stopTraffic(runId: string): Promise<TrafficRunView> {
    const run = (await this.read()).runs.find((r) => r.id === runId);
    if (!run) throw FabricErrors.trafficRunNotFound(runId);
    if (run.status !== 'Running') throw FabricErrors.trafficRunEnded(runId, run.status);
    this.post({ type: 'stop-run', id: runId });
    return (await this.read()).runs.find((r) => r.id === runId) ?? run;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    const worker = this.worker;
    if (!worker || this.exited) return;
    this.post({ type: 'shutdown' });
    await new Promise<void>((resolve) => {
      // Measured: with 64 host threads busy at 1000x, a terminated load balancer thread did not end for minutes
      // (it does within ms once the hosts are off). The fabric's close goes on without it after a bound.
      const gaveUp = setTimeout(() => {
        this.log.write('WARN', `Load balancer worker: its thread had not ended ${closeBoundMs / 1000} s after the shutdown; closing the rest of the fabric without waiting for it.`);
        resolve();
      }, closeBoundMs);
      const timer = setTimeout(() => void worker.terminate(), 2_000);
      worker.once('exit', () => {
        clearTimeout(timer);
        clearTimeout(gaveUp);
        resolve();
      });
    });
  }

  private post(message: ToLoadBalancer): void {
    if ((this.closed && message.type !== 'shutdown') || this.exited) return;
    // Until an endpoint opens there is no thread, and nothing a thread would have to hear.
    if (!this.worker && !(message.type === 'open' && message.endpoints.length > 0)) return;
    this.thread().postMessage(message);
  }

  private fromWorker(message: FromLoadBalancer): void {
    switch (message.type) {
      case 'opened': {
        const deployment = this.deployments.get(message.deploymentId);
        if (!deployment) return;
        // New objects: the views already published keep what they said.
        deployment.view.inputEndpoints = deployment.view.inputEndpoints.map((e) => ({ ...e }));
        for (const opened of message.endpoints) {
          const endpoint = deployment.view.inputEndpoints.find((e) => vipEndpointKey(e) === opened.name);
          if (!endpoint) continue;
          endpoint.port = opened.port;
          endpoint.note = opened.note;
          const where = opened.port === null ? `does not listen: ${opened.note}` : `listens on ${endpoint.vip}:${opened.port}${opened.note ? ` (${opened.note})` : ''}`;
          const what = endpoint.instanceName ? `${endpoint.roleName}/${endpoint.name} for ${endpoint.instanceName} (instance input, ${endpoint.protocol}, port ${endpoint.requestedPort} of its range)` : `${endpoint.roleName}/${endpoint.name} (${endpoint.protocol}, csdef port ${endpoint.requestedPort})`;
          this.log.write(opened.port === null ? 'ERROR' : opened.note ? 'WARN' : 'INFO', `${message.deploymentId} ${what} ${where}.`);
        }
        deployment.changed();
        this.sendBackends(message.deploymentId, true);
        break;
      }
      case 'traffic': {
        const view: TrafficView = { at: message.at, endpoints: message.endpoints, runs: this.lostRuns.length ? [...this.lostRuns, ...message.runs] : message.runs };
        this.latest = view;
        if (message.id !== undefined) {
          this.reads.get(message.id)?.(view);
          this.reads.delete(message.id);
        }
        this.events.publish({ type: 'traffic', traffic: view });
        break;
      }
      case 'log':
        this.log.write(message.level, message.message);
        break;
      default:
        break;
    }
  }

  /** Tell the worker who stands behind each endpoint of a deployment (only lists that changed). */
  private sendBackends(deploymentId: string, force = false): void {
    const deployment = this.deployments.get(deploymentId);
    // No input endpoint: no list to send (and 10,000 instances to look through at every batch otherwise).
    if (!deployment || deployment.configs.length === 0) return;
    const mine = [...this.instances.values()].filter((i) => i.deploymentId === deploymentId);
    for (const config of deployment.configs) {
      if (config.instance) {
        // Straight to its one instance while that instance listens: no rotation, no probe.
        const { instanceName, endpointName } = config.instance;
        const i = mine.find((x) => x.roleName === config.roleName && x.name === instanceName);
        const address = i?.endpoints.find((e) => e.name === endpointName)?.address ?? null;
        const backends: BackendConfig[] = i ? [{ instanceId: i.id, instanceName, address, inRotation: address !== null, probe: { kind: 'tcp', name: 'instance input (not load-balanced)', lastResult: address ? 'listening' : 'not listening', at: i.statusSince } }] : [];
        this.sendIfChanged(deployment, config.name, backends, force);
        continue;
      }
      const backends: BackendConfig[] = mine
        .filter((i) => i.roleName === config.roleName)
        .map((i) => {
          const inRotation = i.rotation.includes(config.name);
          return {
            instanceId: i.id,
            instanceName: i.name,
            address: i.endpoints.find((e) => e.name === config.name)?.address ?? null,
            inRotation,
            probe: { kind: 'guest-agent', name: 'guest agent', lastResult: `${inRotation ? 'healthy' : 'unhealthy'}: ${i.status}`, at: i.statusSince },
          };
        });
      this.sendIfChanged(deployment, config.name, backends, force);
    }
  }

  private sendIfChanged(deployment: Attached, endpointName: string, backends: BackendConfig[], force: boolean): void {
    const json = JSON.stringify(backends);
    if (!force && deployment.sent.get(endpointName) === json) return;
    deployment.sent.set(endpointName, json);
    this.post({ type: 'backends', deploymentId: deployment.view.id, endpointName, backends });
  }

  private pendingRun(id: string, plan: { url: string; rate: number; concurrency: number; keepAlive: boolean }, request: TrafficRequest, endpointName: string): TrafficRunView {
    return {
      id, deploymentId: request.deploymentId, endpointName, url: plan.url, rate: plan.rate, concurrency: plan.concurrency, durationSeconds: request.durationSeconds,
      keepAlive: plan.keepAlive, status: 'Running', startedAt: Date.now(), endedAt: null, progress: 0, sent: 0, served: 0, refused: 0, failed: 0,
      inFlight: 0, heldBack: 0, statuses: {}, latencyP50Ms: null, latencyP99Ms: null, bounds: [], error: null,
    };
  }
}
