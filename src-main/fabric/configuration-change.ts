// Change Deployment Configuration, RDFE's half: a new .cscfg is checked against the deployment's own
// definition with the package reader's rules (serviceName, every role with Instances, every setting declared
// and valued, certificates ...), and what it changes is worked out per role. Nothing here touches a host.
import { FabricErrors } from '../common/fabric-errors';
import type { ServiceModel, ValidationDiagnostic } from '../common/service-model';
import { readServiceSources, type ServiceSources } from '../package/index';

export interface RoleConfigurationChange {
  roleName: string;
  /** Every setting value of the role in the new configuration. */
  settings: Record<string, string>;
  /** Names of the settings whose value differs from the running one. */
  changedSettings: string[];
  instanceCount: number;
  /** Certificates of the role with their new thumbprints. */
  certificates: ServiceModel['roles'][number]['certificates'];
}

/** The configuration file name diagnostics use when the caller gives none. */
export const defaultConfigurationFile = 'ServiceConfiguration.cscfg';

/**
 * Check `configuration` (the .cscfg text) against the definition the deployment was made from. Throws
 * FabricError BadRequest naming every error's file, line, column and rule; returns the change per role.
 */
export function checkConfigurationChange(
  definition: Omit<ServiceSources, 'configuration'>,
  running: ServiceModel,
  configuration: string,
  file = defaultConfigurationFile,
  requestId?: string,
): RoleConfigurationChange[] {
  const result = readServiceSources({ ...definition, configuration: { file, bytes: new TextEncoder().encode(configuration) } });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (!result.model || errors.length > 0) {
    throw FabricErrors.configurationRefused(describeErrors(errors), requestId);
  }
  return result.model.roles.map((role) => {
    const current = running.roles.find((r) => r.name === role.name);
    const settings = Object.fromEntries(role.settings.map((s) => [s.name, s.value]));
    const before = Object.fromEntries((current?.settings ?? []).map((s) => [s.name, s.value]));
    return {
      roleName: role.name,
      settings,
      changedSettings: Object.keys(settings).filter((name) => before[name] !== settings[name]),
      instanceCount: role.instanceCount,
      certificates: role.certificates,
    };
  });
}

/** Every error on a line of its own: file:line:column [rule] message. */
export function describeErrors(errors: ValidationDiagnostic[]): string {
  const lines = errors.map((d) => `${d.file}:${d.line}:${d.column} [${d.rule}] ${d.message}`);
  return `${errors.length} error(s):\n${lines.join('\n')}`;
}
