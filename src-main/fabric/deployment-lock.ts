// One operation at a time per deployment, as RDFE holds it: an operation takes the deployment's lock when it
// is accepted and lets go when it has ended; a second one meanwhile is refused with the ConflictError Azure
// answers ("... is currently performing an operation with x-ms-requestid ... that requires exclusive access").
// The lock is apart from the operation that took it because an upgrade holds it across several operations:
// Upgrade Deployment takes it, then the Walk Upgrade Domain and Rollback requests of that same upgrade go on
// under it while everything else is refused until the upgrade has walked its last domain.
import type { OperationKind } from '../common/fabric-api';
import { FabricErrors } from '../common/fabric-errors';

/** Who holds a deployment's lock. */
export interface DeploymentLockHolder {
  kind: OperationKind;
  requestId: string;
  /** Operations that may still start while this one holds the lock (an upgrade's walks and rollback). */
  admits: readonly OperationKind[];
}

/** A taken lock; `release` lets go (once; a second call does nothing). */
export interface DeploymentLease {
  readonly holder: DeploymentLockHolder;
  release(): void;
}

export class DeploymentLocks {
  private readonly held = new Map<string, DeploymentLockHolder>();

  /** Take the deployment's lock for an operation, or throw Conflict naming the operation that holds it. */
  acquire(deploymentId: string, kind: OperationKind, requestId: string, admits: readonly OperationKind[] = []): DeploymentLease {
    this.assertFree(deploymentId, kind, requestId);
    const holder: DeploymentLockHolder = { kind, requestId, admits };
    this.held.set(deploymentId, holder);
    return {
      holder,
      release: () => {
        if (this.held.get(deploymentId) === holder) this.held.delete(deploymentId);
      },
    };
  }

  /** Throw Conflict unless `kind` could start now: no lock held, or the holder admits it. */
  assertFree(deploymentId: string, kind: OperationKind, requestId: string): void {
    const holder = this.held.get(deploymentId);
    if (holder && !holder.admits.includes(kind)) throw FabricErrors.operationInProgress(deploymentId, holder.kind, holder.requestId, requestId);
  }

  holder(deploymentId: string): DeploymentLockHolder | undefined {
    return this.held.get(deploymentId);
  }
}
