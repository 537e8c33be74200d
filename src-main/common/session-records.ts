// What happened in a session, in the order it happened: instance status changes, injected faults, and the
// kinds of operation the front end tracks. The event batches (fabric-api.ts) and the session's events file
// (log-api.ts) both carry them, so they live apart from either.
import type { FaultRequest } from './api-schema';
import type { InstanceStatus } from './instance-status';

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed';

export type OperationKind =
  | 'CreateDeployment'
  | 'DeleteDeployment'
  | 'UpdateDeploymentStatus'
  | 'ChangeInstanceCount'
  | 'RebootRoleInstance'
  | 'ReimageRoleInstance'
  /** A reimage that also empties the instance's local storage (the Service Management API's Rebuild Role Instance). */
  | 'RebuildRoleInstance'
  /** A new .cscfg for a running deployment (the Service Management API's Change Deployment Configuration). */
  | 'ChangeDeploymentConfiguration'
  /** Writing the session's logs to one .zip (log-api.ts exportSession). */
  | 'ExportSession'
  /** Service Management API calls that change a hosted service (ended when answered). */
  | 'CreateHostedService'
  | 'UpdateHostedService'
  | 'DeleteHostedService'
  | 'AddCertificate'
  | 'DeleteCertificate'
  | 'DeleteRoleInstances'
  /** In-place upgrades, their walk and rollback, and VIP swap (front end and Service Management API). */
  | 'UpgradeDeployment'
  | 'WalkUpgradeDomain'
  | 'RollbackUpdateOrUpgrade'
  | 'SwapDeployment'
  /** The fabric updating the host OS under a deployment, one upgrade domain at a time (planned maintenance). */
  | 'PlatformUpdate'
  /** A Service Management API call that started no operation (a read, or a refusal before any): shown, never resumed. */
  | 'ApiCall';

/** One thing that happened, kept in order (unlike entity states, records are never coalesced). */
export interface StatusChangeRecord {
  kind: 'instance-status';
  at: number;
  instanceId: string;
  deploymentId: string;
  from: InstanceStatus;
  to: InstanceStatus;
  details: string;
  /** The request whose work this change belongs to, when the host agent knew it. */
  requestId?: string;
}
export interface FaultRecord {
  kind: 'fault';
  at: number;
  fault: FaultRequest;
  /** What the fault was aimed at, as the user named it (instance or host). */
  target: string;
}
/** Something went wrong inside the fabric and was caught at a boundary: logged, shown, and the fabric kept running. */
export interface FabricErrorRecord {
  kind: 'fabric-error';
  at: number;
  /** What it happened in, as a support engineer would look for it: a host id, "FrontEnd", "ExportSession". */
  source: string;
  message: string;
}
export type FabricRecord = StatusChangeRecord | FaultRecord | FabricErrorRecord;
