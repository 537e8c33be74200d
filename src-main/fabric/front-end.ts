// RDFE and FFE: every request gets a request id and an operation the user can follow. RDFE does the
// subscription-level checks (unique service and slot); FFE picks the machine pool and hands the work
// to that pool's fabric controller.
import { randomUUID } from 'node:crypto';
import type { DeployRequest, DeploymentView, FaultRequest, OperationRef, OperationView } from '../common/fabric-api';
import { FabricError, toErrorInfo } from '../common/fabric-api';
import { vmSizeCores, type ServiceModel } from '../common/service-model';
import type { EventHub } from './event-hub';
import type { FabricController } from './fabric-controller';
import type { BuiltinSample } from './builtin-samples';

interface Deployment {
  view: DeploymentView;
  model: ServiceModel;
  controller: FabricController;
  /** The operation that is driving the deployment now (create or delete). */
  operation: OperationView;
}

export class FrontEnd {
  private readonly deployments = new Map<string, Deployment>();
  private readonly operations = new Map<string, OperationView>();
  private deploymentCounter = 0;

  constructor(
    private readonly controllers: FabricController[],
    private readonly samples: BuiltinSample[],
    private readonly events: EventHub,
    private readonly now: () => number,
    private readonly coreQuota: number,
  ) {}

  deploymentViews(): DeploymentView[] {
    return [...this.deployments.values()].map((d) => d.view);
  }

  operationViews(): OperationView[] {
    return [...this.operations.values()];
  }

  deploy(request: DeployRequest): OperationRef {
    const sample = this.samples.find((s) => s.id === request.sample);
    if (!sample) {
      throw new FabricError('NotFound', `There is no sample "${request.sample}". Samples: ${this.samples.map((s) => s.id).join(', ')}.`);
    }
    const serviceName = request.serviceName ?? sample.model.name;
    const slot = request.slot ?? 'production';
    for (const d of this.deployments.values()) {
      if (d.view.serviceName === serviceName && d.view.slot === slot) {
        throw new FabricError('Conflict', `Service ${serviceName} already has a deployment in the ${slot} slot (${d.view.id}); delete it first.`);
      }
    }
    const model = sample.model;
    const need = coresOf(model);
    const used = [...this.deployments.values()].reduce((sum, d) => sum + coresOf(d.model), 0);
    if (used + need > this.coreQuota) {
      throw new FabricError(
        'QuotaExceeded',
        `The deployment needs ${need} cores; the subscription uses ${used} of its ${this.coreQuota}-core quota, so only ${this.coreQuota - used} are left.`,
      );
    }
    const controller = this.pickPool(model);
    const n = ++this.deploymentCounter;
    const view: DeploymentView = {
      id: `deployment${n}(${n})`,
      serviceName,
      slot,
      status: 'Deploying',
      poolId: controller.pool.id,
      roles: model.roles.map((r) => ({ ...r })),
      createdAt: this.now(),
    };
    const operation = this.startOperation('CreateDeployment', view.id);
    const deployment: Deployment = { view, model, controller, operation };
    this.deployments.set(view.id, deployment);
    this.events.publish({ type: 'deployment', deployment: { ...view } });
    try {
      controller.place(view, model);
    } catch (error) {
      this.deployments.delete(view.id);
      this.events.publish({ type: 'deployment-removed', id: view.id });
      this.endOperation(operation, toErrorInfo(error).message);
    }
    return { requestId: operation.requestId, deploymentId: view.id };
  }

  deleteDeployment(deploymentId: string): OperationRef {
    const deployment = this.deployments.get(deploymentId);
    if (!deployment) throw new FabricError('NotFound', `There is no deployment "${deploymentId}".`);
    if (deployment.view.status === 'Deleting') {
      throw new FabricError('Conflict', `Deployment ${deploymentId} is already being deleted (request ${deployment.operation.requestId}).`);
    }
    if (deployment.operation.status === 'InProgress') this.endOperation(deployment.operation, 'Cancelled: the deployment is being deleted.');
    deployment.operation = this.startOperation('DeleteDeployment', deploymentId);
    this.setStatus(deployment, 'Deleting');
    deployment.controller.stop(deploymentId);
    this.onInstanceChanged(deploymentId);
    return { requestId: deployment.operation.requestId, deploymentId };
  }

  /** Called by the controllers whenever an instance of a deployment changes status. */
  onInstanceChanged(deploymentId: string): void {
    const deployment = this.deployments.get(deploymentId);
    if (!deployment) return;
    const instances = deployment.controller.instancesOf(deploymentId);
    if (deployment.view.status === 'Deleting') {
      if (instances.length === 0) {
        this.deployments.delete(deploymentId);
        this.events.publish({ type: 'deployment-removed', id: deploymentId });
        this.endOperation(deployment.operation, null);
      }
    } else if (deployment.view.status === 'Deploying' && instances.every((i) => i.status === 'ReadyRole')) {
      this.setStatus(deployment, 'Running');
      this.endOperation(deployment.operation, null);
    }
  }

  /** Route a fault to the controller that owns its target; unknown targets are NotFound. */
  injectFault(fault: FaultRequest): void {
    if (fault.kind === 'kill-host' || fault.kind === 'disconnect-host') {
      const controller = this.controllers.find((c) => c.hasHost(fault.hostId));
      if (!controller) throw new FabricError('NotFound', `There is no host "${fault.hostId}".`);
      controller.injectHostFault(fault.hostId, fault.kind);
      controller.record({ kind: 'fault', at: this.now(), fault, target: fault.hostId });
      return;
    }
    const controller = this.controllers.find((c) => c.instance(fault.instanceId));
    if (!controller) throw new FabricError('NotFound', `There is no running instance "${fault.instanceId}".`);
    const hostFault = fault.kind === 'crash-role' ? { kind: fault.kind, persistent: fault.persistent ?? false } : { kind: fault.kind };
    controller.injectInstanceFault(fault.instanceId, hostFault);
    controller.record({ kind: 'fault', at: this.now(), fault, target: fault.instanceId });
  }

  /** FFE: the pool with the most free cores that can hold the whole deployment. */
  private pickPool(model: ServiceModel): FabricController {
    const need = coresOf(model);
    const byFree = [...this.controllers].sort((a, b) => b.freeCores() - a.freeCores());
    const best = byFree[0];
    if (!best) throw new FabricError('Internal', 'The fabric has no machine pool.');
    // When none has room, the best pool's controller fails the allocation with the reason.
    return byFree.find((c) => c.freeCores() >= need) ?? best;
  }

  private setStatus(deployment: Deployment, status: DeploymentView['status']): void {
    deployment.view.status = status;
    this.events.publish({ type: 'deployment', deployment: { ...deployment.view } });
  }

  private startOperation(kind: OperationView['kind'], target: string): OperationView {
    const operation: OperationView = {
      requestId: randomUUID(),
      kind,
      target,
      status: 'InProgress',
      error: null,
      startedAt: this.now(),
      endedAt: null,
    };
    this.operations.set(operation.requestId, operation);
    this.events.publish({ type: 'operation', operation: { ...operation } });
    return operation;
  }

  private endOperation(operation: OperationView, error: string | null): void {
    operation.status = error ? 'Failed' : 'Succeeded';
    operation.error = error;
    operation.endedAt = this.now();
    this.events.publish({ type: 'operation', operation: { ...operation } });
  }
}

function coresOf(model: ServiceModel): number {
  return model.roles.reduce((sum, role) => sum + vmSizeCores[role.vmSize] * role.instanceCount, 0);
}
