// The XML files a guest holds besides its logs: the runtime configuration the guest agent writes to
// C:\Config\<deploymentID>.<role>.<version>.xml, and E:\RoleModel.xml when the package brought none (cspack
// writes one per role; a model written directly, like a bare .csdef, has none).
import type { InstanceSpec } from '../common/host-protocol';

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
  const tasks = spec.startupTasks.map(
    (t) => `      <Task commandLine="${esc(t.commandLine)}" executionContext="${t.executionContext}" taskType="${t.taskType}" relativePath="${esc(t.relativePath ?? 'approot')}" />`,
  );
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<RoleModel xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="${esc(spec.roleName)}" version="${sdkBuild}" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceDefinition">`,
    '  <Startup>',
    ...tasks,
    '  </Startup>',
    '  <Properties>',
    `    <Property name="RoleType" value="${spec.roleType === 'WorkerRole' ? 'Worker' : 'Web'}" />`,
    '  </Properties>',
    '</RoleModel>',
    '',
  ].join('\r\n');
}
