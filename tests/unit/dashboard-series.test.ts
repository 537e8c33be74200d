// The dashboard's derived views: chart history stays bounded, the tree and the FD x UD map group instances
// the way a user expects to read them.
import { describe, expect, it } from 'vitest';
import type { DeploymentView, HostView, InstanceView } from '../../src-main/common/fabric-api';
import type { InstanceStatus } from '../../src-main/common/instance-status';
import { domainMap } from '../../src-renderer/lib/domain-map';
import { indexInstances, treeRows } from '../../src-renderer/lib/service-tree';
import { appendBounded, coresByPool, countByTone } from '../../src-renderer/lib/status-history';

function instance(n: number, status: InstanceStatus = 'ReadyRole', role = 'WorkerRole1', deploymentId = 'deployment1(1)'): InstanceView {
  return {
    id: `${deploymentId}/${role}_IN_${n}`,
    name: `${role}_IN_${n}`,
    deploymentId,
    roleName: role,
    hostId: 'h1',
    status,
    stateDetails: '',
    powerState: 'Started',
    upgradeDomain: n % 5,
    faultDomain: n % 2,
    vmSize: 'Small',
    ipAddress: null,
    statusSince: 0,
    lastGuestHeartbeat: null,
    guestHeartbeats: 0,
    inRotation: true,
    rotation: [],
    restarts: 0,
    faults: [],
    endpoints: [],
  };
}

const deployment: DeploymentView = {
  id: 'deployment1(1)',
  serviceName: 'HelloWorker',
  slot: 'production',
  status: 'Running',
  poolId: 'pool-1',
  createdAt: 0,
  vip: null,
  inputEndpoints: [],
  emulated: false,
  // Only the fields the tree reads; the rest of the role model does not matter here.
  roles: [{ name: 'WorkerRole1', type: 'WorkerRole', vmSize: 'Small', instanceCount: 12, startupTasks: [] } as unknown as DeploymentView['roles'][number]],
};

describe('chart history', () => {
  it('never holds more than its bound, and keeps the first and the latest point', () => {
    let points: { at: number }[] = [];
    for (let at = 1; at <= 10_000; at++) points = appendBounded(points, { at }, 400);
    expect(points.length).toBeLessThanOrEqual(400);
    expect(points[0]!.at).toBe(1);
    expect(points.at(-1)!.at).toBe(10_000);
    expect(points.every((p, i) => i === 0 || p.at > points[i - 1]!.at)).toBe(true);
  });

  it('replaces the last point while the emulated clock stands still', () => {
    const points = appendBounded(appendBounded([], { at: 5, v: 1 }, 10), { at: 5, v: 2 }, 10);
    expect(points).toEqual([{ at: 5, v: 2 }]);
  });

  it('counts instances by tone and cores by pool', () => {
    const counts = countByTone([instance(0), instance(1, 'BusyRole'), instance(2, 'CreatingVM'), instance(3, 'FailedStartingRole')]);
    expect(counts).toMatchObject({ ready: 1, busy: 1, progress: 1, failed: 1, stopped: 0 });
    const host = (id: string, usedCores: number): HostView => ({ id, poolId: 'pool-1', name: id, cores: 8, usedCores, faultDomain: 0, health: 'Healthy', healthDetails: '', lastHeartbeat: null });
    const hosts = new Map([['a', host('a', 3)], ['b', host('b', 5)]]);
    expect(coresByPool([{ id: 'pool-1', name: 'Pool A', region: 'Local', hostIds: ['a', 'b'] }], hosts)).toEqual({ 'pool-1': 8 });
  });
});

describe('service tree', () => {
  const instances = Array.from({ length: 12 }, (_, n) => instance(11 - n));
  const index = indexInstances(instances);

  it('orders instances by index, 2 before 10', () => {
    expect(index.get('deployment1(1)')!.get('WorkerRole1')!.map((i) => i.name).slice(0, 3)).toEqual(['WorkerRole1_IN_0', 'WorkerRole1_IN_1', 'WorkerRole1_IN_2']);
    expect(index.get('deployment1(1)')!.get('WorkerRole1')!.at(-1)!.name).toBe('WorkerRole1_IN_11');
  });

  it('lists service, deployment, role and every instance when all are open', () => {
    const rows = treeRows([deployment], (id) => index.get(id) ?? new Map(), new Set());
    expect(rows.map((r) => r.kind).slice(0, 4)).toEqual(['service', 'deployment', 'role', 'instance']);
    expect(rows).toHaveLength(3 + 12);
    expect(rows[2]).toMatchObject({ kind: 'role', count: 12, ready: 12 });
  });

  it('hides what is under a collapsed node', () => {
    expect(treeRows([deployment], (id) => index.get(id) ?? new Map(), new Set(['r:deployment1(1)/WorkerRole1']))).toHaveLength(3);
    expect(treeRows([deployment], (id) => index.get(id) ?? new Map(), new Set(['s:HelloWorker']))).toHaveLength(1);
  });
});

describe('fault domain x upgrade domain map', () => {
  it('puts each instance in the cell of its fault and upgrade domain, empty cells included', () => {
    const map = domainMap([instance(0), instance(1, 'CreatingVM'), instance(5)], 3, 5);
    expect(map.faultDomains).toEqual([0, 1, 2]);
    expect(map.upgradeDomains).toEqual([0, 1, 2, 3, 4]);
    expect(map.cells[1]![0]!.instances.map((i) => i.name)).toEqual(['WorkerRole1_IN_5']);
    expect(map.cells[0]![0]!.ready).toBe(1);
    expect(map.cells[1]![1]!.ready).toBe(0);
    expect(map.cells[2]!.every((c) => c.instances.length === 0)).toBe(true);
  });
});
