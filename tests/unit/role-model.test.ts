// E:\RoleModel.xml, written as cspack writes it when a package brings none, and read back by WaHostBootstrapper:
// what it runs (tasks in order with their Environment, sites with their bindings), and the clear refusal, with
// line and rule, of a file it cannot run from.
import { describe, expect, it } from 'vitest';
import type { InstanceSpec } from '../../src-main/common/host-protocol';
import { roleModelXml, sdkBuild } from '../../src-main/host/instance-xml';
import { readRoleModel } from '../../src-main/host/role-model-reader';

const spec: InstanceSpec = {
  instanceId: 'deployment1(1)/WebRole1_IN_0',
  instanceName: 'WebRole1_IN_0',
  deploymentId: 'deployment1(1)',
  roleName: 'WebRole1',
  roleType: 'WebRole',
  vmSize: 'Small',
  upgradeDomain: 0,
  faultDomain: 0,
  startupTasks: [
    { commandLine: 'RemoteAccessAgent.exe', taskType: 'background', executionContext: 'elevated', relativePath: 'plugins\\RemoteAccess', module: 'RemoteAccess' },
    {
      commandLine: 'setup.cmd & echo "done"',
      taskType: 'simple',
      executionContext: 'limited',
      relativePath: 'approot\\bin',
      environment: [
        { name: 'EMULATED', roleInstanceValue: '/RoleEnvironment/Deployment/@emulated' },
        { name: 'MODE', value: 'cloud' },
      ],
    },
  ],
  roleEnvironment: { settings: { Greeting: 'hi', 'Microsoft.WindowsAzure.Plugins.RemoteAccess.Enabled': 'true' }, localResources: {}, endpoints: {} },
  sites: [{ name: 'Web', endpointNames: ['HttpIn', 'HttpsIn'] }],
};

describe('E:\\RoleModel.xml', () => {
  it('is written as cspack writes it: Startup, Runtime, ConfigurationSettings, Properties, Sites, and the SDK build', () => {
    const xml = roleModelXml(spec);
    const order = ['<Startup>', '<Runtime', '<ConfigurationSettings>', '<Properties>', '<Sites>'].map((tag) => xml.indexOf(tag));
    expect(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!))).toBe(true);
    expect(xml).toContain(`version="${sdkBuild}"`);
    expect(sdkBuild).toBe('2.9.8999.45');
    // An Import's task carries RdModuleName and WaRoleType; the user's does not.
    expect(xml).toContain('<Variable name="RdModuleName" value="RemoteAccess" />');
    expect(xml).toContain('<Variable name="WaRoleType" value="IISWebRole" />');
    expect(xml.match(/RdModuleName/g)).toHaveLength(1);
    // Only the Imports' settings, under their plugin's namespace.
    expect(xml).toContain('<Setting name="Enabled" nameSpace="Microsoft.WindowsAzure.Plugins.RemoteAccess" />');
    expect(xml).not.toContain('Greeting');
    expect(xml).toContain('<Binding name="Endpoint2" endpointName="HttpsIn" />');
  });

  it('reads back what the bootstrapper runs: every task in order with its Environment, and the sites', () => {
    const model = readRoleModel(roleModelXml(spec), 'E:\\RoleModel.xml');
    expect(model.version).toBe(sdkBuild);
    expect(model.tasks.map((t) => t.commandLine)).toEqual(['RemoteAccessAgent.exe', 'setup.cmd & echo "done"']);
    expect(model.tasks[0]).toMatchObject({ taskType: 'background', executionContext: 'elevated', relativePath: 'plugins\\RemoteAccess', module: 'RemoteAccess' });
    expect(model.tasks[1]!.environment).toEqual([
      { name: 'EMULATED', roleInstanceValue: '/RoleEnvironment/Deployment/@emulated' },
      { name: 'MODE', value: 'cloud' },
    ]);
    expect(model.sites).toEqual([{ name: 'Web', endpointNames: ['HttpIn', 'HttpsIn'] }]);
  });

  it('takes the defaults cspack leaves out (simple, limited), and a worker with no tasks or sites', () => {
    const model = readRoleModel('<RoleModel name="W" version="1.0"><Startup><Task commandLine="a.cmd" /></Startup></RoleModel>', 'RoleModel.xml');
    expect(model.tasks).toEqual([{ commandLine: 'a.cmd', taskType: 'simple', executionContext: 'limited', environment: [] }]);
    expect(readRoleModel(roleModelXml({ ...spec, roleType: 'WorkerRole', startupTasks: [], sites: undefined }), 'x')).toMatchObject({ tasks: [], sites: [] });
  });

  it.each([
    ['<RoleModel><Startup>\n  <Task taskType="simple" />\n</Startup></RoleModel>', /^E:\\RoleModel\.xml:2:\d+: \[rolemodel\.task-command\] A startup <Task> needs a commandLine\.$/],
    ['<RoleModel><Startup><Task commandLine="a" taskType="sometimes" /></Startup></RoleModel>', /:1:\d+: \[rolemodel\.task-type\] taskType "sometimes" is not one of simple, background, foreground\./],
    ['<RoleModel><Startup><Task commandLine="a" executionContext="root" /></Startup></RoleModel>', /\[rolemodel\.task-context\]/],
    ['<RoleModel><Startup><Task commandLine="a"><Environment><Variable /></Environment></Task></Startup></RoleModel>', /\[rolemodel\.variable-name\]/],
    ['<RoleModel><Sites><Site name="W"><Bindings><Binding name="b" /></Bindings></Site></Sites></RoleModel>', /\[rolemodel\.binding-endpoint\] A <Binding> of site W needs an endpointName\./],
    ['<ServiceDefinition name="x" />', /\[rolemodel\.root\] The root element is <ServiceDefinition>/],
    ['<!DOCTYPE r [<!ENTITY a "b">]><RoleModel />', /\[rolemodel\.doctype\]/],
    ['<RoleModel><Startup>\n<Task commandLine="a"></Startup></RoleModel>', /^E:\\RoleModel\.xml:2:\d+: \[rolemodel\.xml\] /],
    ['', /\[rolemodel\.(xml|root)\]/],
  ])('refuses %j with its line and the rule', (xml, message) => {
    expect(() => readRoleModel(xml, 'E:\\RoleModel.xml')).toThrow(message);
  });
});
