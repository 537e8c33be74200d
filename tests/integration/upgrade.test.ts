// Changing a running service the way Azure does (real host workers, 1000x): one operation at a time per
// deployment, and in-place upgrades walking upgrade domains (Auto, Manual, Simultaneous) while the VIP keeps
// serving: during an Auto upgrade of a role with three instances, no request through the load balancer fails.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentView, InstanceView, OperationView, UpgradeMode } from '../../src-main/common/fabric-api';
import { parseCommandArgs } from '../../src-main/common/command-dispatcher';
import { Fabric } from '../../src-main/fabric/fabric';
import { instanceFolder } from '../../src-main/logs/instance-paths';
import { hostWorkerUrl } from '../support/built';
import { get, refusal, StatusHistory, waitFor } from '../support/fabric-helpers';

let fabric: Fabric;
let history: StatusHistory;
let root = '';
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fabric-lab-upgrade-'));
  fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 131, batchIntervalMs: 10, coreQuota: 60, sessionDir: join(root, 'session') });
  history = new StatusHistory(fabric);
});
afterAll(async () => {
  await fabric?.close();
  rmSync(root, { recursive: true, force: true });
});

const ns = 'http://schemas.microsoft.com/ServiceHosting/2008/10/';
let packages = 0;

/**
 * A csx folder of a web role Web (HttpIn on port 80, its approot's index.html saying `version`), `count`
 * instances over `domains` upgrade domains; `extraRole` adds a worker role (roles differ); `broken` leaves the
 * configuration without the role (fails validation).
 */
async function openService(version: string, options: { count?: number; domains?: number; extraRole?: boolean; broken?: boolean } = {}): Promise<string> {
  const { count = 3, domains = 3 } = options;
  const dir = join(root, `pkg-${++packages}`);
  const csx = join(dir, 'Upgrades.csx');
  mkdirSync(join(csx, 'roles/Web/approot'), { recursive: true });
  writeFileSync(join(csx, 'roles/Web/approot/index.html'), `<p>${version}</p>`);
  const worker = options.extraRole ? '<WorkerRole name="Jobs" vmsize="Small" />' : '';
  writeFileSync(
    join(csx, 'ServiceDefinition.csdef'),
    `<ServiceDefinition name="Upgrades" upgradeDomainCount="${domains}" xmlns="${ns}ServiceDefinition"><WebRole name="Web" vmsize="Small"><Endpoints><InputEndpoint name="HttpIn" protocol="http" port="80" /></Endpoints></WebRole>${worker}</ServiceDefinition>`,
  );
  const roles = [options.broken ? '' : `<Role name="Web"><Instances count="${count}" /></Role>`, options.extraRole ? '<Role name="Jobs"><Instances count="1" /></Role>' : ''].join('');
  writeFileSync(join(dir, 'ServiceConfiguration.cscfg'), `<?xml version="1.0" encoding="utf-8"?>\n<ServiceConfiguration serviceName="Upgrades" xmlns="${ns}ServiceConfiguration">${roles}</ServiceConfiguration>`);
  const view = await fabric.packages.openFromDisk(csx, join(dir, 'ServiceConfiguration.cscfg'));
  return view.packageId;
}

async function snapshotOf(deploymentId: string): Promise<{ deployment: DeploymentView | undefined; instances: InstanceView[]; operations: OperationView[] }> {
  const s = await fabric.getSnapshot();
  return { deployment: s.deployments.find((d) => d.id === deploymentId), instances: s.instances.filter((i) => i.deploymentId === deploymentId), operations: s.operations };
}

/** Deploy and wait until every instance is Ready and in the load balancer's rotation. */
async function deployReady(packageId: string, slot: 'production' | 'staging', count: number, serviceName?: string): Promise<{ deployment: DeploymentView; instances: InstanceView[] }> {
  const { deploymentId } = await fabric.deploy({ packageId, slot, ...(serviceName ? { serviceName } : {}) });
  return waitFor(`${deploymentId} Ready and in rotation`, async () => {
    const { deployment, instances } = await snapshotOf(deploymentId);
    if (!deployment || deployment.inputEndpoints[0]?.port == null || instances.length !== count || !instances.every((i) => i.status === 'ReadyRole')) return false;
    const traffic = (await fabric.getTraffic()).endpoints.find((e) => e.deploymentId === deploymentId);
    return traffic?.instances.filter((i) => i.inRotation).length === count && { deployment, instances };
  }, 40_000);
}


async function operation(requestId: string): Promise<OperationView> {
  return waitFor(`operation ${requestId} ended`, async () => (await fabric.getSnapshot()).operations.find((o) => o.requestId === requestId && o.status !== 'InProgress'), 60_000);
}

/** When each instance last went out of ReadyRole, and first came back to it, after `since`. */
function walkTimes(instances: InstanceView[], since: number): Map<string, { left: number; back: number }> {
  const times = new Map<string, { left: number; back: number }>();
  for (const i of instances) {
    const changes = history.changes.filter((c) => c.instanceId === i.id && c.at >= since);
    const left = changes.find((c) => c.from === 'ReadyRole');
    const back = changes.find((c) => c.to === 'ReadyRole' && left && c.at >= left.at);
    if (left && back) times.set(i.name, { left: left.at, back: back.at });
  }
  return times;
}

describe('one operation at a time per deployment', () => {
  it('refuses a second operation (scale, configuration, delete) while one runs, with Conflict naming it', async () => {
    const { deployment } = await deployReady(await openService('lock', { count: 1 }), 'staging', 1);
    const scaling = await fabric.changeInstanceCount({ deploymentId: deployment.id, roleName: 'Web', count: 2 });
    const configuration = `<?xml version="1.0"?><ServiceConfiguration serviceName="Upgrades" xmlns="${ns}ServiceConfiguration"><Role name="Web"><Instances count="1" /></Role></ServiceConfiguration>`;
    const next = await openService('lock-2', { count: 1 });
    for (const second of [
      () => fabric.updateConfiguration({ deploymentId: deployment.id, configuration }),
      () => fabric.deleteDeployment({ deploymentId: deployment.id }),
      () => fabric.changeInstanceCount({ deploymentId: deployment.id, roleName: 'Web', count: 3 }),
      () => fabric.upgradeDeployment({ deploymentId: deployment.id, packageId: next, mode: 'Auto' }),
    ]) {
      expect(await refusal(second())).toMatchObject({ code: 'Conflict', message: expect.stringContaining(`(ChangeInstanceCount, request ${scaling.requestId})`) });
    }
    expect(await operation(scaling.requestId)).toMatchObject({ status: 'Succeeded' });
    // Once it has ended, the next goes through.
    const deleted = await fabric.deleteDeployment({ deploymentId: deployment.id });
    expect(await operation(deleted.requestId)).toMatchObject({ status: 'Succeeded' });
  });
});

describe('in-place upgrade', () => {
  it('Auto walks one upgrade domain at a time while no request through the VIP fails', async () => {
    const { deployment, instances } = await deployReady(await openService('version 1'), 'production', 3);
    expect(instances.map((i) => [i.name, i.upgradeDomain])).toEqual(expect.arrayContaining([['Web_IN_0', 0], ['Web_IN_1', 1], ['Web_IN_2', 2]]));
    const vip = `http://${deployment.vip}:${deployment.inputEndpoints[0]!.port}/index.html`;
    expect(await get(vip)).toContain('version 1');
    // A role whose OnStop returns at once: only the walk's drain (out of rotation, connections done) keeps requests
    // from meeting a role that is gone, not the time its stop takes.
    await fabric.setTimings({ phases: { stopRole: 0 } });
    const before = (await fabric.getTraffic()).endpoints.find((e) => e.deploymentId === deployment.id)!;
    const run = await fabric.startTraffic({ deploymentId: deployment.id, path: '/index.html', rate: 400, concurrency: 32, durationSeconds: 120 });
    await waitFor('traffic flowing', async () => ((await fabric.getTraffic()).runs.find((r) => r.id === run.id)?.served ?? 0) > 5);
    const since = (await fabric.getSnapshot()).clock.now;
    const upgrade = await fabric.upgradeDeployment({ deploymentId: deployment.id, packageId: await openService('version 2'), mode: 'Auto' });
    // The walk shows in the deployment's UpgradeStatus while it goes.
    const seen = await waitFor('UpgradeStatus During', async () => (await snapshotOf(deployment.id)).deployment?.upgradeStatus);
    expect(seen).toMatchObject({ upgradeType: 'Auto', upgradeDomainCount: 3 });
    expect(await operation(upgrade.requestId)).toMatchObject({ status: 'Succeeded', kind: 'UpgradeDeployment' });
    // Let the run go on a little with every instance back, then stop it and count.
    await waitFor('served after the upgrade', async () => (await get(vip)).includes('version 2'));
    // Counted before the stop: stopping cuts the requests then in flight, and those count as failed.
    const traffic = await fabric.getTraffic();
    const counted = traffic.runs.find((r) => r.id === run.id)!;
    const after = traffic.endpoints.find((e) => e.deploymentId === deployment.id)!;
    await fabric.stopTraffic({ runId: run.id });
    await fabric.setTimings({ phases: { stopRole: 5_000 } });
    expect(counted.served).toBeGreaterThan(10);
    expect({ refused: counted.refused, failed: counted.failed }).toEqual({ refused: 0, failed: 0 });
    expect(after.refused - before.refused).toBe(0);
    expect(after.totals.errors - before.totals.errors).toBe(0);

    // One domain at a time: each instance left Ready only after the previous domain's was back (the records of
    // the last one can reach the history a batch after the operation ended).
    const times = await waitFor('every instance walked in the history', async () => {
      const walked = walkTimes(instances, since);
      return walked.size === 3 && walked;
    });
    expect(times.get('Web_IN_1')!.left).toBeGreaterThanOrEqual(times.get('Web_IN_0')!.back);
    expect(times.get('Web_IN_2')!.left).toBeGreaterThanOrEqual(times.get('Web_IN_1')!.back);
    // The role stopped as Azure stops it (Stopping, OnStop) before its files were replaced.
    expect(history.of(instances[0]!.id)).toEqual(expect.arrayContaining(['StoppingRole']));
    const done = await snapshotOf(deployment.id);
    expect(done.deployment).toMatchObject({ status: 'Running', upgradeStatus: null });
    // Every instance serves the new files.
    const answers = new Set<string>();
    for (let n = 0; n < 9; n++) answers.add(await get(vip));
    expect([...answers].every((a) => a.includes('version 2'))).toBe(true);
    await operation((await fabric.deleteDeployment({ deploymentId: deployment.id })).requestId);
  });

  it('Manual waits for each walk, refuses a domain out of order or that does not exist, and holds the deployment', async () => {
    const { deployment, instances } = await deployReady(await openService('manual 1', { count: 2, domains: 2 }), 'production', 2);
    const restartsBefore = instances.map((i) => i.restarts);
    const upgrade = await fabric.upgradeDeployment({ deploymentId: deployment.id, packageId: await openService('manual 2', { count: 2, domains: 2 }), mode: 'Manual' });
    expect(await operation(upgrade.requestId)).toMatchObject({ status: 'Succeeded' });
    let state = await snapshotOf(deployment.id);
    expect(state.deployment?.upgradeStatus).toEqual({ upgradeType: 'Manual', currentUpgradeDomainState: 'Before', currentUpgradeDomain: 0, upgradeDomainCount: 2, walked: [] });
    // Nothing was walked yet.
    expect(state.instances.map((i) => i.restarts)).toEqual(restartsBefore);
    expect(await refusal(fabric.walkUpgradeDomain({ deploymentId: deployment.id, upgradeDomain: 1 }))).toMatchObject({ code: 'BadRequest', message: expect.stringContaining('the next one is 0') });
    expect(await refusal(fabric.walkUpgradeDomain({ deploymentId: deployment.id, upgradeDomain: 7 }))).toMatchObject({ code: 'BadRequest', message: expect.stringContaining('Upgrade domain 7 does not exist') });
    expect(await refusal(fabric.walkUpgradeDomain({ deploymentId: deployment.id, upgradeDomain: -1 }))).toMatchObject({ code: 'BadRequest' });
    // The upgrade holds the deployment: anything but its walks is refused.
    expect(await refusal(fabric.changeInstanceCount({ deploymentId: deployment.id, roleName: 'Web', count: 3 }))).toMatchObject({ code: 'Conflict', message: expect.stringContaining(`UpgradeDeployment, request ${upgrade.requestId}`) });

    const walk0 = await fabric.walkUpgradeDomain({ deploymentId: deployment.id, upgradeDomain: 0 });
    // A second walk while one goes is refused.
    expect(await refusal(fabric.walkUpgradeDomain({ deploymentId: deployment.id, upgradeDomain: 1 }))).toMatchObject({ code: 'Conflict' });
    expect(await operation(walk0.requestId)).toMatchObject({ status: 'Succeeded', kind: 'WalkUpgradeDomain' });
    state = await snapshotOf(deployment.id);
    expect(state.deployment?.upgradeStatus).toMatchObject({ currentUpgradeDomainState: 'Before', currentUpgradeDomain: 1, walked: [0] });
    const byName = (name: string) => state.instances.find((i) => i.name === name)!;
    expect(byName('Web_IN_0').restarts).toBeGreaterThan(restartsBefore[instances.findIndex((i) => i.name === 'Web_IN_0')]!);
    expect(byName('Web_IN_1').restarts).toBe(restartsBefore[instances.findIndex((i) => i.name === 'Web_IN_1')]!);

    await operation((await fabric.walkUpgradeDomain({ deploymentId: deployment.id, upgradeDomain: 1 })).requestId);
    state = await snapshotOf(deployment.id);
    expect(state.deployment).toMatchObject({ status: 'Running', upgradeStatus: null });
    // Complete: no upgrade left to walk, and the deployment is free again.
    expect(await refusal(fabric.walkUpgradeDomain({ deploymentId: deployment.id, upgradeDomain: 0 }))).toMatchObject({ code: 'Conflict', message: expect.stringContaining('no upgrade in progress') });
    await operation((await fabric.deleteDeployment({ deploymentId: deployment.id })).requestId);
  });

  it('Simultaneous upgrades every domain at once; bad packages are refused with nothing changed', async () => {
    const { deployment, instances } = await deployReady(await openService('all 1', { count: 2, domains: 2 }), 'production', 2);
    const deploymentId = deployment.id;
    const refusals: [string, string, RegExp][] = [
      [deploymentId, await openService('broken', { count: 2, domains: 2, broken: true }), /validation error.*ServiceConfiguration\.cscfg:\d+:\d+ \[cscfg\.role-missing\]/],
      [deploymentId, await openService('more roles', { count: 2, domains: 2, extraRole: true }), /cannot change the roles.*adds Jobs/],
      [deploymentId, await openService('more instances', { count: 3, domains: 2 }), /instance count \(2 -> 3\)/],
      ['deployment999(999)', await openService('nowhere'), /deployment999/],
    ];
    for (const [target, packageId, rule] of refusals) expect((await refusal(fabric.upgradeDeployment({ deploymentId: target, packageId, mode: 'Auto' }))).message).toMatch(rule);
    expect(await refusal(fabric.walkUpgradeDomain({ deploymentId, upgradeDomain: 0 }))).toMatchObject({ code: 'Conflict', message: expect.stringContaining('no upgrade in progress') });
    let state = await snapshotOf(deploymentId);
    expect(state.instances.map((i) => i.restarts)).toEqual(instances.map((i) => i.restarts));
    expect(state.operations.filter((o) => o.kind === 'UpgradeDeployment' && o.target === deploymentId).map((o) => o.status)).toEqual(['Failed', 'Failed', 'Failed']);

    const since = (await fabric.getSnapshot()).clock.now;
    const upgrade = await fabric.upgradeDeployment({ deploymentId, packageId: await openService('all 2', { count: 2, domains: 2 }), mode: 'Simultaneous' as UpgradeMode });
    expect(await operation(upgrade.requestId)).toMatchObject({ status: 'Succeeded' });
    // Both went down together: each left Ready before the other was back.
    // The operation can end before the last status change reaches the test's history.
    const times = await waitFor('both instances back in the history', async () => {
      const walked = walkTimes(instances, since);
      return walked.size === 2 && walked;
    });
    const [a, b] = [...times.values()];
    expect(a!.left).toBeLessThan(b!.back);
    expect(b!.left).toBeLessThan(a!.back);
    state = await snapshotOf(deploymentId);
    expect(state.deployment).toMatchObject({ status: 'Running', upgradeStatus: null });
    const vip = `http://${state.deployment!.vip}:${state.deployment!.inputEndpoints[0]!.port}/index.html`;
    expect(await get(vip)).toContain('all 2');
  });
});

describe('platform update (planned maintenance)', () => {
  it('updates the host OS one upgrade domain at a time while the VIP keeps serving, and is refused where it cannot run', async () => {
    const { deployment, instances } = await deployReady(await openService('maintained'), 'staging', 3);
    await fabric.setTimings({ phases: { stopRole: 0 } });
    const run = await fabric.startTraffic({ deploymentId: deployment.id, path: '/index.html', rate: 300, concurrency: 16, durationSeconds: 120 });
    await waitFor('traffic flowing', async () => ((await fabric.getTraffic()).runs.find((r) => r.id === run.id)?.served ?? 0) > 5);
    const since = (await fabric.getSnapshot()).clock.now;
    const update = await fabric.platformUpdate({ deploymentId: deployment.id });
    // One operation at a time: a second one is refused while the update holds the deployment.
    expect(await refusal(fabric.changeInstanceCount({ deploymentId: deployment.id, roleName: 'Web', count: 4 }))).toMatchObject({ code: 'Conflict', message: expect.stringContaining(`(PlatformUpdate, request ${update.requestId})`) });
    expect(await operation(update.requestId)).toMatchObject({ status: 'Succeeded', kind: 'PlatformUpdate', progress: 1 });
    const counted = (await fabric.getTraffic()).runs.find((r) => r.id === run.id)!;
    await fabric.stopTraffic({ runId: run.id });
    await fabric.setTimings({ phases: { stopRole: 5_000 } });
    expect(counted.served).toBeGreaterThan(10);
    expect({ refused: counted.refused, failed: counted.failed }).toEqual({ refused: 0, failed: 0 });
    // Each instance was stopped (Stopping, OnStop) and came back, one domain after the other.
    const times = await waitFor('every instance back in the history', async () => {
      const walked = walkTimes(instances, since);
      return walked.size === 3 && walked;
    });
    expect(times.get('Web_IN_1')!.left).toBeGreaterThanOrEqual(times.get('Web_IN_0')!.back);
    expect(times.get('Web_IN_2')!.left).toBeGreaterThanOrEqual(times.get('Web_IN_1')!.back);
    for (const i of instances) expect(history.changes.some((c) => c.instanceId === i.id && c.at >= since && c.to === 'StoppingRole')).toBe(true);
    expect((await snapshotOf(deployment.id)).deployment).toMatchObject({ status: 'Running' });

    await operation((await fabric.updateDeploymentStatus({ deploymentId: deployment.id, status: 'Suspended' })).requestId);
    expect(await refusal(fabric.platformUpdate({ deploymentId: deployment.id }))).toMatchObject({ code: 'Conflict' });
    expect(await refusal(fabric.platformUpdate({ deploymentId: 'deployment999(999)' }))).toMatchObject({ code: 'NotFound' });
    await operation((await fabric.deleteDeployment({ deploymentId: deployment.id })).requestId);
  });

  it('comes by itself on a schedule: each round updates every Running deployment, and one that is busy waits for the next', async () => {
    const a = await deployReady(await openService('scheduled a', { count: 2, domains: 2 }), 'production', 2, 'scheduled');
    const b = await deployReady(await openService('scheduled b', { count: 2, domains: 2 }), 'staging', 2, 'scheduled');
    // b is busy: a Manual upgrade holds it.
    await operation((await fabric.upgradeDeployment({ deploymentId: b.deployment.id, packageId: await openService('scheduled b2', { count: 2, domains: 2 }), mode: 'Manual' })).requestId);
    expect(() => parseCommandArgs('setPlatformUpdateSchedule', { everyHours: 0 })).toThrow(/at most every 0.1 emulated hours/);
    expect(() => parseCommandArgs('setPlatformUpdateSchedule', { everyHours: 'monthly' })).toThrow(/everyHours/);

    const set = await fabric.setPlatformUpdateSchedule({ everyHours: 0.5 });
    expect(set).toEqual({ everyHours: 0.5, nextAt: expect.any(Number) });
    expect((await fabric.getSnapshot()).platformUpdates).toEqual(set);
    const scheduled = await waitFor('a scheduled platform update of a, ended', async () =>
      (await fabric.getSnapshot()).operations.find((o) => o.kind === 'PlatformUpdate' && o.target === a.deployment.id && o.startedAt >= set.nextAt! && o.status !== 'InProgress'),
    30_000);
    expect(scheduled.status).toBe('Succeeded');
    const frontEnd = async () => (await fabric.readLog({ file: (await fabric.listLogs({ component: 'front-end' }))[0]!.file, fromLine: 0, count: 10_000 })).lines.join('\n');
    const skipped = await waitFor('b skipped in FrontEnd.log', async () => (await frontEnd()).includes(`Scheduled platform update of ${b.deployment.id} skipped until the next round: `) && frontEnd());
    expect(skipped).toContain('Scheduled platform updates: every 0.5 emulated hour(s).');
    expect((await fabric.getSnapshot()).operations.some((o) => o.kind === 'PlatformUpdate' && o.target === b.deployment.id)).toBe(false);

    expect(await fabric.setPlatformUpdateSchedule({ everyHours: null })).toEqual({ everyHours: null, nextAt: null });
    await operation((await fabric.rollbackUpgrade({ deploymentId: b.deployment.id })).requestId);
    for (const d of [a, b]) await operation((await fabric.deleteDeployment({ deploymentId: d.deployment.id })).requestId);
  });
});

describe('configuration change by upgrade domain', () => {
  async function openGreeter(): Promise<{ packageId: string; cscfg: (greeting: string) => string }> {
    const dir = join(root, `pkg-${++packages}`);
    const csx = join(dir, 'Greeter.csx');
    mkdirSync(join(csx, 'roles/Web/approot'), { recursive: true });
    writeFileSync(join(csx, 'roles/Web/approot/index.html'), '<p>hi</p>');
    writeFileSync(join(csx, 'ServiceDefinition.csdef'), `<ServiceDefinition name="Greeter" upgradeDomainCount="3" xmlns="${ns}ServiceDefinition"><WebRole name="Web" vmsize="Small"><Endpoints><InputEndpoint name="HttpIn" protocol="http" port="80" /></Endpoints><ConfigurationSettings><Setting name="Greeting" /></ConfigurationSettings></WebRole></ServiceDefinition>`);
    const cscfg = (greeting: string) => `<?xml version="1.0" encoding="utf-8"?>\n<ServiceConfiguration serviceName="Greeter" xmlns="${ns}ServiceConfiguration"><Role name="Web"><Instances count="3" /><ConfigurationSettings><Setting name="Greeting" value="${greeting}" /></ConfigurationSettings></Role></ServiceConfiguration>`;
    writeFileSync(join(dir, 'ServiceConfiguration.cscfg'), cscfg('hello'));
    return { packageId: (await fabric.packages.openFromDisk(csx, join(dir, 'ServiceConfiguration.cscfg'))).packageId, cscfg };
  }

  it('Auto walks the upgrade domains one after the other; Simultaneous takes them all at once; a bad mode is refused', async () => {
    const { packageId, cscfg } = await openGreeter();
    const { deployment } = await deployReady(packageId, 'production', 3);
    const auto = await fabric.updateConfiguration({ deploymentId: deployment.id, configuration: cscfg('bonjour') });
    expect(await operation(auto.requestId)).toMatchObject({ status: 'Succeeded', kind: 'ChangeDeploymentConfiguration' });
    const log = (await fabric.listLogs({ component: 'front-end' }))[0]!;
    const lines = (await fabric.readLog({ file: log.file, fromLine: 0, count: 10_000 })).lines.filter((l) => l.includes(`${deployment.id}: upgrade domain`));
    expect(lines.map((l) => /upgrade domain (\d)/.exec(l)![1])).toEqual(['0', '1', '2']);
    expect((await snapshotOf(deployment.id)).deployment).toMatchObject({ status: 'Running', upgradeStatus: null });
    // The controller applied it to one domain's instance at a time.
    const applied = async (version: number) => {
      const file = (await fabric.listLogs({ component: 'fabric-controller', poolId: deployment.poolId }))[0]!;
      return (await fabric.readLog({ file: file.file, fromLine: 0, count: 10_000 })).lines.filter((l) => l.includes(`Configuration version ${version} for`) && l.includes(deployment.id)).map((l) => /for (\d+) instance/.exec(l)![1]);
    };
    expect(await applied(2)).toEqual(['1', '1', '1']);

    const all = await fabric.updateConfiguration({ deploymentId: deployment.id, configuration: cscfg('hola'), mode: 'Simultaneous' });
    expect(await operation(all.requestId)).toMatchObject({ status: 'Succeeded' });
    expect(await applied(3)).toEqual(['3']);
    // Over a shell the mode is checked first: only Azure's.
    expect(() => parseCommandArgs('updateConfiguration', { deploymentId: deployment.id, configuration: cscfg('x'), mode: 'Sideways' })).toThrow(/mode/);
    await operation((await fabric.deleteDeployment({ deploymentId: deployment.id })).requestId);
  });
});

describe('rollback of an in-place upgrade', () => {
  it('walks the domains already upgraded back to the package before, and is refused with nothing in progress', async () => {
    const { deployment } = await deployReady(await openService('before', { count: 2, domains: 2 }), 'staging', 2);
    const vip = `http://${deployment.vip}:${deployment.inputEndpoints[0]!.port}/index.html`;
    expect(await refusal(fabric.rollbackUpgrade({ deploymentId: deployment.id }))).toMatchObject({ code: 'Conflict', message: expect.stringContaining('no upgrade in progress') });

    await operation((await fabric.upgradeDeployment({ deploymentId: deployment.id, packageId: await openService('after', { count: 2, domains: 2 }), mode: 'Manual' })).requestId);
    await operation((await fabric.walkUpgradeDomain({ deploymentId: deployment.id, upgradeDomain: 0 })).requestId);
    // Domain 0 serves the new package, domain 1 the old.
    const served = async () => {
      const answers = new Set<string>();
      for (let n = 0; n < 20; n++) answers.add(await get(vip));
      return [...answers].map((a) => /<p>(.*)<\/p>/.exec(a)![1]).sort();
    };
    expect(await served()).toEqual(['after', 'before']);

    const rollback = await fabric.rollbackUpgrade({ deploymentId: deployment.id });
    expect(await operation(rollback.requestId)).toMatchObject({ status: 'Succeeded', kind: 'RollbackUpdateOrUpgrade' });
    const state = await snapshotOf(deployment.id);
    expect(state.deployment).toMatchObject({ status: 'Running', upgradeStatus: null });
    await waitFor('both instances in rotation', async () => (await fabric.getTraffic()).endpoints.find((e) => e.deploymentId === deployment.id)?.instances.filter((i) => i.inRotation).length === 2);
    expect(await served()).toEqual(['before']);
    // Nothing left to roll back, and the deployment is free again.
    expect(await refusal(fabric.rollbackUpgrade({ deploymentId: deployment.id }))).toMatchObject({ code: 'Conflict' });

    // Manual: the rollback is set up, and each domain returns when the user walks it back.
    await operation((await fabric.upgradeDeployment({ deploymentId: deployment.id, packageId: await openService('after', { count: 2, domains: 2 }), mode: 'Manual' })).requestId);
    await operation((await fabric.walkUpgradeDomain({ deploymentId: deployment.id, upgradeDomain: 0 })).requestId);
    const manual = await fabric.rollbackUpgrade({ deploymentId: deployment.id, mode: 'Manual' });
    expect(await operation(manual.requestId)).toMatchObject({ status: 'Succeeded', detail: expect.stringContaining('Manual mode') });
    expect((await snapshotOf(deployment.id)).deployment).toMatchObject({ status: 'Running', upgradeStatus: { upgradeType: 'Manual', rollingBack: true, upgradeDomainCount: 1, walked: [] } });
    expect(await served()).toEqual(['after', 'before']);
    // Only the domains the upgrade had walked are walked back; a second rollback is refused meanwhile.
    expect(await refusal(fabric.walkUpgradeDomain({ deploymentId: deployment.id, upgradeDomain: 1 }))).toMatchObject({ code: 'BadRequest', message: expect.stringContaining('Upgrade domain 1 does not exist') });
    expect(await refusal(fabric.rollbackUpgrade({ deploymentId: deployment.id }))).toMatchObject({ code: 'Conflict' });
    expect(await operation((await fabric.walkUpgradeDomain({ deploymentId: deployment.id, upgradeDomain: 0 })).requestId)).toMatchObject({ status: 'Succeeded' });
    expect((await snapshotOf(deployment.id)).deployment).toMatchObject({ status: 'Running', upgradeStatus: null });
    await waitFor('both instances in rotation', async () => (await fabric.getTraffic()).endpoints.find((e) => e.deploymentId === deployment.id)?.instances.filter((i) => i.inRotation).length === 2);
    expect(await served()).toEqual(['before']);
    // Over a shell only Azure's rollback modes are taken.
    expect(() => parseCommandArgs('rollbackUpgrade', { deploymentId: deployment.id, mode: 'Simultaneous' })).toThrow(/mode/);
    await operation((await fabric.deleteDeployment({ deploymentId: deployment.id })).requestId);
  });
});

describe('configuration change in Manual mode, and rolled back', () => {
  async function openManual(): Promise<{ deployment: DeploymentView; cscfg: (greeting: string, count?: number) => string }> {
    const dir = join(root, `pkg-${++packages}`);
    const csx = join(dir, 'Manual.csx');
    mkdirSync(join(csx, 'roles/Web/approot'), { recursive: true });
    writeFileSync(join(csx, 'roles/Web/approot/index.html'), '<p>m</p>');
    writeFileSync(join(csx, 'ServiceDefinition.csdef'), `<ServiceDefinition name="Manual" upgradeDomainCount="2" xmlns="${ns}ServiceDefinition"><WebRole name="Web" vmsize="Small"><Endpoints><InputEndpoint name="HttpIn" protocol="http" port="80" /></Endpoints><ConfigurationSettings><Setting name="Greeting" /></ConfigurationSettings></WebRole></ServiceDefinition>`);
    const cscfg = (greeting: string, count = 2) => `<?xml version="1.0" encoding="utf-8"?>\n<ServiceConfiguration serviceName="Manual" xmlns="${ns}ServiceConfiguration"><Role name="Web"><Instances count="${count}" /><ConfigurationSettings><Setting name="Greeting" value="${greeting}" /></ConfigurationSettings></Role></ServiceConfiguration>`;
    writeFileSync(join(dir, 'ServiceConfiguration.cscfg'), cscfg('hello'));
    const { deployment } = await deployReady((await fabric.packages.openFromDisk(csx, join(dir, 'ServiceConfiguration.cscfg'))).packageId, 'production', 2);
    return { deployment, cscfg };
  }
  /** How many instances of `deploymentId` the controller gave configuration `version`. */
  async function applied(deployment: DeploymentView, version: number): Promise<number> {
    const file = (await fabric.listLogs({ component: 'fabric-controller', poolId: deployment.poolId }))[0]!;
    const lines = (await fabric.readLog({ file: file.file, fromLine: 0, count: 10_000 })).lines.filter((l) => l.includes(`Configuration version ${version} for`) && l.includes(deployment.id));
    return lines.reduce((sum, l) => sum + Number(/for (\d+) instance/.exec(l)![1]), 0);
  }
  /** The Greeting an instance's guest agent wrote in C:\Config for `version`, or null when it never took that version. */
  function greetingIn(deployment: DeploymentView, instance: string, version: number): string | null {
    const file = join(instanceFolder(join(root, 'session'), deployment.id, instance), 'C', 'Config', `${deployment.id}.Web.${version}.xml`);
    return existsSync(file) ? (/name="Greeting" value="([^"]*)"/.exec(readFileSync(file, 'utf8'))?.[1] ?? null) : null;
  }
  const greetingOf = async (deployment: DeploymentView) => (await snapshotOf(deployment.id)).deployment!.roles[0]!.settings.find((s) => s.name === 'Greeting')!.value;

  it('takes each upgrade domain when it is walked, holds the deployment meanwhile, and walks back in Manual mode', async () => {
    const { deployment, cscfg } = await openManual();
    expect(await refusal(fabric.updateConfiguration({ deploymentId: deployment.id, configuration: cscfg('x', 3), mode: 'Manual' }))).toMatchObject({ code: 'BadRequest', message: expect.stringContaining('cannot be walked in Manual mode') });
    const change = await fabric.updateConfiguration({ deploymentId: deployment.id, configuration: cscfg('bonjour'), mode: 'Manual' });
    expect(await operation(change.requestId)).toMatchObject({ status: 'Succeeded' });
    expect((await snapshotOf(deployment.id)).deployment?.upgradeStatus).toMatchObject({ upgradeType: 'Manual', configuration: true, currentUpgradeDomain: 0, walked: [] });
    expect(await refusal(fabric.changeInstanceCount({ deploymentId: deployment.id, roleName: 'Web', count: 3 }))).toMatchObject({ code: 'Conflict', message: expect.stringContaining(`(ChangeDeploymentConfiguration, request ${change.requestId})`) });
    expect(await applied(deployment, 2)).toBe(0);
    await operation((await fabric.walkUpgradeDomain({ deploymentId: deployment.id, upgradeDomain: 0 })).requestId);
    expect(await applied(deployment, 2)).toBe(1);
    expect(greetingIn(deployment, 'Web_IN_0', 2)).toBe('bonjour');

    // Rolled back by hand: the deployment's values are the old ones at once; the domain that took the change
    // gets them back (as configuration version 3) when it is walked back; the other never took it.
    const rollback = await fabric.rollbackUpgrade({ deploymentId: deployment.id, mode: 'Manual' });
    expect(await operation(rollback.requestId)).toMatchObject({ status: 'Succeeded' });
    expect((await snapshotOf(deployment.id)).deployment?.upgradeStatus).toMatchObject({ upgradeType: 'Manual', configuration: true, rollingBack: true, upgradeDomainCount: 1, walked: [] });
    expect(await greetingOf(deployment)).toBe('hello');
    expect(await applied(deployment, 3)).toBe(0);
    await operation((await fabric.walkUpgradeDomain({ deploymentId: deployment.id, upgradeDomain: 0 })).requestId);
    expect(await applied(deployment, 3)).toBe(1);
    expect(greetingIn(deployment, 'Web_IN_0', 3)).toBe('hello');
    expect(greetingIn(deployment, 'Web_IN_1', 2)).toBeNull();
    expect((await snapshotOf(deployment.id)).deployment).toMatchObject({ status: 'Running', upgradeStatus: null });
    expect(await refusal(fabric.rollbackUpgrade({ deploymentId: deployment.id }))).toMatchObject({ code: 'Conflict', message: expect.stringContaining('no upgrade in progress') });
    await operation((await fabric.deleteDeployment({ deploymentId: deployment.id })).requestId);
  });

  it('an Auto change rolled back stops after the domain under way and walks it back', async () => {
    const { deployment, cscfg } = await openManual();
    const change = await fabric.updateConfiguration({ deploymentId: deployment.id, configuration: cscfg('bonjour') });
    // At once: the walk is in upgrade domain 0, waiting for its instance to take the change.
    const rollback = await fabric.rollbackUpgrade({ deploymentId: deployment.id });
    expect(await operation(change.requestId)).toMatchObject({ status: 'Failed', error: expect.stringContaining('Stopped by a rollback') });
    expect(await operation(rollback.requestId)).toMatchObject({ status: 'Succeeded', kind: 'RollbackUpdateOrUpgrade' });
    expect(await applied(deployment, 2)).toBe(1);
    expect(await applied(deployment, 3)).toBe(1);
    expect(greetingIn(deployment, 'Web_IN_0', 3)).toBe('hello');
    expect(await greetingOf(deployment)).toBe('hello');
    expect((await snapshotOf(deployment.id)).deployment).toMatchObject({ status: 'Running', upgradeStatus: null });
    // A Simultaneous change holds no walk: there is nothing to roll back once it is under way.
    const all = await fabric.updateConfiguration({ deploymentId: deployment.id, configuration: cscfg('hola'), mode: 'Simultaneous' });
    expect(await refusal(fabric.rollbackUpgrade({ deploymentId: deployment.id }))).toMatchObject({ code: 'Conflict' });
    expect(await operation(all.requestId)).toMatchObject({ status: 'Succeeded' });
    await operation((await fabric.deleteDeployment({ deploymentId: deployment.id })).requestId);
  });
});
