// Messages between the fabric (main thread) and a host worker. The host worker is the host OS: its host
// agent receives these, and reports back with the messages below. Nothing else crosses.
import type { CodeCacheUse } from './host-os-script';
import type { InstanceEndpointView } from './fabric-api';
import type { InstanceFault } from './fault-kinds';
import type { InstanceStatus } from './instance-status';
import type { EnvironmentVariable, RoleType, StartupTask, VmSize } from './service-model';
import type { PhaseTimings } from './timings';

/** Everything a host agent needs to create and run one role instance (its goal state). */
export interface InstanceSpec {
  instanceId: string;
  instanceName: string;
  deploymentId: string;
  roleName: string;
  roleType: RoleType;
  vmSize: VmSize;
  upgradeDomain: number;
  faultDomain: number;
  startupTasks: StartupTask[];
  /** The role's approot in the unpacked package, when it has one (a bare .csdef has none). */
  roleDirectory?: string;
  /** The role's JavaScript entry point: run in a real host process. Absent: the built-in default code, emulated. */
  roleEntryModule?: string;
  /** A worker role's Runtime/EntryPoint/ProgramEntryPoint: a command line WaWorkerHost runs instead of a RoleEntryPoint. */
  programEntryPoint?: { commandLine: string; setReadyOnProcessStart: boolean; environment: EnvironmentVariable[] };
  /** What RoleEnvironment tells role code about its role (the instance's own fields are added by the host). */
  roleEnvironment: {
    settings: Record<string, string>;
    localResources: Record<string, { maximumSizeInMegabytes: number; cleanOnRoleRecycle: boolean }>;
    /** Input and internal endpoints: the csdef's port until the host binds; then the instance's real DIP and port. */
    endpoints: Record<string, RoleEndpoint>;
    /** The role's certificates, as the .cscfg names them: installed in the VM's store (role code gets a stand-in). */
    certificates?: { name: string; thumbprint: string; storeName: string; storeLocation: string }[];
  };
  /** The deployment acts as the old local emulator did: Deployment/@emulated answers "true" (absent: false, the cloud). */
  emulated?: boolean;
  /** The configuration's osFamily (absent or '*': the latest): which IIS the guest runs (role-stack.ts iisVersionFor). */
  osFamily?: string;
  /** The configuration version the guest agent writes as C:\Config\<deploymentID>.<role>.<version>.xml (1 at deploy). */
  configurationVersion?: number;
  /** The role's input endpoints; web roles serve their http ones (host/instance-web-server.ts). */
  inputEndpoints?: { name: string; protocol: 'http' | 'https' | 'tcp' | 'udp'; port: number; localPort?: number | '*'; certificate?: { name: string; thumbprint: string } }[];
  /** InstanceInputEndpoints: this instance's own public port on the VIP (from the range, by instance number; null when the range has none left) to its localPort. */
  instanceInputEndpoints?: { name: string; protocol: 'tcp' | 'udp'; localPort: number; publicPort: number | null }[];
  /** Whether role code (an entry module or a ProgramEntryPoint) listens on the role's non-IIS endpoints itself. */
  roleCodeListens?: boolean;
  /** Full IIS web roles: one site per csdef Site, served from its sitesroot\<index> folder (absent: HWC or worker). */
  sites?: { name: string; directory?: string; endpointNames: string[] }[];
  /** RoleEnvironment.Roles as the fabric last sent it (the topology message); absent until it has. */
  topology?: RoleTopology[];
}

export type ToHost =
  /** `sessionDir`: the session folder the host writes its instances' logs under (a temporary one when absent). */
  | {
      type: 'init';
      hostId: string;
      clock: SharedArrayBuffer;
      seed: number;
      timings: PhaseTimings;
      sessionDir?: string;
      /** The host's DIP range: its guests get <dipPrefix>.1 ... .254; absent or null: every guest on 127.0.0.1 (ports walk). */
      dipPrefix?: string | null;
      /** A host node's one routable address: every guest listens there (ports walk), where the fabric's load balancer reaches it. */
      dipAddress?: string;
      /** Logs the host may hold open at once (its share of the process's file descriptors); absent: no bound. */
      maxOpenLogs?: number;
      /** Real ms of silence the controller also asks before it calls the host failed (its watch); absent: none. */
      silenceFloorMs?: number;
    }
  | { type: 'clock-changed' }
  /** Re-seed the host's jitter generator (each host derives its own stream from the fabric's seed and its id). */
  | { type: 'reseed'; seed: number }
  /** Phase durations for work that starts from now on; timers already running keep their due time. */
  | { type: 'set-timings'; timings: PhaseTimings }
  /** `requestId`: the front-end request this work is for, written in the host agent's log and echoed in status. */
  | { type: 'start-instance'; spec: InstanceSpec; requestId?: string }
  /** Stop the role, then: delete the VM, keep it stopped (suspend), restart its OS, or re-create it. */
  | { type: 'stop-instance'; instanceId: string; then: AfterStop; requestId?: string }
  /**
   * In-place upgrade of one instance: stop the role (Stopping, OnStop), replace its role files (E:) with the
   * new package's, as `spec` describes them, and start it again on the same VM; a VM that is not up takes
   * `spec` for its next start.
   */
  | { type: 'upgrade-instance'; spec: InstanceSpec; requestId?: string }
  /** Boot a VM that was kept stopped. */
  | { type: 'resume-instance'; instanceId: string; requestId?: string }
  | { type: 'fault'; instanceId: string; fault: InstanceFault }
  /** The host OS freezes: no timer fires and no message is handled until the worker is restarted. */
  | { type: 'hang-host' }
  /** Change Deployment Configuration: the role's new setting values, as configuration `version`. */
  | { type: 'update-configuration'; instanceId: string; settings: Record<string, string>; version: number; requestId?: string }
  /** The deployment's topology as RoleEnvironment shows it; `changedRoles`: the roles whose instances changed since the last. */
  | { type: 'topology'; instanceId: string; roles: RoleTopology[]; changedRoles: string[] }
  | { type: 'shutdown' }
  /** Answered with the same id after everything the host said before it (HostProxy.flush, a pause that holds). */
  | { type: 'flush'; id: number };

/** An endpoint as RoleEnvironment names it: its protocol, and where it listens (the instance's DIP and port). */
export interface RoleEndpoint {
  protocol: string;
  port: number;
  address?: string;
}

/**
 * One role in RoleEnvironment.Roles: its instances with their domains and endpoints at their DIPs. As in Azure,
 * only roles with an internal endpoint list their instances (role-topology.ts).
 */
export interface RoleTopology {
  name: string;
  instances: { id: string; updateDomain: number; faultDomain: number; endpoints: Record<string, RoleEndpoint & { address: string }> }[];
}

/** `upgrade`: restart with the spec of an upgrade-instance (its role files replaced). */
export type AfterStop = 'delete' | 'keep' | InstanceRestart | 'upgrade';

/** How a role instance is restarted: its guest OS (reboot), a fresh OS image (reimage), and its local storage emptied too (rebuild). */
export type InstanceRestart = 'reboot' | 'reimage' | 'rebuild';

/** A fault as the host agent applies it to one guest (defined with the fault kinds). */
export type { InstanceFault } from './fault-kinds';

export interface GuestHeartbeatReport {
  instanceId: string;
  /** Emulated time of the latest heartbeat the guest agent sent. */
  at: number;
  /** Heartbeats received from this guest since it booted. */
  count: number;
}

/** A host worker posts the messages of one turn together, as an array (host-os.ts); HostProxy unpacks them. */
export type FromHost =
  /** `codeCache`: how the host's V8 took the fabric's compiled host code (common/host-os-script.ts). */
  | { type: 'ready'; hostId: string; codeCache?: CodeCacheUse }
  /** `heapUsed`: the host agent thread's V8 heap in use (bytes), at most about once a real second (host-heartbeat.ts `beat`). */
  | { type: 'host-heartbeat'; at: number; guests: GuestHeartbeatReport[]; heapUsed?: number }
  | { type: 'instance-status'; instanceId: string; status: InstanceStatus; details: string; at: number; restarts: number; requestId?: string }
  /** The instance's endpoint listeners changed (bound at boot, closed when the VM stops) or their serving process did. */
  | { type: 'instance-endpoints'; instanceId: string; endpoints: InstanceEndpointView[]; ipAddress?: string | null; roleEndpoints?: Record<string, RoleEndpoint> }
  /** The guest took configuration `version`: live (Changed raised) or by recycling the role (Changing cancelled). */
  | { type: 'configuration-applied'; instanceId: string; version: number; recycled: boolean; requestId?: string }
  /** A process of a guest started or ended (host/child-processes.ts): the fabric ends those left when the host dies. */
  | { type: 'child-process'; pid: number; running: boolean }
  /** V8's cache of the host OS's script as this host ran its start, asked for by `leaveCache` (fabric/host-code-cache.ts). */
  | { type: 'code-cache'; data: Uint8Array }
  /** The answer to `flush`; the proxy takes it, the controller never sees it. */
  | { type: 'flush'; id: number }
  | { type: 'error'; message: string };

type HostHeartbeat = Extract<FromHost, { type: 'host-heartbeat' }>;

/**
 * One turn's messages with `heartbeat` added: of a turn's host heartbeats one goes, the latest, carrying what the
 * earlier ones reported and it does not (each guest at its latest: a guest is reported only now and then; the heap,
 * about once a second). The host worker folds its turn so (host-os.ts), and a node its report (host-node.ts).
 */
export function withHostHeartbeat(messages: FromHost[], heartbeat: HostHeartbeat): FromHost[] {
  const earlier = messages.filter((m): m is HostHeartbeat => m.type === 'host-heartbeat');
  if (earlier.length === 0) return [...messages, heartbeat];
  const guests = new Map(earlier.flatMap((m) => m.guests).map((g) => [g.instanceId, g]));
  for (const g of heartbeat.guests) guests.set(g.instanceId, g);
  const heapUsed = heartbeat.heapUsed ?? earlier.reduce<number | undefined>((heap, m) => m.heapUsed ?? heap, undefined);
  return [...messages.filter((m) => m.type !== 'host-heartbeat'), { ...heartbeat, guests: [...guests.values()], ...(heapUsed !== undefined ? { heapUsed } : {}) }];
}
