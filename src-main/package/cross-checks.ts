// Rules that span roles or files: input ports across the service, Azure's endpoint limits, references from
// xpaths and traffic rules, and the definition <-> configuration pairing (names, roles, settings, certificates).
import type { DefRole, ServiceConfigurationDoc, ServiceDefinitionDoc } from './definition-types';
import { parseRoleInstanceXpath } from './csdef-role-runtime';
import type { FileReader } from './reader-context';

export const maxInputEndpoints = 25;
export const maxInternalEndpoints = 25;

/** Checks on the expanded definition (imports already merged in). */
export function checkDefinition(def: ServiceDefinitionDoc, reader: FileReader): void {
  const byPort = new Map<string, { role: string; name: string }>();
  let inputCount = 0;
  let internalCount = 0;
  for (const role of def.roles) {
    for (const e of role.input) {
      inputCount++;
      if (inputCount === maxInputEndpoints + 1) {
        reader.error(e.at, 'input-endpoint-limit', `A service may have at most ${maxInputEndpoints} input endpoints; "${e.name}" of role "${role.name}" is number ${inputCount}.`);
      }
      // The load balancer tells tcp-based and udp traffic apart, so only one endpoint per port and transport.
      const key = `${e.protocol === 'udp' ? 'udp' : 'tcp'}:${e.port}`;
      const first = byPort.get(key);
      if (first) {
        const hint = e.module === 'RemoteForwarder' ? ' (import RemoteForwarder in one role only: it forwards RDP for all of them)' : '';
        reader.error(e.at, 'input-port-duplicate', `Input endpoint "${e.name}" of role "${role.name}" uses port ${e.port}, which input endpoint "${first.name}" of role "${first.role}" already uses; input ports must be unique across the service${hint}.`);
      } else {
        byPort.set(key, { role: role.name, name: e.name });
      }
    }
    for (const e of role.internal) {
      internalCount++;
      if (internalCount === maxInternalEndpoints + 1) {
        reader.error(e.at, 'internal-endpoint-limit', `A service may have at most ${maxInternalEndpoints} internal endpoints; "${e.name}" of role "${role.name}" is number ${internalCount}.`);
      }
    }
    checkXpathReferences(role, reader);
  }
  for (const rule of def.trafficRules) {
    for (const d of rule.destinations) {
      const role = def.roles.find((r) => r.name === d.roleName);
      if (!role) reader.error(rule.at, 'traffic-rule', `A network traffic rule names role "${d.roleName}", which the service does not define.`);
      else if (!role.internal.some((e) => e.name === d.endpointName)) {
        reader.error(rule.at, 'traffic-rule', `A network traffic rule names internal endpoint "${d.endpointName}" of role "${d.roleName}", which that role does not declare.`);
      }
    }
    for (const from of rule.fromRoles) {
      if (!def.roles.some((r) => r.name === from)) reader.error(rule.at, 'traffic-rule', `A network traffic rule allows traffic from role "${from}", which the service does not define.`);
    }
  }
}

/** An xpath that names an endpoint, local resource or setting the role lacks resolves to nothing on Azure. */
function checkXpathReferences(role: DefRole, reader: FileReader): void {
  const variables = [...role.runtime.environment, ...role.tasks.flatMap((t) => t.environment)];
  for (const v of variables) {
    const x = v.roleInstanceValue !== undefined ? parseRoleInstanceXpath(v.roleInstanceValue) : undefined;
    if (!x || !('name' in x)) continue;
    const names =
      x.kind === 'endpoint'
        ? [...role.input, ...role.internal, ...role.instanceInput].map((e) => e.name)
        : x.kind === 'localResource'
          ? role.localResources.map((r) => r.name)
          : role.settings.map((s) => s.name);
    if (!names.includes(x.name)) {
      const what = x.kind === 'endpoint' ? 'endpoint' : x.kind === 'localResource' ? 'local resource' : 'setting';
      reader.warn(v.at, 'xpath-reference', `Variable "${v.name}" reads the ${what} "${x.name}", which role "${role.name}" does not declare; it will be empty.`);
    }
  }
}

/** Definition <-> configuration: every rule is reported in the configuration, where the fix usually goes. */
export function checkPair(def: ServiceDefinitionDoc, cfg: ServiceConfigurationDoc, reader: FileReader): void {
  if (cfg.serviceName !== def.name) {
    reader.error(cfg.serviceNameAt, 'service-name', `serviceName "${cfg.serviceName}" does not match the definition's name "${def.name}" (${def.file}, line ${def.at.line}).`);
  }
  for (const role of def.roles) {
    if (!cfg.roles.some((r) => r.name === role.name)) {
      reader.error(cfg.at, 'role-missing', `The configuration has no <Role name="${role.name}"> with <Instances>, but the definition declares that role (${def.file}, line ${role.at.line}).`);
    }
  }
  for (const cr of cfg.roles) {
    const role = def.roles.find((r) => r.name === cr.name);
    if (!role) {
      reader.error(cr.at, 'role-undefined', `Role "${cr.name}" is configured but the definition declares no such role (it has ${def.roles.map((r) => `"${r.name}"`).join(', ') || 'none'}).`);
      continue;
    }
    for (const s of cr.settings) {
      if (!role.settings.some((d) => d.name === s.name)) {
        reader.error(s.at, 'setting-undeclared', `Setting "${s.name}" has a value here, but role "${role.name}" does not declare it in the definition's <ConfigurationSettings> (nor does any of its imports).`);
      }
    }
    for (const d of role.settings) {
      if (!d.optional && !cr.settings.some((s) => s.name === d.name)) {
        const source = d.module ? `import ${d.module} declares it` : `declared at ${def.file}, line ${d.at.line}`;
        reader.error(cr.settingsAt, 'setting-missing', `Role "${role.name}" has no value for setting "${d.name}" (${source}); add <Setting name="${d.name}" value="..."/>.`);
      }
    }
    for (const c of cr.certificates) {
      if (!role.certificates.some((d) => d.name === c.name)) {
        reader.error(c.at, 'certificate-undeclared', `Certificate "${c.name}" is configured, but role "${role.name}" does not declare it in the definition's <Certificates>.`);
      }
    }
    for (const d of role.certificates) {
      if (!cr.certificates.some((c) => c.name === d.name)) {
        const source = d.module ? `import ${d.module} needs it` : `declared at ${def.file}, line ${d.at.line}`;
        reader.error(cr.at, 'certificate-missing', `Role "${role.name}" has no thumbprint for certificate "${d.name}" (${source}); add it under <Certificates>.`);
      }
    }
  }
}
