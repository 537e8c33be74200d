// Which instances the load balancer sends new connections to. The rules of Azure's default probe:
// an instance is in rotation while Ready; a role with a single instance is always in rotation, whatever
// its status; Busy (StatusCheck) takes an instance out, unless the role's input endpoint says
// ignoreRoleInstanceStatus="true" (then Busy instances stay in).
import type { InstanceView } from '../common/fabric-api';
import { isFinal } from '../common/instance-status';

export function inRotation(instance: InstanceView, roleInstanceCount: number, ignoreRoleInstanceStatus = false): boolean {
  if (isFinal(instance.status)) return false;
  if (roleInstanceCount === 1) return true;
  return instance.status === 'ReadyRole' || (ignoreRoleInstanceStatus && instance.status === 'BusyRole');
}
