// The renderer's copy of the fabric: a snapshot, then every pushed batch applied on top. Collections that lists
// walk are raw state replaced once per batch, so a batch of a thousand changes costs one re-render; those read one
// key at a time (guest heartbeats, timelines) are patched in place, so a batch does not copy 10,000 entries.
import { SvelteMap } from 'svelte/reactivity';
import { DisposableStore } from '../../src-main/common/disposables';
import type {
  ClockState,
  DeploymentView,
  FabricApi,
  FabricEventBatch,
  FabricRecord,
  HostView,
  InstanceView,
  OperationView,
  PlatformUpdateScheduleView,
  PoolView,
  SampleInfo,
  TrafficView,
} from '../../src-main/common/fabric-api';
import type { InstanceStatus } from '../../src-main/common/instance-status';
import { vmSizeCores } from '../../src-main/common/service-model';
import { onlyHeartbeatChanged, type GuestHeartbeat } from './guest-heartbeat-view';
import { indexInstances } from './service-tree';
import { appendTraffic, type TrafficPoint } from './traffic-series';
import type { ViewPanel } from './view-hash';
import { appendBounded, coresByPool, countByTone, toHistoryPoint, type HistoryPoint } from './status-history';

const keptRecords = 300;
const keptOperations = 100;
const keptTimeline = 60;
/** Chart points kept; older ones are thinned, not dropped (see appendBounded). */
const keptHistory = 400;
/** At most one chart point per this many real ms, however often batches come. */
const historyEveryMs = 250;

export interface TimelineEntry {
  at: number;
  status: InstanceStatus;
  details: string;
}

export class FabricStore {
  connected = $state(false);
  /** False while the connection is down: the views are frozen (greyed) and nothing is applied. */
  live = $state(true);
  /** Reconnect attempts since the connection dropped, and when (Date.now()) the next one is due. */
  reconnectAttempt = $state(0);
  retryAt = $state(0);
  transport = $state<'ipc' | 'websocket' | null>(null);
  error = $state<string | null>(null);
  clock = $state.raw<ClockState | null>(null);
  pools = $state.raw<PoolView[]>([]);
  hosts = $state.raw(new Map<string, HostView>());
  deployments = $state.raw(new Map<string, DeploymentView>());
  instances = $state.raw(new Map<string, InstanceView>());
  /**
   * Guest heartbeats newer than their instance's object, which is kept when nothing else changed (guest-heartbeat-view.ts).
   * Read by key (the open instance's detail): patched in place, each key its own signal.
   */
  readonly guestHeartbeats = new SvelteMap<string, GuestHeartbeat>();
  operations = $state.raw<OperationView[]>([]);
  /** Service Management API calls that started no operation (reads, early refusals), newest first, kept apart. */
  apiCalls = $state.raw<OperationView[]>([]);
  records = $state.raw<FabricRecord[]>([]);
  samples = $state.raw<SampleInfo[]>([]);
  /** The subscription's core quota (from the snapshot; it does not change while the fabric runs). */
  coreQuota = $state(0);
  /** Scheduled platform updates (from the snapshot, then as this window sets them). */
  platformUpdates = $state.raw<PlatformUpdateScheduleView>({ everyHours: null, nextAt: null });
  /** Every status each instance passed through since this window opened (bounded per instance); patched in place, read by key. */
  readonly timelines = new SvelteMap<string, TimelineEntry[]>();
  /** The instance whose detail panel is open. */
  selectedInstanceId = $state<string | null>(null);
  /** The panel open over the page (the selected instance's logs or events, or the fabric's settings). */
  panel = $state<ViewPanel | null>(null);
  /** Instances by status and cores per pool over time, sampled from the pushed batches (never polled). */
  history = $state.raw<HistoryPoint[]>([]);
  /** The load balancer's latest counters and traffic runs (pushed as 'traffic' events), and rates over time. */
  traffic = $state.raw<TrafficView | null>(null);
  trafficSeries = $state.raw<TrafficPoint[]>([]);
  /** performance.now() when `clock` was received, to run the emulated clock forward locally. */
  clockReceivedAt = 0;

  private seq = 0;
  private lastSampleAt = -Infinity;
  // instancesOf is called per deployment and per role on every batch; grouping and sorting once per
  // instances map (not per call) keeps a batch of 2,048 instances cheap.
  private indexed: { of: Map<string, InstanceView>; index: Map<string, Map<string, InstanceView[]>> } | null = null;

  /** The event subscription, ended by dispose(). */
  private readonly subscriptions = new DisposableStore();

  constructor(readonly api: FabricApi) {}

  /** Subscribe first, then take the snapshot; batches already inside the snapshot are skipped by seq. */
  async load(): Promise<void> {
    this.subscriptions.add(this.api.onEvents((batch) => this.apply(batch)));
    await this.takeSnapshot();
  }

  /**
   * The connection dropped: the views freeze where they are (no batch is applied until a new snapshot), and the
   * page says when the next attempt comes.
   */
  connectionLost(attempt: number, retryInMs: number): void {
    this.live = false;
    this.reconnectAttempt = attempt;
    this.retryAt = Date.now() + retryInMs;
  }

  /** A socket is open again: what happened meanwhile is not in any batch, so the whole state is taken afresh. */
  async reconnected(): Promise<void> {
    try {
      await this.takeSnapshot();
      this.reconnectAttempt = 0;
      this.error = null;
    } catch (error) {
      this.error = `Reconnected, but the fabric did not answer its state: ${(error as Error).message}`;
    }
  }

  private async takeSnapshot(): Promise<void> {
    const [snapshot, samples, traffic] = await Promise.all([this.api.getSnapshot(), this.api.listSamples(), this.api.getTraffic()]);
    this.traffic = traffic;
    // A restarted fabric counts its batches from 0 again: the snapshot's seq is the one to follow now.
    this.seq = snapshot.seq;
    this.setClock(snapshot.clock);
    this.pools = snapshot.pools;
    this.hosts = new Map(snapshot.hosts.map((h) => [h.id, h]));
    this.deployments = new Map(snapshot.deployments.map((d) => [d.id, d]));
    this.instances = new Map(snapshot.instances.map((i) => [i.id, i]));
    this.guestHeartbeats.clear();
    this.operations = snapshot.operations.filter((o) => o.kind !== 'ApiCall').slice(-keptOperations).reverse();
    this.apiCalls = snapshot.operations.filter((o) => o.kind === 'ApiCall').slice(-keptOperations).reverse();
    this.samples = samples;
    this.coreQuota = snapshot.coreQuota;
    this.platformUpdates = snapshot.platformUpdates;
    // The fabric's samples: a reloaded page draws the session so far, not only what it sees from now on.
    this.history = snapshot.history.map(toHistoryPoint);
    this.connected = true;
    this.live = true;
  }

  /** Cores the deployments hold against the quota (every role's instances x their VM size), as the front end counts them. */
  coresUsed(): number {
    let used = 0;
    for (const d of this.deployments.values()) for (const r of d.roles) used += vmSizeCores[r.vmSize] * r.instanceCount;
    return used;
  }

  /** Stop receiving event batches (the page is going away, or a new store replaces this one). */
  dispose(): Promise<void> {
    return this.subscriptions.dispose();
  }

  /** Emulated time now, run forward from the last clock reading. */
  emulatedNow(): number {
    const clock = this.clock;
    if (!clock) return 0;
    return clock.paused ? clock.now : clock.now + (performance.now() - this.clockReceivedAt) * clock.scale;
  }

  /** The instance's latest guest heartbeat: from an update that changed only that, else its own. */
  guestHeartbeatOf(instance: InstanceView): GuestHeartbeat {
    return this.guestHeartbeats.get(instance.id) ?? instance;
  }

  /** A deployment's instances (of one role, or of all roles in role order), in instance-index order. */
  instancesOf(deploymentId: string, roleName?: string): InstanceView[] {
    const roles = this.rolesOf(deploymentId);
    if (roleName !== undefined) return [...(roles.get(roleName) ?? [])];
    return [...roles.values()].flat();
  }

  /** A deployment's instances grouped by role; read-only, shared between callers of the same batch. */
  rolesOf(deploymentId: string): ReadonlyMap<string, readonly InstanceView[]> {
    const instances = this.instances; // read here so callers depend on it
    if (this.indexed?.of !== instances) this.indexed = { of: instances, index: indexInstances(instances.values()) };
    return this.indexed.index.get(deploymentId) ?? new Map();
  }

  private sampleHistory(force = false): void {
    const at = performance.now();
    // Batches can arrive before the snapshot; without a clock there is no time to put on the chart.
    if (!this.clock || (!force && at - this.lastSampleAt < historyEveryMs)) return;
    this.lastSampleAt = at;
    const point: HistoryPoint = { at: this.emulatedNow(), byTone: countByTone(this.instances.values()), coresByPool: coresByPool(this.pools, this.hosts) };
    this.history = appendBounded(this.history, point, keptHistory);
  }

  private setClock(clock: ClockState): void {
    this.clock = clock;
    this.clockReceivedAt = performance.now();
  }

  private apply(batch: FabricEventBatch): void {
    if (!this.live || batch.seq <= this.seq) return;
    this.seq = batch.seq;
    let hosts: Map<string, HostView> | null = null;
    let deployments: Map<string, DeploymentView> | null = null;
    let instances: Map<string, InstanceView> | null = null;
    const heartbeats = this.guestHeartbeats;
    let operations: OperationView[] | null = null;
    let apiCalls: OperationView[] | null = null;
    const removedDeployments: string[] = [];
    for (const event of batch.events) {
      switch (event.type) {
        case 'clock':
          this.setClock(event.clock);
          break;
        case 'host':
          (hosts ??= new Map(this.hosts)).set(event.host.id, event.host);
          break;
        case 'pool':
          this.pools = this.pools.map((p) => (p.id === event.pool.id ? event.pool : p));
          break;
        case 'deployment':
          (deployments ??= new Map(this.deployments)).set(event.deployment.id, event.deployment);
          break;
        case 'deployment-removed': {
          (deployments ??= new Map(this.deployments)).delete(event.id);
          removedDeployments.push(event.id);
          instances ??= new Map(this.instances);
          for (const [id, instance] of instances) if (instance.deploymentId === event.id) instances.delete(id);
          for (const id of [...heartbeats.keys()]) if (id.startsWith(`${event.id}/`)) heartbeats.delete(id);
          break;
        }
        case 'instance':
          // A late update for an instance of a deployment already removed must not bring it back.
          if ((deployments ?? this.deployments).has(event.instance.deploymentId)) {
            const { id, lastGuestHeartbeat, guestHeartbeats } = event.instance;
            const current = (instances ?? this.instances).get(id);
            if (current && onlyHeartbeatChanged(current, event.instance)) {
              heartbeats.set(id, { lastGuestHeartbeat, guestHeartbeats });
            } else {
              (instances ??= new Map(this.instances)).set(id, event.instance);
              heartbeats.delete(id);
            }
          }
          break;
        case 'guest-heartbeat':
          if ((instances ?? this.instances).has(event.instanceId)) {
            heartbeats.set(event.instanceId, { lastGuestHeartbeat: event.lastGuestHeartbeat, guestHeartbeats: event.guestHeartbeats });
          }
          break;
        case 'instance-removed':
          (instances ??= new Map(this.instances)).delete(event.id);
          heartbeats.delete(event.id);
          break;
        case 'traffic':
          this.trafficSeries = appendTraffic(this.trafficSeries, this.traffic, event.traffic, keptHistory);
          this.traffic = event.traffic;
          break;
        case 'operation': {
          if (event.operation.kind === 'ApiCall') {
            (apiCalls ??= [...this.apiCalls]).unshift(event.operation);
            break;
          }
          operations ??= [...this.operations];
          const at = operations.findIndex((o) => o.requestId === event.operation.requestId);
          if (at >= 0) operations[at] = event.operation;
          else operations.unshift(event.operation);
          break;
        }
      }
    }
    if (hosts) this.hosts = hosts;
    if (deployments) this.deployments = deployments;
    if (instances) this.instances = instances;
    if (operations) this.operations = operations.slice(0, keptOperations);
    if (apiCalls) this.apiCalls = apiCalls.slice(0, keptOperations);
    if (batch.records.length > 0) {
      this.records = [...batch.records.slice(-keptRecords).reverse(), ...this.records].slice(0, keptRecords);
      for (const record of batch.records) {
        if (record.kind !== 'instance-status') continue;
        const list = [...(this.timelines.get(record.instanceId) ?? [])];
        list.push({ at: record.at, status: record.to, details: record.details });
        this.timelines.set(record.instanceId, list.slice(-keptTimeline));
      }
    }
    if (removedDeployments.length > 0) {
      for (const id of [...this.timelines.keys()]) if (removedDeployments.some((d) => id.startsWith(`${d}/`))) this.timelines.delete(id);
    }
    if (instances || hosts) this.sampleHistory();
  }
}
