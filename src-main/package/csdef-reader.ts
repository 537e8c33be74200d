// ServiceDefinition (.csdef): the service and its roles, with the schema's defaults, enumerations and the
// rules that hold inside one file (names, duplicates, limits, references between a role's parts).
import { isVmSize, vmSizeCores, type LoadBalancerProbe, type NetworkTrafficRule, type RoleType, type VmSize } from '../common/service-model';
import { readCertificates, readEndpoints, readImports, readLocalResources, readSettings } from './csdef-role-parts';
import { readRuntime, readSites, readStartup } from './csdef-role-runtime';
import type { DefRole, Located, ServiceDefinitionDoc } from './definition-types';
import { at, type FileReader, reportDuplicates } from './reader-context';
import { attributeNamed, childNamed, childrenNamed, type XmlElement } from './xml-tree';

export const definitionNamespace = 'http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceDefinition';
export const maxRoles = 25;
export const maxUpgradeDomains = 20;
/** Letters, digits, '.', '-' and '_': the characters Azure accepts in a role name (no spaces). */
export const roleNamePattern = /^[A-Za-z0-9._-]+$/;

const webRoleChildren = ['Certificates', 'ConfigurationSettings', 'Contents', 'Endpoints', 'Imports', 'InputEndpoints', 'LocalResources', 'Runtime', 'Sites', 'Startup'];

export function readDefinition(root: XmlElement, reader: FileReader): ServiceDefinitionDoc | undefined {
  if (root.local !== 'ServiceDefinition') {
    reader.error(root, 'root', `The root element is <${root.local}>; a service definition starts with <ServiceDefinition>.`);
    return undefined;
  }
  if (root.uri !== definitionNamespace) {
    reader.error(root, 'namespace', `<ServiceDefinition> must be in the namespace ${definitionNamespace} (found ${root.uri ? `"${root.uri}"` : 'no namespace'}).`);
    return undefined;
  }
  reader.attributes(root, ['name', 'upgradeDomainCount', 'topologyChangeDiscovery', 'schemaVersion']);
  reader.children(root, ['WebRole', 'WorkerRole', 'LoadBalancerProbes', 'NetworkTrafficRules']);
  for (const vm of childrenNamed(root, 'VirtualMachineRole')) {
    reader.error(vm, 'unsupported-role', '<VirtualMachineRole> (the 2012 VM role preview) is not supported; use a WebRole or WorkerRole.');
  }
  const name = reader.requiredName(root) ?? '';
  const upgradeDomainCount = reader.int(root, 'upgradeDomainCount', { min: 1, max: maxUpgradeDomains, rule: 'upgrade-domain-count', fallback: 5 }) ?? 5;
  reader.oneOf(root, 'topologyChangeDiscovery', ['Blast', 'UpgradeDomainWalk'], { rule: 'topology-change-discovery' });

  const probes = readProbes(root, reader);
  const roleElements = root.children.filter((c) => c.uri === root.uri && (c.local === 'WebRole' || c.local === 'WorkerRole'));
  if (roleElements.length === 0) reader.error(root, 'no-roles', 'The service definition has no WebRole or WorkerRole; a service needs at least one role.');
  if (roleElements.length > maxRoles) {
    reader.error(roleElements[maxRoles]!, 'role-limit', `A service may have at most ${maxRoles} roles; this one has ${roleElements.length}.`);
  }
  const roles = roleElements.map((el) => readRole(el, reader, probes));
  reportDuplicates(reader, roles, 'role-duplicate', (r) => `Role "${r.name}"`, true);
  const trafficRules = readTrafficRules(root, reader);
  return { file: reader.file, name, at: at(root), upgradeDomainCount, roles, probes, trafficRules };
}

function readRole(el: XmlElement, reader: FileReader, probes: Located<LoadBalancerProbe>[]): DefRole {
  const type = el.local as RoleType;
  reader.attributes(el, ['name', 'vmsize', 'enableNativeCodeExecution']);
  reader.children(el, type === 'WebRole' ? webRoleChildren : webRoleChildren.filter((c) => c !== 'Sites'));
  const nameAttr = attributeNamed(el, 'name');
  const name = reader.requiredName(el) ?? '';
  if (nameAttr && name && !roleNamePattern.test(name)) {
    reader.error(nameAttr, 'role-name', `Role name "${name}" may hold only letters, digits, '.', '-' and '_' (no spaces or other characters).`);
  }
  const vmSize = readVmSize(el, reader);
  const enableNativeCodeExecution = reader.bool(el, 'enableNativeCodeExecution', true);
  if (type === 'WorkerRole') {
    for (const sites of childrenNamed(el, 'Sites')) {
      reader.error(sites, 'sites-in-worker-role', `<Sites> belongs to web roles; worker role "${name}" cannot host IIS sites.`);
    }
  }
  const legacy = childrenNamed(el, 'InputEndpoints');
  for (const wrapper of legacy) {
    reader.warn(wrapper, 'legacy-input-endpoints', '<InputEndpoints> is the 2009 schema\'s wrapper; today\'s files use <Endpoints>. Its endpoints are read as if they were in <Endpoints>.');
  }
  const endpointContainers = [...childrenNamed(el, 'Endpoints'), ...legacy];
  const certificates = readCertificates(el, reader);
  const role: DefRole = {
    name,
    at: at(el),
    type,
    vmSize,
    enableNativeCodeExecution,
    tasks: readStartup(el, reader),
    settings: readSettings(el, reader),
    ...readEndpoints(endpointContainers, reader, certificates, probes),
    certificates,
    localResources: readLocalResources(el, reader),
    imports: readImports(el, reader),
    runtime: readRuntime(el, reader, type),
    sites: type === 'WebRole' ? readSites(el, reader) : [],
    has: { startup: !!childNamed(el, 'Startup'), runtime: !!childNamed(el, 'Runtime'), sites: !!childNamed(el, 'Sites') },
  };
  checkBindings(role, reader);
  return role;
}

function readVmSize(el: XmlElement, reader: FileReader): VmSize {
  const a = attributeNamed(el, 'vmsize');
  if (!a) return 'Small';
  const v = a.value.trim();
  if (isVmSize(v)) return v;
  const near = Object.keys(vmSizeCores).find((s) => s.toLowerCase() === v.toLowerCase());
  reader.error(a, 'vmsize', `Unknown vmsize "${a.value}"${near ? ` (did you mean "${near}"? sizes are case-sensitive)` : ''}; known sizes: ExtraSmall, Small, Medium, Large, ExtraLarge, A5-A11, Standard_A0-A4, Standard_D1-D14 and their _v2.`);
  return 'Small';
}

/** Every site binding must name one of the role's endpoints; binding names are unique per site. */
function checkBindings(role: DefRole, reader: FileReader): void {
  const endpoints = new Set([...role.input.map((e) => e.name), ...role.internal.map((e) => e.name)]);
  for (const site of role.sites) {
    reportDuplicates(reader, site.bindings, 'binding-duplicate', (b) => `Binding "${b.name}" of site "${site.name}"`);
    for (const b of site.bindings) {
      if (!endpoints.has(b.endpointName)) {
        reader.error(b.at, 'binding-endpoint', `Binding "${b.name}" of site "${site.name}" names endpoint "${b.endpointName}", which role "${role.name}" does not declare.`);
      }
    }
  }
}

function readProbes(root: XmlElement, reader: FileReader): Located<LoadBalancerProbe>[] {
  const probes: Located<LoadBalancerProbe>[] = [];
  for (const list of childrenNamed(root, 'LoadBalancerProbes')) {
    reader.children(list, ['LoadBalancerProbe']);
    for (const p of childrenNamed(list, 'LoadBalancerProbe')) {
      reader.attributes(p, ['name', 'protocol', 'path', 'port', 'intervalInSeconds', 'timeoutInSeconds']);
      const name = reader.requiredName(p) ?? '';
      reader.required(p, 'protocol');
      const protocol = reader.oneOf(p, 'protocol', ['http', 'tcp'] as const, { rule: 'probe-protocol', fallback: 'tcp' }) ?? 'tcp';
      const path = reader.optional(p, 'path');
      if (protocol === 'http' && !path) reader.error(p, 'probe-path', `Load balancer probe "${name}" uses http, so it needs a "path" (e.g. "/health").`);
      if (protocol === 'tcp' && path !== undefined) reader.warn(p, 'probe-path', `Load balancer probe "${name}" uses tcp; its "path" is ignored.`);
      const port = reader.int(p, 'port', { min: 1, max: 65535, rule: 'port' });
      const intervalInSeconds = reader.int(p, 'intervalInSeconds', { min: 5, max: 3600, rule: 'probe-interval', fallback: 15 }) ?? 15;
      const timeoutInSeconds = reader.int(p, 'timeoutInSeconds', { min: 11, max: 3600, rule: 'probe-timeout', fallback: 31 }) ?? 31;
      probes.push({ name, protocol, ...(protocol === 'http' && path ? { path } : {}), ...(port !== undefined ? { port } : {}), intervalInSeconds, timeoutInSeconds, at: at(p) });
    }
  }
  reportDuplicates(reader, probes, 'probe-duplicate', (p) => `Load balancer probe "${p.name}"`);
  return probes;
}

function readTrafficRules(root: XmlElement, reader: FileReader): Located<NetworkTrafficRule>[] {
  const rules: Located<NetworkTrafficRule>[] = [];
  for (const list of childrenNamed(root, 'NetworkTrafficRules')) {
    reader.children(list, ['OnlyAllowTrafficTo']);
    for (const rule of childrenNamed(list, 'OnlyAllowTrafficTo')) {
      reader.children(rule, ['Destinations', 'AllowAllTraffic', 'WhenSource']);
      const destinations = childrenNamed(rule, 'Destinations').flatMap((d) => {
        reader.children(d, ['RoleEndpoint']);
        return childrenNamed(d, 'RoleEndpoint').map((r) => ({ roleName: reader.requiredName(r, 'roleName') ?? '', endpointName: reader.requiredName(r, 'endpointName') ?? '' }));
      });
      const fromRoles = childrenNamed(rule, 'WhenSource').flatMap((w) => {
        reader.children(w, ['FromRole']);
        return childrenNamed(w, 'FromRole').map((f) => reader.requiredName(f, 'roleName') ?? '');
      });
      rules.push({ destinations, allowAllTraffic: !!childNamed(rule, 'AllowAllTraffic'), fromRoles, at: at(rule) });
    }
  }
  return rules;
}
