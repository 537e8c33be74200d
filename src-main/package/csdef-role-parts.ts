// The declarative parts of a csdef role: certificates, settings, endpoints, local storage and imports.
import type { InstanceInputEndpoint, InternalEndpoint, LoadBalancerProbe } from '../common/service-model';
import type { DefCertificate, DefInputEndpoint, DefSetting, Located } from './definition-types';
import { at, type FileReader, reportDuplicates } from './reader-context';
import { attributeNamed, childNamed, childrenNamed, type XmlElement } from './xml-tree';

const portRange = { min: 1, max: 65535 };

export function readCertificates(role: XmlElement, reader: FileReader): DefCertificate[] {
  const certs: DefCertificate[] = [];
  for (const list of childrenNamed(role, 'Certificates')) {
    reader.children(list, ['Certificate']);
    for (const c of childrenNamed(list, 'Certificate')) {
      reader.attributes(c, ['name', 'storeLocation', 'storeName', 'permissionLevel']);
      const name = reader.requiredName(c) ?? '';
      reader.required(c, 'storeLocation');
      const storeLocation = reader.oneOf(c, 'storeLocation', ['LocalMachine', 'CurrentUser'] as const, { rule: 'store-location', fallback: 'LocalMachine' }) ?? 'LocalMachine';
      const storeName = reader.requiredName(c, 'storeName') ?? 'My';
      const permissionLevel = reader.oneOf(c, 'permissionLevel', ['limitedOrElevated', 'elevated'] as const, { rule: 'permission-level', fallback: 'limitedOrElevated' }) ?? 'limitedOrElevated';
      certs.push({ name, storeLocation, storeName, permissionLevel, at: at(c) });
    }
  }
  reportDuplicates(reader, certs, 'certificate-duplicate', (c) => `Certificate "${c.name}"`);
  return certs;
}

export function readSettings(role: XmlElement, reader: FileReader): DefSetting[] {
  const settings: DefSetting[] = [];
  for (const list of childrenNamed(role, 'ConfigurationSettings')) {
    reader.children(list, ['Setting']);
    for (const s of childrenNamed(list, 'Setting')) {
      reader.attributes(s, ['name']);
      const name = reader.requiredName(s);
      if (name) settings.push({ name, at: at(s) });
    }
  }
  reportDuplicates(reader, settings, 'setting-duplicate', (s) => `Setting "${s.name}"`);
  return settings;
}

export function readLocalResources(role: XmlElement, reader: FileReader): Located<{ name: string; sizeInMB: number; cleanOnRoleRecycle: boolean }>[] {
  const items: Located<{ name: string; sizeInMB: number; cleanOnRoleRecycle: boolean }>[] = [];
  for (const list of childrenNamed(role, 'LocalResources')) {
    reader.children(list, ['LocalStorage']);
    for (const s of childrenNamed(list, 'LocalStorage')) {
      reader.attributes(s, ['name', 'sizeInMB', 'cleanOnRoleRecycle']);
      const name = reader.requiredName(s) ?? '';
      const sizeInMB = reader.int(s, 'sizeInMB', { min: 1, max: 2_000_000, rule: 'local-storage-size', fallback: 100 }) ?? 100;
      const cleanOnRoleRecycle = reader.bool(s, 'cleanOnRoleRecycle', true);
      items.push({ name, sizeInMB, cleanOnRoleRecycle, at: at(s) });
    }
  }
  reportDuplicates(reader, items, 'local-storage-duplicate', (s) => `LocalStorage "${s.name}"`, true);
  return items;
}

export function readImports(role: XmlElement, reader: FileReader): Located<{ moduleName: string }>[] {
  const items: Located<{ moduleName: string; name: string }>[] = [];
  for (const list of childrenNamed(role, 'Imports')) {
    reader.children(list, ['Import']);
    for (const i of childrenNamed(list, 'Import')) {
      reader.attributes(i, ['moduleName']);
      const moduleName = reader.requiredName(i, 'moduleName');
      if (moduleName) items.push({ moduleName, name: moduleName, at: at(i) });
    }
  }
  reportDuplicates(reader, items, 'import-duplicate', (i) => `Import "${i.moduleName}"`);
  return items.map(({ moduleName, at }) => ({ moduleName, at }));
}

interface RoleEndpointsDoc {
  input: DefInputEndpoint[];
  internal: Located<InternalEndpoint>[];
  instanceInput: Located<InstanceInputEndpoint>[];
}

/** Reads <Endpoints> (and the legacy <InputEndpoints>) of one role. */
export function readEndpoints(containers: XmlElement[], reader: FileReader, certificates: DefCertificate[], probes: Located<LoadBalancerProbe>[]): RoleEndpointsDoc {
  const out: RoleEndpointsDoc = { input: [], internal: [], instanceInput: [] };
  for (const list of containers) {
    reader.children(list, ['InputEndpoint', 'InternalEndpoint', 'InstanceInputEndpoint']);
    for (const e of childrenNamed(list, 'InputEndpoint')) {
      const ep = readInputEndpoint(e, reader, certificates, probes);
      if (ep) out.input.push(ep);
    }
    for (const e of childrenNamed(list, 'InternalEndpoint')) out.internal.push(readInternalEndpoint(e, reader));
    for (const e of childrenNamed(list, 'InstanceInputEndpoint')) out.instanceInput.push(readInstanceInputEndpoint(e, reader));
  }
  reportDuplicates(reader, [...out.input, ...out.internal, ...out.instanceInput], 'endpoint-duplicate', (e) => `Endpoint "${e.name}"`);
  return out;
}

function readInputEndpoint(e: XmlElement, reader: FileReader, certificates: DefCertificate[], probes: Located<LoadBalancerProbe>[]): DefInputEndpoint | undefined {
  reader.attributes(e, ['name', 'protocol', 'port', 'localPort', 'certificate', 'ignoreRoleInstanceStatus', 'loadBalancerProbe', 'loadBalancer', 'idleTimeoutInMinutes', 'loadBalancerDistribution']);
  const name = reader.requiredName(e) ?? '';
  reader.required(e, 'protocol');
  const protocol = reader.oneOf(e, 'protocol', ['http', 'https', 'tcp', 'udp'] as const, { rule: 'protocol', fallback: 'tcp' }) ?? 'tcp';
  const portAttr = reader.required(e, 'port');
  const port = portAttr ? reader.intValue(portAttr, e, { ...portRange, rule: 'port', what: `Port of input endpoint "${name}"` }) : undefined;
  const localAttr = attributeNamed(e, 'localPort');
  let localPort: number | '*' | undefined = port;
  if (localAttr) localPort = localAttr.value.trim() === '*' ? '*' : reader.intValue(localAttr, e, { ...portRange, rule: 'port', what: `localPort of input endpoint "${name}"` });
  const certAttr = attributeNamed(e, 'certificate');
  if (protocol === 'https' && !certAttr) {
    reader.error(e, 'https-certificate', `Input endpoint "${name}" uses https, so it must name a certificate (certificate="...") that the role declares.`);
  }
  if (certAttr && !certificates.some((c) => c.name === certAttr.value)) {
    reader.error(certAttr, 'endpoint-certificate', `Input endpoint "${name}" names certificate "${certAttr.value}", but the role declares no such <Certificate> in its <Certificates>.`);
  }
  const probeAttr = attributeNamed(e, 'loadBalancerProbe');
  if (probeAttr && !probes.some((p) => p.name === probeAttr.value)) {
    reader.error(probeAttr, 'probe-unknown', `Input endpoint "${name}" names load balancer probe "${probeAttr.value}", which <LoadBalancerProbes> does not declare.`);
  }
  if (port === undefined || localPort === undefined) return undefined;
  return {
    name,
    protocol,
    port,
    localPort,
    ...(certAttr ? { certificate: certAttr.value, certificateAt: at(certAttr) } : {}),
    ignoreRoleInstanceStatus: reader.bool(e, 'ignoreRoleInstanceStatus', false),
    ...(probeAttr ? { loadBalancerProbe: probeAttr.value } : {}),
    at: at(e),
  };
}

function readInternalEndpoint(e: XmlElement, reader: FileReader): Located<InternalEndpoint> {
  reader.attributes(e, ['name', 'protocol', 'port']);
  reader.children(e, ['FixedPort', 'FixedPortRange']);
  const name = reader.requiredName(e) ?? '';
  reader.required(e, 'protocol');
  const protocol = reader.oneOf(e, 'protocol', ['http', 'tcp', 'udp', 'any'] as const, { rule: 'protocol', fallback: 'tcp' }) ?? 'tcp';
  const portAttr = attributeNamed(e, 'port');
  // No port, or "*", is a dynamic port chosen per instance (real files use both forms).
  let port = portAttr && portAttr.value.trim() !== '*' ? reader.intValue(portAttr, e, { ...portRange, rule: 'port', what: `Port of internal endpoint "${name}"` }) : undefined;
  const fixed = childNamed(e, 'FixedPort');
  if (fixed) {
    reader.attributes(fixed, ['port']);
    const p = reader.required(fixed, 'port');
    if (p) port = reader.intValue(p, fixed, { ...portRange, rule: 'port', what: `FixedPort of internal endpoint "${name}"` });
  }
  const rangeEl = childNamed(e, 'FixedPortRange');
  const portRangeValue = rangeEl ? readRange(rangeEl, reader, `FixedPortRange of internal endpoint "${name}"`) : undefined;
  return { name, protocol, ...(port !== undefined ? { port } : {}), ...(portRangeValue ? { portRange: portRangeValue } : {}), at: at(e) };
}

function readInstanceInputEndpoint(e: XmlElement, reader: FileReader): Located<InstanceInputEndpoint> {
  reader.attributes(e, ['name', 'protocol', 'localPort']);
  reader.children(e, ['AllocatePublicPortFrom']);
  const name = reader.requiredName(e) ?? '';
  reader.required(e, 'protocol');
  const protocol = reader.oneOf(e, 'protocol', ['tcp', 'udp'] as const, { rule: 'protocol', fallback: 'tcp' }) ?? 'tcp';
  const localAttr = reader.required(e, 'localPort');
  const localPort = (localAttr && reader.intValue(localAttr, e, { ...portRange, rule: 'port', what: `localPort of instance input endpoint "${name}"` })) || 0;
  const from = childNamed(e, 'AllocatePublicPortFrom');
  const rangeEl = from ? childNamed(from, 'FixedPortRange') : undefined;
  if (from) reader.children(from, ['FixedPortRange']);
  if (!rangeEl) reader.error(e, 'element-missing', `Instance input endpoint "${name}" needs <AllocatePublicPortFrom><FixedPortRange min=".." max=".."/></AllocatePublicPortFrom>.`);
  const publicPortRange = (rangeEl && readRange(rangeEl, reader, `FixedPortRange of instance input endpoint "${name}"`)) || { min: 0, max: 0 };
  return { name, protocol, localPort, publicPortRange, at: at(e) };
}

function readRange(el: XmlElement, reader: FileReader, what: string): { min: number; max: number } | undefined {
  reader.attributes(el, ['min', 'max']);
  const minA = reader.required(el, 'min');
  const maxA = reader.required(el, 'max');
  const min = minA && reader.intValue(minA, el, { ...portRange, rule: 'port', what: `min of ${what}` });
  const max = maxA && reader.intValue(maxA, el, { ...portRange, rule: 'port', what: `max of ${what}` });
  if (min === undefined || max === undefined) return undefined;
  if (min > max) {
    reader.error(el, 'port-range', `${what}: min (${min}) is greater than max (${max}).`);
    return undefined;
  }
  return { min, max };
}
