// Every real file in ../shared/corpus/real/ gets the outcome its README table gives: valid services produce a
// model with the noted instance counts, invalid ones are rejected with (at least) the listed errors, each
// with its file, line and rule, and nothing throws.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ValidationDiagnostic } from '../../src-main/common/service-model';
import { readServicePackage } from '../../src-main/package/index';
import { corpus, noCorpus, reportMissingCorpus } from '../support/shared-corpus';

reportMissingCorpus('package-corpus.test.ts');

interface Expected {
  service: string;
  csdef: string;
  cscfg?: string;
  /** Instances per role, in csdef order; absent for a definition read alone. */
  instances?: number[];
  errors?: { file: 'csdef' | 'cscfg'; line: number; rule: string; text?: RegExp }[];
  warnings?: { file: 'csdef' | 'cscfg'; line: number; rule: string }[];
}

const table: Expected[] = [
  { service: 'BlueCoffee', csdef: 'mooso__BlueCoffee__ServiceDefinition.csdef', cscfg: 'mooso__BlueCoffee__ServiceConfiguration.Cloud.cscfg', instances: [3, 1, 1] },
  { service: 'wazstagram', csdef: 'JustinBeckwith__wazstagram__ServiceDefinition.csdef', cscfg: 'JustinBeckwith__wazstagram__ServiceConfiguration.Local.cscfg', instances: [1, 1] },
  { service: 'webapiworker', csdef: 'glennblock__webapiworker__ServiceDefinition.csdef', cscfg: 'glennblock__webapiworker__ServiceConfiguration.Local.cscfg', instances: [1] },
  { service: 'rubyrole', csdef: 'Blackmist__rubyrole__ServiceDefinition.csdef', cscfg: 'Blackmist__rubyrole__ServiceConfiguration.Cloud.cscfg', instances: [2] },
  {
    service: 'TestCallingBot',
    csdef: 'microsoftgraph__microsoft-graph-comms-samples__Samples__LocalMediaSamples__TestCallingBot__ServiceDefinition.csdef',
    cscfg: 'microsoftgraph__microsoft-graph-comms-samples__Samples__LocalMediaSamples__TestCallingBot__ServiceConfiguration.Cloud.cscfg',
    instances: [1],
  },
  { service: 'RandomQuotes', csdef: 'OctopusSamples__RandomQuotes-aspmvc4__ServiceDefinition.csdef', cscfg: 'OctopusSamples__RandomQuotes-aspmvc4__ServiceConfiguration.Cloud.ARM.cscfg', instances: [1] },
  {
    service: 'Conference.Azure',
    csdef: 'fsimonazzi__cqrs-journey-code__source__Conference.Azure__ServiceDefinition.csdef',
    cscfg: 'fsimonazzi__cqrs-journey-code__source__Conference.Azure__ServiceConfiguration.Cloud.cscfg',
    instances: [1, 1, 1],
  },
  { service: 'vera', csdef: 'SysSurge__vera__ServiceDefinition.csdef', cscfg: 'SysSurge__vera__ServiceConfiguration.cscfg', instances: [1, 1] },
  {
    service: 'NuGetGallery (base)',
    csdef: 'NuGet__NuGetGallery__Scripts__NuGetGallery.csdef',
    cscfg: 'NuGet__NuGetGallery__Scripts__NuGetGallery.base.cscfg',
    errors: [{ file: 'csdef', line: 58, rule: 'csdef.endpoint-certificate', text: /sslcertificate/ }],
  },
  {
    service: 'NuGetGallery (emulator)',
    csdef: 'NuGet__NuGetGallery__Scripts__NuGetGallery.csdef',
    cscfg: 'NuGet__NuGetGallery__Scripts__NuGetGallery.emulator.cscfg',
    errors: [
      { file: 'csdef', line: 58, rule: 'csdef.endpoint-certificate', text: /sslcertificate/ },
      { file: 'cscfg', line: 5, rule: 'cscfg.setting-missing', text: /Gallery\.GalleryOwnerName/ },
      { file: 'cscfg', line: 5, rule: 'cscfg.setting-missing', text: /reCAPTCHA\.PublicKey/ },
      { file: 'cscfg', line: 34, rule: 'cscfg.certificate-thumbprint', text: /"123"/ },
      { file: 'cscfg', line: 35, rule: 'cscfg.certificate-thumbprint', text: /"123"/ },
    ],
  },
  {
    service: 'Dynatrace',
    csdef: 'dtPaTh__Dynatrace-Azure-CloudServices__ServiceDefinition.csdef',
    cscfg: 'dtPaTh__Dynatrace-Azure-CloudServices__ServiceConfiguration.Cloud.cscfg',
    errors: [
      { file: 'cscfg', line: 6, rule: 'xml.not-well-formed' },
      { file: 'csdef', line: 3, rule: 'csdef.role-name', text: /Your WebRole/ },
    ],
  },
  {
    service: 'lokad-cloud',
    csdef: 'cdrnet__lokad-cloud__Source__Lokad.Cloud.DeployConsole__ServiceDefinition.build.csdef',
    cscfg: 'cdrnet__lokad-cloud__Source__Lokad.Cloud.DeployConsole__ServiceConfiguration.cscfg',
    errors: [{ file: 'cscfg', line: 12, rule: 'cscfg.certificate-thumbprint', text: /40 hexadecimal digits/ }],
  },
  { service: 'NuGetGallery Worker (definition alone)', csdef: 'NuGet__NuGetGallery__Scripts__Worker.csdef' },
  { service: 'ElectricBlobs (definition alone)', csdef: 'mooso__BlueCoffee__TestServices__ElectricBlobs__ElectricBlobs__ServiceDefinition.csdef' },
  {
    service: 'OpenPNE3 (definition alone)',
    csdef: 'co3k__OpenPNE3__ServiceDefinition.csdef',
    warnings: [{ file: 'csdef', line: 18, rule: 'csdef.legacy-input-endpoints' }],
  },
];

async function read(e: Expected) {
  const csdef = join(corpus, e.csdef);
  const cscfg = e.cscfg ? join(corpus, e.cscfg) : undefined;
  const result = await readServicePackage(csdef, cscfg ? { configuration: cscfg } : {});
  const fileOf = (which: 'csdef' | 'cscfg') => (which === 'csdef' ? csdef : cscfg);
  const has = (list: ValidationDiagnostic[], f: { file: 'csdef' | 'cscfg'; line: number; rule: string; text?: RegExp }) =>
    list.some((d) => d.file === fileOf(f.file) && d.line === f.line && d.rule === f.rule && (!f.text || f.text.test(d.message)));
  return { result, has };
}

describe.skipIf(noCorpus)('the real-file corpus', () => {
  it('covers every csdef and cscfg in the corpus folder', () => {
    const files = readdirSync(corpus).filter((f) => /\.(csdef|cscfg)$/.test(f));
    const listed = new Set(table.flatMap((e) => [e.csdef, ...(e.cscfg ? [e.cscfg] : [])]));
    expect(files.filter((f) => !listed.has(f))).toEqual([]);
  });

  for (const e of table.filter((x) => x.instances)) {
    it(`${e.service} is valid, with ${e.instances!.join(' + ')} instances`, async () => {
      const { result } = await read(e);
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(result.model?.roles.map((r) => r.instanceCount)).toEqual(e.instances);
    });
  }

  for (const e of table.filter((x) => x.errors)) {
    it(`${e.service} is rejected with ${e.errors!.map((x) => x.rule).join(', ')}`, async () => {
      const { result, has } = await read(e);
      expect(result.model).toBeUndefined();
      for (const f of e.errors!) expect(has(result.diagnostics.filter((d) => d.severity === 'error'), f), `${f.rule} at ${f.file}:${f.line}`).toBe(true);
      for (const d of result.diagnostics) expect(d.line).toBeGreaterThan(0);
    });
  }

  for (const e of table.filter((x) => !x.cscfg)) {
    it(`${e.service} is a valid definition`, async () => {
      const { result, has } = await read(e);
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(result.model).toBeUndefined();
      for (const w of e.warnings ?? []) expect(has(result.diagnostics, w), `${w.rule} at ${w.file}:${w.line}`).toBe(true);
    });
  }

  it('reads what the fabric needs from the real files', async () => {
    const model = async (name: string) => (await read(table.find((e) => e.service === name)!)).result.model!;
    const blue = await model('BlueCoffee');
    // Plugins by priority (Diagnostics -2, then RemoteAccess and RemoteForwarder -1 in Import order).
    expect(blue.roles[0]!.startupTasks.map((t) => `${t.module}:${t.commandLine}:${t.taskType}`)).toEqual([
      'Diagnostics:DiagnosticsAgent.exe:background',
      'Diagnostics:DiagnosticsAgent.exe /blockStartup:simple',
      'RemoteAccess:RemoteAccessAgent.exe:background',
      'RemoteAccess:RemoteAccessAgent.exe /blockStartup:simple',
      'RemoteForwarder:install.cmd:simple',
    ]);
    expect(blue.roles[0]!.endpoints.input).toContainEqual(expect.objectContaining({ name: 'Microsoft.WindowsAzure.Plugins.RemoteForwarder.RdpInput', port: 3389, localPort: '*' }));
    expect(blue.roles[0]!.settings).toContainEqual({ name: 'Microsoft.WindowsAzure.Plugins.RemoteAccess.AccountUsername', value: 'mostafae', module: 'RemoteAccess' });

    const waz = await model('wazstagram');
    expect(waz.roles[0]!.runtime.entryPoint).toEqual({ kind: 'ProgramEntryPoint', commandLine: 'node.cmd .\\server.js', setReadyOnProcessStart: true });
    expect(waz.roles[0]!.runtime.environment).toContainEqual({ name: 'PORT', roleInstanceValue: "/RoleEnvironment/CurrentInstance/Endpoints/Endpoint[@name='HttpIn']/@port" });
    expect(waz.roles[0]!.startupTasks[0]).toMatchObject({ commandLine: 'setup_worker.cmd > log.txt', taskType: 'simple', executionContext: 'elevated', relativePath: 'approot' });

    const ruby = await model('rubyrole');
    expect(ruby.roles[0]!.endpoints.internal).toContainEqual({ name: 'memcache_default', protocol: 'tcp', port: 11211 });
    expect(ruby.roles[0]!.startupTasks.map((t) => t.commandLine)).toEqual(['DotNetUpdate.cmd', 'CacheInstaller.exe', 'installRuby.cmd', 'installDependencies.cmd']);

    const bot = await model('TestCallingBot');
    expect(bot.roles[0]!.vmSize).toBe('Standard_D3_v2');
    expect(bot.roles[0]!.endpoints.instanceInput[0]).toEqual({ name: 'InstanceCallControlEndpoint', protocol: 'tcp', localPort: 10100, publicPortRange: { min: 10100, max: 10199 } });

    const vera = await model('vera');
    expect(vera.roles[0]!.endpoints.internal).toEqual([{ name: 'Endpoint1', protocol: 'tcp' }]);
    expect(vera.roles[0]!.waRoleType).toBe('IISWebRole');
    expect(vera.roles[0]!.startupTasks[0]!.relativePath).toBe('approot\\bin');
  });
});
