// The XML files a guest holds besides its logs: the runtime configuration the guest agent writes to
// C:\Config\<deploymentID>.<role>.<version>.xml, and E:\RoleModel.xml when the package brought none (cspack
// writes one per role; a model written directly, like a bare .csdef, has none).
import type { InstanceSpec } from '../common/host-protocol';
import type { EnvironmentVariable } from '../common/service-model';

const esc = (text: string | number): string =>
  String(text).replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

export function roleConfigXml(spec: InstanceSpec): string {
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<RoleEnvironment xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">',
    `  <Deployment id="${esc(spec.deploymentId)}" emulated="${spec.emulated ? 'true' : 'false'}" />`,
    `  <CurrentInstance id="${esc(spec.instanceName)}" roleName="${esc(spec.roleName)}" faultDomain="${spec.faultDomain}" updateDomain="${spec.upgradeDomain}" vmSize="${esc(spec.vmSize)}">`,
    '    <ConfigurationSettings>',
    ...Object.entries(spec.roleEnvironment.settings).map(([name, value]) => `      <ConfigurationSetting name="${esc(name)}" value="${esc(value)}" />`),
    '    </ConfigurationSettings>',
    '  </CurrentInstance>',
    '</RoleEnvironment>',
    '',
  ].join('\r\n');
}

/** The Azure SDK build cspack stamps on RoleModel.xml (one the fact sheet lists: 2.9.8999.45). */
export const sdkBuild = '2.9.8999.45';

export function roleModelXml(spec: InstanceSpec): string {
  const waRoleType = spec.roleType === 'WorkerRole' ? 'WorkerRole' : spec.sites?.length ? 'IISWebRole' : 'HWCWebRole';
  const variable = (v: EnvironmentVariable) =>
    v.roleInstanceValue !== undefined
      ? [`          <Variable name="${esc(v.name)}">`, `            <RoleInstanceValue xpath="${esc(v.roleInstanceValue)}" />`, '          </Variable>']
      : [`          <Variable name="${esc(v.name)}" value="${esc(v.value ?? '')}" />`];
  const tasks = spec.startupTasks.flatMap((t) => {
    // cspack adds RdModuleName and WaRoleType after an Import's own variables.
    const environment = [...(t.environment ?? [])];
    if (t.module && !environment.some((v) => v.name === 'RdModuleName')) environment.push({ name: 'RdModuleName', value: t.module }, { name: 'WaRoleType', value: waRoleType });
    const attributes = `commandLine="${esc(t.commandLine)}" executionContext="${t.executionContext}" taskType="${t.taskType}" relativePath="${esc(t.relativePath ?? 'approot')}"`;
    if (environment.length === 0) return [`    <Task ${attributes} />`];
    return [`    <Task ${attributes}>`, '      <Environment>', ...environment.flatMap(variable).map((l) => l.slice(2)), '      </Environment>', '    </Task>'];
  });
  const entry = spec.programEntryPoint;
  const runtime = entry
    ? ['  <Runtime>', ...(entry.environment.length ? ['    <Environment>', ...entry.environment.flatMap(variable).map((l) => l.slice(4)), '    </Environment>'] : []), '    <EntryPoint>', `      <ProgramEntryPoint commandLine="${esc(entry.commandLine)}" setReadyOnProcessStart="${entry.setReadyOnProcessStart}" />`, '    </EntryPoint>', '  </Runtime>']
    : ['  <Runtime />'];
  // RoleModel.xml keeps only the Imports' settings, each under its plugin's namespace; the user's stay in the .csdef.
  const pluginSettings = Object.keys(spec.roleEnvironment.settings)
    .map((name) => /^(Microsoft\.WindowsAzure\.Plugins\.[^.]+)\.(.+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `    <Setting name="${esc(m[2]!)}" nameSpace="${esc(m[1]!)}" />`);
  const sites = (spec.sites ?? []).flatMap((site, index) => [
    `    <Site name="${esc(site.name)}" physicalDirectory="E:\\sitesroot\\${index}">`,
    '      <Bindings>',
    ...site.endpointNames.map((endpoint, n) => `        <Binding name="Endpoint${n + 1}" endpointName="${esc(endpoint)}" />`),
    '      </Bindings>',
    '    </Site>',
  ]);
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<RoleModel xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="${esc(spec.roleName)}" version="${sdkBuild}" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceDefinition">`,
    ...(tasks.length ? ['  <Startup>', ...tasks, '  </Startup>'] : ['  <Startup />']),
    ...runtime,
    ...(pluginSettings.length ? ['  <ConfigurationSettings>', ...pluginSettings, '  </ConfigurationSettings>'] : []),
    '  <Properties>',
    `    <Property name="RoleType" value="${spec.roleType === 'WorkerRole' ? 'Worker' : 'Web'}" />`,
    `    <Property name="RoleName" value="${esc(spec.roleName)}" />`,
    '  </Properties>',
    ...(sites.length ? ['  <Sites>', ...sites, '  </Sites>'] : []),
    '</RoleModel>',
    '',
  ].join('\r\n');
}
