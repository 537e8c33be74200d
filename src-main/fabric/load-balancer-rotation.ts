// Which instances the load balancer sends new connections to. The rules of Azure's default probe:
// an instance is in rotation while Ready; a role with a single instance is always in rotation, whatever
// its status; Busy (StatusCheck) takes an instance out, unless the input endpoint says
// ignoreRoleInstanceStatus="true" (then Busy instances stay in). Each input endpoint has its own rotation.
import type { InstanceView } from '../common/fabric-api';
import { isFinal } from '../common/instance-status';

export function inRotation(instance: InstanceView, roleInstanceCount: number, ignoreRoleInstanceStatus = false): boolean {
  if (isFinal(instance.status)) return false;
  if (roleInstanceCount === 1) return true;
  return instance.status === 'ReadyRole' || (ignoreRoleInstanceStatus && instance.status === 'BusyRole');
}

export interface RotationEndpoint {
  name: string;
  ignoreRoleInstanceStatus: boolean;
}

/** The input endpoints whose rotation holds the instance, each judged with its own ignoreRoleInstanceStatus. */
export function rotationOf(instance: InstanceView, roleInstanceCount: number, endpoints: readonly RotationEndpoint[]): string[] {
  return endpoints.filter((e) => inRotation(instance, roleInstanceCount, e.ignoreRoleInstanceStatus)).map((e) => e.name);
}
