// The contract between the fabric and everything that shows or drives it: Electron IPC, the WebSocket
// bridge, the CLI and the tests all speak FabricApi and nothing else.
// Request types are inferred from the schemas that check them (api-schema.ts); what happened in a session is
// in session-records.ts. Both are re-exported here, so FabricApi's users import from one place.
import type { CommandRequest, DeployRequest, FaultRequest, InstanceRequest, TrafficRequest } from './api-schema';
import type { ChartSample } from './chart-history';
import type { InstanceStatus, PowerState } from './instance-status';
import type { PhaseTimings } from './timings';
import type { RoleModel, ValidationDiagnostic, VmSize } from './service-model';
import { logCommandNames, type LogCommands } from './log-api';
import type { FabricRecord, OperationKind, OperationStatus } from './session-records';
import type { FabricErrorCode } from './fabric-errors';

export type { CommandRequest, DeployRequest, FaultRequest, InstanceRequest, TrafficRequest } from './api-schema';
export { trafficBounds } from './traffic-bounds';
export type { FabricErrorRecord, FabricRecord, FaultRecord, OperationKind, OperationStatus, StatusChangeRecord } from './session-records';

export type Slot = 'production' | 'staging';
export type DeploymentStatus =
  | 'Running'
  | 'Suspended'
  | 'RunningTransitioning'
  | 'SuspendedTransitioning'
  | 'Starting'
  | 'Suspending'
  | 'Deploying'
  | 'Deleting';
export type HostHealth = 'Booting' | 'Healthy' | 'Unhealthy' | 'Off';

export interface ClockState {
  /** Emulated time, ms since the Unix epoch. */
  now: number;
  /** The time scale asked for (setClock). */
  scale: number;
  /**
   * The scale emulated time runs at: `scale`, or less while the machine cannot keep it (the fabric lowers
   * it so its host workers do not starve its main thread and the UI; raised again as the load allows).
   */
  keptScale: number;
  paused: boolean;
  /** Seed of the jitter generators (one stream per host, derived from it); settable with setClock. */
  seed: number;
}

/** The session's phase durations (emulated ms; see common/timings.ts) beside their defaults. */
export interface TimingsView {
  phases: PhaseTimings;
  defaults: PhaseTimings;
}

export interface PoolView {
  id: string;
  name: string;
  region: string;
  hostIds: string[];
}

export interface HostView {
  id: string;
  poolId: string;
  name: string;
  cores: number;
  usedCores: number;
  faultDomain: number;
  health: HostHealth;
  /** Why the host is in its health state, when that is not obvious (e.g. what made it Unhealthy). */
  healthDetails: string;
  /** Emulated time of the host agent's last heartbeat to its fabric controller. */
  lastHeartbeat: number | null;
  /** Bytes of V8 heap the host agent's worker thread had in use at its last report (about once a real second); absent before it reports. */
  agentHeapUsed?: number;
  /** The host node (another process or machine, joined through NATS) whose worker thread runs this host; absent: the fabric's own process. */
  node?: string;
}

/** A deployed role as its definition and configuration describe it (the package's folder left out). */
export type RoleView = Omit<RoleModel, 'directory'>;

export interface DeploymentView {
  /** Deployment id as the emulator names it: deployment<N>(<M>). */
  id: string;
  serviceName: string;
  slot: Slot;
  status: DeploymentStatus;
  poolId: string;
  roles: RoleView[];
  createdAt: number;
  /** The deployment's virtual IP on loopback (production and staging differ); null until the load balancer has one. */
  vip: string | null;
  /** Each role's input endpoints as the load balancer serves them on the VIP (the API's InputEndpointList). */
  inputEndpoints: DeploymentInputEndpointView[];
  /** The deployment acts as the old local emulator did (emulated="true" on its instances); false: the cloud, the default. */
  emulated: boolean;
  /** The configuration's osFamily as written ('*' = latest); absent when the .cscfg does not say. It picks the guests' IIS version. */
  osFamily?: string;
  /** The in-place upgrade under way, as the Service Management API's UpgradeStatus; absent or null when none is. */
  upgradeStatus?: UpgradeStatusView | null;
}

/** How an in-place upgrade walks the upgrade domains (the Service Management API's Mode). */
export type UpgradeMode = 'Auto' | 'Manual' | 'Simultaneous';

/** An in-place upgrade under way: UpgradeType, CurrentUpgradeDomainState and CurrentUpgradeDomain as Azure names them. */
export interface UpgradeStatusView {
  upgradeType: UpgradeMode;
  /** Before: the current domain waits to be walked (Manual waits for the user); During: its instances are being upgraded. */
  currentUpgradeDomainState: 'Before' | 'During';
  currentUpgradeDomain: number;
  /** The upgrade domains the walk covers (those holding instances: at most the .csdef's upgradeDomainCount). */
  upgradeDomainCount: number;
  /** Domains already walked, in order (a progress bar: walked / upgradeDomainCount). */
  walked: number[];
  /** The walk changes the configuration, not the package (Change Deployment Configuration by upgrade domain). */
  configuration?: boolean;
  /** A rollback's walk back: the domains the upgrade or change had walked return to what ran before. */
  rollingBack?: boolean;
}

/** One input endpoint on the deployment's VIP: Vip and Port as the Service Management API names them. */
export interface DeploymentInputEndpointView {
  roleName: string;
  name: string;
  protocol: 'http' | 'https' | 'tcp' | 'udp';
  vip: string;
  /** The port the VIP really listens on; null until it does, or when it cannot (see `note`). */
  port: number | null;
  /** The csdef's port: a taken or privileged one walks up (80 -> 81 -> ...). */
  requestedPort: number;
  /** Why `port` differs from `requestedPort`, or why nothing listens; "" when there is nothing to say. */
  note: string;
  /** https: which certificate the instances present (a self-signed stand-in for the one the package names); else null. */
  tls: string | null;
  /** An InstanceInputEndpoint's port: straight to this one instance (<Role>_IN_<n>), not load-balanced; else null. */
  instanceName: string | null;
}

/** The name the load balancer's counters (EndpointTrafficView.endpointName) give a VIP endpoint: `<name>@<instance>` for an InstanceInputEndpoint's port. */
export function vipEndpointKey(e: { name: string; instanceName: string | null }): string {
  return e.instanceName ? `${e.name}@${e.instanceName}` : e.name;
}

export interface InstanceView {
  /** Unique in the fabric: <deploymentId>/<InstanceName>. */
  id: string;
  /** <Role>_IN_<n>, as the Service Management API names it. */
  name: string;
  deploymentId: string;
  roleName: string;
  hostId: string;
  status: InstanceStatus;
  stateDetails: string;
  powerState: PowerState;
  upgradeDomain: number;
  faultDomain: number;
  vmSize: VmSize;
  /** The instance's DIP (its own 127.x loopback address; 127.0.0.1 where the OS has no other), null before its VM first boots. */
  ipAddress: string | null;
  /** Emulated time the instance entered its current status. */
  statusSince: number;
  /** Emulated time of the guest agent's last heartbeat, as the host agent saw it. */
  lastGuestHeartbeat: number | null;
  /** Heartbeats the host agent has received from this guest since it booted. */
  guestHeartbeats: number;
  /** Whether the load balancer sends new connections to this instance (see inRotation in fabric/). */
  inRotation: boolean;
  /** The input endpoints (by name) whose load-balancer rotation holds this instance; ignoreRoleInstanceStatus makes them differ. */
  rotation: string[];
  /** Times the role was restarted (host process exit, failed start, guest reboot, service healing). */
  restarts: number;
  /** Faults injected into this instance that are still in force. */
  faults: InstanceFaultKind[];
  /** The role's input endpoints on this instance (the Service Management API's InstanceEndpoints). */
  endpoints: InstanceEndpointView[];
}

/** One input endpoint as an instance holds it: what the load balancer forwards the endpoint's port to. */
export interface InstanceEndpointView {
  name: string;
  protocol: 'http' | 'https' | 'tcp' | 'udp';
  /** The endpoint's public port on the service (the csdef's port). */
  publicPort: number;
  /** `<DIP>:<port>` the instance listens on while its VM is up (the csdef's localPort, walked up when taken or
   *  privileged); null when nothing listens (VM off, or a protocol Fabric Lab does not serve: udp). */
  address: string | null;
  /** The process serving requests now (w3wp starts on the first request to a full IIS site); null when none is. */
  servedBy: { process: 'WaWebHost' | 'w3wp'; pid: number; since: number } | null;
}

export interface InstanceResponse {
  url: string;
  status: number;
  headers: Record<string, string>;
  /** The first 64 KiB of the body, as text. */
  body: string;
  bodyTruncated: boolean;
  /** Real milliseconds from sending the request to the end of the response. */
  timeTakenMs: number;
}

export interface OperationView {
  requestId: string;
  kind: OperationKind;
  target: string;
  status: OperationStatus;
  error: string | null;
  /** The code of the refusal that failed it, where the fabric refused it (the Service Management API's error code). */
  errorCode?: FabricErrorCode;
  startedAt: number;
  endedAt: number | null;
  /** 0..1 while an operation that can tell (an export) runs. */
  progress?: number;
  /** What was asked, beyond the kind and target: "to Suspended", "WorkerRole1 to 5 instance(s)". */
  detail?: string;
}

/** The kinds of fault that stay on an instance until cleared (injectFault's FaultRequest has every kind). */
export type InstanceFaultKind = 'crash-role' | 'fail-startup-task' | 'hang-guest';
export type HostFaultKind = 'kill-host' | 'disconnect-host' | 'hang-host';

export interface SampleInfo {
  id: string;
  title: string;
  summary: string;
  /** The sample's README (Markdown): what it shows and what to watch for. */
  readme: string;
  /** False for the teaching sample with validation errors (and any sample that breaks). */
  valid: boolean;
  /** A teaching sample fails on purpose (its README title says "(teaching sample)"); listed after the others. */
  teaching: boolean;
}

/** A package read and checked, ready to deploy when `valid`. */
export interface PackageView {
  packageId: string;
  source: 'sample' | 'upload' | 'disk';
  /** The service name when the definition could be read. */
  name: string;
  valid: boolean;
  /** Every error and warning of every file, with file, line, column and rule. */
  diagnostics: ValidationDiagnostic[];
  roles: RoleView[];
}

export interface FabricSnapshot {
  /** Number of event batches published before this snapshot; batches with seq <= this are already in it. */
  seq: number;
  clock: ClockState;
  pools: PoolView[];
  hosts: HostView[];
  deployments: DeploymentView[];
  instances: InstanceView[];
  operations: OperationView[];
  /** The charts' samples so far (bounded), oldest first, the last one taken with the snapshot. */
  history: ChartSample[];
  /** The subscription's core quota; the deployments' roles (instances x VM size) say how much is used. */
  coreQuota: number;
  /** Scheduled planned maintenance (setPlatformUpdateSchedule). */
  platformUpdates: PlatformUpdateScheduleView;
}

/** Scheduled platform updates: how often (emulated hours; null: only when asked) and when the next round is due. */
export interface PlatformUpdateScheduleView {
  everyHours: number | null;
  /** Emulated time of the next round, or null. */
  nextAt: number | null;
}

export type FabricEvent =
  | { type: 'clock'; clock: ClockState }
  | { type: 'host'; host: HostView }
  /** A pool's hosts changed: a host node brought its hosts into it. */
  | { type: 'pool'; pool: PoolView }
  | { type: 'deployment'; deployment: DeploymentView }
  | { type: 'deployment-removed'; id: string }
  | { type: 'instance'; instance: InstanceView }
  | { type: 'instance-removed'; id: string }
  /** Only the instance's guest heartbeat changed (most updates in a steady fleet): its time and count, not its whole view. */
  | { type: 'guest-heartbeat'; instanceId: string; lastGuestHeartbeat: number; guestHeartbeats: number }
  | { type: 'operation'; operation: OperationView }
  /** The load balancer's counters and traffic runs (at most one per push; coalesced like an entity). */
  | { type: 'traffic'; traffic: TrafficView };

/** What went through one instance on one endpoint, since the endpoint opened. */
export interface TrafficCounters {
  /** Connections forwarded to the instance (or accepted on the VIP, for an endpoint's totals). */
  connections: number;
  activeConnections: number;
  /** HTTP requests seen (http endpoints only; tcp endpoints count connections and bytes). */
  requests: number;
  /** Bytes from clients to the instance, and back. */
  bytesIn: number;
  bytesOut: number;
  /** Failed connects to the instance, connections it cut mid-request, and 5xx answers. */
  errors: number;
  /** From a request's head to its response's head, in real ms; null before any. */
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
}

export interface InstanceTrafficView {
  instanceId: string;
  instanceName: string;
  /** The DIP:port the load balancer forwards to; null while the instance does not listen. */
  address: string | null;
  /** Whether this endpoint's rotation (probe) holds the instance, as the load balancer last applied it. */
  inRotation: boolean;
  /** The probe that decides rotation and its last result. */
  probe: { kind: 'guest-agent' | 'http' | 'tcp'; name: string; lastResult: string; at: number | null };
  counters: TrafficCounters;
}

export interface EndpointTrafficView {
  deploymentId: string;
  roleName: string;
  endpointName: string;
  protocol: 'http' | 'https' | 'tcp' | 'udp';
  vip: string;
  port: number | null;
  /** Everything accepted on VIP:port. totals.connections = the instances' connections + refused. */
  totals: TrafficCounters;
  /** Connections the load balancer accepted and reset: no instance in rotation, limits, instances that would not connect. */
  refused: number;
  refusedBy: { noInstance: number; connectionLimit: number; instanceUnreachable: number };
  /** Connections closed by idleTimeoutInMinutes, and bytes that were not HTTP on an http endpoint (passed on, counted). */
  idleClosed: number;
  malformed: number;
  instances: InstanceTrafficView[];
}

export type TrafficRunStatus = 'Running' | 'Completed' | 'Cancelled' | 'Failed';

export interface TrafficRunView {
  id: string;
  deploymentId: string;
  endpointName: string;
  url: string;
  rate: number;
  concurrency: number;
  durationSeconds: number;
  keepAlive: boolean;
  status: TrafficRunStatus;
  /** Real ms since the Unix epoch. */
  startedAt: number;
  endedAt: number | null;
  /** 0..1 of the duration. */
  progress: number;
  /** sent = served + refused + failed once every answer is in; inFlight until then. */
  sent: number;
  /** An HTTP answer came back (any status; statuses counts them). */
  served: number;
  /** The connection was refused or reset before any answer (no instance in rotation, limits). */
  refused: number;
  /** Timed out, cut mid-answer, or another socket error. */
  failed: number;
  inFlight: number;
  /** Requests not sent because `concurrency` were already in flight. */
  heldBack: number;
  statuses: Record<string, number>;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  /** Bounds the run hit, in words ("the concurrency bound (4) held back 12 requests"); [] when none. */
  bounds: string[];
  error: string | null;
}

export interface TrafficView {
  /** Real ms since the Unix epoch when the counters were read. */
  at: number;
  endpoints: EndpointTrafficView[];
  runs: TrafficRunView[];
}

/**
 * Changes over at most ~100 ms. `events` are coalesced: each entity appears once, in its latest state.
 * `records` are every status change in the order it happened.
 */
export interface FabricEventBatch {
  seq: number;
  events: FabricEvent[];
  records: FabricRecord[];
}

export interface OperationRef {
  requestId: string;
  /** The deployment the operation acts on. */
  deploymentId: string;
}

/** How tools reach this fabric's Service Management API (the "Connect tools" panel); null when it is not served. */
export interface ManagementConnection {
  /** https://127.0.0.1:<port>: the ServiceManagementUrl. */
  url: string;
  /** Where the publish settings, ca.pem and token are written. */
  folder: string;
  /** The CA that signed the API's certificate: what tools must trust. */
  caPem: string;
  subscriptions: {
    id: string;
    name: string;
    /** A bearer token of this subscription. */
    token: string;
    publishSettingsFileName: string;
    /** The .publishsettings file's text (it holds the management certificate and its key). */
    publishSettings: string;
  }[];
}

/** Commands and queries; each takes at most one argument and answers asynchronously (log commands: log-api.ts). */
export interface FabricCommands extends LogCommands {
  getSnapshot(): Promise<FabricSnapshot>;
  listSamples(): Promise<SampleInfo[]>;
  /** The validation report of a sample, before deploying it. */
  getSamplePackage(request: CommandRequest<'getSamplePackage'>): Promise<PackageView>;
  /** Upload a package (files base64-encoded, paths relative to what the user chose) and read it. */
  openPackage(request: CommandRequest<'openPackage'>): Promise<PackageView>;
  deploy(request: DeployRequest): Promise<OperationRef>;
  deleteDeployment(request: CommandRequest<'deleteDeployment'>): Promise<OperationRef>;
  /** Change the time scale, pause or resume, or re-seed the jitter (in every host worker) for a replayable session. */
  setClock(request: CommandRequest<'setClock'>): Promise<ClockState>;
  getTimings(): Promise<TimingsView>;
  /** Override phase durations for work that starts from now on, in the controllers and every host worker. */
  setTimings(request: CommandRequest<'setTimings'>): Promise<TimingsView>;
  /** Restart an Unhealthy host: a fresh host OS (worker) and host agent; it rejoins the pool once Healthy. */
  repairHost(request: CommandRequest<'repairHost'>): Promise<void>;
  injectFault(request: FaultRequest): Promise<void>;
  /** Suspend (stop every instance, keeping their VMs and cores) or run a suspended deployment again. */
  updateDeploymentStatus(request: CommandRequest<'updateDeploymentStatus'>): Promise<OperationRef>;
  /** Scale a role out or in. */
  changeInstanceCount(request: CommandRequest<'changeInstanceCount'>): Promise<OperationRef>;
  /** Restart an instance's guest OS. */
  rebootInstance(request: CommandRequest<'rebootInstance'>): Promise<OperationRef>;
  /** Re-create an instance's VM from a fresh OS image (its D: and E: wiped; C:, with local storage, kept). */
  reimageInstance(request: CommandRequest<'reimageInstance'>): Promise<OperationRef>;
  /** A reimage that also empties the instance's local storage (Rebuild Role Instance). */
  rebuildInstance(request: CommandRequest<'rebuildInstance'>): Promise<OperationRef>;
  /**
   * Change Deployment Configuration: `configuration` is the new .cscfg's text (`fileName` names it in errors).
   * Refused with every validation error's file, line and rule; otherwise each instance takes the new values
   * (role code sees Changing, then Changed) and roles whose instance count changed are scaled.
   */
  updateConfiguration(request: CommandRequest<'updateConfiguration'>): Promise<OperationRef>;
  /**
   * Upgrade a running deployment in place with a new package (a sample, or one opened with openPackage), walking
   * its upgrade domains: Auto one after the other, Manual one per walkUpgradeDomain, Simultaneous all at once.
   * Refused when the package fails validation or its roles differ from the running ones.
   */
  upgradeDeployment(request: CommandRequest<'upgradeDeployment'>): Promise<OperationRef>;
  /** Walk the next upgrade domain of a Manual upgrade (its number must be the current one). */
  walkUpgradeDomain(request: CommandRequest<'walkUpgradeDomain'>): Promise<OperationRef>;
  /**
   * VIP swap: the service's production and staging deployments trade slots and VIPs (a lone deployment moves to
   * the other slot). Refused when their input endpoints differ or either is busy with another operation.
   */
  swapDeployment(request: CommandRequest<'swapDeployment'>): Promise<OperationRef>;
  /** Roll back the in-place upgrade in progress: the domains it walked return to the package before (Auto). */
  rollbackUpgrade(request: CommandRequest<'rollbackUpgrade'>): Promise<OperationRef>;
  /** Planned maintenance: the host OS under the deployment is updated one upgrade domain at a time (a PlatformUpdate operation). */
  platformUpdate(request: CommandRequest<'platformUpdate'>): Promise<OperationRef>;
  /** Planned maintenance by itself: a platform update of every Running deployment each `everyHours` emulated hours (null: off). */
  setPlatformUpdateSchedule(request: CommandRequest<'setPlatformUpdateSchedule'>): Promise<PlatformUpdateScheduleView>;
  /** A real HTTP request from the fabric to an instance's own endpoint listener (fabric/instance-request.ts). */
  sendInstanceRequest(request: InstanceRequest): Promise<InstanceResponse>;
  /** The load balancer's counters per endpoint and instance, and the traffic runs, read now. */
  getTraffic(): Promise<TrafficView>;
  /** Start a bounded traffic run through a deployment's VIP; follow it in getTraffic / 'traffic' events. */
  startTraffic(request: TrafficRequest): Promise<TrafficRunView>;
  /** Cancel a running traffic run; answers it as it ended. */
  stopTraffic(request: { runId: string }): Promise<TrafficRunView>;
  /** Where the Service Management API listens and the files to connect tools to it; null when it is not served. */
  getManagementConnection(): Promise<ManagementConnection | null>;
}

export type Disposer = () => void;

export interface FabricApi extends FabricCommands {
  /** Event batches, pushed; the returned function unsubscribes. */
  onEvents(listener: (batch: FabricEventBatch) => void): Disposer;
}

export type FabricCommandName = keyof FabricCommands;

/** Every command name, for the transports that forward them one by one. */
export const fabricCommandNames = [
  'getSnapshot',
  'listSamples',
  'getSamplePackage',
  'openPackage',
  'deploy',
  'deleteDeployment',
  'setClock',
  'getTimings',
  'setTimings',
  'repairHost',
  'injectFault',
  'updateDeploymentStatus',
  'changeInstanceCount',
  'rebootInstance',
  'reimageInstance',
  'rebuildInstance',
  'updateConfiguration',
  'upgradeDeployment',
  'walkUpgradeDomain',
  'swapDeployment',
  'rollbackUpgrade',
  'platformUpdate',
  'setPlatformUpdateSchedule',
  'sendInstanceRequest',
  'getTraffic',
  'startTraffic',
  'stopTraffic',
  'getManagementConnection',
  ...logCommandNames,
] as const satisfies readonly FabricCommandName[];

// Errors: one factory (fabric-errors.ts); re-exported here, where the shells and the renderer have always found them.
export { FabricError, toErrorInfo, type FabricErrorCode, type FabricErrorInfo } from './fabric-errors';

/** Every command as a function over one transport's call (IPC, WebSocket, the fabric's thread): at most its one argument is forwarded. */
export function commandsOver(invoke: (method: FabricCommandName, args: unknown) => Promise<unknown>): FabricCommands {
  return Object.fromEntries(fabricCommandNames.map((method) => [method, (args?: unknown) => invoke(method, args)])) as unknown as FabricCommands;
}

// Compile-time check that fabricCommandNames lists every command.
type MissingCommand = Exclude<FabricCommandName, (typeof fabricCommandNames)[number]>;
export const allCommandsListed: MissingCommand extends never ? true : never = true;
