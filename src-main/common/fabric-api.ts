// The contract between the fabric and everything that shows or drives it: Electron IPC, the WebSocket
// bridge, the CLI and the tests all speak FabricApi and nothing else.
// Request types are inferred from the schemas that check them (api-schema.ts); what happened in a session is
// in session-records.ts. Both are re-exported here, so FabricApi's users import from one place.
import type { CommandRequest, DeployRequest, FaultRequest, InstanceRequest } from './api-schema';
import type { InstanceStatus, PowerState } from './instance-status';
import type { PhaseTimings } from './timings';
import type { RoleModel, ValidationDiagnostic, VmSize } from './service-model';
import { logCommandNames, type LogCommands } from './log-api';
import type { FabricRecord, OperationKind, OperationStatus } from './session-records';

export type { CommandRequest, DeployRequest, FaultRequest, InstanceRequest } from './api-schema';
export type { FabricRecord, FaultRecord, OperationKind, OperationStatus, StatusChangeRecord } from './session-records';

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
  scale: number;
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
  /** `127.0.0.1:<port>` the instance's web server listens on while its VM is up; null when nothing listens
   *  (VM off, or a protocol Fabric Lab does not serve yet: https, tcp, udp). */
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
  startedAt: number;
  endedAt: number | null;
  /** 0..1 while an operation that can tell (an export) runs. */
  progress?: number;
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
}

export type FabricEvent =
  | { type: 'clock'; clock: ClockState }
  | { type: 'host'; host: HostView }
  | { type: 'deployment'; deployment: DeploymentView }
  | { type: 'deployment-removed'; id: string }
  | { type: 'instance'; instance: InstanceView }
  | { type: 'instance-removed'; id: string }
  | { type: 'operation'; operation: OperationView };

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
  /** Re-create an instance's VM from a fresh OS image. */
  reimageInstance(request: CommandRequest<'reimageInstance'>): Promise<OperationRef>;
  /**
   * Change Deployment Configuration: `configuration` is the new .cscfg's text (`fileName` names it in errors).
   * Refused with every validation error's file, line and rule; otherwise each instance takes the new values
   * (role code sees Changing, then Changed) and roles whose instance count changed are scaled.
   */
  updateConfiguration(request: CommandRequest<'updateConfiguration'>): Promise<OperationRef>;
  /** A real HTTP request from the fabric to an instance's own endpoint listener (fabric/instance-request.ts). */
  sendInstanceRequest(request: InstanceRequest): Promise<InstanceResponse>;
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
  'updateConfiguration',
  'sendInstanceRequest',
  'getManagementConnection',
  ...logCommandNames,
] as const satisfies readonly FabricCommandName[];

// Errors: one factory (fabric-errors.ts); re-exported here, where the shells and the renderer have always found them.
export { FabricError, toErrorInfo, type FabricErrorCode, type FabricErrorInfo } from './fabric-errors';

// Compile-time check that fabricCommandNames lists every command.
type MissingCommand = Exclude<FabricCommandName, (typeof fabricCommandNames)[number]>;
export const allCommandsListed: MissingCommand extends never ? true : never = true;
