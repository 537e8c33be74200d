// Upgrades of a running deployment as Azure walks them, once the front end has set one up (an in-place
// upgrade or a configuration change walked by domain, front-end.ts): each walk of the upgrade domains as an
// operation, Walk Upgrade Domain for Manual ones, Rollback Update Or Upgrade (Auto or Manual) and the end of
// an upgrade, when the deployment takes the new package and the lock is let go.
import { randomUUID } from 'node:crypto';
import type { DeploymentView, OperationKind, OperationRef, OperationView } from '../common/fabric-api';
import { toErrorInfo } from '../common/fabric-api';
import { FabricErrors } from '../common/fabric-errors';
import { roleViews, type Deployment, type Upgrade } from './deployment-record';
import type { FabricLogs } from './fabric-logs';
import type { OperationTracker } from './operation-tracker';
import { UpgradeWalk } from './upgrade-walk';

/** What the walks need of the front end's deployments. */
export interface UpgradeDesk {
  deployment(deploymentId: string, requestId: string): Deployment;
  /** False once the deployment is deleted. */
  exists(deploymentId: string): boolean;
  assertIdle(deployment: Deployment, kind: OperationKind, requestId: string): void;
  setStatus(deployment: Deployment, status: DeploymentView['status']): void;
  publish(deployment: Deployment): void;
}

export class DeploymentUpgrades {
  constructor(
    private readonly desk: UpgradeDesk,
    private readonly operations: OperationTracker,
    /** FrontEnd.log. */
    private readonly logs?: FabricLogs,
  ) {}

  /**
   * Rollback Update Or Upgrade: an in-place upgrade or a configuration change walked by domain stops after the
   * domain under way, and the domains it walked return to what the deployment ran before (the old package, the
   * old values): one after the other by themselves (Auto), or as the user walks each (Manual: one Walk Upgrade
   * Domain per domain, from 0). Allowed while some domain has not taken the change, as Azure allows it. The
   * deployment keeps what it ran before; the lock is let go once the last domain is walked back.
   */
  rollback(deploymentId: string, chosenId?: string, mode: 'Auto' | 'Manual' = 'Auto'): OperationRef {
    const requestId = chosenId ?? randomUUID();
    const deployment = this.desk.deployment(deploymentId, requestId);
    this.desk.assertIdle(deployment, 'RollbackUpdateOrUpgrade', requestId);
    const upgrade = deployment.upgrade;
    const refusal = !upgrade
      ? FabricErrors.noUpgradeInProgress(deploymentId, requestId)
      : upgrade.rollingBack
        ? FabricErrors.operationInProgress(deploymentId, 'RollbackUpdateOrUpgrade', upgrade.lease.holder.requestId, requestId)
        : upgrade.walk.done
          ? FabricErrors.rollbackTooLate(deploymentId, requestId)
          : null;
    if (refusal || !upgrade) {
      const error = refusal ?? FabricErrors.noUpgradeInProgress(deploymentId, requestId);
      this.operations.end(this.operations.start('RollbackUpdateOrUpgrade', deploymentId, requestId, deploymentId, `${mode} mode`), error.toInfo());
      throw error;
    }
    upgrade.rollingBack = true;
    upgrade.walk.stop();
    const what = upgrade.configuration ? `configuration version ${upgrade.version}` : `the upgrade to ${upgrade.model.name}`;
    const operation = this.operations.start('RollbackUpdateOrUpgrade', deploymentId, requestId, deploymentId, `${mode} mode, of ${upgrade.lease.holder.kind} ${upgrade.lease.holder.requestId}`);
    deployment.operation = operation;
    this.desk.setStatus(deployment, 'RunningTransitioning');
    upgrade.undo?.();
    const version = ++deployment.configurationVersion;
    /** Resolves true when a Manual walk back is set up and waits for the user's walks. */
    const setUp = async (): Promise<boolean> => {
      await upgrade.walked;
      const domains = upgrade.walk.status.walked.length;
      this.logs?.frontEnd.write('INFO', `Rolling back ${what} of ${deploymentId} (${mode}): ${domains} upgrade domain(s) to walk back${domains === 0 ? ' (none had taken it)' : ''}.`, requestId);
      if (domains === 0) return false;
      const back: UpgradeWalk = new UpgradeWalk(
        mode,
        {
          ...upgrade.shield,
          instances: () => deployment.controller.instancesOf(deploymentId),
          upgrade: (ids) => {
            const id = upgrade.walking?.requestId ?? requestId;
            this.logs?.frontEnd.write('INFO', `Rolling back ${what} of ${deploymentId}: upgrade domain ${back.status.currentUpgradeDomain} (${ids.length} instance(s)) returns to what it ran before.`, id);
            return upgrade.back(ids, version, id);
          },
          changed: () => this.desk.publish(deployment),
        },
        domains,
      );
      back.status.configuration = upgrade.configuration;
      back.status.rollingBack = true;
      upgrade.walk = back;
      if (mode === 'Manual') return true;
      await back.walkAll();
      return false;
    };
    setUp().then(
      (waitsForWalks) => {
        if (!waitsForWalks) return this.endRollback(deployment, upgrade, operation, null);
        // Manual: set up; the walks go on under the lock until the last domain is back.
        this.desk.setStatus(deployment, 'Running');
        this.operations.end(operation, null);
      },
      (error: unknown) => this.endRollback(deployment, upgrade, operation, toErrorInfo(error).message),
    );
    return { requestId, deploymentId };
  }

  private endRollback(deployment: Deployment, upgrade: Upgrade, operation: OperationView, error: string | null): void {
    this.finishUpgrade(deployment, upgrade, false);
    if (this.desk.exists(deployment.view.id)) this.desk.setStatus(deployment, 'Running');
    this.operations.end(operation, error);
  }

  /** Walk Upgrade Domain: the next domain of a Manual upgrade, as an operation of its own under the upgrade's lock. */
  walkDomain(deploymentId: string, upgradeDomain: number, chosenId?: string): OperationRef {
    const requestId = chosenId ?? randomUUID();
    const deployment = this.desk.deployment(deploymentId, requestId);
    this.desk.assertIdle(deployment, 'WalkUpgradeDomain', requestId);
    const upgrade = deployment.upgrade;
    if (!upgrade) throw FabricErrors.noUpgradeInProgress(deploymentId, requestId);
    if (upgrade.walk.status.upgradeType !== 'Manual') throw FabricErrors.upgradeNotManual(deploymentId, upgrade.walk.status.upgradeType, requestId);
    if (upgrade.walking) throw FabricErrors.operationInProgress(deploymentId, upgrade.walking.kind, upgrade.walking.requestId, requestId);
    let walked: Promise<void>;
    try {
      walked = upgrade.walk.walkDomain(upgradeDomain, requestId);
    } catch (error) {
      this.operations.end(this.operations.start('WalkUpgradeDomain', deploymentId, requestId, deploymentId, `upgrade domain ${upgradeDomain}`), toErrorInfo(error));
      throw error;
    }
    const operation = this.operations.start('WalkUpgradeDomain', deploymentId, requestId, deploymentId, `upgrade domain ${upgradeDomain}`);
    this.runWalk(deployment, upgrade, operation, () => walked);
    return { requestId, deploymentId };
  }

  /**
   * Run one walk of an upgrade as `operation`: the deployment is RunningTransitioning meanwhile. When the walk
   * has covered the last domain, the deployment runs the new package and the upgrade lets go of its lock; a
   * failed walk ends the upgrade there (the domains walked keep the new package, as Azure leaves them).
   */
  runWalk(deployment: Deployment, upgrade: Upgrade, operation: OperationView, work: () => Promise<void>): void {
    upgrade.walking = operation;
    const walk = upgrade.walk;
    this.desk.setStatus(deployment, 'RunningTransitioning');
    let settle: () => void = () => undefined;
    upgrade.walked = new Promise((resolve) => (settle = resolve));
    const ended = (error: string | null) => {
      upgrade.walking = null;
      settle();
      // A rollback stopped this walk: it finishes the upgrade once it has walked back.
      if (walk.isStopped) return this.operations.end(operation, error ?? 'Stopped by a rollback after the upgrade domain under way; the domains walked return to what ran before.');
      const gone = !this.desk.exists(deployment.view.id);
      // A walk back (Manual rollback) that is done leaves the deployment as it was; a forward one completes it.
      if (!gone && (error !== null || walk.done)) this.finishUpgrade(deployment, upgrade, error === null && !upgrade.rollingBack);
      if (!gone) this.desk.setStatus(deployment, 'Running');
      this.operations.end(operation, error);
    };
    work().then(
      () => ended(null),
      (error: unknown) => ended(toErrorInfo(error).message),
    );
  }

  private finishUpgrade(deployment: Deployment, upgrade: Upgrade, complete: boolean): void {
    if (complete) {
      deployment.model = upgrade.model;
      deployment.definition = upgrade.definition;
      deployment.view.roles = roleViews(deployment.model);
      const what = upgrade.configuration ? `configuration version ${upgrade.version}` : upgrade.model.name;
      this.logs?.frontEnd.write('INFO', `${deployment.view.id} runs ${what} in every upgrade domain: the ${upgrade.configuration ? 'change' : 'upgrade'} is complete.`, upgrade.lease.holder.requestId);
    }
    deployment.upgrade = null;
    upgrade.lease.release();
  }
}
