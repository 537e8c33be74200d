// The front end's record of one deployment (front-end.ts keeps them; deployment-upgrades.ts walks their
// upgrades): its view, its model and controller, and an upgrade or configuration change under way.
import type { DeploymentView, OperationKind, OperationView, RoleView } from '../common/fabric-api';
import type { ServiceModel } from '../common/service-model';
import type { PackageReadResult } from '../package/index';
import type { DeploymentLease } from './deployment-lock';
import type { FabricController } from './fabric-controller';
import type { UpgradeTarget, UpgradeWalk } from './upgrade-walk';

/** An in-place upgrade under way: its walk, the lock it holds, and the package it rolls out. */
export interface Upgrade {
  walk: UpgradeWalk;
  lease: DeploymentLease;
  model: ServiceModel;
  definition: PackageReadResult['definition'];
  /** The operation of the walk under way (the upgrade's own in Auto and Simultaneous, a Walk Upgrade Domain in Manual). */
  walking: OperationView | null;
  /** Settles when the walk under way has ended (a rollback waits for it). */
  walked: Promise<void> | null;
  /** The configuration version the upgrade rolls out (a rollback rolls out the next one, with the old package). */
  version: number;
  /** A rollback has taken over the upgrade: `walk` is now its walk back. */
  rollingBack?: boolean;
  /** A configuration change walked like an upgrade. */
  configuration?: boolean;
  /** Walk one domain's instances back to what they ran before, as configuration `version`. */
  back(instanceIds: string[], version: number, requestId: string): Promise<void>;
  /** What keeps requests off the instances a walk restarts (every instance for a package; a configuration's restarts only). */
  shield: Pick<UpgradeTarget, 'hold' | 'drained'>;
  /** A rollback's first step: the deployment's model takes back what the change had given it (a configuration's values). */
  undo?(): void;
}

/** The lock an upgrade or a configuration change walked by domain holds: its walks and a rollback go on under it. */
export const upgradeAdmits: readonly OperationKind[] = ['WalkUpgradeDomain', 'RollbackUpdateOrUpgrade'];

export interface Deployment {
  view: DeploymentView;
  model: ServiceModel;
  controller: FabricController;
  /** The latest operation on the deployment; a new one may start only once it has ended. */
  operation: OperationView;
  /** The definition's files, against which a new configuration is checked (Change Deployment Configuration). */
  definition: PackageReadResult['definition'];
  /** The version of the configuration the instances run: C:\Config\<deploymentID>.<role>.<version>.xml. */
  configurationVersion: number;
  /** An in-place upgrade, or a configuration change walking the upgrade domains (the deployment's UpgradeStatus). */
  upgrade: Upgrade | null;
}

/** The deployment's roles as views show them (the package's folder and entry module left out). */
export function roleViews(model: ServiceModel): RoleView[] {
  return model.roles.map(({ directory: _directory, entryModule: _entryModule, ...role }) => structuredClone(role));
}
