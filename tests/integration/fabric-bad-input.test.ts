// Bad requests get a clear error, and the fabric keeps running with nothing already deployed changed.
import { afterEach, describe, expect, it } from 'vitest';
import { Fabric } from '../../src-main/fabric/fabric';
import { hostWorkerUrl } from '../support/built';
import { refusal } from '../support/fabric-helpers';

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
