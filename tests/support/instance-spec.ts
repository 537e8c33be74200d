// The one instance the host-level tests start on a host worker: a worker role with no role files, as the
// controller would send it in `start-instance`.
import type { InstanceSpec } from '../../src-main/common/host-protocol';

export const workerRoleSpec: InstanceSpec = {
  instanceId: 'deployment1(1)/WorkerRole1_IN_0',
  instanceName: 'WorkerRole1_IN_0',
  deploymentId: 'deployment1(1)',
  roleName: 'WorkerRole1',
  roleType: 'WorkerRole',
  vmSize: 'Small',
  upgradeDomain: 0,
  faultDomain: 0,
  startupTasks: [],
  roleEnvironment: { settings: {}, localResources: {}, endpoints: {} },
};
