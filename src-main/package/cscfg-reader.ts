// ServiceConfiguration (.cscfg): instance counts, setting values and certificate thumbprints per role.
// NetworkConfiguration is read only for its shape: the emulator has no virtual networks, ACLs or reserved IPs.
import type { CfgRole, ServiceConfigurationDoc } from './definition-types';
import { at, type FileReader, reportDuplicates } from './reader-context';
import { attributeNamed, childNamed, childrenNamed, type XmlElement } from './xml-tree';

export const configurationNamespace = 'http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration';
/** A SHA-1 thumbprint as Azure shows it: 40 hexadecimal digits. */
export const thumbprintPattern = /^[0-9A-Fa-f]{40}$/;
/** Azure's limit is the subscription's core quota, not a count; this only stops absurd numbers. */
export const maxInstancesPerRole = 100_000;

const networkChildren = ['AccessControls', 'EndpointAcls', 'Dns', 'VirtualNetworkSite', 'AddressAssignments', 'ReservedIPs'];

export function readConfiguration(root: XmlElement, reader: FileReader): ServiceConfigurationDoc | undefined {
  if (root.local !== 'ServiceConfiguration') {
    reader.error(root, 'root', `The root element is <${root.local}>; a service configuration starts with <ServiceConfiguration>.`);
    return undefined;
  }
  if (root.uri !== configurationNamespace) {
    reader.error(root, 'namespace', `<ServiceConfiguration> must be in the namespace ${configurationNamespace} (found ${root.uri ? `"${root.uri}"` : 'no namespace'}).`);
    return undefined;
  }
  reader.attributes(root, ['serviceName', 'osFamily', 'osVersion', 'schemaVersion']);
  reader.children(root, ['Role', 'NetworkConfiguration']);
  const nameAttr = reader.required(root, 'serviceName');
  const osFamily = reader.optional(root, 'osFamily');
  const osFamilyAttr = attributeNamed(root, 'osFamily');
  if (osFamilyAttr && !/^\s*[1-7]\s*$/.test(osFamilyAttr.value)) {
    reader.warn(osFamilyAttr, 'os-family', `osFamily "${osFamilyAttr.value}" is not a guest OS family Azure published (1 to 7).`);
  }
  const osVersion = reader.optional(root, 'osVersion');
  for (const net of childrenNamed(root, 'NetworkConfiguration')) {
    reader.attributes(net, []);
    reader.children(net, networkChildren);
  }
  const roles = childrenNamed(root, 'Role').map((r) => readRole(r, reader));
  reportDuplicates(reader, roles, 'role-duplicate', (r) => `Role "${r.name}"`, true);
  return {
    file: reader.file,
    serviceName: nameAttr?.value ?? '',
    serviceNameAt: at(nameAttr ?? root),
    at: at(root),
    ...(osFamily !== undefined ? { osFamily: osFamily.trim() } : {}),
    ...(osVersion !== undefined ? { osVersion: osVersion.trim() } : {}),
    roles,
  };
}

function readRole(el: XmlElement, reader: FileReader): CfgRole {
  reader.attributes(el, ['name', 'vmName']);
  reader.children(el, ['Instances', 'ConfigurationSettings', 'Certificates', 'OsImage']);
  const name = reader.requiredName(el) ?? '';
  const instancesList = childrenNamed(el, 'Instances');
  const instances = instancesList[0];
  let instanceCount: number | undefined;
  if (!instances) {
    reader.error(el, 'instances-missing', `Role "${name}" has no <Instances count="..."/>; the configuration must say how many instances to run.`);
  } else {
    reader.attributes(instances, ['count']);
    if (instancesList.length > 1) reader.error(instancesList[1]!, 'instances-duplicate', `Role "${name}" has more than one <Instances>.`);
    const countAttr = reader.required(instances, 'count');
    if (countAttr) {
      instanceCount = reader.intValue(countAttr, instances, { min: 1, max: maxInstancesPerRole, rule: 'instances-count', what: `Instance count of role "${name}"` });
    }
  }
  const settingsEl = childNamed(el, 'ConfigurationSettings');
  const settings = childrenNamed(el, 'ConfigurationSettings').flatMap((list) => {
    reader.children(list, ['Setting']);
    return childrenNamed(list, 'Setting').map((s) => {
      reader.attributes(s, ['name', 'value']);
      const settingName = reader.requiredName(s) ?? '';
      // value="" is a value: the schema requires the attribute, not a non-empty string.
      const value = reader.required(s, 'value')?.value ?? '';
      return { name: settingName, value, at: at(s) };
    });
  });
  reportDuplicates(reader, settings, 'setting-duplicate', (s) => `Setting "${s.name}"`);
  const certificates = childrenNamed(el, 'Certificates').flatMap((list) => {
    reader.children(list, ['Certificate']);
    return childrenNamed(list, 'Certificate').map((c) => {
      reader.attributes(c, ['name', 'thumbprint', 'thumbprintAlgorithm']);
      const certName = reader.requiredName(c) ?? '';
      const tp = reader.required(c, 'thumbprint');
      if (tp && !thumbprintPattern.test(tp.value.trim())) {
        reader.error(tp, 'certificate-thumbprint', `Certificate "${certName}" has thumbprint "${tp.value}", which is not a thumbprint: it must be 40 hexadecimal digits (the certificate's SHA-1 hash).`);
      }
      const alg = reader.required(c, 'thumbprintAlgorithm');
      if (alg && alg.value.trim().toLowerCase() !== 'sha1') {
        reader.warn(alg, 'certificate-algorithm', `thumbprintAlgorithm "${alg.value}": Azure identifies certificates by their sha1 thumbprint.`);
      }
      return { name: certName, thumbprint: (tp?.value ?? '').trim().toUpperCase(), thumbprintAlgorithm: (alg?.value ?? 'sha1').trim(), at: at(c) };
    });
  });
  reportDuplicates(reader, certificates, 'certificate-duplicate', (c) => `Certificate "${c.name}"`);
  return { name, at: at(el), ...(instanceCount !== undefined ? { instanceCount } : {}), settings, settingsAt: at(settingsEl ?? el), certificates };
}
