// Bad requests get a clear error, and the fabric keeps running with nothing already deployed changed.
import { afterEach, describe, expect, it } from 'vitest';
import type { FabricRecord } from '../../src-main/common/fabric-api';
import { Fabric } from '../../src-main/fabric/fabric';
import { hostWorkerUrl, loadBalancerWorkerUrl } from '../support/built';
import { refusal, waitFor } from '../support/fabric-helpers';

let fabric: Fabric | null = null;
afterEach(async () => {
  await fabric?.close();
  fabric = null;
});


describe('the fabric refuses bad requests and keeps running', () => {
  it('refuses an unknown sample, a second deployment in the same slot, and unknown or repeated deletes', async () => {
    fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 1, batchIntervalMs: 10 });
    expect(await refusal(fabric.deploy({ sample: 'no-such-sample' }))).toMatchObject({ code: 'NotFound', message: expect.stringContaining('hello-worker') });

    const first = await fabric.deploy({ sample: 'hello-worker' });
    const before = await fabric.getSnapshot();
    expect(await refusal(fabric.deploy({ sample: 'hello-worker' }))).toMatchObject({ code: 'Conflict', message: expect.stringContaining('production') });
    const unknown = await refusal(fabric.deleteDeployment({ deploymentId: 'deployment99(99)' }));
    // RDFE gives every request its id as it arrives; a refused one carries it too, on the wire as well.
    expect(unknown).toMatchObject({ code: 'NotFound', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(unknown.toInfo()).toEqual({ code: 'NotFound', message: 'There is no deployment "deployment99(99)".', requestId: unknown.requestId });
    expect(await refusal(fabric.setClock({ scale: 5000 }))).toMatchObject({ code: 'BadRequest', message: expect.stringContaining('1000') });

    const after = await fabric.getSnapshot();
    expect(after.deployments.map((d) => d.id)).toEqual(before.deployments.map((d) => d.id));
    expect(after.clock.scale).toBe(1000);

    // The same service may have a staging deployment beside production.
    await fabric.deploy({ sample: 'hello-worker', slot: 'staging' });
    await fabric.deleteDeployment({ deploymentId: first.deploymentId });
    expect(await refusal(fabric.deleteDeployment({ deploymentId: first.deploymentId }))).toMatchObject({ code: 'Conflict' });
  });

  it('fails the operation with "allocation failed" when the pool has no free cores, and places nothing', async () => {
    fabric = await Fabric.start({
      hostWorkerUrl,
      timeScale: 1000,
      seed: 2,
      batchIntervalMs: 10,
      pools: [{ name: 'Tiny', region: 'Local', hosts: 1, coresPerHost: 1, faultDomains: 1 }],
    });
    const ref = await fabric.deploy({ sample: 'hello-worker' });
    const snap = await fabric.getSnapshot();
    const op = snap.operations.find((o) => o.requestId === ref.requestId);
    expect(op?.status).toBe('Failed');
    expect(op?.error).toMatch(/Allocation failed: pool Tiny has no host with 1 free core\(s\) for WorkerRole1_IN_1 .* needs 2 cores and the pool has 1 free/);
    expect(snap.deployments).toEqual([]);
    expect(snap.instances).toEqual([]);
    expect(snap.hosts[0]?.usedCores).toBe(0);
  });

  it('stops a deployment cleanly when the fabric is closed mid-way, and refuses commands afterwards', async () => {
    fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 4 });
    await fabric.deploy({ sample: 'hello-worker' });
    await fabric.close();
    expect(await refusal(fabric.deploy({ sample: 'hello-worker', slot: 'staging' }))).toMatchObject({ code: 'Conflict', message: expect.stringContaining('shut down') });
  });
});

/**
 * A host agent that lies: ready at once, and it reports every instance it is given as ReadyRole straight from
 * RoleStateUnknown, a transition the controller's assertTransition refuses. No heartbeats: the test's host
 * silence floor keeps the probe out of it.
 */
const lyingHost = new URL(
  `data:text/javascript,${encodeURIComponent(`
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m.type === 'init') parentPort.postMessage([{ type: 'ready', hostId: m.hostId }]);
  if (m.type === 'start-instance') parentPort.postMessage([{ type: 'instance-status', instanceId: m.spec.instanceId, status: 'ReadyRole', details: 'lie', at: 0, restarts: 0 }]);
  if (m.type === 'shutdown') process.exit(0);
});`)}`,
);

describe('a host that reports something impossible', () => {
  it('is logged, shown as a fabric-error and treated as a failed host, and the fabric keeps serving', async () => {
    fabric = await Fabric.start({
      hostWorkerUrl: lyingHost,
      loadBalancerWorkerUrl,
      timeScale: 1000,
      seed: 5,
      batchIntervalMs: 10,
      hostSilenceFloorMs: 600_000,
      pools: [{ name: 'Liars', region: 'Local', hosts: 1, coresPerHost: 4, faultDomains: 1 }],
    });
    const records: FabricRecord[] = [];
    fabric.onEvents((batch) => records.push(...batch.records));
    await fabric.deploy({ sample: 'hello-worker' });

    // Restarted once, it lies again soon after: marked Unhealthy ("repeated failures"), and the process lives on.
    const host = await waitFor('the lying host marked Unhealthy', async () => (await fabric!.getSnapshot()).hosts.find((h) => h.health === 'Unhealthy'));
    expect(host.healthDetails).toMatch(/could not accept .*from RoleStateUnknown to ReadyRole/);
    const errors = records.filter((r) => r.kind === 'fabric-error');
    expect(errors[0]).toMatchObject({ source: host.id, message: expect.stringMatching(/Could not handle instance-status from the host agent: .*RoleStateUnknown to ReadyRole/) });

    const [log] = await fabric.listLogs({ component: 'fabric-controller', poolId: 'pool-1' });
    const page = await fabric.readLog({ file: log!.file, fromLine: 0, count: 1000 });
    expect(page.lines.some((l) => l.includes('ERROR') && l.includes(`${host.id}: Could not handle instance-status`))).toBe(true);
    const events = await fabric.queryEvents({ kinds: ['fabric-error'] });
    expect(events.events.length).toBeGreaterThanOrEqual(1);
    expect(events.events[0]).toMatchObject({ kind: 'fabric-error', source: host.id });

    // Still serving: the clock can be set and a refusal still comes back as an answer.
    expect((await fabric.setClock({ scale: 100 })).scale).toBe(100);
  });
});
