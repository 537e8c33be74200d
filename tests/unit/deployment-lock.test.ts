// One operation at a time per deployment: a second is refused with Conflict naming the holder (which the
// Service Management API answers as Azure's ConflictError), and an upgrade's lock admits its own walks.
import { describe, expect, it } from 'vitest';
import { FabricError } from '../../src-main/common/fabric-errors';
import { DeploymentLocks } from '../../src-main/fabric/deployment-lock';
import { toManagementError } from '../../src-main/management/management-errors';

describe('DeploymentLocks', () => {
  it('refuses a second operation on the same deployment until the first lets go', () => {
    const locks = new DeploymentLocks();
    const lease = locks.acquire('deployment1(1)', 'ChangeInstanceCount', 'req-1');
    // Another deployment is not held.
    locks.acquire('deployment2(2)', 'DeleteDeployment', 'req-2');
    let refused: unknown;
    try {
      locks.acquire('deployment1(1)', 'DeleteDeployment', 'req-3');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(FabricError);
    expect(refused).toMatchObject({ code: 'Conflict', requestId: 'req-3', message: expect.stringContaining('ChangeInstanceCount, request req-1') });
    expect(toManagementError(refused)).toMatchObject({ status: 409, code: 'ConflictError', message: expect.stringContaining('x-ms-requestid req-1') });
    lease.release();
    expect(locks.holder('deployment1(1)')).toBeUndefined();
    expect(() => locks.acquire('deployment1(1)', 'DeleteDeployment', 'req-4')).not.toThrow();
  });

  it('lets an upgrade admit its own walks and rollback, and nothing else', () => {
    const locks = new DeploymentLocks();
    const upgrade = locks.acquire('deployment1(1)', 'UpgradeDeployment', 'up', ['WalkUpgradeDomain', 'RollbackUpdateOrUpgrade']);
    expect(() => locks.assertFree('deployment1(1)', 'WalkUpgradeDomain', 'walk')).not.toThrow();
    expect(() => locks.assertFree('deployment1(1)', 'ChangeDeploymentConfiguration', 'cfg')).toThrow(/UpgradeDeployment, request up/);
    // A stale lease does not release a newer holder.
    upgrade.release();
    const next = locks.acquire('deployment1(1)', 'DeleteDeployment', 'del');
    upgrade.release();
    expect(locks.holder('deployment1(1)')).toBe(next.holder);
  });
});
