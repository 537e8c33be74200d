// The datacenter: one emulated clock, the machine pools with their fabric controllers and host
// workers, and the front end. This is the one implementation of FabricApi; every shell adapts it.
import type { ClockState, TimingsView, DeployRequest, FabricApi, FabricEventBatch, FabricSnapshot, FaultRequest, OperationRef, PackageView, PlatformUpdateScheduleView, SampleInfo } from '../common/fabric-api';
import type { CommandRequest, InstanceRequest, InstanceResponse, ManagementConnection, TrafficRequest, TrafficRunView, TrafficView } from '../common/fabric-api';
import { FabricError, FabricErrors } from '../common/fabric-errors';
import { join } from 'node:path';
import { DisposableStore } from '../common/disposables';
import { EmulatedClock } from '../common/emulated-clock';
import { EmulatedTimers } from '../common/emulated-timers';
import type { ToHost } from '../common/host-protocol';
import { checkPhaseOverrides, defaultTimings, type PhaseTimings } from '../common/timings';
import { coresByPool, countByStatus, type ChartSample } from '../common/chart-history';
import { ChartHistory } from './chart-history';
import { EventHub } from './event-hub';
import { FabricController, type PoolConfig } from './fabric-controller';
import { createSessionDir, FabricLogs } from './fabric-logs';
import { FrontEnd } from './front-end';
import type { HostBooter } from './host-link';
import { HostCode } from './host-code-cache';
import { HostProxy } from './host-proxy';
import { HostNodes, nodeFilePrefix, type HostNodesOptions } from './nats-host-nodes';
import { OperationTracker } from './operation-tracker';
import { sendInstanceRequest } from './instance-request';
import { claimNetwork, dipPrefixOf, loopbackAliasesWork } from './load-balancer/addresses';
import { logDescriptorShare } from './descriptor-share';
import { LoadBalancer } from './load-balancer/load-balancer';
import { PlatformUpdateSchedule } from './platform-update-schedule';
import { fabricLabVersion, SessionExporter } from './session-exporter';
import type { EventPage, EventQuery, ExportInfo, ExportRequest, ExportSchedule, ExportStatus, LogFileInfo, LogListRequest, LogLevelsRequest, LogLevelsView, LogPageRequest, LogPageView, LogTextView } from '../common/log-api';
import { ClockGovernor, type GovernorOptions, type PaceJudgement } from './clock-governor';
import { defaultSamplesDir, PackageStore } from './package-store';
import { ServiceManagement } from './service-management';

export interface FabricOptions {
  /** The built host worker entry (out/main/host-worker.cjs). */
  hostWorkerUrl: URL;
  /** Scheduled platform updates from the start: every this many emulated hours (setPlatformUpdateSchedule). */
  platformUpdateEveryHours?: number;
  /** The load balancer's worker; default: load-balancer-worker.js beside the host worker (a test's stand-in host has no folder). */
  loadBalancerWorkerUrl?: URL;
  /** Where V8's cache of the host OS's code is kept between launches (fabric/host-code-cache.ts); default: not kept. */
  hostCodeCacheDir?: string;
  /** The session folder every log is written under (default: a new fabric-lab-session-<timestamp> in the OS temp folder). */
  sessionDir?: string;
  /** Sample services (resources/samples by default). */
  samplesDir?: string;
  /** Where uploaded packages are kept; the session folder's uploads/ by default. */
  workDir?: string;
  pools?: PoolConfig[];
  timeScale?: number;
  seed?: number;
  timings?: Partial<PhaseTimings>;
  /**
   * Run the clock at the scale the machine can keep (fabric/clock-governor.ts): when the main thread's event
   * loop lags, emulated time runs slower than asked, and ClockState shows both. The shells turn it on;
   * off (the default here), the clock runs at the asked scale whatever the lag, which tests that count
   * on exact pace want.
   */
  keepPace?: boolean | GovernorOptions;
  /** How often event batches are pushed; 100 ms keeps the UI at ten updates a second at most. */
  batchIntervalMs?: number;
  /** The subscription's core quota (Azure's default for a classic subscription: 20). */
  coreQuota?: number;
  /**
   * Real milliseconds a host must be silent, beyond the emulated timeout, before it is marked bad: on a
   * busy machine a worker can stall for longer than a whole emulated timeout lasts at 1000x.
   */
  hostSilenceFloorMs?: number;
  /** Give VIPs and DIPs their own 127.x addresses; default: when the OS allows it. false: everything on 127.0.0.1, ports walking. */
  loopbackAliases?: boolean;
  /** Connections one VIP endpoint holds at once before it resets new ones (load-balancer.ts's default: 1,000). */
  maxConnectionsPerEndpoint?: number;
  /**
   * Accept host nodes (other processes, maybe on other machines) through this NATS server: their hosts join
   * the pool of their region (fabric/nats-host-nodes.ts). Absent: every host is a worker thread of this process.
   */
  nats?: HostNodesOptions;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Real ms a pause waits for one host's words before it (a hung host never answers). */
const pauseFlushBoundMs = 500;

export const defaultPools: PoolConfig[] = [{ name: 'Pool A', region: 'Local', hosts: 4, spareHosts: 1, coresPerHost: 8, faultDomains: 2 }];

export class Fabric implements FabricApi {
  readonly clock: EmulatedClock;
  /** Seed of the host workers' jitter; setClock({ seed }) changes it for the whole fabric. */
  seed: number;
  /** The main thread's timers: fabric controllers' host watchdogs. */
  private readonly timers: EmulatedTimers;
  private readonly events: EventHub;
  private readonly controllers: FabricController[];
  private readonly frontEnd: FrontEnd;
  private readonly loadBalancer: LoadBalancer;
  /** Whether VIPs and DIPs get their own 127.x addresses (else all share 127.0.0.1 and ports walk). */
  loopbackAliases = false;
  /** This fabric's network among the machine's fabrics (addresses.ts claimNetwork): its VIPs and DIPs. */
  private network = 0;
  /** Every operation users follow: RDFE's requests and session exports. */
  private readonly operations: OperationTracker;
  /** One object shared with the controllers' host probes, changed in place by setTimings. */
  private readonly timings: PhaseTimings;
  readonly packages: PackageStore;
  /** Settles once the samples are read (Fabric.start begins it when the hosts are up). */
  private samplesRead: Promise<void> = Promise.resolve();
  private closed = false;
  /** What the fabric started, stopped in reverse order by close(). */
  private readonly started = new DisposableStore();
  /** The session folder: instances' drives, the components' logs, events.jsonl, exports/. */
  readonly sessionDir: string;
  private readonly logs: FabricLogs;
  private readonly exporter: SessionExporter;
  private readonly platformUpdates: PlatformUpdateSchedule;
  /** RDFE as the Service Management API sees it (src-main/management serves it over HTTPS). */
  readonly management: ServiceManagement;
  private readonly startedAt = { emulated: 0, wall: new Date().toISOString() };
  private governed = false;
  /** Host nodes joined through NATS; null when the fabric runs in one process only. */
  readonly nodes: HostNodes | null;
  private readonly charts: ChartHistory;
  private managementConnection: ManagementConnection | null = null;

  private constructor(private readonly options: FabricOptions) {
    this.seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    this.timings = { ...defaultTimings, ...options.timings };
    this.clock = new EmulatedClock(undefined, { startAt: Date.now(), scale: options.timeScale ?? 10 });
    this.timers = new EmulatedTimers(this.clock);
    this.startedAt.emulated = this.clock.now();
    this.sessionDir = createSessionDir(options.sessionDir);
    this.logs = new FabricLogs(this.sessionDir, () => this.clock.now());
    // A subscriber that throws (the events.jsonl writer, a shell's socket) is said in FrontEnd.log, the fabric's own log.
    this.events = new EventHub(options.batchIntervalMs, (error) => this.logs.frontEnd.write('ERROR', `An event subscriber failed: ${describeError(error)}`));
    this.started.add(() => this.logs.close());
    this.started.add(() => this.events.close()); // before the logs: it flushes the last records into the events file
    // Every record (status change, fault) also goes to the session's events file, in the hub's order.
    this.events.subscribe((batch) => {
      for (const record of batch.records) this.logs.record(record);
    });
    this.charts = new ChartHistory(() => this.chartSample());
    this.events.subscribe((batch) => this.charts.onBatch(batch));
    const sessionDir = this.sessionDir;
    // Each host gets its own DIP range, by the order hosts first boot (a restarted host keeps its number).
    const hostNumbers = new Map<string, number>();
    // Every host of every pool (spares too) logs in this process: each gets its share of the descriptors.
    const maxOpenLogs = logDescriptorShare((options.pools ?? defaultPools).reduce((n, p) => n + p.hosts + (p.spareHosts ?? 0), 0));
    const silenceFloorMs = options.hostSilenceFloorMs ?? 2_000;
    const init = (hostId: string): ToHost => {
      if (!hostNumbers.has(hostId)) hostNumbers.set(hostId, hostNumbers.size + 1);
      return { type: 'init', hostId, clock: this.clock.buffer, seed: this.seed, timings: this.timings, sessionDir, dipPrefix: dipPrefixOf(hostNumbers.get(hostId)!, this.loopbackAliases, this.network), maxOpenLogs, silenceFloorMs };
    };
    // The pools' own hosts are worker threads of this process; a host node's boot on that node (nats-host-nodes.ts).
    const hostCode = new HostCode(options.hostWorkerUrl, options.hostCodeCacheDir, (level, message) => this.logs.frontEnd.write(level, message));
    const boot: HostBooter = (hostId, onMessage, onExit) => new HostProxy(hostId, options.hostWorkerUrl, onMessage, onExit, { heartbeatRegister: true, hostCode });
    this.controllers = (options.pools ?? defaultPools).map(
      (pool, i) =>
        new FabricController({
          id: `pool-${i + 1}`,
          config: pool,
          boot,
          init,
          events: this.events,
          timers: this.timers,
          timings: this.timings,
          hostSilenceFloorMs: silenceFloorMs,
          log: this.logs.controller(`pool-${i + 1}`),
        }),
    );
    this.nodes = options.nats
      ? new HostNodes(options.nats, { controllers: this.controllers, silenceFloorMs, clock: this.clock, seed: () => this.seed, timings: this.timings, log: (poolId) => this.logs.controller(poolId) })
      : null;
    // Closed after the hosts are shut down, so the nodes hear their hosts' shutdown before the connection goes.
    if (this.nodes) this.started.add(() => this.nodes!.close());
    this.started.add(() => Promise.all(this.controllers.map((c) => c.shutdown())).then(() => {}));
    // Uploaded packages are part of the session: what was deployed sits beside the logs it wrote.
    this.packages = new PackageStore(options.samplesDir ?? defaultSamplesDir(), options.workDir ?? join(this.sessionDir, 'uploads'));
    this.loadBalancer = new LoadBalancer(options.loadBalancerWorkerUrl ?? new URL('./load-balancer-worker.js', options.hostWorkerUrl), this.clock.buffer, this.events, this.logs.frontEnd, options.maxConnectionsPerEndpoint);
    // Registered after the hosts, so closed before them (reverse order): the VIPs stop taking connections first.
    this.started.add(() => this.loadBalancer.close());
    this.operations = new OperationTracker(this.events, () => this.clock.now(), this.logs);
    this.frontEnd = new FrontEnd(this.controllers, this.packages, this.events, () => this.clock.now(), options.coreQuota ?? 20, this.operations, this.logs, this.loadBalancer);
    // An export first copies every host node's files into nodes/<node>/, so the archive holds the whole fabric.
    const gather = this.nodes ? () => this.nodes!.mirrorInto(this.sessionDir) : undefined;
    this.exporter = new SessionExporter(
      this.sessionDir,
      () => this.manifest(),
      this.operations,
      () => this.clock.now(),
      (message) => {
        this.logs.frontEnd.write('WARN', message);
        this.events.record({ kind: 'fabric-error', at: this.clock.now(), source: 'ExportSession', message });
      },
      gather,
    );
    this.management = new ServiceManagement(
      this.frontEnd,
      this.operations,
      this.packages,
      (deploymentId) => this.controllers.flatMap((c) => c.instancesOf(deploymentId)),
      () => this.controllers.map((c) => c.pool.region),
      options.coreQuota ?? 20,
      options.workDir ?? join(this.sessionDir, 'uploads'),
      () => this.clock.now(),
      this.logs,
    );
    this.started.add(() => this.exporter.close());
    this.platformUpdates = new PlatformUpdateSchedule(this.timers, () => this.frontEnd.deploymentViews(), (id) => this.frontEnd.platformUpdate(id), this.logs.frontEnd);
    this.started.add(() => this.platformUpdates.stop());
    if (options.platformUpdateEveryHours) this.platformUpdates.set(options.platformUpdateEveryHours);
    if (options.keepPace) this.keepPace(options.keepPace === true ? {} : options.keepPace);
    // The timers run the controllers' host watchdogs: added last, they stop first, before any host shuts down.
    this.started.add(() => this.timers.clear());
  }

  /** Start a fabric and wait until every host agent is up. */
  static async start(options: FabricOptions): Promise<Fabric> {
    const fabric = new Fabric(options);
    try {
      fabric.loopbackAliases = options.loopbackAliases ?? (await loopbackAliasesWork());
      const network = await claimNetwork(fabric.loopbackAliases);
      fabric.network = network.index;
      fabric.started.add(() => network.release());
      // The load balancer's thread starts with the first input endpoint.
      fabric.loadBalancer.start(fabric.loopbackAliases, network.index);
      await settledAll(fabric.controllers.map((c) => c.start()));
      // The samples are read once the hosts are up, not beside them: on two cores their parsing held back every
      // host's start (docs/PERFORMANCE.md). What asks for a sample waits for them.
      fabric.samplesRead = fabric.packages.loadSamples().catch((error: unknown) => {
        fabric.logs.frontEnd.write('ERROR', `The samples could not be read: ${describeError(error)}`);
      });
      await fabric.nodes?.start();
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
      operations: this.operations.views().map((o) => ({ ...o })),
      history: this.charts.samples(),
      coreQuota: this.frontEnd.coreQuota,
      platformUpdates: this.platformUpdates.view(),
    };
  }

  private chartSample(): ChartSample {
    const pools = this.controllers.map((c) => c.pool);
    const hosts = new Map(this.controllers.flatMap((c) => c.hostViews().map((h) => [h.id, h] as const)));
    return { at: this.clock.now(), byStatus: countByStatus(this.controllers.flatMap((c) => c.instanceViews())), coresByPool: coresByPool(pools, (id) => hosts.get(id)) };
  }

  async listSamples(): Promise<SampleInfo[]> {
    await this.samplesRead;
    return this.packages.sampleInfos();
  }

  async getSamplePackage(request: { sample: string }): Promise<PackageView> {
    await this.samplesRead;
    const view = this.packages.sample(request.sample);
    if (!view) throw FabricErrors.sampleNotFound(request.sample);
    return view;
  }

  async openPackage(request: { files: { path: string; data: string }[] }): Promise<PackageView> {
    this.assertOpen();
    return this.packages.openUpload(request.files);
  }

  async deploy(request: DeployRequest): Promise<OperationRef> {
    if (request.sample !== undefined) await this.samplesRead;
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

  async rebuildInstance(request: { instanceId: string }): Promise<OperationRef> {
    this.assertOpen();
    return this.frontEnd.restartInstance(request.instanceId, 'rebuild');
  }

  async sendInstanceRequest(request: InstanceRequest): Promise<InstanceResponse> {
    this.assertOpen();
    const instance = this.controllers.map((c) => c.instance(request.instanceId)).find((i) => i !== undefined);
    return sendInstanceRequest(instance, request);
  }

  async getTraffic(): Promise<TrafficView> {
    return this.loadBalancer.read();
  }

  async startTraffic(request: TrafficRequest): Promise<TrafficRunView> {
    this.assertOpen();
    return this.loadBalancer.startTraffic(request);
  }

  async stopTraffic(request: { runId: string }): Promise<TrafficRunView> {
    this.assertOpen();
    return this.loadBalancer.stopTraffic(request.runId);
  }

  async updateConfiguration(request: CommandRequest<'updateConfiguration'>): Promise<OperationRef> {
    this.assertOpen();
    return this.frontEnd.updateConfiguration(request.deploymentId, request.configuration, request.fileName, undefined, request.mode);
  }

  async upgradeDeployment(request: CommandRequest<'upgradeDeployment'>): Promise<OperationRef> {
    if (request.sample !== undefined) await this.samplesRead;
    this.assertOpen();
    return this.frontEnd.upgradeDeployment(request);
  }

  async walkUpgradeDomain(request: CommandRequest<'walkUpgradeDomain'>): Promise<OperationRef> {
    this.assertOpen();
    return this.frontEnd.walkUpgradeDomain(request.deploymentId, request.upgradeDomain);
  }

  async swapDeployment(request: CommandRequest<'swapDeployment'>): Promise<OperationRef> {
    this.assertOpen();
    return this.frontEnd.swapDeployment(request.serviceName);
  }

  async rollbackUpgrade(request: CommandRequest<'rollbackUpgrade'>): Promise<OperationRef> {
    this.assertOpen();
    return this.frontEnd.rollbackUpgrade(request.deploymentId, undefined, request.mode);
  }

  async platformUpdate(request: CommandRequest<'platformUpdate'>): Promise<OperationRef> {
    this.assertOpen();
    return this.frontEnd.platformUpdate(request.deploymentId);
  }

  async setPlatformUpdateSchedule(request: CommandRequest<'setPlatformUpdateSchedule'>): Promise<PlatformUpdateScheduleView> {
    this.assertOpen();
    return this.platformUpdates.set(request.everyHours);
  }

  async getManagementConnection(): Promise<ManagementConnection | null> {
    return this.managementConnection;
  }

  /** The shell that serves the Service Management API says where (src-main/management/management-face.ts). */
  setManagementConnection(connection: ManagementConnection | null): void {
    this.managementConnection = connection;
  }

  async setClock(request: { scale?: number; paused?: boolean; seed?: number }): Promise<ClockState> {
    this.assertOpen();
    const { seed, ...change } = request;
    if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed <= 2 ** 32 - 1)) {
      throw FabricErrors.badSeed(seed);
    }
    if (change.scale !== undefined || change.paused !== undefined) {
      try {
        this.clock.set(change);
      } catch (error) {
        throw FabricErrors.badClock((error as Error).message);
      }
      this.timers.clockChanged();
      for (const controller of this.controllers) controller.clockChanged();
      this.nodes?.clockChanged();
      // Paused means still: what the hosts said before they stopped is handled before the pause is answered, so a
      // paused export or snapshot has it (their rings are drained every few ms, not at once).
      if (change.paused === true) await Promise.all(this.controllers.map((c) => c.flushHosts(pauseFlushBoundMs)));
    }
    if (seed !== undefined) {
      // The main thread draws no jitter; each host worker re-seeds its own stream, and hosts powered on later start from it.
      this.seed = seed;
      for (const controller of this.controllers) controller.broadcast({ type: 'reseed', seed });
      // Written down so a session's export tells when its jitter was re-seeded, for a replay.
      this.logs.frontEnd.write('INFO', `Seed set to ${seed}: every host's jitter starts again from it.`);
    }
    const clock = this.clockState();
    this.events.publish({ type: 'clock', clock });
    return clock;
  }

  /** Start keeping a pace the machine holds (FabricOptions.keepPace), e.g. once a fleet is up; once per fabric. */
  keepPace(options: GovernorOptions = {}): void {
    if (this.governed) return;
    this.governed = true;
    const hostsBehindMs = () => Math.max(0, ...this.controllers.map((c) => c.hostsBehindMs()));
    const governor = new ClockGovernor(this.clock, (judgement) => this.paceChanged(judgement), options, hostsBehindMs);
    this.started.add(governor.start());
  }

  /** The governor changed the kept scale: every thread's timers follow, the UI is told, the front end's log says why. */
  private paceChanged(judgement: PaceJudgement): void {
    if (this.closed) return;
    this.timers.clockChanged();
    for (const controller of this.controllers) controller.clockChanged();
    this.nodes?.clockChanged();
    const clock = this.clockState();
    this.logs.frontEnd.write('INFO', `Time scale kept at ${clock.keptScale}x of ${clock.scale}x asked: the fabric's event loop lagged ${Math.round(judgement.lagP99Ms)} ms (p99 over the last second), its hosts' timers ${Math.round(judgement.hostsBehindMs)} ms at most.`);
    this.events.publish({ type: 'clock', clock });
  }

  async getTimings(): Promise<TimingsView> {
    return { phases: { ...this.timings }, defaults: { ...defaultTimings } };
  }

  async setTimings(request: { phases: Partial<PhaseTimings> }): Promise<TimingsView> {
    this.assertOpen();
    let checked: Partial<PhaseTimings>;
    try {
      checked = checkPhaseOverrides(request.phases as Record<string, number>, this.timings);
    } catch (error) {
      throw FabricErrors.badPhaseTimings((error as Error).message);
    }
    Object.assign(this.timings, checked);
    this.logs.frontEnd.write('INFO', `Phase timings changed for work that starts from now on: ${Object.entries(checked).map(([p, v]) => `${p}=${v}`).join(', ')}.`);
    for (const controller of this.controllers) controller.broadcast({ type: 'set-timings', timings: { ...this.timings } });
    return this.getTimings();
  }

  async repairHost(request: { hostId: string }): Promise<void> {
    this.assertOpen();
    const controller = this.controllers.find((c) => c.hasHost(request.hostId));
    if (!controller) throw FabricErrors.hostNotFound(request.hostId);
    controller.repairHost(request.hostId);
  }

  async injectFault(request: FaultRequest): Promise<void> {
    this.assertOpen();
    await this.frontEnd.injectFault(request);
  }

  async listLogs(request: LogListRequest): Promise<LogFileInfo[]> {
    // Instance logs stay on the machine that ran the VM: a host node's are listed by asking it.
    const nodes = this.nodes;
    if (nodes && 'instanceId' in request) {
      const slash = request.instanceId.indexOf('/');
      const remote = slash > 0 ? await nodes.listInstanceLogs(request.instanceId.slice(0, slash), request.instanceId.slice(slash + 1)) : [];
      const local = await this.localLogs(request).catch((error: unknown) => {
        if (remote.length > 0 && error instanceof FabricError && error.code === 'NotFound') return [];
        throw error;
      });
      return [...local, ...remote];
    }
    if (nodes && 'component' in request && request.component === 'host-agent') {
      const remote = await nodes.listHostLogs(request.hostId);
      if (remote) return remote;
    }
    return this.localLogs(request);
  }

  private localLogs(request: LogListRequest): Promise<LogFileInfo[]> {
    return this.logs.listLogs(request, {
      hasPool: (poolId) => this.controllers.some((c) => c.pool.id === poolId),
      hasHost: (hostId) => this.controllers.some((c) => c.hasHost(hostId)),
    });
  }

  readLog(request: LogPageRequest & { as: 'text' }): Promise<LogTextView>;
  readLog(request: LogPageRequest & { as?: 'lines' }): Promise<LogPageView>;
  readLog(request: LogPageRequest): Promise<LogPageView | LogTextView>;
  async readLog(request: LogPageRequest): Promise<LogPageView | LogTextView> {
    if (this.nodes && request.file.startsWith(nodeFilePrefix)) return this.nodes.readLog(request);
    return this.logs.readLog(request);
  }

  async readLogLevels(request: LogLevelsRequest): Promise<LogLevelsView> {
    return this.logs.readLogLevels(request);
  }

  async queryEvents(request: EventQuery): Promise<EventPage> {
    return this.logs.queryEvents(request);
  }

  /** `saveAs` is the Electron shell's business (it fills in `path` from a save dialog); here it is ignored. */
  async exportSession(request: ExportRequest): Promise<ExportInfo> {
    this.assertOpen();
    return this.exporter.export({ path: request.path });
  }

  async getExportStatus(): Promise<ExportStatus> {
    return this.exporter.status();
  }

  async setExportSchedule(request: { schedule: ExportSchedule | null }): Promise<ExportStatus> {
    this.assertOpen();
    return this.exporter.setSchedule(request.schedule);
  }

  /**
   * An error caught at a boundary outside the fabric's own components (a shell, the process's last-resort
   * handler): ERROR in FrontEnd.log and a fabric-error record, so it is on the dashboard and in events.jsonl.
   */
  reportError(source: string, message: string): void {
    if (this.closed) return;
    this.logs.frontEnd.write('ERROR', `${source}: ${message}`);
    this.events.record({ kind: 'fabric-error', at: this.clock.now(), source, message });
  }

  /** What an export's manifest.json says about the session. */
  private manifest(): Record<string, unknown> {
    const clock = this.clock.read();
    return {
      fabricLab: { version: fabricLabVersion() },
      seed: this.seed,
      timeScale: clock.scale,
      keptTimeScale: clock.keptScale,
      paused: clock.paused,
      startedAt: this.startedAt.emulated,
      startedAtWall: this.startedAt.wall,
      deployments: this.frontEnd.deploymentViews(),
      pools: this.controllers.map((c) => ({ ...c.pool })),
      events: 'fabric/events.jsonl',
      layout: 'instances/<deploymentId>/<instanceName>/<drive>/... mirrors each VM; fabric/ holds the front end, controllers and host agents',
    };
  }

  onEvents(listener: (batch: FabricEventBatch) => void): () => void {
    return this.events.subscribe(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.started.dispose();
  }

  /**
   * For a close that did not finish within its bound (fabric-thread/fabric-worker.ts): this process's host workers
   * ended all at once, as a power cut would; how many were running.
   */
  async powerOffHosts(): Promise<number> {
    const counts = await Promise.all(this.controllers.map((c) => c.powerOffHosts()));
    return counts.reduce((a, b) => a + b, 0);
  }

  private clockState(): ClockState {
    return { ...this.clock.read(), seed: this.seed };
  }

  private assertOpen(): void {
    if (this.closed) throw FabricErrors.fabricShutDown();
  }
}

/** Waits for every step, so none is still running when a failed start closes the fabric; throws the first failure. */
async function settledAll(steps: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(steps)).find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}
