// The datacenter: one emulated clock, the machine pools with their fabric controllers and host
// workers, and the front end. This is the one implementation of FabricApi; every shell adapts it.
import type { ClockState, DeployRequest, FabricApi, FabricEventBatch, FabricSnapshot, FaultRequest, OperationRef, SampleInfo } from '../common/fabric-api';
import { FabricError } from '../common/fabric-api';
import { EmulatedClock } from '../common/emulated-clock';
import { EmulatedTimers } from '../common/emulated-timers';
import type { ToHost } from '../common/host-protocol';
import { defaultTimings, type PhaseTimings } from '../common/timings';
import { builtinSamples } from './builtin-samples';
import { EventHub } from './event-hub';
import { FabricController, type PoolConfig } from './fabric-controller';
import { FrontEnd } from './front-end';

export interface FabricOptions {
  /** The built host worker entry (out/main/host-worker.js). */
  hostWorkerUrl: URL;
  pools?: PoolConfig[];
  timeScale?: number;
  seed?: number;
  timings?: Partial<PhaseTimings>;
  /** How often event batches are pushed; 100 ms keeps the UI at ten updates a second at most. */
  batchIntervalMs?: number;
  /** The subscription's core quota (Azure's default for a classic subscription: 20). */
  coreQuota?: number;
  /**
   * Real milliseconds a host must be silent, beyond the emulated timeout, before it is marked bad: on a
   * busy machine a worker can stall for longer than a whole emulated timeout lasts at 1000x.
   */
  hostSilenceFloorMs?: number;
}

export const defaultPools: PoolConfig[] = [{ name: 'Pool A', region: 'Local', hosts: 4, spareHosts: 1, coresPerHost: 8, faultDomains: 2 }];

export class Fabric implements FabricApi {
  readonly clock: EmulatedClock;
  readonly seed: number;
  /** The main thread's timers: fabric controllers' host watchdogs. */
  private readonly timers: EmulatedTimers;
  private readonly events: EventHub;
  private readonly controllers: FabricController[];
  private readonly frontEnd: FrontEnd;
  private readonly timings: PhaseTimings;
  private closed = false;

  private constructor(private readonly options: FabricOptions) {
    this.seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    this.timings = { ...defaultTimings, ...options.timings };
    this.clock = new EmulatedClock(undefined, { startAt: Date.now(), scale: options.timeScale ?? 10 });
    this.timers = new EmulatedTimers(this.clock);
    this.events = new EventHub(options.batchIntervalMs);
    const init = (hostId: string): ToHost => ({ type: 'init', hostId, clock: this.clock.buffer, seed: this.seed, timings: this.timings });
    this.controllers = (options.pools ?? defaultPools).map(
      (pool, i) =>
        new FabricController(`pool-${i + 1}`, pool, options.hostWorkerUrl, init, this.events, this.timers, this.timings, options.hostSilenceFloorMs ?? 2_000),
    );
    this.frontEnd = new FrontEnd(this.controllers, builtinSamples, this.events, () => this.clock.now(), options.coreQuota ?? 20);
  }

  /** Start a fabric and wait until every host agent is up. */
  static async start(options: FabricOptions): Promise<Fabric> {
    const fabric = new Fabric(options);
    try {
      await Promise.all(fabric.controllers.map((c) => c.start()));
    } catch (error) {
      await fabric.close();
      throw error;
    }
    return fabric;
  }

  async getSnapshot(): Promise<FabricSnapshot> {
    return {
      seq: this.events.seq,
      clock: this.clockState(),
      pools: this.controllers.map((c) => ({ ...c.pool, hostIds: [...c.pool.hostIds] })),
      hosts: this.controllers.flatMap((c) => c.hostViews().map((h) => ({ ...h }))),
      deployments: this.frontEnd.deploymentViews().map((d) => ({ ...d })),
      instances: this.controllers.flatMap((c) => c.instanceViews().map((i) => ({ ...i }))),
      operations: this.frontEnd.operationViews().map((o) => ({ ...o })),
    };
  }

  async listSamples(): Promise<SampleInfo[]> {
    return builtinSamples.map(({ id, title, summary }) => ({ id, title, summary }));
  }

  async deploy(request: DeployRequest): Promise<OperationRef> {
    this.assertOpen();
    return this.frontEnd.deploy(request);
  }

  async deleteDeployment(request: { deploymentId: string }): Promise<OperationRef> {
    this.assertOpen();
    return this.frontEnd.deleteDeployment(request.deploymentId);
  }

  async updateDeploymentStatus(request: { deploymentId: string; status: 'Running' | 'Suspended' }): Promise<OperationRef> {
    this.assertOpen();
    return this.frontEnd.updateDeploymentStatus(request.deploymentId, request.status);
  }

  async changeInstanceCount(request: { deploymentId: string; roleName: string; count: number }): Promise<OperationRef> {
    this.assertOpen();
    return this.frontEnd.changeInstanceCount(request.deploymentId, request.roleName, request.count);
  }

  async rebootInstance(request: { instanceId: string }): Promise<OperationRef> {
    this.assertOpen();
    return this.frontEnd.restartInstance(request.instanceId, 'reboot');
  }

  async reimageInstance(request: { instanceId: string }): Promise<OperationRef> {
    this.assertOpen();
    return this.frontEnd.restartInstance(request.instanceId, 'reimage');
  }

  async setClock(request: { scale?: number; paused?: boolean }): Promise<ClockState> {
    this.assertOpen();
    try {
      this.clock.set(request);
    } catch (error) {
      throw new FabricError('BadRequest', (error as Error).message);
    }
    this.timers.clockChanged();
    for (const controller of this.controllers) controller.broadcast({ type: 'clock-changed' });
    const clock = this.clockState();
    this.events.publish({ type: 'clock', clock });
    return clock;
  }

  async injectFault(request: FaultRequest): Promise<void> {
    this.assertOpen();
    this.frontEnd.injectFault(request);
  }

  onEvents(listener: (batch: FabricEventBatch) => void): () => void {
    return this.events.subscribe(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timers.clear();
    await Promise.all(this.controllers.map((c) => c.shutdown()));
    this.events.close();
  }

  private clockState(): ClockState {
    return { ...this.clock.read(), seed: this.seed };
  }

  private assertOpen(): void {
    if (this.closed) throw new FabricError('Conflict', 'The fabric has been shut down.');
  }
}
