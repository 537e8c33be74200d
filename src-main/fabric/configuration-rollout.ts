// How a checked configuration change (configuration-change.ts) reaches a deployment: the changed roles' values
// and certificates taken into its model, each instance given the new values live (Changing, Changed), or, for a
// role whose certificates changed, restarted to install them, off-line as Azure applies certificate changes; and
// what a rollback gives back. The front end decides when (at once, or walked by upgrade domain).
import type { InstanceSpec } from '../common/host-protocol';
import type { RoleModel, ServiceModel } from '../common/service-model';
import type { RoleConfigurationChange } from './configuration-change';
import { roleViews, type Deployment, type Upgrade } from './deployment-record';
import { standInTlsNote } from './load-balancer/vip-endpoints-of';
import { instanceSpecOf } from './placement';

/** A role's values and certificates, as given to its instances. */
interface RoleValues {
  roleName: string;
  settings: Record<string, string>;
  certificates: RoleModel['certificates'];
}

export class ConfigurationRollout {
  /** Roles whose certificates change: their instances restart instead of taking the values live. */
  readonly offline: ReadonlySet<string>;
  /** What a rollback gives back: each changed role's values and certificates as they were. */
  private readonly before: RoleValues[];

  constructor(
    private readonly deployment: Deployment,
    private readonly changes: RoleConfigurationChange[],
    /** The load balancer's drain (none without a network): restarting instances leave rotation first. */
    private readonly drained: (instanceIds: string[]) => Promise<void>,
    /** The deployment's view changed. */
    private readonly changed: () => void,
  ) {
    this.before = changes.map((c) => ({ roleName: c.roleName, settings: settingsOf(this.role(c.roleName)), certificates: this.role(c.roleName).certificates }));
    this.offline = new Set(changes.filter((c) => thumbprints(c.certificates) !== thumbprints(this.role(c.roleName).certificates)).map((c) => c.roleName));
  }

  /** Keeps requests off the instances that restart (only those: the others take the change in rotation). */
  readonly shield: Upgrade['shield'] = {
    hold: (ids, held) => this.deployment.controller.holdOutOfRotation(this.restarting(ids), held),
    drained: (ids) => this.drained(this.restarting(ids)),
  };

  /** The deployment's model (and its view) take the new values. */
  take(): void {
    this.takeValues(this.changes);
  }

  /** A rollback's first step: the model takes back the values it had. */
  undo(): void {
    this.takeValues(this.before);
  }

  /** The instances (`only`, else all the deployment's) take the new values as configuration `version`. */
  apply(version: number, requestId: string, only?: ReadonlySet<string>): Promise<void> {
    return this.give(this.changes, version, requestId, only);
  }

  /** Walk instances back to the values they had, as configuration `version`. */
  back(instanceIds: string[], version: number, requestId: string): Promise<void> {
    return this.give(this.before, version, requestId, new Set(instanceIds));
  }

  private async give(values: RoleValues[], version: number, requestId: string, only?: ReadonlySet<string>): Promise<void> {
    const { controller, view, model } = this.deployment;
    const restart = this.restarting(only ? [...only] : controller.instancesOf(view.id).map((i) => i.id));
    await Promise.all([
      ...values.filter((v) => !this.offline.has(v.roleName)).map((v) => controller.changeConfiguration(view.id, v.roleName, v.settings, version, requestId, only)),
      // The spec comes from the deployment's model, which holds the values (and certificates) being given.
      restart.length > 0 ? controller.upgradeInstances(restart, (spec) => upgradedSpec(spec, model, version), requestId) : undefined,
    ]);
  }

  /** Of `ids`, the instances of roles whose certificates change. */
  private restarting(ids: string[]): string[] {
    const roleById = new Map(this.deployment.controller.instancesOf(this.deployment.view.id).map((i) => [i.id, i.roleName]));
    return ids.filter((id) => this.offline.has(roleById.get(id) ?? ''));
  }

  private takeValues(values: RoleValues[]): void {
    const deployment = this.deployment;
    for (const v of values) {
      const role = this.role(v.roleName);
      role.settings = role.settings.map((s) => ({ ...s, value: v.settings[s.name] ?? s.value }));
      role.certificates = v.certificates;
    }
    deployment.view.roles = roleViews(deployment.model);
    // An https endpoint's card names the certificate its instances present.
    deployment.view.inputEndpoints = deployment.view.inputEndpoints.map((e) => {
      if (e.tls === null) return e;
      const role = this.role(e.roleName);
      const name = role.endpoints.input.find((i) => i.name === e.name)?.certificate;
      return { ...e, tls: standInTlsNote(name, role.certificates.find((c) => c.name === name)?.thumbprint) };
    });
    this.changed();
  }

  private role(name: string): RoleModel {
    return this.deployment.model.roles.find((r) => r.name === name)!;
  }
}

/** An instance's goal state from the deployment's model: its role's files and settings, the same instance, domains and ports. */
export function upgradedSpec(spec: InstanceSpec, model: ServiceModel, version: number): InstanceSpec {
  const role = model.roles.find((r) => r.name === spec.roleName)!;
  const n = Number(spec.instanceName.slice(spec.instanceName.lastIndexOf('_') + 1));
  return { ...instanceSpecOf({ id: spec.deploymentId, emulated: spec.emulated, osFamily: model.osFamily }, role, n, spec.upgradeDomain, spec.faultDomain), configurationVersion: version };
}

/** For FrontEnd.log: what a configuration change does, role by role. */
export function describeChanges(changes: RoleConfigurationChange[]): string {
  return changes
    .map((c) => `${c.roleName}: ${c.changedSettings.length ? `settings ${c.changedSettings.join(', ')} changed` : 'no setting changed'}, ${c.instanceCount} instance(s)`)
    .join('; ');
}

function settingsOf(role: RoleModel): Record<string, string> {
  return Object.fromEntries(role.settings.map((s) => [s.name, s.value]));
}

/** Certificate changes are applied off-line, as Azure applies them. */
function thumbprints(certificates: RoleModel['certificates']): string {
  return certificates.map((c) => `${c.name}=${c.thumbprint.toUpperCase()}`).sort().join(',');
}
