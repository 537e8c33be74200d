// Requests beyond deploy and delete, each followed through its operation: suspend and run, reboot and
// reimage, scale out and in, region choice and spare hosts.
import { afterEach, describe, expect, it } from 'vitest';
import type { OperationRef } from '../../src-main/common/fabric-api';
import { Fabric, type FabricOptions } from '../../src-main/fabric/fabric';
import { hostWorkerUrl } from '../support/built';
import { deployReady, instance, StatusHistory, waitFor, refusal } from '../support/fabric-helpers';

let fabric: Fabric | null = null;
afterEach(async () => {
  await fabric?.close();
  fabric = null;
});

async function start(seed: number, options: Partial<FabricOptions> = {}): Promise<{ api: Fabric; history: StatusHistory }> {
  fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed, batchIntervalMs: 10, ...options });
  return { api: fabric, history: new StatusHistory(fabric) };
}

async function succeeded(api: Fabric, ref: OperationRef): Promise<void> {
  const op = await waitFor(`operation ${ref.requestId}`, async () => {
    const found = (await api.getSnapshot()).operations.find((o) => o.requestId === ref.requestId);
    return found && found.status !== 'InProgress' && found;
  });
  expect(op.error).toBeNull();
  expect(op.status).toBe('Succeeded');
}


describe('deployment lifecycle', () => {
  it('suspends a deployment (instances StoppedVM, cores kept) and runs it again', async () => {
    const { api, history } = await start(31);
    const [a] = await deployReady(api);
    const deploymentId = a!.deploymentId;
    const suspend = await api.updateDeploymentStatus({ deploymentId, status: 'Suspended' });
    expect((await api.getSnapshot()).deployments[0]?.status).toBe('Suspending');
    await succeeded(api, suspend);
    let snap = await api.getSnapshot();
    expect(snap.deployments[0]?.status).toBe('Suspended');
    expect(snap.instances.map((i) => i.status)).toEqual(['StoppedVM', 'StoppedVM']);
    expect(snap.hosts.reduce((s, h) => s + h.usedCores, 0)).toBe(2);
    expect(await refusal(api.updateDeploymentStatus({ deploymentId, status: 'Suspended' }))).toMatchObject({ code: 'Conflict' });

    await succeeded(api, await api.updateDeploymentStatus({ deploymentId, status: 'Running' }));
    snap = await api.getSnapshot();
    expect(snap.deployments[0]?.status).toBe('Running');
    expect(snap.instances.map((i) => i.status)).toEqual(['ReadyRole', 'ReadyRole']);
    await waitFor('Ready recorded', async () => history.of(a!.id).at(-1) === 'ReadyRole' && history.of(a!.id).length > 7);
    expect(history.of(a!.id).slice(-8)).toEqual(['StoppingRole', 'StoppingVM', 'StoppedVM', 'StartingVM', 'CreatingRole', 'StartingRole', 'BusyRole', 'ReadyRole']);
  });

  it('reboots an instance (guest OS restarts) and reimages another (VM re-created)', async () => {
    const { api, history } = await start(32);
    const [a, b] = await deployReady(api);
    const since = api.clock.now();
    await succeeded(api, await api.rebootInstance({ instanceId: a!.id }));
    await history.reach(a!.id, 'ReadyRole', since);
    expect(history.of(a!.id).slice(-6)).toEqual(['StoppingRole', 'StartingVM', 'CreatingRole', 'StartingRole', 'BusyRole', 'ReadyRole']);
    expect(history.firstInto(a!.id, 'StartingVM', since)?.details).toBe('Rebooting the guest OS.');
    await succeeded(api, await api.reimageInstance({ instanceId: b!.id }));
    await history.reach(b!.id, 'ReadyRole', since);
    expect(history.of(b!.id).slice(-8)).toEqual(['StoppingRole', 'StoppingVM', 'CreatingVM', 'StartingVM', 'CreatingRole', 'StartingRole', 'BusyRole', 'ReadyRole']);
    expect((await instance(api, a!.id))?.restarts).toBe(1);
    expect((await instance(api, b!.id))?.restarts).toBe(1);
  });

  it('scales a role out over fault domains and back in, removing the highest-numbered instances', async () => {
    const { api } = await start(33);
    const [a] = await deployReady(api);
    const deploymentId = a!.deploymentId;
    await succeeded(api, await api.changeInstanceCount({ deploymentId, roleName: 'WorkerRole1', count: 5 }));
    let snap = await api.getSnapshot();
    const names = snap.instances.map((i) => i.name).sort();
    expect(names).toEqual(['WorkerRole1_IN_0', 'WorkerRole1_IN_1', 'WorkerRole1_IN_2', 'WorkerRole1_IN_3', 'WorkerRole1_IN_4']);
    expect(snap.instances.every((i) => i.status === 'ReadyRole')).toBe(true);
    expect(snap.instances.map((i) => i.upgradeDomain).sort()).toEqual([0, 1, 2, 3, 4]);
    const perFd = [0, 1].map((fd) => snap.instances.filter((i) => i.faultDomain === fd).length);
    expect(perFd.sort()).toEqual([2, 3]);
    expect(snap.deployments[0]?.roles[0]?.instanceCount).toBe(5);

    await succeeded(api, await api.changeInstanceCount({ deploymentId, roleName: 'WorkerRole1', count: 2 }));
    snap = await api.getSnapshot();
    expect(snap.instances.map((i) => i.name).sort()).toEqual(['WorkerRole1_IN_0', 'WorkerRole1_IN_1']);
    expect(snap.hosts.reduce((s, h) => s + h.usedCores, 0)).toBe(2);
  });

  it('refuses bad lifecycle requests with a reason and changes nothing', async () => {
    const { api } = await start(34, { coreQuota: 6 });
    const [a] = await deployReady(api);
    const deploymentId = a!.deploymentId;
    expect(await refusal(api.changeInstanceCount({ deploymentId, roleName: 'NoSuchRole', count: 3 }))).toMatchObject({ code: 'NotFound', message: expect.stringContaining('WorkerRole1') });
    expect(await refusal(api.changeInstanceCount({ deploymentId, roleName: 'WorkerRole1', count: 2 }))).toMatchObject({ code: 'BadRequest' });
    expect(await refusal(api.changeInstanceCount({ deploymentId, roleName: 'WorkerRole1', count: 50 }))).toMatchObject({ code: 'QuotaExceeded' });
    expect(await refusal(api.updateDeploymentStatus({ deploymentId, status: 'Running' }))).toMatchObject({ code: 'Conflict', message: expect.stringContaining('Suspended') });
    expect(await refusal(api.rebootInstance({ instanceId: `${deploymentId}/WorkerRole1_IN_7` }))).toMatchObject({ code: 'NotFound' });
    expect(await refusal(api.deploy({ sample: 'hello-worker', slot: 'staging', region: 'Mars' }))).toMatchObject({ code: 'BadRequest', message: expect.stringContaining('Local') });

    // One operation at a time per deployment.
    await api.rebootInstance({ instanceId: a!.id });
    expect(await refusal(api.reimageInstance({ instanceId: a!.id }))).toMatchObject({ code: 'Conflict', message: expect.stringContaining('RebootRoleInstance') });
    const snap = await api.getSnapshot();
    expect(snap.instances).toHaveLength(2);
    expect(snap.deployments).toHaveLength(1);
  });
});

describe('machine pools', () => {
  it('FFE routes a deployment to a pool of the requested region', async () => {
    const { api } = await start(35, {
      pools: [
        { name: 'West', region: 'West Europe', hosts: 1, coresPerHost: 4, faultDomains: 1 },
        { name: 'East', region: 'East US', hosts: 1, coresPerHost: 4, faultDomains: 1 },
      ],
    });
    const { deploymentId } = await api.deploy({ sample: 'hello-worker', region: 'east us' });
    const snap = await api.getSnapshot();
    const east = snap.pools.find((p) => p.name === 'East')!;
    expect(snap.deployments.find((d) => d.id === deploymentId)?.poolId).toBe(east.id);
    expect(snap.instances.every((i) => east.hostIds.includes(i.hostId))).toBe(true);
  });

  it('powers on a spare host when the running hosts have no room, and fails the allocation when even that is not enough', async () => {
    const { api } = await start(36, { pools: [{ name: 'Small', region: 'Local', hosts: 1, spareHosts: 1, coresPerHost: 1, faultDomains: 2 }] });
    let snap = await api.getSnapshot();
    expect(snap.hosts.map((h) => h.health)).toEqual(['Healthy', 'Off']);
    const ref = await api.deploy({ sample: 'hello-worker' });
    snap = await api.getSnapshot();
    expect(snap.operations.find((o) => o.requestId === ref.requestId)?.status).toBe('Succeeded');
    expect(snap.hosts.map((h) => [h.health, h.usedCores])).toEqual([['Healthy', 1], ['Healthy', 1]]);

    const second = await api.deploy({ sample: 'hello-worker', slot: 'staging' });
    const failed = (await api.getSnapshot()).operations.find((o) => o.requestId === second.requestId);
    expect(failed?.status).toBe('Failed');
    expect(failed?.error).toMatch(/^Allocation failed: pool Small has no host with 1 free core/);
  });
});

describe('samples read after the hosts start', () => {
  it('lists and deploys a sample asked for the moment the fabric is up, and names the samples for one it lacks', async () => {
    const { api } = await start(37);
    // Nothing awaited between the start and these: each waits for the samples being read.
    const [list, ref, missing, shown] = await Promise.all([
      api.listSamples(),
      api.deploy({ sample: 'hello-worker' }),
      refusal(api.deploy({ sample: 'hello-wrker' })),
      api.getSamplePackage({ sample: 'hello-worker' }),
    ]);
    expect(list[0]?.id).toBe('hello-worker');
    expect(shown.valid).toBe(true);
    await succeeded(api, ref);
    expect(missing.code).toBe('NotFound');
    expect(missing.message).toMatch(/There is no sample "hello-wrker"\. Samples: .*hello-worker/);
  });

  it('serves without samples when their folder cannot be read', async () => {
    const { api } = await start(38, { samplesDir: '/nonexistent/fabric-lab-samples' });
    expect(await api.listSamples()).toEqual([]);
    const missing = await refusal(api.deploy({ sample: 'hello-worker' }));
    expect(missing.message).toMatch(/There is no sample "hello-worker"/);
    expect((await api.getSnapshot()).hosts.filter((h) => h.health === 'Unhealthy')).toEqual([]);
  });
});
