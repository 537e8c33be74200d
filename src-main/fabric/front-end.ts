// RDFE and FFE: every request gets a request id and an operation the user can follow. RDFE does the
// subscription-level work (core quota, one deployment per service slot, one operation at a time per
// deployment); FFE picks the machine pool by region and free capacity and hands the work to that pool's
// fabric controller.
import { randomUUID } from 'node:crypto';
import type { DeployRequest, DeploymentView, FaultRequest, OperationKind, OperationRef, OperationView, RoleView, UpgradeMode } from '../common/fabric-api';
import type { InstanceRestart } from '../common/host-protocol';
import { toErrorInfo } from '../common/fabric-api';
import { FabricErrors } from '../common/fabric-errors';
import { isHostFault } from '../common/fault-kinds';
import { vmSizeCores, type RoleModel, type ServiceModel } from '../common/service-model';
import type { EventHub } from './event-hub';
import type { OperationTracker } from './operation-tracker';
import type { FabricLogs } from './fabric-logs';
import type { FabricController } from './fabric-controller';
import type { PackageStore } from './package-store';
import { checkConfigurationChange, type RoleConfigurationChange } from './configuration-change';
import { DeploymentLocks } from './deployment-lock';
import { roleViews, upgradeAdmits, type Deployment, type Upgrade } from './deployment-record';
import { ConfigurationRollout, describeChanges, upgradedSpec } from './configuration-rollout';
import { DeploymentUpgrades } from './deployment-upgrades';
import { checkUpgrade, UpgradeWalk } from './upgrade-walk';

/** The load balancer as the front end sees it: a VIP and its input endpoints for each deployment's life. */
export interface DeploymentNetwork {
  attach(view: DeploymentView, model: ServiceModel, changed: () => void): void;
  detach(deploymentId: string): void;
  /** Resolves once the load balancer sends the instances nothing and holds no connection to them (an upgrade drains them). */
  drained(instanceIds: string[]): Promise<void>;
  /** VIP swap: each VIP now serves the other deployment; the views' vip and input endpoints follow. Resolves once it does. */
  swap(aId: string, bId: string): Promise<void>;
}

/** The operation each way of restarting an instance is (the Service Management API's names). */
export const restartKinds = { reboot: 'RebootRoleInstance', reimage: 'ReimageRoleInstance', rebuild: 'RebuildRoleInstance' } as const satisfies Record<InstanceRestart, OperationKind>;

export class FrontEnd {
  private readonly deployments = new Map<string, Deployment>();
  private deploymentCounter = 0;
  /** One operation at a time per deployment (deployment-lock.ts). */
  readonly locks = new DeploymentLocks();
  /** The walks of upgrades and configuration changes once set up, and their rollback (deployment-upgrades.ts). */
  private readonly upgrades: DeploymentUpgrades;

  constructor(
    private readonly controllers: FabricController[],
    private readonly packages: PackageStore,
    private readonly events: EventHub,
    private readonly now: () => number,
    /** The subscription's core quota (Azure's default for a classic subscription: 20); the snapshot shows it. */
    readonly coreQuota: number,
    /** The operations of the requests RDFE accepts (operation-tracker.ts). */
    private readonly operations: OperationTracker,
    /** FrontEnd.log. */
    private readonly logs?: FabricLogs,
    private readonly network?: DeploymentNetwork,
  ) {
    this.upgrades = new DeploymentUpgrades(
      {
        deployment: (id, requestId) => this.deployment(id, requestId),
        exists: (id) => this.deployments.has(id),
        assertIdle: (deployment, kind, requestId) => this.assertIdle(deployment, kind, requestId),
        setStatus: (deployment, status) => this.setStatus(deployment, status),
        publish: (deployment) => this.publish(deployment),
      },
      operations,
      logs,
    );
  }

  deploymentViews(): DeploymentView[] {
    return [...this.deployments.values()].map((d) => d.view);
  }

  /** `chosenId` (as in each command below): the request id when the caller gave the request one (the Service Management API). */
  async deploy(request: DeployRequest, chosenId?: string): Promise<OperationRef> {
    // Every request gets its id as it arrives, so a refusal names it as an accepted request's operation does.
    const requestId = chosenId ?? randomUUID();
    const source = this.packages.modelFor(request, requestId);
    const serviceName = request.serviceName ?? source.name;
    const slot = request.slot ?? 'production';
    for (const d of this.deployments.values()) {
      if (d.view.serviceName === serviceName && d.view.slot === slot) {
        throw FabricErrors.slotTaken(serviceName, slot, d.view.id, requestId);
      }
    }
    // The model is the deployment's own copy: scaling changes its instance counts.
    const model: ServiceModel = structuredClone(source);
    this.checkQuota(coresOf(model.roles), requestId);
    const controller = this.pickPool(model, request.region, requestId);
    const n = ++this.deploymentCounter;
    const view: DeploymentView = {
      id: `deployment${n}(${n})`,
      serviceName,
      slot,
      status: 'Deploying',
      poolId: controller.pool.id,
      roles: roleViews(model),
      createdAt: this.now(),
      vip: null,
      inputEndpoints: [],
      emulated: request.emulated ?? false,
      ...(model.osFamily ? { osFamily: model.osFamily } : {}),
    };
    const definition = this.packages.definitionFor(request);
    const lease = this.locks.acquire(view.id, 'CreateDeployment', requestId);
    const deployment: Deployment = { view, model, controller, operation: this.operations.start('CreateDeployment', view.id, requestId), definition, configurationVersion: 1, upgrade: null };
    this.deployments.set(view.id, deployment);
    this.network?.attach(view, model, () => this.publish(deployment));
    this.publish(deployment);
    const roles = model.roles.map((role) => ({ role, indices: range(0, role.instanceCount) }));
    try {
      this.logs?.frontEnd.write('INFO', `FFE picked ${controller.pool.name} (${controller.pool.region}) for ${view.id}.`, deployment.operation.requestId);
      await controller.place(view, roles, model.upgradeDomainCount, deployment.operation.requestId);
    } catch (error) {
      this.deployments.delete(view.id);
      this.network?.detach(view.id);
      this.events.publish({ type: 'deployment-removed', id: view.id });
      lease.release();
      this.operations.end(deployment.operation, toErrorInfo(error));
      return { requestId: deployment.operation.requestId, deploymentId: view.id };
    }
    // As in Azure, the deployment is Running once created; its instances report their own progress.
    this.setStatus(deployment, 'Running');
    lease.release();
    this.operations.end(deployment.operation, null);
    return { requestId: deployment.operation.requestId, deploymentId: view.id };
  }

  deleteDeployment(deploymentId: string, chosenId?: string): OperationRef {
    const requestId = chosenId ?? randomUUID();
    const deployment = this.deployment(deploymentId, requestId);
    if (deployment.view.status === 'Deleting') throw FabricErrors.deploymentBeingDeleted(deploymentId, deployment.operation.requestId, requestId);
    // As in Azure, a delete waits its turn like any other operation: refused while another holds the deployment.
    this.assertIdle(deployment, 'DeleteDeployment', requestId);
    return this.run(deployment, 'DeleteDeployment', deploymentId, 'Deleting', null, async () => {
      await deployment.controller.stopInstances(this.instanceIds(deployment), 'delete', requestId);
      this.deployments.delete(deploymentId);
      this.network?.detach(deploymentId);
      this.events.publish({ type: 'deployment-removed', id: deploymentId });
    }, requestId);
  }

  updateDeploymentStatus(deploymentId: string, status: 'Running' | 'Suspended', chosenId?: string): OperationRef {
    const requestId = chosenId ?? randomUUID();
    const deployment = this.deployment(deploymentId, requestId);
    this.assertIdle(deployment, 'UpdateDeploymentStatus', requestId);
    const current = deployment.view.status;
    if (status === 'Suspended') {
      this.assertRunning(deployment, 'suspended', requestId);
      return this.run(deployment, 'UpdateDeploymentStatus', deploymentId, 'Suspending', 'Suspended', () => deployment.controller.stopInstances(this.instanceIds(deployment), 'keep', requestId), requestId, 'to Suspended');
    }
    if (current !== 'Suspended') throw FabricErrors.deploymentNotSuspended(deploymentId, current, requestId);
    return this.run(deployment, 'UpdateDeploymentStatus', deploymentId, 'Starting', 'Running', () => deployment.controller.resumeInstances(this.instanceIds(deployment), requestId), requestId, 'to Running');
  }

  changeInstanceCount(deploymentId: string, roleName: string, count: number): OperationRef {
    const requestId = randomUUID();
    const deployment = this.deployment(deploymentId, requestId);
    this.assertIdle(deployment, 'ChangeInstanceCount', requestId);
    this.assertRunning(deployment, 'scaled', requestId);
    const role = deployment.model.roles.find((r) => r.name === roleName);
    if (!role) throw FabricErrors.roleNotFound(deploymentId, roleName, deployment.model.roles.map((r) => r.name), requestId);
    const current = deployment.controller.instancesOf(deploymentId, roleName);
    if (count === current.length) throw FabricErrors.instanceCountUnchanged(roleName, count, requestId);
    if (count > current.length) this.checkQuota(vmSizeCores[role.vmSize] * (count - current.length), requestId);
    return this.run(deployment, 'ChangeInstanceCount', deploymentId, 'RunningTransitioning', 'Running', () => this.scaleRole(deployment, role, count, requestId), requestId, `${roleName} to ${count} instance(s)`);
  }

  /** What a new configuration would change, role by role, checked as updateConfiguration checks it (nothing is changed). */
  previewConfiguration(deploymentId: string, configuration: string, fileName?: string, requestId?: string): RoleConfigurationChange[] {
    const deployment = this.deployment(deploymentId, requestId ?? '');
    if (!deployment.definition) throw FabricErrors.definitionNotKept(deploymentId, requestId);
    return checkConfigurationChange(deployment.definition, deployment.model, configuration, fileName, requestId);
  }

  /**
   * Change Deployment Configuration: check the new .cscfg against the deployment's definition (refused with
   * every error's file, line and rule, and nothing changed), then hand each role's instances the new values
   * and scale the roles whose instance count changed. Succeeds once every instance has taken the change.
   */
  updateConfiguration(deploymentId: string, configuration: string, fileName?: string, chosenId?: string, mode: 'Auto' | 'Manual' | 'Simultaneous' = 'Auto'): OperationRef {
    const requestId = chosenId ?? randomUUID();
    const deployment = this.deployment(deploymentId, requestId);
    if (deployment.view.status === 'Deleting') throw FabricErrors.configurationWhileDeleting(deploymentId, deployment.operation.requestId, requestId);
    this.assertIdle(deployment, 'ChangeDeploymentConfiguration', requestId);
    this.assertRunning(deployment, 'given a new configuration', requestId);
    if (!deployment.definition) throw FabricErrors.definitionNotKept(deploymentId, requestId);
    let changes: RoleConfigurationChange[];
    try {
      changes = checkConfigurationChange(deployment.definition, deployment.model, configuration, fileName, requestId);
    } catch (error) {
      // The refusal is an operation of its own, failed, as the Service Management API reports it.
      const operation = this.operations.start('ChangeDeploymentConfiguration', deploymentId, requestId, deploymentId);
      this.operations.end(operation, toErrorInfo(error));
      throw error;
    }
    const growth = changes.reduce((sum, c) => {
      const now = deployment.controller.instancesOf(deploymentId, c.roleName).length;
      return sum + vmSizeCores[roleOf(deployment, c.roleName).vmSize] * Math.max(0, c.instanceCount - now);
    }, 0);
    if (growth > 0) this.checkQuota(growth, requestId);
    if (mode === 'Manual') {
      const resized = changes.find((c) => c.instanceCount !== deployment.controller.instancesOf(deploymentId, c.roleName).length);
      if (resized) {
        const error = FabricErrors.manualConfigurationScales(deploymentId, resized.roleName, requestId);
        this.operations.end(this.operations.start('ChangeDeploymentConfiguration', deploymentId, requestId, deploymentId, 'Manual mode'), error.toInfo());
        throw error;
      }
    }
    const version = ++deployment.configurationVersion;
    const controller = deployment.controller;
    const rollout = new ConfigurationRollout(deployment, changes, (ids) => this.network?.drained(ids) ?? Promise.resolve(), () => this.publish(deployment));
    if (rollout.offline.size > 0) this.logs?.frontEnd.write('INFO', `Configuration version ${version} of ${deploymentId}: the certificates of ${[...rollout.offline].join(', ')} changed; their instances restart to install them (certificate changes are applied off-line).`, requestId);
    const scale = () =>
      Promise.all(changes.filter((c) => c.instanceCount !== controller.instancesOf(deploymentId, c.roleName).length).map((c) => this.scaleRole(deployment, roleOf(deployment, c.roleName), c.instanceCount, requestId)));
    this.logs?.frontEnd.write('INFO', `Configuration version ${version} of ${deploymentId} (${mode}): ${describeChanges(changes)}.`, requestId);
    if (mode === 'Simultaneous') {
      return this.run(deployment, 'ChangeDeploymentConfiguration', deploymentId, 'RunningTransitioning', 'Running', async () => {
        rollout.take();
        await rollout.apply(version, requestId);
        await scale();
      }, requestId, 'Simultaneous mode');
    }
    // As Azure walks it: one upgrade domain takes the new configuration (Changing, Changed, a recycle where role
    // code cancels) before the next, Auto by itself, Manual as the user walks each; a rollback walks back the
    // domains that took it. The instances stay in rotation: a configuration change does not stop them.
    const lease = this.locks.acquire(deploymentId, 'ChangeDeploymentConfiguration', requestId, upgradeAdmits);
    const walk: UpgradeWalk = new UpgradeWalk(mode, {
      ...rollout.shield,
      instances: () => controller.instancesOf(deploymentId),
      upgrade: async (ids) => {
        const id = upgrade.walking?.requestId ?? requestId;
        this.logs?.frontEnd.write('INFO', `Configuration version ${version} of ${deploymentId}: upgrade domain ${walk.status.currentUpgradeDomain} (${ids.length} instance(s)).`, id);
        await rollout.apply(version, id, new Set(ids));
      },
      changed: () => this.publish(deployment),
    });
    walk.status.configuration = true;
    const upgrade: Upgrade = {
      walk,
      lease,
      model: deployment.model,
      definition: deployment.definition,
      walking: null,
      walked: null,
      version,
      configuration: true,
      shield: rollout.shield,
      back: (ids, as, id) => rollout.back(ids, as, id),
      undo: () => rollout.undo(),
    };
    deployment.upgrade = upgrade;
    rollout.take();
    const operation = this.operations.start('ChangeDeploymentConfiguration', deploymentId, requestId, deploymentId, `${mode} mode, ${walk.status.upgradeDomainCount} upgrade domain(s)`);
    deployment.operation = operation;
    if (mode === 'Manual') {
      // Set up: the user walks each domain (walkUpgradeDomain); the lock admits only the walks and a rollback.
      this.publish(deployment);
      this.operations.end(operation, null);
    } else {
      this.upgrades.runWalk(deployment, upgrade, operation, async () => {
        await walk.walkAll();
        if (!upgrade.rollingBack) await scale();
      });
    }
    return { requestId, deploymentId };
  }

  /**
   * Upgrade Deployment: check the new package against the running one (valid, the same roles), take the
   * deployment's lock for the whole upgrade, and walk the upgrade domains: Auto and Simultaneous now, in one
   * operation; Manual one domain per walkUpgradeDomain (the Upgrade Deployment operation ends once it is set up).
   * When the last domain is walked the deployment runs the new package and the lock is let go.
   */
  upgradeDeployment(request: { deploymentId: string; sample?: string; packageId?: string; mode: UpgradeMode }, chosenId?: string): OperationRef {
    const requestId = chosenId ?? randomUUID();
    const deploymentId = request.deploymentId;
    const deployment = this.deployment(deploymentId, requestId);
    this.assertIdle(deployment, 'UpgradeDeployment', requestId);
    this.assertRunning(deployment, 'upgraded', requestId);
    let model: ServiceModel;
    try {
      model = structuredClone(this.packages.modelFor(request, requestId));
      checkUpgrade(deployment.model, model, requestId);
    } catch (error) {
      // The refusal is an operation of its own, failed, as the Service Management API reports it.
      this.operations.end(this.operations.start('UpgradeDeployment', deploymentId, requestId, deploymentId, `${request.mode} mode`), toErrorInfo(error));
      throw error;
    }
    const lease = this.locks.acquire(deploymentId, 'UpgradeDeployment', requestId, upgradeAdmits);
    const version = ++deployment.configurationVersion;
    const controller = deployment.controller;
    const shield: Upgrade['shield'] = { hold: (ids, held) => controller.holdOutOfRotation(ids, held), drained: (ids) => this.network?.drained(ids) ?? Promise.resolve() };
    const walk = new UpgradeWalk(request.mode, {
      ...shield,
      instances: () => controller.instancesOf(deploymentId),
      upgrade: (ids) => controller.upgradeInstances(ids, (spec) => upgradedSpec(spec, model, version), upgrade.walking?.requestId ?? requestId),
      changed: () => this.publish(deployment),
    });
    const upgrade: Upgrade = {
      walk,
      lease,
      model,
      definition: this.packages.definitionFor(request),
      walking: null,
      walked: null,
      version,
      shield,
      // Back to the package the deployment runs (deployment.model: an upgrade takes the new one only when complete).
      back: (ids, as, id) => controller.upgradeInstances(ids, (spec) => upgradedSpec(spec, deployment.model, as), id),
    };
    deployment.upgrade = upgrade;
    const operation = this.operations.start('UpgradeDeployment', deploymentId, requestId, deploymentId, `${request.mode} mode, ${walk.status.upgradeDomainCount} upgrade domain(s)`);
    deployment.operation = operation;
    this.logs?.frontEnd.write('INFO', `In-place upgrade of ${deploymentId} to ${model.name} (${request.mode}): ${walk.status.upgradeDomainCount} upgrade domain(s).`, requestId);
    if (request.mode === 'Manual') {
      // Set up: the user walks each domain (walkUpgradeDomain); the deployment keeps running meanwhile.
      this.publish(deployment);
      this.operations.end(operation, null);
    } else {
      this.upgrades.runWalk(deployment, upgrade, operation, () => walk.walkAll());
    }
    return { requestId, deploymentId };
  }

  /**
   * Swap Deployment (VIP swap): the production and staging deployments of a service trade slots. The load
   * balancer keeps its listeners on each VIP and puts the other deployment's instances behind them, so a
   * connection under way finishes where it is and the next one reaches the new deployment: no request is lost.
   * With one slot empty, the deployment moves to the other slot and gets that slot's VIP. Refused when the two
   * deployments' input endpoints differ, or while either is busy with another operation.
   */
  swapDeployment(serviceName: string, chosenId?: string): OperationRef {
    const requestId = chosenId ?? randomUUID();
    const inService = [...this.deployments.values()].filter((d) => d.view.serviceName === serviceName);
    const production = inService.find((d) => d.view.slot === 'production');
    const staging = inService.find((d) => d.view.slot === 'staging');
    if (!production && !staging) throw FabricErrors.swapNothingToSwap(serviceName, requestId);
    const both = [production, staging].filter((d): d is Deployment => d !== undefined);
    for (const d of both) this.assertIdle(d, 'SwapDeployment', requestId);
    if (production && staging) {
      const difference = endpointDifference(production.model, staging.model);
      if (difference) {
        this.operations.end(this.operations.start('SwapDeployment', serviceName, requestId, staging.view.id), FabricErrors.swapEndpointsDiffer(serviceName, production.view.id, staging.view.id, difference).toInfo());
        throw FabricErrors.swapEndpointsDiffer(serviceName, production.view.id, staging.view.id, difference, requestId);
      }
    }
    const leases = both.map((d) => this.locks.acquire(d.view.id, 'SwapDeployment', requestId));
    const target = (staging ?? production)!.view.id;
    const operation = this.operations.start('SwapDeployment', serviceName, requestId, target, production && staging ? `${production.view.id} <-> ${staging.view.id}` : `${target} to ${staging ? 'production' : 'staging'}`);
    let applied: Promise<void> | undefined;
    try {
      if (production && staging) {
        applied = this.network?.swap(production.view.id, staging.view.id);
        production.view.slot = 'staging';
        staging.view.slot = 'production';
      } else {
        // One slot empty: the deployment moves, and takes the VIP of the slot it moves to.
        const moving = (production ?? staging)!;
        moving.view.slot = production ? 'staging' : 'production';
        this.network?.detach(moving.view.id);
        this.network?.attach(moving.view, moving.model, () => this.publish(moving));
      }
      for (const d of both) this.publish(d);
      this.logs?.frontEnd.write('INFO', `VIP swap of ${serviceName}: ${both.map((d) => `${d.view.id} is now ${d.view.slot} (VIP ${d.view.vip})`).join('; ')}.`, requestId);
    } catch (error) {
      this.operations.end(operation, toErrorInfo(error));
      for (const lease of leases) lease.release();
      throw error;
    }
    // Succeeded once the load balancer serves the new production: a client that waits for the operation reaches it.
    // A network that fails to say so fails the operation; it never becomes an unhandled rejection of the process.
    void (applied ?? Promise.resolve())
      .then(
        () => this.operations.end(operation, null),
        (error: unknown) => this.operations.end(operation, toErrorInfo(error)),
      )
      .finally(() => leases.forEach((lease) => lease.release()));
    return { requestId, deploymentId: target };
  }

  /**
   * A platform update (Azure's planned maintenance): the fabric updates the host OS under the deployment one
   * upgrade domain at a time. Each domain's instances leave rotation, get Stopping (OnStop), go down while their
   * host is updated and come back Ready, then the next domain; the other domains keep serving throughout. One
   * operation, holding the deployment, with its progress in domains walked.
   */
  platformUpdate(deploymentId: string, chosenId?: string): OperationRef {
    const requestId = chosenId ?? randomUUID();
    const deployment = this.deployment(deploymentId, requestId);
    this.assertIdle(deployment, 'PlatformUpdate', requestId);
    this.assertRunning(deployment, 'given a platform update', requestId);
    const lease = this.locks.acquire(deploymentId, 'PlatformUpdate', requestId);
    const controller = deployment.controller;
    let operation: OperationView | null = null;
    const walk: UpgradeWalk = new UpgradeWalk('Auto', {
      instances: () => controller.instancesOf(deploymentId),
      hold: (ids, held) => controller.holdOutOfRotation(ids, held),
      drained: (ids) => this.network?.drained(ids) ?? Promise.resolve(),
      upgrade: async (ids) => {
        this.logs?.frontEnd.write('INFO', `Platform update of ${deploymentId}: updating the host OS under upgrade domain ${walk.status.currentUpgradeDomain} (${ids.length} instance(s)).`, requestId);
        await Promise.all(ids.map((id) => controller.restartInstance(id, 'reboot', requestId)));
      },
      changed: () => operation && this.operations.progress(operation, walk.status.walked.length / walk.status.upgradeDomainCount),
    });
    operation = this.operations.start('PlatformUpdate', deploymentId, requestId, deploymentId, `host OS update, ${walk.status.upgradeDomainCount} upgrade domain(s)`);
    deployment.operation = operation;
    this.setStatus(deployment, 'RunningTransitioning');
    const ended = (error: string | null) => {
      lease.release();
      if (this.deployments.has(deploymentId)) this.setStatus(deployment, 'Running');
      this.operations.end(operation!, error);
    };
    walk.walkAll().then(
      () => ended(null),
      (error: unknown) => ended(toErrorInfo(error).message),
    );
    return { requestId, deploymentId };
  }

  /** Rollback Update Or Upgrade (deployment-upgrades.ts). */
  rollbackUpgrade(deploymentId: string, chosenId?: string, mode: 'Auto' | 'Manual' = 'Auto'): OperationRef {
    return this.upgrades.rollback(deploymentId, chosenId, mode);
  }

  /** Walk Upgrade Domain: the next domain of a Manual upgrade (deployment-upgrades.ts). */
  walkUpgradeDomain(deploymentId: string, upgradeDomain: number, chosenId?: string): OperationRef {
    return this.upgrades.walkDomain(deploymentId, upgradeDomain, chosenId);
  }

  /** Add or remove instances of one role until it has `count` (the work of ChangeInstanceCount). */
  private async scaleRole(deployment: Deployment, role: RoleModel, count: number, requestId: string): Promise<void> {
    const current = deployment.controller.instancesOf(deployment.view.id, role.name);
    const indexOf = (name: string) => Number(name.slice(name.lastIndexOf('_') + 1));
    if (count > current.length) {
      // New instances take the lowest free indices, as Azure numbers them.
      const taken = new Set(current.map((i) => indexOf(i.name)));
      const indices: number[] = [];
      for (let n = 0; indices.length < count - current.length; n++) if (!taken.has(n)) indices.push(n);
      const ids = await deployment.controller.place(deployment.view, [{ role, indices }], deployment.model.upgradeDomainCount, requestId);
      this.setInstanceCount(deployment, role, count);
      await deployment.controller.whenStatus(ids, ['ReadyRole', 'FailedStartingRole', 'FailedStartingVM']);
    } else if (count < current.length) {
      // Scaling in removes the highest-numbered instances.
      const doomed = current.sort((a, b) => indexOf(b.name) - indexOf(a.name)).slice(0, current.length - count);
      this.setInstanceCount(deployment, role, count);
      await deployment.controller.stopInstances(doomed.map((i) => i.id), 'delete', requestId);
    }
  }

  restartInstance(instanceId: string, how: InstanceRestart, chosenId?: string): OperationRef {
    const requestId = chosenId ?? randomUUID();
    const controller = this.controllers.find((c) => c.instance(instanceId));
    if (!controller) throw FabricErrors.instanceNotFound(instanceId, requestId);
    const deployment = this.deployment(controller.instance(instanceId)!.deploymentId, requestId);
    const kind = restartKinds[how];
    this.assertIdle(deployment, kind, requestId);
    this.assertRunning(deployment, `have an instance ${how === 'reboot' ? 'rebooted' : `${how}ed`}`, requestId);
    const done = controller.restartInstance(instanceId, how, requestId);
    return this.run(deployment, kind, instanceId, 'RunningTransitioning', 'Running', () => done, requestId);
  }

  /**
   * Delete Role Instances: stop and remove the named instances of a running deployment; each role's instance
   * count shrinks by the instances it lost (a role keeps at least one).
   */
  deleteInstances(deploymentId: string, instanceIds: string[], chosenId?: string): OperationRef {
    const requestId = chosenId ?? randomUUID();
    const deployment = this.deployment(deploymentId, requestId);
    this.assertIdle(deployment, 'DeleteRoleInstances', requestId);
    this.assertRunning(deployment, 'have instances deleted', requestId);
    const all = deployment.controller.instancesOf(deploymentId);
    const unknown = instanceIds.find((id) => !all.some((i) => i.id === id));
    if (unknown) throw FabricErrors.instanceNotFound(unknown, requestId);
    const remaining = new Map(deployment.model.roles.map((r) => [r, all.filter((i) => i.roleName === r.name && !instanceIds.includes(i.id)).length]));
    for (const [role, left] of remaining) if (left === 0) throw FabricErrors.lastInstancesOfRole(role.name, requestId);
    return this.run(deployment, 'DeleteRoleInstances', deploymentId, 'RunningTransitioning', 'Running', async () => {
      for (const [role, left] of remaining) if (left !== role.instanceCount) this.setInstanceCount(deployment, role, left);
      await deployment.controller.stopInstances(instanceIds, 'delete', requestId);
    }, requestId);
  }

  /** Route a fault to the controller that owns its target (fault-kinds.ts names it); unknown targets are NotFound. */
  injectFault(fault: FaultRequest): Promise<void> {
    const host = isHostFault(fault);
    const target = host ? fault.hostId : fault.instanceId;
    const controller = this.controllers.find((c) => (host ? c.hasHost(target) : c.instance(target)));
    if (!controller) throw host ? FabricErrors.hostNotFound(target) : FabricErrors.faultInstanceNotFound(target);
    this.logs?.frontEnd.write('WARN', `Fault ${fault.kind} aimed at ${host ? 'host' : 'instance'} ${target}.`);
    const applied = controller.injectFault(fault);
    controller.record({ kind: 'fault', at: this.now(), fault, target });
    return applied;
  }

  /** Start an operation: the deployment shows `during` until `work` settles, then `after` (if any). */
  private run(
    deployment: Deployment,
    kind: OperationKind,
    target: string,
    during: DeploymentView['status'],
    after: DeploymentView['status'] | null,
    work: () => Promise<void>,
    requestId: string,
    /** What was asked beyond kind and target ("to Suspended"), shown with the operation. */
    detail?: string,
  ): OperationRef {
    const lease = this.locks.acquire(deployment.view.id, kind, requestId);
    const operation = this.operations.start(kind, target, requestId, deployment.view.id, detail);
    deployment.operation = operation;
    const before = deployment.view.status;
    this.setStatus(deployment, during);
    // A work that throws before its first await still ends its operation and lets go of the lock.
    let working: Promise<void>;
    try {
      working = work();
    } catch (error) {
      working = Promise.reject(error);
    }
    working.then(
      () => {
        if (after && this.deployments.has(deployment.view.id)) this.setStatus(deployment, after);
        lease.release();
        this.operations.end(operation, null);
      },
      (error: unknown) => {
        if (this.deployments.has(deployment.view.id) && deployment.view.status === during) this.setStatus(deployment, after ?? before);
        lease.release();
        this.operations.end(operation, toErrorInfo(error));
      },
    );
    return { requestId: operation.requestId, deploymentId: deployment.view.id };
  }

  private deployment(deploymentId: string, requestId: string): Deployment {
    const deployment = this.deployments.get(deploymentId);
    if (!deployment) throw FabricErrors.deploymentNotFound(deploymentId, requestId);
    return deployment;
  }

  /** Refused with Conflict while another operation holds the deployment (deployment-lock.ts). */
  private assertIdle(deployment: Deployment, kind: OperationKind, requestId: string): void {
    this.locks.assertFree(deployment.view.id, kind, requestId);
  }

  private assertRunning(deployment: Deployment, what: string, requestId: string): void {
    if (deployment.view.status !== 'Running') throw FabricErrors.deploymentNotRunning(deployment.view.id, deployment.view.status, what, requestId);
  }

  private checkQuota(need: number, requestId: string): void {
    const used = [...this.deployments.values()].reduce((sum, d) => sum + coresOf(d.model.roles), 0);
    if (used + need > this.coreQuota) throw FabricErrors.coreQuotaExceeded(need, used, this.coreQuota, requestId);
  }

  /** FFE: among the pools of the region, the one with the most room that can hold the whole deployment. */
  private pickPool(model: ServiceModel, region: string | undefined, requestId: string): FabricController {
    const inRegion = region === undefined ? this.controllers : this.controllers.filter((c) => c.pool.region.toLowerCase() === region.toLowerCase());
    if (inRegion.length === 0) {
      const regions = [...new Set(this.controllers.map((c) => c.pool.region))];
      throw FabricErrors.regionNotServed(region, regions, requestId);
    }
    const need = coresOf(model.roles);
    const room = (c: FabricController) => c.capacity().free + c.capacity().spare;
    const byRoom = [...inRegion].sort((a, b) => room(b) - room(a));
    // When none has room, the roomiest pool's controller fails the allocation with the reason.
    return byRoom.find((c) => c.capacity().free >= need) ?? byRoom.find((c) => room(c) >= need) ?? byRoom[0]!;
  }

  private instanceIds(deployment: Deployment): string[] {
    return deployment.controller.instancesOf(deployment.view.id).map((i) => i.id);
  }

  private setInstanceCount(deployment: Deployment, role: RoleModel, count: number): void {
    role.instanceCount = count;
    deployment.view.roles = roleViews(deployment.model);
    this.publish(deployment);
  }

  private setStatus(deployment: Deployment, status: DeploymentView['status']): void {
    deployment.view.status = status;
    this.publish(deployment);
  }

  private publish(deployment: Deployment): void {
    // A walk that has covered every domain is over for the user (a configuration change may still be scaling).
    const walk = deployment.upgrade?.walk;
    const status = walk && !walk.done ? walk.status : undefined;
    const upgradeStatus = status ? { ...status, walked: [...status.walked] } : null;
    deployment.view.upgradeStatus = upgradeStatus;
    this.events.publish({ type: 'deployment', deployment: { ...deployment.view, roles: roleViews(deployment.model), upgradeStatus } });
  }
}

function coresOf(roles: RoleModel[]): number {
  return roles.reduce((sum, role) => sum + vmSizeCores[role.vmSize] * role.instanceCount, 0);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** How two deployments' load-balanced endpoints differ (role/name protocol:port), or '' when they are the same. */
function endpointDifference(a: ServiceModel, b: ServiceModel): string {
  const list = (m: ServiceModel) =>
    m.roles.flatMap((r) => [
      ...r.endpoints.input.map((e) => `${r.name}/${e.name} ${e.protocol}:${e.port}`),
      ...r.endpoints.instanceInput.map((e) => `${r.name}/${e.name} ${e.protocol}:${e.publicPortRange.min}-${e.publicPortRange.max}`),
    ]);
  const [left, right] = [list(a), list(b)];
  const onlyA = left.filter((e) => !right.includes(e));
  const onlyB = right.filter((e) => !left.includes(e));
  return [onlyA.length ? `only in production: ${onlyA.join(', ')}` : '', onlyB.length ? `only in staging: ${onlyB.join(', ')}` : ''].filter(Boolean).join('; ');
}

function roleOf(deployment: Deployment, name: string): RoleModel {
  return deployment.model.roles.find((r) => r.name === name)!;
}
