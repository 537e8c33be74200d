// The service model the fabric deploys: what a .csdef + .cscfg pair says once read and checked.
// The package reader (src-main/package/) produces it; the built-in samples are written in it directly.
// Plain data only (no classes, no Maps): it is cloned to host worker threads and sent to the UI.

export type RoleType = 'WorkerRole' | 'WebRole';
/** How cspack names the role kind in RoleModel.xml; it picks the host process (WaIISHost, WaWebHost, WaWorkerHost). */
export type WaRoleType = 'IISWebRole' | 'HWCWebRole' | 'WorkerRole';
export type StartupTaskType = 'simple' | 'background' | 'foreground';
export type ExecutionContext = 'limited' | 'elevated';

/** One environment variable: a literal `value`, or a `roleInstanceValue` xpath resolved on the instance
 *  (e.g. /RoleEnvironment/Deployment/@emulated). Exactly one of the two is set. */
export interface EnvironmentVariable {
  name: string;
  value?: string;
  roleInstanceValue?: string;
}

export interface StartupTask {
  commandLine: string;
  taskType: StartupTaskType;
  executionContext: ExecutionContext;
  /** Folder the command runs in, relative to the role root, as RoleModel.xml writes it: `approot` (worker,
   *  HWC), `approot\bin` (IIS web role) or `plugins\<Module>` for an Import's task. Absent: approot. */
  relativePath?: string;
  /** The task's Environment; plugin tasks also get RdModuleName and WaRoleType, as cspack adds them. */
  environment?: EnvironmentVariable[];
  /** The Import module that contributed this task (RdModuleName); absent for the user's own tasks. */
  module?: string;
}

export type InputEndpointProtocol = 'http' | 'https' | 'tcp' | 'udp';
export type InternalEndpointProtocol = 'http' | 'tcp' | 'udp' | 'any';
export interface PortRange {
  min: number;
  max: number;
}

/** A load-balanced endpoint: `port` on the service's VIP, `localPort` on each instance ('*' = any free port). */
export interface InputEndpoint {
  name: string;
  protocol: InputEndpointProtocol;
  port: number;
  localPort: number | '*';
  /** Certificate name (declared by the role) for https. */
  certificate?: string;
  ignoreRoleInstanceStatus: boolean;
  /** Name of a service-level LoadBalancerProbe; absent = the default guest-agent probe. */
  loadBalancerProbe?: string;
  /** Minutes an idle connection is kept (4-30); absent: 4. */
  idleTimeoutInMinutes?: number;
  /** How the load balancer picks an instance for a new connection; absent: a hash of the 5-tuple. */
  loadBalancerDistribution?: 'sourceIP' | 'sourceIPProtocol';
  /** The Import module that added it (e.g. RemoteForwarder's RdpInput). */
  module?: string;
}

/** Instance-to-instance endpoint. No port and no range means a dynamic port chosen per instance. */
export interface InternalEndpoint {
  name: string;
  protocol: InternalEndpointProtocol;
  port?: number;
  portRange?: PortRange;
  module?: string;
}

/** One public port per instance (from `publicPortRange`) forwarded to `localPort` on that instance. */
export interface InstanceInputEndpoint {
  name: string;
  protocol: 'tcp' | 'udp';
  localPort: number;
  publicPortRange: PortRange;
}

export interface RoleEndpoints {
  input: InputEndpoint[];
  internal: InternalEndpoint[];
  instanceInput: InstanceInputEndpoint[];
}

/** A configuration setting: declared by the csdef (or an Import), valued by the cscfg. */
export interface ConfigurationSetting {
  name: string;
  value: string;
  module?: string;
}

export interface LocalResource {
  name: string;
  sizeInMB: number;
  cleanOnRoleRecycle: boolean;
}

export interface RoleCertificate {
  name: string;
  storeLocation: 'LocalMachine' | 'CurrentUser';
  storeName: string;
  permissionLevel: 'limitedOrElevated' | 'elevated';
  /** From the cscfg: 40 hex digits (upper case). */
  thumbprint: string;
  thumbprintAlgorithm: string;
  module?: string;
}

export type RoleEntryPoint =
  | { kind: 'NetFxEntryPoint'; assemblyName: string; targetFrameworkVersion?: string }
  | { kind: 'ProgramEntryPoint'; commandLine: string; setReadyOnProcessStart: boolean };

export interface RoleRuntime {
  executionContext: ExecutionContext;
  environment: EnvironmentVariable[];
  /** Absent: the host process looks for a RoleEntryPoint in approot (or runs the built-in default code). */
  entryPoint?: RoleEntryPoint;
}

export interface SiteBinding {
  name: string;
  endpointName: string;
  hostHeader?: string;
}

export interface SiteFolder {
  name: string;
  physicalDirectory?: string;
}

/** A full-IIS site; IISConfigurator puts site number <index> at sitesroot\<index>. */
export interface Site {
  name: string;
  /** As written in the csdef: often an absolute path on the build machine, so not used when the package has content. */
  physicalDirectory?: string;
  /** The site's content in the package (roles/<Role>/sitesroot/<index>) when it has one. */
  directory?: string;
  bindings: SiteBinding[];
  virtualApplications: SiteFolder[];
  virtualDirectories: SiteFolder[];
}

export interface RoleModel {
  name: string;
  type: RoleType;
  vmSize: VmSize;
  instanceCount: number;
  /** Plugin tasks (by Import priority) first, then the user's tasks in csdef order: the order WaHostBootstrapper runs them. */
  startupTasks: StartupTask[];
  waRoleType: WaRoleType;
  enableNativeCodeExecution: boolean;
  endpoints: RoleEndpoints;
  settings: ConfigurationSetting[];
  localResources: LocalResource[];
  certificates: RoleCertificate[];
  /** Import module names in csdef order (Diagnostics, RemoteAccess, RemoteForwarder, ...). */
  imports: string[];
  runtime: RoleRuntime;
  /** Empty for worker roles and HWC web roles. */
  sites: Site[];
  /** Absolute path of the role's approot in an unpacked package; absent for a bare csdef (built-in default code). */
  directory?: string;
  /** Absolute path of the role's JavaScript entry point module in approot, when the package has one (see docs/ROLE-CODE.md). */
  entryModule?: string;
}

export interface LoadBalancerProbe {
  name: string;
  protocol: 'http' | 'tcp';
  /** Only for http probes. */
  path?: string;
  /** Absent: the port of the endpoint that uses the probe. */
  port?: number;
  intervalInSeconds: number;
  timeoutInSeconds: number;
}

/** NetworkTrafficRules/OnlyAllowTrafficTo: only the listed roles may reach these internal endpoints. */
export interface NetworkTrafficRule {
  destinations: { roleName: string; endpointName: string }[];
  /** AllowAllTraffic instead of WhenSource. */
  allowAllTraffic: boolean;
  fromRoles: string[];
}

export interface ServiceModel {
  /** ServiceDefinition@name, which the configuration's serviceName must equal. */
  name: string;
  upgradeDomainCount: number;
  roles: RoleModel[];
  loadBalancerProbes: LoadBalancerProbe[];
  networkTrafficRules: NetworkTrafficRule[];
  /** From the cscfg, as written ('*' = latest); absent when the file does not say. */
  osFamily?: string;
  osVersion?: string;
}

/** One finding of the package reader. line/column are 1-based; 0 when the finding is about a whole file. */
export interface ValidationDiagnostic {
  severity: 'error' | 'warning';
  file: string;
  line: number;
  column: number;
  /** Short stable id, e.g. 'csdef.role-name'; docs/PACKAGES.md lists them all. */
  rule: string;
  message: string;
}

/** What reading a service gives: the model only when no diagnostic is an error (and a configuration was given). */
export interface ValidationResult {
  model?: ServiceModel;
  diagnostics: ValidationDiagnostic[];
}

/** Cores per VM size, as the fact sheet lists them (ExtraSmall shares a core but still takes one). */
export const vmSizeCores = {
  ExtraSmall: 1,
  Small: 1,
  Medium: 2,
  Large: 4,
  ExtraLarge: 8,
  A5: 2,
  A6: 4,
  A7: 8,
  A8: 8,
  A9: 16,
  A10: 8,
  A11: 16,
  Standard_A0: 1,
  Standard_A1: 1,
  Standard_A2: 2,
  Standard_A3: 4,
  Standard_A4: 8,
  Standard_D1: 1,
  Standard_D2: 2,
  Standard_D3: 4,
  Standard_D4: 8,
  Standard_D11: 2,
  Standard_D12: 4,
  Standard_D13: 8,
  Standard_D14: 16,
  Standard_D1_v2: 1,
  Standard_D2_v2: 2,
  Standard_D3_v2: 4,
  Standard_D4_v2: 8,
  Standard_D5_v2: 16,
  Standard_D11_v2: 2,
  Standard_D12_v2: 4,
  Standard_D13_v2: 8,
  Standard_D14_v2: 16,
} as const;
export type VmSize = keyof typeof vmSizeCores;

export function isVmSize(name: string): name is VmSize {
  return Object.hasOwn(vmSizeCores, name);
}
