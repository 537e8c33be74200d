// RDFE and FFE: every request gets a request id and an operation the user can follow. RDFE does the
// subscription-level work (core quota, one deployment per service slot, one operation at a time per
// deployment); FFE picks the machine pool by region and free capacity and hands the work to that pool's
// fabric controller.
import { randomUUID } from 'node:crypto';
import type { DeployRequest, DeploymentView, FaultRequest, OperationKind, OperationRef, OperationView, RoleView } from '../common/fabric-api';
import { FabricError, toErrorInfo } from '../common/fabric-api';
import { vmSizeCores, type RoleModel, type ServiceModel } from '../common/service-model';
import type { EventHub } from './event-hub';
import type { FabricLogs } from './fabric-logs';
import type { FabricController } from './fabric-controller';
import type { PackageStore } from './package-store';
import type { PackageReadResult } from '../package/index';
import { checkConfigurationChange, type RoleConfigurationChange } from './configuration-change';

interface Deployment {
  view: DeploymentView;
  model: ServiceModel;
  controller: FabricController;
  /** The latest operation on the deployment; a new one may start only once it has ended. */
  operation: OperationView;
  /** The definition's files, against which a new configuration is checked (Change Deployment Configuration). */
  definition: PackageReadResult['definition'];
  /** The version of the configuration the instances run: C:\Config\<deploymentID>.<role>.<version>.xml. */
  configurationVersion: number;
}

/** Operations kept for the UI; older ended ones are dropped. */
const keptOperations = 500;

export class FrontEnd {
  private readonly deployments = new Map<string, Deployment>();
  private readonly operations = new Map<string, OperationView>();
  /** The deployment each running operation acts on, for its events (its target may be an instance). */
  private readonly operationDeployments = new Map<string, string>();
  private deploymentCounter = 0;

  constructor(
    private readonly controllers: FabricController[],
    private readonly packages: PackageStore,
    private readonly events: EventHub,
    private readonly now: () => number,
    private readonly coreQuota: number,
    /** FrontEnd.log and the session's operation events. */
    private readonly logs?: FabricLogs,
  ) {}

  deploymentViews(): DeploymentView[] {
    return [...this.deployments.values()].map((d) => d.view);
  }

  operationViews(): OperationView[] {
    return [...this.operations.values()];
  }

  /** `requestId`: the operation's id when the caller chose it (the Service Management API answers it at once). */
  async deploy(request: DeployRequest, requestId?: string): Promise<OperationRef> {
    const source = this.packages.modelFor(request);
    const serviceName = request.serviceName ?? source.name;
    const slot = request.slot ?? 'production';
    for (const d of this.deployments.values()) {
      if (d.view.serviceName === serviceName && d.view.slot === slot) {
        throw new FabricError('Conflict', `Service ${serviceName} already has a deployment in the ${slot} slot (${d.view.id}); delete it first.`);
      }
    }
    // The model is the deployment's own copy: scaling changes its instance counts.
    const model: ServiceModel = structuredClone(source);
    this.checkQuota(coresOf(model.roles));
    const controller = this.pickPool(model, request.region);
    const n = ++this.deploymentCounter;
    const view: DeploymentView = {
      id: `deployment${n}(${n})`,
      serviceName,
      slot,
      status: 'Deploying',
      poolId: controller.pool.id,
      roles: roleViews(model),
      createdAt: this.now(),
    };
    const definition = this.packages.definitionFor(request);
    const deployment: Deployment = { view, model, controller, operation: this.startOperation('CreateDeployment', view.id, requestId), definition, configurationVersion: 1 };
    this.deployments.set(view.id, deployment);
    this.publish(deployment);
    const roles = model.roles.map((role) => ({ role, indices: range(0, role.instanceCount) }));
    try {
      this.logs?.frontEnd.write('INFO', `FFE picked ${controller.pool.name} (${controller.pool.region}) for ${view.id}.`, deployment.operation.requestId);
      await controller.place(view, roles, model.upgradeDomainCount, deployment.operation.requestId);
    } catch (error) {
      this.deployments.delete(view.id);
      this.events.publish({ type: 'deployment-removed', id: view.id });
      this.endOperation(deployment.operation, toErrorInfo(error).message);
      return { requestId: deployment.operation.requestId, deploymentId: view.id };
    }
    // As in Azure, the deployment is Running once created; its instances report their own progress.
    this.setStatus(deployment, 'Running');
    this.endOperation(deployment.operation, null);
    return { requestId: deployment.operation.requestId, deploymentId: view.id };
  }

  deleteDeployment(deploymentId: string, requestId?: string): OperationRef {
    const deployment = this.deployment(deploymentId);
    if (deployment.view.status === 'Deleting') {
      throw new FabricError('Conflict', `Deployment ${deploymentId} is already being deleted (request ${deployment.operation.requestId}).`);
    }
    // Deleting supersedes whatever was in progress.
    if (deployment.operation.status === 'InProgress') this.endOperation(deployment.operation, 'Cancelled: the deployment is being deleted.');
    return this.run(deployment, 'DeleteDeployment', deploymentId, 'Deleting', null, async (requestId) => {
      await deployment.controller.stopInstances(this.instanceIds(deployment), 'delete', requestId);
      this.deployments.delete(deploymentId);
      this.events.publish({ type: 'deployment-removed', id: deploymentId });
    }, requestId);
  }

  updateDeploymentStatus(deploymentId: string, status: 'Running' | 'Suspended', chosenId?: string): OperationRef {
    const deployment = this.deployment(deploymentId);
    this.assertIdle(deployment);
    const current = deployment.view.status;
    if (status === 'Suspended') {
      if (current !== 'Running') throw new FabricError('Conflict', `Deployment ${deploymentId} is ${current}; only a Running deployment can be suspended.`);
      return this.run(deployment, 'UpdateDeploymentStatus', deploymentId, 'Suspending', 'Suspended', (requestId) =>
        deployment.controller.stopInstances(this.instanceIds(deployment), 'keep', requestId),
        chosenId,
      );
    }
    if (current !== 'Suspended') throw new FabricError('Conflict', `Deployment ${deploymentId} is ${current}; only a Suspended deployment can be started.`);
    return this.run(deployment, 'UpdateDeploymentStatus', deploymentId, 'Starting', 'Running', (requestId) =>
      deployment.controller.resumeInstances(this.instanceIds(deployment), requestId),
      chosenId,
    );
  }

  changeInstanceCount(deploymentId: string, roleName: string, count: number): OperationRef {
    const deployment = this.deployment(deploymentId);
    this.assertIdle(deployment);
    this.assertRunning(deployment, 'scaled');
    const role = deployment.model.roles.find((r) => r.name === roleName);
    if (!role) throw new FabricError('NotFound', `Deployment ${deploymentId} has no role "${roleName}". Roles: ${deployment.model.roles.map((r) => r.name).join(', ')}.`);
    const current = deployment.controller.instancesOf(deploymentId, roleName);
    if (count === current.length) throw new FabricError('BadRequest', `Role ${roleName} already has ${count} instance(s).`);
    if (count > current.length) this.checkQuota(vmSizeCores[role.vmSize] * (count - current.length));
    return this.run(deployment, 'ChangeInstanceCount', deploymentId, 'RunningTransitioning', 'Running', (requestId) => this.scaleRole(deployment, role, count, requestId));
  }

  /**
   * Change Deployment Configuration: check the new .cscfg against the deployment's definition (refused with
   * every error's file, line and rule, and nothing changed), then hand each role's instances the new values
   * and scale the roles whose instance count changed. Succeeds once every instance has taken the change.
   */
  updateConfiguration(deploymentId: string, configuration: string, fileName?: string, chosenId?: string): OperationRef {
    const deployment = this.deployment(deploymentId);
    if (deployment.view.status === 'Deleting') {
      throw new FabricError('Conflict', `Deployment ${deploymentId} is being deleted (request ${deployment.operation.requestId}); its configuration cannot change.`);
    }
    this.assertIdle(deployment);
    this.assertRunning(deployment, 'given a new configuration');
    if (!deployment.definition) throw new FabricError('Conflict', `Deployment ${deploymentId} was not made from a package whose definition Fabric Lab kept.`);
    let changes: RoleConfigurationChange[];
    try {
      changes = checkConfigurationChange(deployment.definition, deployment.model, configuration, fileName);
    } catch (error) {
      // The refusal is an operation of its own, failed, as the Service Management API reports it.
      const operation = this.startOperation('ChangeDeploymentConfiguration', deploymentId, chosenId, deploymentId);
      this.endOperation(operation, toErrorInfo(error).message);
      throw error;
    }
    const growth = changes.reduce((sum, c) => {
      const role = deployment.model.roles.find((r) => r.name === c.roleName)!;
      const now = deployment.controller.instancesOf(deploymentId, c.roleName).length;
      return sum + vmSizeCores[role.vmSize] * Math.max(0, c.instanceCount - now);
    }, 0);
    if (growth > 0) this.checkQuota(growth);
    const version = ++deployment.configurationVersion;
    return this.run(deployment, 'ChangeDeploymentConfiguration', deploymentId, 'RunningTransitioning', 'Running', async (requestId) => {
      this.logs?.frontEnd.write('INFO', `Configuration version ${version} of ${deploymentId}: ${describeChanges(changes)}.`, requestId);
      for (const change of changes) {
        const role = deployment.model.roles.find((r) => r.name === change.roleName)!;
        role.settings = role.settings.map((s) => ({ ...s, value: change.settings[s.name] ?? s.value }));
        role.certificates = change.certificates;
      }
      deployment.view.roles = roleViews(deployment.model);
      this.publish(deployment);
      await Promise.all(
        changes.map(async (change) => {
          await deployment.controller.changeConfiguration(deploymentId, change.roleName, change.settings, version, requestId);
          const role = deployment.model.roles.find((r) => r.name === change.roleName)!;
          const now = deployment.controller.instancesOf(deploymentId, change.roleName).length;
          if (change.instanceCount !== now) await this.scaleRole(deployment, role, change.instanceCount, requestId);
        }),
      );
    }, chosenId);
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

  restartInstance(instanceId: string, how: 'reboot' | 'reimage', chosenId?: string): OperationRef {
    const controller = this.controllers.find((c) => c.instance(instanceId));
    if (!controller) throw new FabricError('NotFound', `There is no instance "${instanceId}".`);
    const deployment = this.deployment(controller.instance(instanceId)!.deploymentId);
    this.assertIdle(deployment);
    this.assertRunning(deployment, how === 'reboot' ? 'have an instance rebooted' : 'have an instance reimaged');
    const requestId = chosenId ?? randomUUID();
    const done = controller.restartInstance(instanceId, how, requestId);
    return this.run(deployment, how === 'reboot' ? 'RebootRoleInstance' : 'ReimageRoleInstance', instanceId, 'RunningTransitioning', 'Running', () => done, requestId);
  }

  /**
   * Delete Role Instances: stop and remove the named instances of a running deployment; each role's instance
   * count shrinks by the instances it lost (a role keeps at least one).
   */
  deleteInstances(deploymentId: string, instanceIds: string[], requestId?: string): OperationRef {
    const deployment = this.deployment(deploymentId);
    this.assertIdle(deployment);
    this.assertRunning(deployment, 'have instances deleted');
    const all = deployment.controller.instancesOf(deploymentId);
    const unknown = instanceIds.filter((id) => !all.some((i) => i.id === id));
    if (unknown.length) throw new FabricError('NotFound', `Deployment ${deploymentId} has no instance ${unknown.map((id) => id.split('/').at(-1)).join(', ')}.`);
    const remaining = new Map(deployment.model.roles.map((r) => [r, all.filter((i) => i.roleName === r.name && !instanceIds.includes(i.id)).length]));
    for (const [role, left] of remaining) {
      if (left === 0) throw new FabricError('BadRequest', `Role ${role.name} would have no instance left; delete the deployment instead.`);
    }
    return this.run(deployment, 'DeleteRoleInstances', deploymentId, 'RunningTransitioning', 'Running', async (id) => {
      for (const [role, left] of remaining) if (left !== role.instanceCount) this.setInstanceCount(deployment, role, left);
      await deployment.controller.stopInstances(instanceIds, 'delete', id);
    }, requestId);
  }

  /** Route a fault to the controller that owns its target; unknown targets are NotFound. */
  injectFault(fault: FaultRequest): void {
    if (fault.kind === 'kill-host' || fault.kind === 'disconnect-host' || fault.kind === 'hang-host') {
      const controller = this.controllers.find((c) => c.hasHost(fault.hostId));
      if (!controller) throw new FabricError('NotFound', `There is no host "${fault.hostId}".`);
      this.logs?.frontEnd.write('WARN', `Fault ${fault.kind} aimed at host ${fault.hostId}.`);
      controller.injectHostFault(fault.hostId, fault.kind);
      controller.record({ kind: 'fault', at: this.now(), fault, target: fault.hostId });
      return;
    }
    const controller = this.controllers.find((c) => c.instance(fault.instanceId));
    if (!controller) throw new FabricError('NotFound', `There is no running instance "${fault.instanceId}".`);
    const hostFault = fault.kind === 'crash-role' ? { kind: fault.kind, persistent: fault.persistent ?? false } : { kind: fault.kind };
    this.logs?.frontEnd.write('WARN', `Fault ${fault.kind} aimed at instance ${fault.instanceId}.`);
    controller.injectInstanceFault(fault.instanceId, hostFault);
    controller.record({ kind: 'fault', at: this.now(), fault, target: fault.instanceId });
  }

  /** Start an operation: the deployment shows `during` until `work` settles, then `after` (if any). */
  private run(
    deployment: Deployment,
    kind: OperationKind,
    target: string,
    during: DeploymentView['status'],
    after: DeploymentView['status'] | null,
    work: (requestId: string) => Promise<void>,
    requestId?: string,
  ): OperationRef {
    const operation = this.startOperation(kind, target, requestId, deployment.view.id);
    deployment.operation = operation;
    const before = deployment.view.status;
    this.setStatus(deployment, during);
    work(operation.requestId).then(
      () => {
        if (after && this.deployments.has(deployment.view.id)) this.setStatus(deployment, after);
        this.endOperation(operation, null);
      },
      (error: unknown) => {
        if (this.deployments.has(deployment.view.id) && deployment.view.status === during) this.setStatus(deployment, after ?? before);
        this.endOperation(operation, toErrorInfo(error).message);
      },
    );
    return { requestId: operation.requestId, deploymentId: deployment.view.id };
  }

  private deployment(deploymentId: string): Deployment {
    const deployment = this.deployments.get(deploymentId);
    if (!deployment) throw new FabricError('NotFound', `There is no deployment "${deploymentId}".`);
    return deployment;
  }

  private assertIdle(deployment: Deployment): void {
    const op = deployment.operation;
    if (op.status === 'InProgress') {
      throw new FabricError('Conflict', `Deployment ${deployment.view.id} has an operation in progress (${op.kind}, request ${op.requestId}); try again when it has ended.`);
    }
  }

  private assertRunning(deployment: Deployment, what: string): void {
    if (deployment.view.status !== 'Running') {
      throw new FabricError('Conflict', `Deployment ${deployment.view.id} is ${deployment.view.status}; only a Running deployment can be ${what}.`);
    }
  }

  private checkQuota(need: number): void {
    const used = [...this.deployments.values()].reduce((sum, d) => sum + coresOf(d.model.roles), 0);
    if (used + need > this.coreQuota) {
      throw new FabricError(
        'QuotaExceeded',
        `The request needs ${need} more cores; the subscription uses ${used} of its ${this.coreQuota}-core quota, so only ${this.coreQuota - used} are left.`,
      );
    }
  }

  /** FFE: among the pools of the region, the one with the most room that can hold the whole deployment. */
  private pickPool(model: ServiceModel, region: string | undefined): FabricController {
    const inRegion = region === undefined ? this.controllers : this.controllers.filter((c) => c.pool.region.toLowerCase() === region.toLowerCase());
    if (inRegion.length === 0) {
      const regions = [...new Set(this.controllers.map((c) => c.pool.region))].join(', ');
      throw new FabricError('BadRequest', `No machine pool serves region "${region}". Regions: ${regions}.`);
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
    this.events.publish({ type: 'deployment', deployment: { ...deployment.view, roles: roleViews(deployment.model) } });
  }

  /** An operation outside a deployment's lifecycle (a session export), followed like the others. */
  trackOperation(kind: OperationKind, target: string, requestId?: string): { operation: OperationView; progress(fraction: number): void; end(error: string | null): void } {
    const operation = this.startOperation(kind, target, requestId);
    return {
      operation,
      progress: (fraction) => {
        operation.progress = fraction;
        this.events.publish({ type: 'operation', operation: { ...operation } });
      },
      end: (error) => this.endOperation(operation, error),
    };
  }

  private startOperation(kind: OperationKind, target: string, requestId: string = randomUUID(), deploymentId?: string): OperationView {
    const operation: OperationView = { requestId, kind, target, status: 'InProgress', error: null, startedAt: this.now(), endedAt: null };
    this.operationDeployments.set(requestId, deploymentId ?? (target.startsWith('deployment') ? target : ''));
    this.logs?.frontEnd.write('INFO', `${kind} ${target}: accepted.`, requestId);
    this.logs?.operation(operation, this.operationDeployments.get(requestId) || undefined);
    this.operations.set(operation.requestId, operation);
    for (const [id, op] of this.operations) {
      if (this.operations.size <= keptOperations) break;
      if (op.status !== 'InProgress') this.operations.delete(id);
    }
    this.events.publish({ type: 'operation', operation: { ...operation } });
    return operation;
  }

  private endOperation(operation: OperationView, error: string | null): void {
    operation.status = error ? 'Failed' : 'Succeeded';
    operation.error = error;
    operation.endedAt = this.now();
    this.logs?.frontEnd.write(error ? 'ERROR' : 'INFO', `${operation.kind} ${operation.target}: ${operation.status}${error ? `: ${error}` : '.'}`, operation.requestId);
    this.logs?.operation(operation, this.operationDeployments.get(operation.requestId) || undefined);
    this.operationDeployments.delete(operation.requestId);
    this.events.publish({ type: 'operation', operation: { ...operation } });
  }
}

/** For FrontEnd.log: what a configuration change does, role by role. */
function describeChanges(changes: RoleConfigurationChange[]): string {
  return changes
    .map((c) => `${c.roleName}: ${c.changedSettings.length ? `settings ${c.changedSettings.join(', ')} changed` : 'no setting changed'}, ${c.instanceCount} instance(s)`)
    .join('; ');
}

function roleViews(model: ServiceModel): RoleView[] {
  return model.roles.map(({ directory: _directory, entryModule: _entryModule, ...role }) => structuredClone(role));
}

function coresOf(roles: RoleModel[]): number {
  return roles.reduce((sum, role) => sum + vmSizeCores[role.vmSize] * role.instanceCount, 0);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
