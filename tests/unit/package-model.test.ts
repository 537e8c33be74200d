// The model the fabric gets: defaults filled in, every part of the fact sheet carried over, role folders
// found in csx folders and .cspkg layouts, and plain data that survives structuredClone.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative as relative_, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readServicePackage } from '../../src-main/package/index';
import { cspkgEntries, writeZip } from '../fixtures/packages/zip-builder';

const fixtures = resolve(import.meta.dirname, '../fixtures/packages');
const temp: string[] = [];
afterAll(async () => Promise.all(temp.map((t) => rm(t, { recursive: true, force: true }))));
async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fabric-lab-pkg-test-'));
  temp.push(dir);
  return dir;
}

describe('the service model', () => {
  it('fills in the schema defaults', async () => {
    const r = await readServicePackage(join(fixtures, 'minimal.csdef'), { configuration: join(fixtures, 'minimal.cscfg') });
    expect(r.diagnostics).toEqual([]);
    const m = r.model!;
    expect(m).toMatchObject({ name: 'Minimal', upgradeDomainCount: 5, loadBalancerProbes: [], networkTrafficRules: [] });
    expect(m.roles[0]).toMatchObject({
      vmSize: 'Small',
      instanceCount: 2,
      waRoleType: 'WorkerRole',
      enableNativeCodeExecution: true,
      runtime: { executionContext: 'limited', environment: [] },
      endpoints: { input: [{ name: 'HttpIn', protocol: 'http', port: 80, localPort: 80, ignoreRoleInstanceStatus: false }], internal: [], instanceInput: [] },
      localResources: [{ name: 'DiagnosticStore', sizeInMB: 4096, cleanOnRoleRecycle: false }],
    });
    expect(m.roles[0]!.directory).toBeUndefined();
    expect(structuredClone(m)).toEqual(m);
  });

  it('carries every part of a full definition', async () => {
    const r = await readServicePackage(join(fixtures, 'full.csdef'), { configuration: join(fixtures, 'full.cscfg') });
    expect(r.diagnostics).toEqual([]);
    const m = r.model!;
    expect(m).toMatchObject({ upgradeDomainCount: 3, osFamily: '6', osVersion: '*' });
    expect(m.loadBalancerProbes).toEqual([{ name: 'health', protocol: 'http', path: '/health', port: 8080, intervalInSeconds: 15, timeoutInSeconds: 31 }]);
    expect(m.networkTrafficRules).toEqual([{ destinations: [{ roleName: 'Back', endpointName: 'Fixed' }], allowAllTraffic: false, fromRoles: ['Front'] }]);
    const [front, hwc, back] = m.roles;
    expect(front!.waRoleType).toBe('IISWebRole');
    expect(hwc!.waRoleType).toBe('HWCWebRole');
    expect(front!.sites.map((s) => [s.name, s.bindings.map((b) => b.endpointName)])).toEqual([['Web', ['HttpIn', 'HttpsIn']], ['Admin', ['AdminIn']]]);
    expect(front!.sites[0]!.virtualApplications).toEqual([{ name: 'api', physicalDirectory: '..\\api' }]);
    expect(front!.endpoints.input.map((e) => [e.name, e.localPort, e.certificate ?? null, e.loadBalancerProbe ?? null, e.ignoreRoleInstanceStatus])).toEqual([
      ['HttpIn', 8080, null, 'health', false],
      ['HttpsIn', 443, 'ssl', null, true],
      ['AdminIn', '*', null, null, false],
    ]);
    expect(front!.certificates.find((c) => c.name === 'ssl')).toEqual({ name: 'ssl', storeLocation: 'LocalMachine', storeName: 'My', permissionLevel: 'limitedOrElevated', thumbprint: '0123456789ABCDEF0123456789ABCDEF01234567', thumbprintAlgorithm: 'sha1' });
    expect(front!.localResources.slice(0, 2)).toEqual([
      { name: 'Cache', sizeInMB: 100, cleanOnRoleRecycle: true },
      { name: 'Logs', sizeInMB: 20, cleanOnRoleRecycle: false },
    ]);
    expect(front!.imports).toEqual(['RemoteAccess', 'Diagnostics']);
    // Diagnostics (-2) before RemoteAccess (-1) whatever the Import order; the user's task last, in approot\bin.
    expect(front!.startupTasks.map((t) => [t.commandLine, t.taskType, t.executionContext, t.relativePath])).toEqual([
      ['DiagnosticsAgent.exe', 'background', 'limited', 'plugins\\Diagnostics'],
      ['DiagnosticsAgent.exe /blockStartup', 'simple', 'limited', 'plugins\\Diagnostics'],
      ['RemoteAccessAgent.exe', 'background', 'elevated', 'plugins\\RemoteAccess'],
      ['RemoteAccessAgent.exe /blockStartup', 'simple', 'elevated', 'plugins\\RemoteAccess'],
      ['setup.cmd', 'simple', 'elevated', 'approot\\bin'],
    ]);
    expect(front!.startupTasks[0]!.environment).toEqual([{ name: 'RdModuleName', value: 'Diagnostics' }, { name: 'WaRoleType', value: 'IISWebRole' }]);
    expect(front!.startupTasks[4]!.environment).toEqual([
      { name: 'CACHE', roleInstanceValue: "/RoleEnvironment/CurrentInstance/LocalResources/LocalResource[@name='Cache']/@path" },
      { name: 'MODE', value: 'demo' },
    ]);
    expect(front!.settings.find((s) => s.name === 'Greeting')).toEqual({ name: 'Greeting', value: 'Hello' });
    expect(front!.endpoints.internal).toContainEqual({ name: 'Microsoft.WindowsAzure.Plugins.RemoteAccess.Rdp', protocol: 'tcp', port: 3389, module: 'RemoteAccess' });
    expect(front!.runtime).toEqual({ executionContext: 'elevated', environment: [], entryPoint: { kind: 'NetFxEntryPoint', assemblyName: 'Front.dll', targetFrameworkVersion: 'v4.0' } });
    expect(back!.vmSize).toBe('Standard_D2_v2');
    expect(back!.startupTasks.map((t) => t.taskType)).toEqual(['simple', 'background', 'foreground']);
    expect(back!.endpoints.internal).toEqual([
      { name: 'Fixed', protocol: 'tcp', port: 9000 },
      { name: 'Dynamic', protocol: 'tcp' },
      { name: 'Range', protocol: 'udp', portRange: { min: 9100, max: 9110 } },
    ]);
    expect(back!.endpoints.instanceInput).toEqual([{ name: 'Direct', protocol: 'tcp', localPort: 7000, publicPortRange: { min: 20000, max: 20099 } }]);
    expect(back!.runtime.entryPoint).toEqual({ kind: 'ProgramEntryPoint', commandLine: 'node server.js', setReadyOnProcessStart: true });
    expect(JSON.stringify(m)).not.toContain('"at"');
  });

  it('reads a csx folder: the role folder is approot', async () => {
    const r = await readServicePackage(join(fixtures, 'hello.csx'), { configuration: join(fixtures, 'hello.cscfg') });
    expect(r.diagnostics).toEqual([]);
    expect(r.kind).toBe('csx');
    expect(r.model!.roles[0]!.directory).toBe(join(fixtures, 'hello.csx', 'roles', 'WorkerRole1', 'approot'));
    expect(r.model!.roles[0]!.startupTasks).toEqual([{ commandLine: 'install.cmd', taskType: 'simple', executionContext: 'limited', relativePath: 'approot', environment: [] }]);
  });

  it('gives a csx folder named by a relative path absolute role and site folders (role code runs with approot as its cwd)', async () => {
    const relative = relative_(process.cwd(), join(fixtures, 'hello.csx'));
    const r = await readServicePackage(relative, { configuration: join(fixtures, 'hello.cscfg') });
    expect(r.diagnostics).toEqual([]);
    expect(isAbsolute(r.model!.roles[0]!.directory!)).toBe(true);
    expect(r.model!.roles[0]!.directory).toBe(join(fixtures, 'hello.csx', 'roles', 'WorkerRole1', 'approot'));
    // A relative path that names nothing is still refused with the name the user gave.
    const missing = await readServicePackage('no/such/folder.csx');
    expect(missing.diagnostics[0]).toMatchObject({ file: 'no/such/folder.csx', rule: 'input.not-found' });
  });

  it('reads a csx with an expanded csdef: startup, runtime and sites come from RoleModel.xml', async () => {
    const r = await readServicePackage(join(fixtures, 'expanded.csx'), { configuration: join(fixtures, 'expanded.cscfg') });
    expect(r.diagnostics).toEqual([]);
    const role = r.model!.roles[0]!;
    expect(role.waRoleType).toBe('IISWebRole');
    expect(role.imports).toEqual(['Diagnostics']);
    expect(role.startupTasks.map((t) => [t.commandLine, t.taskType, t.module])).toEqual([
      ['DiagnosticsAgent.exe', 'background', 'Diagnostics'],
      ['DiagnosticsAgent.exe /blockStartup', 'simple', 'Diagnostics'],
    ]);
    expect(role.runtime.entryPoint).toEqual({ kind: 'NetFxEntryPoint', assemblyName: 'WebRole1.dll', targetFrameworkVersion: 'v3.5' });
    expect(role.sites[0]!.directory).toBe(join(fixtures, 'expanded.csx', 'roles', 'WebRole1', 'sitesroot', '0'));
    expect(role.localResources).toEqual([{ name: 'DiagnosticStore', sizeInMB: 4096, cleanOnRoleRecycle: false }]);
  });

  it('reads a .cspkg: package.xml lays each role out under the target folder', async () => {
    const dir = await scratch();
    const csdef = readFileSync(join(fixtures, 'hello.csx', 'ServiceDefinition.csdef'), 'utf8');
    const pkg = join(dir, 'hello.cspkg');
    await writeZip(pkg, cspkgEntries(csdef, { WorkerRole1: { '\\approot\\WorkerRole.js': 'export function run() {}', '\\approot\\lib\\util.js': '// util' } }));
    const target = join(dir, 'out');
    const r = await readServicePackage(pkg, { configuration: join(fixtures, 'hello.cscfg'), extractTo: target });
    expect(r.diagnostics).toEqual([]);
    expect(r.kind).toBe('cspkg');
    const approot = join(target, 'roles', 'WorkerRole1', 'approot');
    expect(r.model!.roles[0]!.directory).toBe(approot);
    expect(readFileSync(join(approot, 'lib', 'util.js'), 'utf8')).toBe('// util');
  });

  it('refuses a .cspkg whose layout writes outside the role folder, and one without a definition', async () => {
    const dir = await scratch();
    const csdef = readFileSync(join(fixtures, 'hello.csx', 'ServiceDefinition.csdef'), 'utf8');
    const escape = join(dir, 'escape.cspkg');
    await writeZip(escape, cspkgEntries(csdef, { WorkerRole1: { '\\..\\..\\..\\evil.txt': 'x' } }));
    const r = await readServicePackage(escape, { configuration: join(fixtures, 'hello.cscfg'), extractTo: join(dir, 'o1') });
    expect(r.diagnostics.map((d) => d.rule)).toContain('cspkg.path-escape');
    expect(existsSync(join(dir, 'evil.txt'))).toBe(false);
    expect(r.model).toBeUndefined();

    const empty = join(dir, 'empty.cspkg');
    await writeZip(empty, [{ name: 'package.xml', data: '<x/>' }]);
    const r2 = await readServicePackage(empty, { extractTo: join(dir, 'o2') });
    expect(r2.diagnostics.map((d) => d.rule)).toEqual(['cspkg.definition-missing']);
  });

  it('counts laid-out copies against the size limit (one part referenced many times)', async () => {
    const dir = await scratch();
    const csdef = readFileSync(join(fixtures, 'hello.csx', 'ServiceDefinition.csdef'), 'utf8');
    const entries = cspkgEntries(csdef, { WorkerRole1: { '\\approot\\copy.bin': 'x'.repeat(1000) } });
    const manifest = entries.find((e) => e.name === 'package.xml')!;
    const one = /<FileDefinition>.*<\/FileDefinition>/.exec(String(manifest.data))![0];
    const many = Array.from({ length: 20 }, (_, i) => one.replace('copy.bin', `copy${i}.bin`)).join('');
    manifest.data = String(manifest.data).replace(one, many);
    const pkg = join(dir, 'copies.cspkg');
    await writeZip(pkg, entries);
    const r = await readServicePackage(pkg, { extractTo: join(dir, 'o'), zipLimits: { maxTotalBytes: 15_000 } });
    expect(r.diagnostics.map((d) => d.rule)).toContain('cspkg.too-large');
  });

  it('reports a missing input or configuration instead of throwing', async () => {
    expect((await readServicePackage(join(fixtures, 'nope.csdef'))).diagnostics[0]!.rule).toBe('input.not-found');
    const r = await readServicePackage(join(fixtures, 'minimal.csdef'), { configuration: join(fixtures, 'nope.cscfg') });
    expect(r.diagnostics.map((d) => d.rule)).toEqual(['input.not-found']);
    expect(r.model).toBeUndefined();
  });
});
