// A real fabric with real host workers at a high time scale: deploy the built-in sample, watch both
// instances walk the workflow to ReadyRole, then delete it and watch the cores come back.
import { afterEach, describe, expect, it } from 'vitest';
import type { FabricEvent, InstanceView } from '../../src-main/common/fabric-api';
import type { InstanceStatus } from '../../src-main/common/instance-status';
import { Fabric } from '../../src-main/fabric/fabric';
import { hostWorkerUrl } from '../support/built';
import { deployReady, guestHeartbeatOf, StatusHistory, waitFor } from '../support/fabric-helpers';

let fabric: Fabric | null = null;
afterEach(async () => {
  await fabric?.close();
  fabric = null;
});

/** Record every status each instance reported, in order, from the pushed event batches. */
function recordStatuses(api: Fabric): Map<string, InstanceStatus[]> {
  const seen = new Map<string, InstanceStatus[]>();
  api.onEvents((batch) => {
    for (const record of batch.records) {
      if (record.kind !== 'instance-status') continue;
      const list = seen.get(record.instanceId) ?? [record.from];
      list.push(record.to);
      seen.set(record.instanceId, list);
    }
  });
  return seen;
}

describe('the fabric runs the deployment workflow on real host workers', () => {
  it('brings both instances of the sample to ReadyRole through every status, on separate fault domains', async () => {
    fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 7, batchIntervalMs: 10 });
    const statuses = recordStatuses(fabric);
    const { deploymentId } = await fabric.deploy({ sample: 'hello-worker' });

    const ready = await waitFor('both instances ReadyRole', async () => {
      const snap = await fabric!.getSnapshot();
      const mine = snap.instances.filter((i) => i.deploymentId === deploymentId);
      return mine.length === 2 && mine.every((i) => i.status === 'ReadyRole') && mine;
    });
    const snap = await fabric.getSnapshot();
    expect(snap.deployments.find((d) => d.id === deploymentId)?.status).toBe('Running');
    expect(new Set(ready.map((i: InstanceView) => i.faultDomain)).size).toBe(2);
    expect(ready.map((i) => i.name).sort()).toEqual(['WorkerRole1_IN_0', 'WorkerRole1_IN_1']);
    const used = snap.hosts.reduce((sum, h) => sum + h.usedCores, 0);
    expect(used).toBe(2);
    expect(snap.operations.find((o) => o.kind === 'CreateDeployment')?.status).toBe('Succeeded');

    // The records arrive a batch after the snapshot shows the state: wait for the last one, not a fixed time.
    await waitFor('every record', async () => ready.every((i) => statuses.get(i.id)?.at(-1) === 'ReadyRole'));
    for (const instance of ready) {
      expect(statuses.get(instance.id)).toEqual(['RoleStateUnknown', 'Preparing', 'CreatingVM', 'StartingVM', 'CreatingRole', 'StartingRole', 'BusyRole', 'ReadyRole']);
    }
  });

  it('carries guest heartbeats to the host agent every 2-3 emulated seconds', async () => {
    fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 11, batchIntervalMs: 10 });
    // For each instance: the first and the latest (heartbeats received, time of the latest) the host agent reported.
    const seen = new Map<string, { first: [number, number]; last: [number, number] }>();
    fabric.onEvents((batch) => {
      for (const e of batch.events) {
        const beat = guestHeartbeatOf(e);
        if (!beat) continue;
        const point: [number, number] = [beat.count, beat.at];
        const entry = seen.get(beat.instanceId);
        if (entry) entry.last = point;
        else seen.set(beat.instanceId, { first: point, last: point });
      }
    });
    await fabric.deploy({ sample: 'hello-worker' });
    await waitFor('twenty heartbeats per instance', async () => seen.size === 2 && [...seen.values()].every((s) => s.last[0] - s.first[0] >= 20));
    for (const { first, last } of seen.values()) {
      const meanInterval = (last[1] - first[1]) / (last[0] - first[0]);
      expect(meanInterval).toBeGreaterThanOrEqual(2_000);
      expect(meanInterval).toBeLessThanOrEqual(3_000);
    }
  });

  it('walks the instances down to StoppedVM when the deployment is deleted and frees the cores', async () => {
    fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 3, batchIntervalMs: 10 });
    const statuses = recordStatuses(fabric);
    const removed: FabricEvent[] = [];
    fabric.onEvents((b) => removed.push(...b.events.filter((e) => e.type === 'deployment-removed')));
    const [first] = await deployReady(fabric);
    const deploymentId = first!.deploymentId;

    const del = await fabric.deleteDeployment({ deploymentId });
    expect((await fabric.getSnapshot()).deployments[0]?.status).toBe('Deleting');
    await waitFor('deployment gone', async () => (await fabric!.getSnapshot()).deployments.length === 0);
    const snap = await fabric.getSnapshot();
    expect(snap.instances).toEqual([]);
    expect(snap.hosts.every((h) => h.usedCores === 0)).toBe(true);
    expect(snap.operations.find((o) => o.requestId === del.requestId)?.status).toBe('Succeeded');
    await waitFor('every record', async () => [...statuses.values()].every((l) => l.at(-1) === 'StoppedVM') && removed.length > 0);
    for (const list of statuses.values()) expect(list.slice(-4)).toEqual(['StoppingRole', 'StoppingVM', 'DeletingVM', 'StoppedVM']);
    expect(removed).toHaveLength(1);
  });

  it('stops an instance that is still being created without waiting for the guest', async () => {
    fabric = await Fabric.start({ hostWorkerUrl, timeScale: 10, seed: 5, batchIntervalMs: 10 });
    const statuses = recordStatuses(fabric);
    const { deploymentId } = await fabric.deploy({ sample: 'hello-worker' });
    await fabric.setClock({ scale: 1000 });
    await fabric.deleteDeployment({ deploymentId });
    await waitFor('deployment gone', async () => (await fabric!.getSnapshot()).deployments.length === 0);
    await waitFor('every record', async () => statuses.size === 2 && [...statuses.values()].every((l) => l.at(-1) === 'StoppedVM'));
    for (const list of statuses.values()) expect(list).toEqual(['RoleStateUnknown', 'Preparing', 'StoppingVM', 'DeletingVM', 'StoppedVM']);
  });

  it('takes phase durations overridden for the session, exactly when jitter is off', async () => {
    fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 8, batchIntervalMs: 10, timings: { createVm: 7_000, bootGuest: 11_000, jitter: 0 } });
    const history = new StatusHistory(fabric);
    const [first] = await deployReady(fabric);
    const starting = await history.reach(first!.id, 'StartingVM');
    const creating = history.firstInto(first!.id, 'CreatingVM')!;
    const booted = await history.reach(first!.id, 'CreatingRole');
    expect(starting.at - creating.at).toBe(7_000);
    expect(booted.at - starting.at).toBe(11_000);
  });
});
