// VIP swap (real host workers, 1000x): the production and staging deployments of a service trade VIPs while
// traffic runs through the production VIP, and no request is lost; a lone deployment moves to the other slot;
// deployments whose endpoints differ, and a swap while another operation holds either one, are refused.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentView, OperationView } from '../../src-main/common/fabric-api';
import { parseCommandArgs } from '../../src-main/common/command-dispatcher';
import { Fabric } from '../../src-main/fabric/fabric';
import { hostWorkerUrl } from '../support/built';
import { get, refusal, waitFor } from '../support/fabric-helpers';

let fabric: Fabric;
let root = '';
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fabric-lab-swap-'));
  fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 141, batchIntervalMs: 10, coreQuota: 60, sessionDir: join(root, 'session') });
});
afterAll(async () => {
  await fabric?.close();
  rmSync(root, { recursive: true, force: true });
});

const ns = 'http://schemas.microsoft.com/ServiceHosting/2008/10/';
let packages = 0;

/** A web role Web (HttpIn on `port`) whose index.html says `version`, two instances. */
async function openService(version: string, port = 80): Promise<string> {
  const dir = join(root, `pkg-${++packages}`);
  const csx = join(dir, 'Swap.csx');
  mkdirSync(join(csx, 'roles/Web/approot'), { recursive: true });
  writeFileSync(join(csx, 'roles/Web/approot/index.html'), `<p>${version}</p>`);
  writeFileSync(join(csx, 'ServiceDefinition.csdef'), `<ServiceDefinition name="Swap" xmlns="${ns}ServiceDefinition"><WebRole name="Web" vmsize="Small"><Endpoints><InputEndpoint name="HttpIn" protocol="http" port="${port}" /></Endpoints></WebRole></ServiceDefinition>`);
  writeFileSync(join(dir, 'ServiceConfiguration.cscfg'), `<ServiceConfiguration serviceName="Swap" xmlns="${ns}ServiceConfiguration"><Role name="Web"><Instances count="2" /></Role></ServiceConfiguration>`);
  return (await fabric.packages.openFromDisk(csx, join(dir, 'ServiceConfiguration.cscfg'))).packageId;
}

async function deployReady(packageId: string, serviceName: string, slot: 'production' | 'staging'): Promise<DeploymentView> {
  const { deploymentId } = await fabric.deploy({ packageId, serviceName, slot });
  return waitFor(`${deploymentId} in rotation`, async () => {
    const deployment = (await fabric.getSnapshot()).deployments.find((d) => d.id === deploymentId);
    if (!deployment || deployment.inputEndpoints[0]?.port == null) return false;
    const traffic = (await fabric.getTraffic()).endpoints.find((e) => e.deploymentId === deploymentId);
    return traffic?.instances.filter((i) => i.inRotation).length === 2 && deployment;
  }, 40_000);
}

const viewOf = async (id: string) => (await fabric.getSnapshot()).deployments.find((d) => d.id === id)!;
const urlOf = (d: DeploymentView) => `http://${d.vip}:${d.inputEndpoints[0]!.port}/index.html`;


async function operation(requestId: string): Promise<OperationView> {
  return waitFor(`operation ${requestId}`, async () => (await fabric.getSnapshot()).operations.find((o) => o.requestId === requestId && o.status !== 'InProgress'), 30_000);
}

describe('VIP swap', () => {
  it('trades the VIPs while traffic runs through production, losing no request', async () => {
    const blue = await deployReady(await openService('blue'), 'swap', 'production');
    const green = await deployReady(await openService('green'), 'swap', 'staging');
    const productionUrl = urlOf(blue);
    const stagingUrl = urlOf(green);
    expect(await get(productionUrl)).toContain('blue');
    expect(await get(stagingUrl)).toContain('green');

    const run = await fabric.startTraffic({ deploymentId: blue.id, path: '/index.html', rate: 300, concurrency: 16, durationSeconds: 60 });
    await waitFor('traffic flowing', async () => ((await fabric.getTraffic()).runs.find((r) => r.id === run.id)?.served ?? 0) > 20);
    const swap = await fabric.swapDeployment({ serviceName: 'swap' });
    expect(await operation(swap.requestId)).toMatchObject({ status: 'Succeeded', kind: 'SwapDeployment' });
    // The same production VIP now answers with the former staging deployment.
    expect(await get(productionUrl)).toContain('green');
    expect(await get(stagingUrl)).toContain('blue');
    await waitFor('traffic after the swap', async () => ((await fabric.getTraffic()).runs.find((r) => r.id === run.id)?.served ?? 0) > 200);
    // Counted before the stop: a stop cuts what is in flight.
    const counted = (await fabric.getTraffic()).runs.find((r) => r.id === run.id)!;
    await fabric.stopTraffic({ runId: run.id });
    expect({ refused: counted.refused, failed: counted.failed }).toEqual({ refused: 0, failed: 0 });

    const [nowBlue, nowGreen] = [await viewOf(blue.id), await viewOf(green.id)];
    expect({ slot: nowGreen.slot, vip: nowGreen.vip }).toEqual({ slot: 'production', vip: blue.vip });
    expect({ slot: nowBlue.slot, vip: nowBlue.vip }).toEqual({ slot: 'staging', vip: green.vip });
    expect(nowGreen.inputEndpoints[0]!.port).toBe(blue.inputEndpoints[0]!.port);
    // And back: a second swap restores them.
    await operation((await fabric.swapDeployment({ serviceName: 'swap' })).requestId);
    expect(await get(productionUrl)).toContain('blue');
    for (const id of [blue.id, green.id]) await operation((await fabric.deleteDeployment({ deploymentId: id })).requestId);
  });

  it('moves a lone deployment to the other slot, with that slot\'s VIP', async () => {
    const lone = await deployReady(await openService('lone'), 'moving', 'staging');
    await operation((await fabric.swapDeployment({ serviceName: 'moving' })).requestId);
    const moved = await waitFor('listening on its new VIP', async () => {
      const view = await viewOf(lone.id);
      return view.slot === 'production' && view.inputEndpoints[0]?.port != null && view;
    });
    expect(moved.vip).not.toBe(lone.vip);
    // Production VIPs: 127.(100 + 2n).x.y in this fabric's network n; staging's are odd.
    expect(Number(moved.vip!.split('.')[1]) % 2).toBe(0);
    expect(Number(lone.vip!.split('.')[1]) % 2).toBe(1);
    expect(await waitFor('served on the production VIP', async () => (await get(urlOf(moved)).catch(() => '')).includes('lone') && true)).toBe(true);
    await operation((await fabric.deleteDeployment({ deploymentId: lone.id })).requestId);
  });

  it('refuses different endpoints, a busy deployment and a service with nothing to swap, changing nothing', async () => {
    const a = await deployReady(await openService('a', 80), 'mismatch', 'production');
    const b = await deployReady(await openService('b', 8080), 'mismatch', 'staging');
    const differ = await refusal(fabric.swapDeployment({ serviceName: 'mismatch' }));
    expect(differ).toMatchObject({ code: 'BadRequest', message: expect.stringContaining('different input endpoints (only in production: Web/HttpIn http:80; only in staging: Web/HttpIn http:8080)') });
    expect((await viewOf(a.id)).slot).toBe('production');
    expect((await fabric.getSnapshot()).operations.find((o) => o.kind === 'SwapDeployment' && o.target === 'mismatch')).toMatchObject({ status: 'Failed' });

    const scaling = await fabric.changeInstanceCount({ deploymentId: b.id, roleName: 'Web', count: 3 });
    expect(await refusal(fabric.swapDeployment({ serviceName: 'mismatch' }))).toMatchObject({ code: 'Conflict', message: expect.stringContaining(`(ChangeInstanceCount, request ${scaling.requestId})`) });
    await operation(scaling.requestId);
    expect(await refusal(fabric.swapDeployment({ serviceName: 'nobody' }))).toMatchObject({ code: 'NotFound', message: expect.stringContaining('nothing to swap') });
    // Over a shell, the command's arguments are checked first.
    expect(() => parseCommandArgs('swapDeployment', { serviceName: '' })).toThrow(/swapDeployment/);
    expect(() => parseCommandArgs('swapDeployment', { service: 'mismatch' })).toThrow(/swapDeployment/);
    for (const id of [a.id, b.id]) await operation((await fabric.deleteDeployment({ deploymentId: id })).requestId);
  });
});
