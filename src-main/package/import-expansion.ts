// <Imports> expanded the way cspack expands them into RoleModel.xml: each module's startup tasks (from its
// .csplugin) get relativePath plugins\<Module> and the variables RdModuleName and WaRoleType, and run before
// the user's tasks, sorted by priority (ties in Import order); the module's settings, endpoints and
// certificates join the role under Microsoft.WindowsAzure.Plugins.<Module>.<Name>, which is why real cscfg
// files value settings such as Microsoft.WindowsAzure.Plugins.RemoteAccess.Enabled.
import type { EnvironmentVariable, InputEndpoint, InternalEndpoint, StartupTask, WaRoleType } from '../common/service-model';
import type { DefRole, DefTask } from './definition-types';
import type { FileReader } from './reader-context';

interface PluginTask {
  commandLine: string;
  taskType: StartupTask['taskType'];
  executionContext: StartupTask['executionContext'];
  environment?: EnvironmentVariable[];
}

interface Plugin {
  /** From the .csplugin's <Startup priority>; modules without one sort as 0. */
  priority: number;
  /** Setting/endpoint/certificate prefix; differs from the module name only for RemoteDebuggerConnector. */
  nameSpace?: string;
  tasks: PluginTask[];
  settings: { name: string; optional?: boolean }[];
  input?: Omit<InputEndpoint, 'module'>[];
  internal?: Omit<InternalEndpoint, 'module'>[];
  certificates?: string[];
}

const emulated: EnvironmentVariable = { name: 'IsEmulated', roleInstanceValue: '/RoleEnvironment/Deployment/@emulated' };
const limited = 'limited' as const;
const elevated = 'elevated' as const;

/** The modules of the Azure SDK (≤2.4 shapes; Diagnostics as the seed describes it: agent plus /blockStartup). */
export const plugins: Record<string, Plugin> = {
  Diagnostics: {
    priority: -2,
    tasks: [
      { commandLine: 'DiagnosticsAgent.exe', taskType: 'background', executionContext: limited },
      { commandLine: 'DiagnosticsAgent.exe /blockStartup', taskType: 'simple', executionContext: limited },
    ],
    settings: [{ name: 'ConnectionString' }],
  },
  Caching: {
    priority: -2,
    tasks: [
      {
        commandLine: 'DotNetUpdate.cmd',
        taskType: 'simple',
        executionContext: elevated,
        environment: [{ name: 'CachingLocalStorePath', roleInstanceValue: "/RoleEnvironment/CurrentInstance/LocalResources/LocalResource[@name='DiagnosticStore']/@path" }],
      },
      { commandLine: 'CacheInstaller.exe', taskType: 'simple', executionContext: elevated },
    ],
    // The log-level setting was Loglevel in SDK 1.7 and DiagnosticLevel from 1.8: either may be valued.
    settings: [{ name: 'NamedCaches' }, { name: 'DiagnosticLevel', optional: true }, { name: 'Loglevel', optional: true }, { name: 'CacheSizePercentage' }, { name: 'ConfigStoreConnectionString' }],
    internal: ['cacheArbitrationPort', 'cacheClusterPort', 'cacheReplicationPort', 'cacheServicePortInternal', 'cacheSocketPort'].map((name) => ({ name, protocol: 'tcp' as const })),
  },
  RemoteAccess: {
    priority: -1,
    tasks: [
      { commandLine: 'RemoteAccessAgent.exe', taskType: 'background', executionContext: elevated },
      { commandLine: 'RemoteAccessAgent.exe /blockStartup', taskType: 'simple', executionContext: elevated },
    ],
    settings: [{ name: 'Enabled' }, { name: 'AccountUsername' }, { name: 'AccountEncryptedPassword' }, { name: 'AccountExpiration' }],
    internal: [{ name: 'Rdp', protocol: 'tcp', port: 3389 }],
    certificates: ['PasswordEncryption'],
  },
  RemoteForwarder: {
    priority: -1,
    tasks: [{ commandLine: 'install.cmd', taskType: 'simple', executionContext: elevated, environment: [emulated] }],
    settings: [{ name: 'Enabled' }],
    input: [{ name: 'RdpInput', protocol: 'tcp', port: 3389, localPort: '*', ignoreRoleInstanceStatus: false }],
  },
  WebDeploy: {
    priority: 0,
    tasks: [{ commandLine: 'ConfigureIIS.cmd > WebDeployConfig.log', taskType: 'simple', executionContext: elevated }],
    settings: [],
    input: [{ name: 'InputEndpoint', protocol: 'tcp', port: 8172, localPort: 8172, ignoreRoleInstanceStatus: false }],
  },
  Profiling: {
    priority: 0,
    tasks: [
      { commandLine: 'WindowsAzureDiagnosticsStartup.exe Profiling Sampling', taskType: 'simple', executionContext: elevated },
      { commandLine: 'WindowsAzureDiagnosticsAgent.exe Profiling Sampling', taskType: 'foreground', executionContext: elevated },
    ],
    settings: [],
  },
  IntelliTrace: {
    priority: 0,
    tasks: [
      { commandLine: 'WindowsAzureDiagnosticsStartup.exe', taskType: 'simple', executionContext: elevated },
      { commandLine: 'WindowsAzureDiagnosticsAgent.exe', taskType: 'foreground', executionContext: elevated },
    ],
    settings: [],
  },
  RemoteDebuggerConnector: {
    priority: 0,
    nameSpace: 'Microsoft.WindowsAzure.Plugins.RemoteDebugger',
    tasks: [{ commandLine: 'Connector\\Microsoft.VisualStudio.WindowsAzure.RemoteDebugger.Connector.exe', taskType: 'background', executionContext: elevated }],
    settings: [{ name: 'Connector.Enabled' }, { name: 'Connector.Version' }, { name: 'ClientThumbprint' }, { name: 'ServerThumbprint' }],
  },
};

export function pluginNameSpace(module: string): string {
  return plugins[module]?.nameSpace ?? `Microsoft.WindowsAzure.Plugins.${module}`;
}

/** The storage every role gets (cspack adds it even without Diagnostics); WaHostBootstrapper.log lives there. */
export function diagnosticStoreSize(role: DefRole): number {
  return role.imports.some((i) => i.moduleName === 'Caching') ? 20000 : 4096;
}

/**
 * Adds the imports' tasks, settings, endpoints and certificates to the role (in place). `tasksExpanded`
 * is true when the tasks came from a RoleModel.xml that cspack already expanded.
 */
export function expandImports(role: DefRole, waRoleType: WaRoleType, reader: FileReader, tasksExpanded: boolean): void {
  const pluginTasks: { priority: number; order: number; task: DefTask }[] = [];
  role.imports.forEach((imp, order) => {
    const plugin = plugins[imp.moduleName];
    if (!plugin) {
      reader.error(imp.at, 'import-unknown', `Import "${imp.moduleName}" is not a module Fabric Lab knows (${Object.keys(plugins).join(', ')}); cspack would not find its plugin either.`);
      return;
    }
    const ns = pluginNameSpace(imp.moduleName);
    const module = imp.moduleName;
    for (const t of plugin.tasks) {
      const environment = [...(t.environment ?? []), { name: 'RdModuleName', value: module }, { name: 'WaRoleType', value: waRoleType }];
      pluginTasks.push({
        priority: plugin.priority,
        order,
        task: { ...t, relativePath: `plugins\\${module}`, module, environment: environment.map((v) => ({ ...v, at: imp.at })), at: imp.at },
      });
    }
    for (const s of plugin.settings) {
      const name = `${ns}.${s.name}`;
      // A user who also declares the plugin's setting (as TestCallingBot does) keeps one declaration.
      if (!role.settings.some((x) => x.name === name)) role.settings.push({ name, at: imp.at, module, ...(s.optional ? { optional: true } : {}) });
    }
    for (const e of plugin.input ?? []) {
      const name = `${ns}.${e.name}`;
      if (!role.input.some((x) => x.name === name)) role.input.push({ ...e, name, module, at: imp.at });
    }
    for (const e of plugin.internal ?? []) {
      const name = `${ns}.${e.name}`;
      if (!role.internal.some((x) => x.name === name)) role.internal.push({ ...e, name, module, at: imp.at });
    }
    for (const c of plugin.certificates ?? []) {
      const name = `${ns}.${c}`;
      if (!role.certificates.some((x) => x.name === name)) {
        role.certificates.push({ name, storeLocation: 'LocalMachine', storeName: 'My', permissionLevel: 'limitedOrElevated', module, at: imp.at });
      }
    }
  });
  if (!tasksExpanded) {
    pluginTasks.sort((a, b) => a.priority - b.priority || a.order - b.order);
    const userPath = waRoleType === 'IISWebRole' ? 'approot\\bin' : 'approot';
    const userTasks = role.tasks.map((t) => ({ ...t, relativePath: t.relativePath ?? userPath }));
    role.tasks = [...pluginTasks.map((p) => p.task), ...userTasks];
  }
  if (!role.localResources.some((r) => r.name.toLowerCase() === 'diagnosticstore')) {
    role.localResources.push({ name: 'DiagnosticStore', sizeInMB: diagnosticStoreSize(role), cleanOnRoleRecycle: false, at: role.at });
  }
}

export function waRoleTypeOf(role: DefRole): WaRoleType {
  if (role.type === 'WorkerRole') return 'WorkerRole';
  return role.sites.length > 0 ? 'IISWebRole' : 'HWCWebRole';
}
