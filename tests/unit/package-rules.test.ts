// One case per rule: a small csdef/cscfg that breaks it, and the diagnostic a user sees (rule, file, line).
import { describe, expect, it } from 'vitest';
import { readServiceSources } from '../../src-main/package/service-reader';

const defNs = 'http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceDefinition';
const cfgNs = 'http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration';
const def = (body: string, attrs = 'name="S"') => `<?xml version="1.0"?>\n<ServiceDefinition ${attrs} xmlns="${defNs}">\n${body}\n</ServiceDefinition>`;
const cfg = (body: string, attrs = 'serviceName="S"') => `<?xml version="1.0"?>\n<ServiceConfiguration ${attrs} xmlns="${cfgNs}">\n${body}\n</ServiceConfiguration>`;
const worker = (inner = '', attrs = 'name="W"') => `<WorkerRole ${attrs}>\n${inner}\n</WorkerRole>`;
const web = (inner = '', attrs = 'name="W"') => `<WebRole ${attrs}>\n${inner}\n</WebRole>`;
const role = (name = 'W', inner = '<Instances count="1"/>') => `<Role name="${name}">\n${inner}\n</Role>`;
const endpoints = (...e: string[]) => `<Endpoints>\n${e.join('\n')}\n</Endpoints>`;
const input = (name: string, port: number, extra = '') => `<InputEndpoint name="${name}" protocol="tcp" port="${port}" ${extra}/>`;

function read(csdef: string, cscfg?: string) {
  const enc = new TextEncoder();
  return readServiceSources({ definition: { file: 'svc.csdef', bytes: enc.encode(csdef) }, ...(cscfg !== undefined ? { configuration: { file: 'svc.cscfg', bytes: enc.encode(cscfg) } } : {}) });
}

/** 1-based line of the first occurrence of `marker` in `text`. */
const lineOf = (text: string, marker: string) => text.slice(0, text.indexOf(marker)).split('\n').length;

interface Case {
  rule: string;
  csdef: string;
  cscfg?: string;
  /** Text on the line the diagnostic must point at, and in which file. */
  at: [file: 'csdef' | 'cscfg', marker: string];
  severity?: 'error' | 'warning';
  message?: RegExp;
}

const ok = cfg(role());
const roles26 = Array.from({ length: 26 }, (_, i) => worker('', `name="R${i}"`)).join('\n');
const cases: Case[] = [
  { rule: 'csdef.role-name', csdef: def(worker('', 'name="My Role"')), at: ['csdef', 'name="My Role"'], message: /letters, digits/ },
  { rule: 'csdef.role-duplicate', csdef: def(`${worker()}\n${web('', 'name="w"')}`), at: ['csdef', '<WebRole'] },
  { rule: 'csdef.vmsize', csdef: def(worker('', 'name="W" vmsize="small"')), at: ['csdef', 'vmsize='], message: /did you mean "Small"/ },
  { rule: 'csdef.vmsize', csdef: def(worker('', 'name="W" vmsize="Huge"')), at: ['csdef', 'vmsize='], message: /Unknown vmsize "Huge"/ },
  { rule: 'csdef.upgrade-domain-count', csdef: def(worker(), 'name="S" upgradeDomainCount="21"'), at: ['csdef', 'upgradeDomainCount'], message: /1 to 20/ },
  { rule: 'csdef.no-roles', csdef: def(''), at: ['csdef', '<ServiceDefinition'] },
  { rule: 'csdef.role-limit', csdef: def(roles26), at: ['csdef', 'name="R25"'], message: /at most 25 roles/ },
  { rule: 'csdef.protocol', csdef: def(worker(endpoints('<InputEndpoint name="E" protocol="ftp" port="21"/>'))), at: ['csdef', 'protocol="ftp"'] },
  { rule: 'csdef.port', csdef: def(worker(endpoints(input('E', 70000)))), at: ['csdef', 'port="70000"'] },
  { rule: 'csdef.https-certificate', csdef: def(worker(endpoints('<InputEndpoint name="S" protocol="https" port="443"/>'))), at: ['csdef', 'https'] },
  {
    rule: 'csdef.endpoint-certificate',
    csdef: def(worker(endpoints('<InputEndpoint name="S" protocol="https" port="443" certificate="nope"/>'))),
    at: ['csdef', 'certificate="nope"'],
  },
  {
    rule: 'csdef.input-port-duplicate',
    csdef: def(`${worker(endpoints(input('A', 80)))}\n${worker(endpoints(input('B', 80)), 'name="V"')}`),
    at: ['csdef', 'name="B"'],
    message: /port 80, which input endpoint "A" of role "W"/,
  },
  {
    rule: 'csdef.input-port-duplicate',
    csdef: def(`${worker('<Imports><Import moduleName="RemoteForwarder"/></Imports>')}\n${worker('<Imports>\n<Import moduleName="RemoteForwarder" /></Imports>', 'name="V"')}`),
    at: ['csdef', '"RemoteForwarder" />'],
    message: /RemoteForwarder in one role only/,
  },
  {
    rule: 'csdef.input-endpoint-limit',
    csdef: def(worker(endpoints(...Array.from({ length: 26 }, (_, i) => input(`E${i}`, 1000 + i))))),
    at: ['csdef', 'name="E25"'],
  },
  {
    rule: 'csdef.internal-endpoint-limit',
    csdef: def(worker(endpoints(...Array.from({ length: 26 }, (_, i) => `<InternalEndpoint name="I${i}" protocol="tcp"/>`)))),
    at: ['csdef', 'name="I25"'],
  },
  { rule: 'csdef.endpoint-duplicate', csdef: def(worker(endpoints(input('E', 80), '<InternalEndpoint name="E" protocol="tcp"/>'))), at: ['csdef', '<InternalEndpoint'] },
  { rule: 'csdef.task-type', csdef: def(worker('<Startup><Task commandLine="a.cmd" taskType="sometimes"/></Startup>')), at: ['csdef', 'taskType'] },
  { rule: 'csdef.execution-context', csdef: def(worker('<Runtime executionContext="root"/>')), at: ['csdef', 'executionContext'] },
  { rule: 'csdef.local-storage-size', csdef: def(worker('<LocalResources><LocalStorage name="L" sizeInMB="0"/></LocalResources>')), at: ['csdef', 'sizeInMB'] },
  { rule: 'csdef.boolean', csdef: def(worker('<LocalResources><LocalStorage name="L" cleanOnRoleRecycle="yes"/></LocalResources>')), at: ['csdef', 'cleanOnRoleRecycle'] },
  { rule: 'csdef.local-storage-duplicate', csdef: def(worker('<LocalResources><LocalStorage name="L"/>\n<LocalStorage name="l"/></LocalResources>')), at: ['csdef', 'name="l"'] },
  { rule: 'csdef.variable-value', csdef: def(worker('<Runtime><Environment><Variable name="V"/></Environment></Runtime>')), at: ['csdef', '<Variable'] },
  { rule: 'csdef.xpath', severity: 'warning', csdef: def(worker('<Runtime><Environment><Variable name="V"><RoleInstanceValue xpath="/Foo"/></Variable></Environment></Runtime>')), at: ['csdef', '/Foo'] },
  {
    rule: 'csdef.xpath-reference',
    severity: 'warning',
    csdef: def(worker(`<Runtime><Environment><Variable name="V"><RoleInstanceValue xpath="/RoleEnvironment/CurrentInstance/LocalResources/LocalResource[@name='nope']/@path"/></Variable></Environment></Runtime>`)),
    at: ['csdef', 'nope'],
  },
  { rule: 'csdef.import-unknown', csdef: def(worker('<Imports><Import moduleName="Frobnicator"/></Imports>')), at: ['csdef', 'Frobnicator'] },
  { rule: 'csdef.import-duplicate', csdef: def(worker('<Imports><Import moduleName="Diagnostics"/>\n<Import moduleName="Diagnostics"/></Imports>')), at: ['csdef', '<Import moduleName="Diagnostics"/></Imports>'] },
  { rule: 'csdef.entry-point', csdef: def(web('<Runtime><EntryPoint><ProgramEntryPoint commandLine="x"/></EntryPoint></Runtime>')), at: ['csdef', '<ProgramEntryPoint'] },
  {
    rule: 'csdef.set-ready-on-process-start',
    csdef: def(worker('<Runtime><EntryPoint>\n<ProgramEntryPoint commandLine="node app.js" setReadyOnProcessStart="false"/></EntryPoint></Runtime>')),
    at: ['csdef', 'setReadyOnProcessStart'],
    message: /must be "true"/,
  },
  {
    rule: 'csdef.attribute-missing',
    csdef: def(worker('<Runtime><EntryPoint>\n<ProgramEntryPoint commandLine="node app.js"/></EntryPoint></Runtime>')),
    at: ['csdef', '<ProgramEntryPoint'],
    message: /"setReadyOnProcessStart"/,
  },
  { rule: 'csdef.sites-in-worker-role', csdef: def(worker('<Sites/>')), at: ['csdef', '<Sites'] },
  {
    rule: 'csdef.binding-endpoint',
    csdef: def(web('<Sites><Site name="Web"><Bindings>\n<Binding name="B" endpointName="Missing"/></Bindings></Site></Sites>')),
    at: ['csdef', 'Missing'],
  },
  { rule: 'csdef.idle-timeout', csdef: def(worker(endpoints(input('E', 80, 'idleTimeoutInMinutes="2"')))), at: ['csdef', 'idleTimeoutInMinutes'], message: /from 4 to 30, not "2"/ },
  { rule: 'csdef.lb-distribution', csdef: def(worker(endpoints(input('E', 80, 'loadBalancerDistribution="sourceip"')))), at: ['csdef', 'loadBalancerDistribution'], message: /did you mean "sourceIP"/ },
  { rule: 'csdef.lb-distribution', csdef: def(worker(endpoints(input('E', 80, 'loadBalancerDistribution="roundRobin"')))), at: ['csdef', 'loadBalancerDistribution'], message: /one of sourceIP, sourceIPProtocol/ },
  { rule: 'csdef.probe-unknown', csdef: def(worker(endpoints(input('E', 80, 'loadBalancerProbe="p"')))), at: ['csdef', 'loadBalancerProbe'] },
  { rule: 'csdef.probe-path', csdef: def(`<LoadBalancerProbes><LoadBalancerProbe name="p" protocol="http"/></LoadBalancerProbes>\n${worker()}`), at: ['csdef', '<LoadBalancerProbe '] },
  {
    rule: 'csdef.port-range',
    csdef: def(worker(endpoints('<InternalEndpoint name="I" protocol="tcp">\n<FixedPortRange min="9" max="1"/></InternalEndpoint>'))),
    at: ['csdef', '<FixedPortRange'],
  },
  { rule: 'csdef.legacy-input-endpoints', severity: 'warning', csdef: def(web(`<InputEndpoints>${input('E', 80)}</InputEndpoints>`)), at: ['csdef', '<InputEndpoints'] },
  { rule: 'csdef.unknown-element', csdef: def(worker('<Frob/>')), at: ['csdef', '<Frob'], message: /<Frob> is not an element the schema allows inside <WorkerRole>; cspack refuses it/ },
  { rule: 'csdef.unknown-element', csdef: def(worker('<x:Frob xmlns:x="urn:other"/>')), at: ['csdef', '<x:Frob'], message: /another XML namespace \(urn:other\)/ },
  { rule: 'cscfg.unknown-element', severity: 'warning', csdef: def(worker()), cscfg: cfg(role('W', '<Instances count="1"/>\n<Frob/>')), at: ['cscfg', '<Frob'], message: /it is ignored/ },
  { rule: 'csdef.unknown-attribute', severity: 'warning', csdef: def(worker('', 'name="W" colour="red"')), at: ['csdef', 'colour'] },
  { rule: 'csdef.attribute-missing', csdef: def(worker(endpoints('<InputEndpoint name="E" protocol="tcp"/>'))), at: ['csdef', '<InputEndpoint'], message: /"port"/ },
  { rule: 'csdef.setting-duplicate', csdef: def(worker('<ConfigurationSettings><Setting name="A"/>\n<Setting name="A"/></ConfigurationSettings>')), at: ['csdef', '<Setting name="A"/></Con'] },
  {
    rule: 'csdef.traffic-rule',
    csdef: def(`${worker()}\n<NetworkTrafficRules><OnlyAllowTrafficTo><Destinations><RoleEndpoint endpointName="X" roleName="W"/></Destinations><AllowAllTraffic/></OnlyAllowTrafficTo></NetworkTrafficRules>`),
    at: ['csdef', '<OnlyAllowTrafficTo'],
  },
  { rule: 'cscfg.service-name', csdef: def(worker()), cscfg: cfg(role(), 'serviceName="Other"'), at: ['cscfg', 'serviceName'], message: /does not match the definition's name "S"/ },
  { rule: 'cscfg.role-missing', csdef: def(`${worker()}\n${worker('', 'name="V"')}`), cscfg: ok, at: ['cscfg', '<ServiceConfiguration'], message: /"V"/ },
  { rule: 'cscfg.role-undefined', csdef: def(worker()), cscfg: cfg(`${role()}\n${role('Extra')}`), at: ['cscfg', 'Extra'] },
  { rule: 'cscfg.role-duplicate', csdef: def(worker()), cscfg: cfg(`${role()}\n${role('w')}`), at: ['cscfg', 'name="w"'] },
  { rule: 'cscfg.instances-missing', csdef: def(worker()), cscfg: cfg(role('W', '')), at: ['cscfg', '<Role'] },
  { rule: 'cscfg.instances-count', csdef: def(worker()), cscfg: cfg(role('W', '<Instances count="0"/>')), at: ['cscfg', 'count='], message: /at least|from 1/ },
  {
    rule: 'cscfg.setting-undeclared',
    csdef: def(worker()),
    cscfg: cfg(role('W', '<Instances count="1"/>\n<ConfigurationSettings><Setting name="Extra" value="1"/></ConfigurationSettings>')),
    at: ['cscfg', 'name="Extra"'],
  },
  {
    rule: 'cscfg.setting-missing',
    csdef: def(worker('<ConfigurationSettings><Setting name="Needed"/></ConfigurationSettings>')),
    cscfg: cfg(role('W', '<Instances count="1"/>\n<ConfigurationSettings/>')),
    at: ['cscfg', '<ConfigurationSettings/>'],
    message: /"Needed"/,
  },
  {
    rule: 'cscfg.setting-missing',
    csdef: def(worker('<Imports><Import moduleName="RemoteAccess"/></Imports>')),
    cscfg: cfg(role()),
    at: ['cscfg', '<Role'],
    message: /Microsoft\.WindowsAzure\.Plugins\.RemoteAccess\.AccountUsername" \(import RemoteAccess/,
  },
  {
    rule: 'cscfg.certificate-undeclared',
    csdef: def(worker()),
    cscfg: cfg(role('W', `<Instances count="1"/>\n<Certificates><Certificate name="c" thumbprint="${'A'.repeat(40)}" thumbprintAlgorithm="sha1"/></Certificates>`)),
    at: ['cscfg', '<Certificate '],
  },
  {
    rule: 'cscfg.certificate-missing',
    csdef: def(worker('<Certificates><Certificate name="c" storeLocation="LocalMachine" storeName="My"/></Certificates>')),
    cscfg: ok,
    at: ['cscfg', '<Role'],
  },
  {
    rule: 'cscfg.certificate-thumbprint',
    csdef: def(worker('<Certificates><Certificate name="c" storeLocation="LocalMachine" storeName="My"/></Certificates>')),
    cscfg: cfg(role('W', '<Instances count="1"/>\n<Certificates><Certificate name="c" thumbprint="12:34" thumbprintAlgorithm="sha1"/></Certificates>')),
    at: ['cscfg', 'thumbprint='],
  },
  { rule: 'cscfg.namespace', csdef: def(worker()), cscfg: `<ServiceConfiguration serviceName="S" xmlns="${defNs}"/>`, at: ['cscfg', '<ServiceConfiguration'] },
  { rule: 'cscfg.os-family', severity: 'warning', csdef: def(worker()), cscfg: cfg(role(), 'serviceName="S" osFamily="99"'), at: ['cscfg', 'osFamily'] },
];

describe('service rules', () => {
  for (const c of cases) {
    it(`${c.rule}${c.message ? ` (${c.message.source.slice(0, 40)})` : ''}`, () => {
      const r = read(c.csdef, c.cscfg ?? (c.rule.startsWith('csdef.') ? undefined : ok));
      const [which, marker] = c.at;
      const text = which === 'csdef' ? c.csdef : c.cscfg!;
      const hit = r.diagnostics.find((d) => d.rule === c.rule && (!c.message || c.message.test(d.message)));
      expect(hit, JSON.stringify(r.diagnostics, null, 1)).toBeDefined();
      expect(hit).toMatchObject({ severity: c.severity ?? 'error', file: `svc.${which}`, line: lineOf(text, marker) });
      expect(hit!.column).toBeGreaterThan(0);
      if ((c.severity ?? 'error') === 'error') expect(r.model).toBeUndefined();
    });
  }

  it('reports all errors of both files together', () => {
    const r = read(def(worker('', 'name="bad name" vmsize="Tiny"')), cfg(role('W', '<Instances count="-1"/>'), 'serviceName="T"'));
    expect(r.diagnostics.map((d) => d.rule).sort()).toEqual(['cscfg.instances-count', 'cscfg.role-missing', 'cscfg.role-undefined', 'cscfg.service-name', 'csdef.role-name', 'csdef.vmsize']);
  });

  it('a mismatched pair (another service\'s configuration) names every difference', () => {
    const r = read(def(worker()), cfg(role('Other'), 'serviceName="Other"'));
    expect(r.diagnostics.map((d) => d.rule).sort()).toEqual(['cscfg.role-missing', 'cscfg.role-undefined', 'cscfg.service-name']);
  });

  it('a warning alone leaves the service valid', () => {
    const r = read(def(worker('', 'name="W" colour="red"')), ok);
    expect(r.diagnostics.map((d) => d.severity)).toEqual(['warning']);
    expect(r.model?.roles[0]?.instanceCount).toBe(1);
  });

  it('refuses a role of 20,000 nested unknown elements at once, naming the line where the nesting goes too deep', () => {
    const depth = 20_000;
    const nested = `${'<Frob>\n'.repeat(depth)}${'</Frob>'.repeat(depth)}`;
    const r = read(def(worker(nested)), ok);
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errors).toEqual([expect.objectContaining({ rule: 'xml.too-deep', file: 'svc.csdef', line: 2 + 1 + 30 + 1, message: expect.stringContaining('nested 33 elements deep') })]);
    expect(r.model).toBeUndefined();
  });

  it('Caching accepts either name of its log-level setting (Loglevel in SDK 1.7, DiagnosticLevel later)', () => {
    const values = (level: string) =>
      ['NamedCaches', level, 'CacheSizePercentage', 'ConfigStoreConnectionString'].map((s) => `<Setting name="Microsoft.WindowsAzure.Plugins.Caching.${s}" value=""/>`).join('');
    const csdef = def(worker('<Imports><Import moduleName="Caching"/></Imports>'));
    for (const level of ['Loglevel', 'DiagnosticLevel']) {
      expect(read(csdef, cfg(role('W', `<Instances count="1"/><ConfigurationSettings>${values(level)}</ConfigurationSettings>`))).diagnostics).toEqual([]);
    }
  });
});
