// What the csdef and cscfg readers hand to the cross-checks: the model's shapes plus where each item was
// written (`at`), so a rule broken between two files can still name a line. `at` is stripped from the model.
import type {
  ConfigurationSetting,
  EnvironmentVariable,
  InputEndpoint,
  InstanceInputEndpoint,
  InternalEndpoint,
  LoadBalancerProbe,
  LocalResource,
  NetworkTrafficRule,
  RoleCertificate,
  RoleEntryPoint,
  RoleType,
  Site,
  SiteBinding,
  StartupTask,
  VmSize,
} from '../common/service-model';
import type { At } from './reader-context';

export type Located<T> = T & { at: At };

export interface DefSetting {
  name: string;
  at: At;
  module?: string;
  /** Plugin settings whose name changed between SDK versions (Caching's Loglevel/DiagnosticLevel) may go unvalued. */
  optional?: boolean;
}

export type DefCertificate = Located<Omit<RoleCertificate, 'thumbprint' | 'thumbprintAlgorithm'>>;
export type DefInputEndpoint = Located<InputEndpoint> & { certificateAt?: At };
export type DefVariable = Located<EnvironmentVariable>;
export type DefTask = Located<Omit<StartupTask, 'environment'>> & { environment: DefVariable[] };
export type DefSite = Located<Omit<Site, 'bindings'>> & { bindings: Located<SiteBinding>[] };

export interface DefRole {
  name: string;
  at: At;
  type: RoleType;
  vmSize: VmSize;
  enableNativeCodeExecution: boolean;
  tasks: DefTask[];
  settings: DefSetting[];
  input: DefInputEndpoint[];
  internal: Located<InternalEndpoint>[];
  instanceInput: Located<InstanceInputEndpoint>[];
  certificates: DefCertificate[];
  localResources: Located<LocalResource>[];
  imports: Located<{ moduleName: string }>[];
  runtime: { executionContext: 'limited' | 'elevated'; environment: DefVariable[]; entryPoint?: RoleEntryPoint };
  sites: DefSite[];
  /** Whether the csdef itself had these parts: an expanded csdef (in a csx/cspkg) leaves them to RoleModel.xml. */
  has: { startup: boolean; runtime: boolean; sites: boolean };
}

export interface ServiceDefinitionDoc {
  file: string;
  name: string;
  at: At;
  upgradeDomainCount: number;
  roles: DefRole[];
  probes: Located<LoadBalancerProbe>[];
  trafficRules: Located<NetworkTrafficRule>[];
}

export interface CfgRole {
  name: string;
  at: At;
  instanceCount?: number;
  settings: Located<ConfigurationSetting>[];
  /** The <ConfigurationSettings> element (or the Role when it has none), where a missing value is reported. */
  settingsAt: At;
  certificates: Located<{ name: string; thumbprint: string; thumbprintAlgorithm: string }>[];
}

export interface ServiceConfigurationDoc {
  file: string;
  serviceName: string;
  serviceNameAt: At;
  at: At;
  osFamily?: string;
  osVersion?: string;
  roles: CfgRole[];
}
