// The fabric's controls with real host workers at 1000x: the seed replays a session's jitter, phase
// timings change for work that starts afterwards, an Unhealthy host is repaired and takes placements again,
// and load-balancer rotation is kept per input endpoint.
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Slot } from '../../src-main/common/fabric-api';
import { defaultTimings } from '../../src-main/common/timings';
import { Fabric, type FabricOptions } from '../../src-main/fabric/fabric';
import { hostWorkerUrl } from '../support/built';
import { instance, refusal, StatusHistory, waitFor } from '../support/fabric-helpers';

const fixtures = resolve(import.meta.dirname, '../fixtures/packages');

let fabrics: Fabric[] = [];
afterEach(async () => {
  await Promise.all(fabrics.map((f) => f.close()));
  fabrics = [];
});

async function start(options: Partial<FabricOptions> = {}): Promise<{ api: Fabric; history: StatusHistory }> {
  const api = await Fabric.start({ hostWorkerUrl, timeScale: 1000, batchIntervalMs: 10, ...options });
  fabrics.push(api);
  return { api, history: new StatusHistory(api) };
}

/** Deploy the Rotation fixture: two default-code instances with an ordinary and an ignoreRoleInstanceStatus endpoint. */
async function deployRotation(api: Fabric, slot: Slot = 'production'): Promise<string[]> {
  const pkg = await api.packages.openFromDisk(join(fixtures, 'rotation.csdef'), join(fixtures, 'rotation.cscfg'));
  const { deploymentId } = await api.deploy({ packageId: pkg.packageId, slot });
  return [`${deploymentId}/WorkerRole1_IN_0`, `${deploymentId}/WorkerRole1_IN_1`];
}

/** Each status change of an instance, timed from its CreatingVM: what the jitter decides. */
async function offsets(history: StatusHistory, id: string): Promise<[string, number][]> {
  await history.reach(id, 'ReadyRole');
  const mine = history.changes.filter((c) => c.instanceId === id);
  const created = mine.find((c) => c.to === 'CreatingVM')!.at;
  return mine.filter((c) => c.at >= created).map((c) => [c.to, c.at - created]);
}

function expectSameTimes(a: [string, number][], b: [string, number][]): void {
  expect(b.map(([s]) => s)).toEqual(a.map(([s]) => s));
  // Float sums at emulated epoch magnitudes differ in the last bits only.
  b.forEach(([, at], i) => expect(Math.abs(at - a[i]![1])).toBeLessThan(0.01));
}

describe('seed', () => {
  it('same seed and same actions replay the same jitter, also when the seed is set while running', async () => {
    const first = await start({ seed: 4242 });
    const ids = await deployRotation(first.api);
    const original = await Promise.all(ids.map((id) => offsets(first.history, id)));
    expect((await first.api.getSnapshot()).clock.seed).toBe(4242);

    const reseeded = await start({ seed: 1 });
    const clock = await reseeded.api.setClock({ seed: 4242 });
    expect(clock.seed).toBe(4242);
    // The front end's log says when the seed changed, for whoever replays the exported session.
    const log = (await reseeded.api.listLogs({ component: 'front-end' }))[0]!;
    await waitFor('the seed in FrontEnd.log', async () =>
      (await reseeded.api.readLog({ file: log.file, fromLine: 0, count: 1_000 })).lines.some((l) => l.includes('Seed set to 4242')),
    );
    const replayIds = await deployRotation(reseeded.api);
    const replay = await Promise.all(replayIds.map((id) => offsets(reseeded.history, id)));
    replay.forEach((times, i) => expectSameTimes(original[i]!, times));

    const other = await start({ seed: 4243 });
    const otherIds = await deployRotation(other.api);
    const different = await offsets(other.history, otherIds[0]!);
    expect(Math.abs(different.at(-1)![1] - original[0]!.at(-1)![1])).toBeGreaterThan(1);
  });

  it('refuses a seed that is not a whole number from 0 to 2^32-1, and keeps the old one', async () => {
    const { api } = await start({ seed: 7 });
    for (const seed of [-1, 1.5, 2 ** 32, Number.NaN]) {
      expect(await refusal(api.setClock({ seed }))).toMatchObject({ code: 'BadRequest', message: expect.stringContaining('The seed must be a whole number') });
    }
    expect((await api.getSnapshot()).clock.seed).toBe(7);
  });
});

describe('phase timings', () => {
  it('apply to work that starts afterwards, in every host worker', async () => {
    const { api, history } = await start({ seed: 5 });
    const before = await api.getTimings();
    expect(before.phases).toEqual(defaultTimings);
    expect(before.defaults).toEqual(defaultTimings);

    const after = await api.setTimings({ phases: { createVm: 1_234, jitter: 0 } });
    expect(after.phases).toMatchObject({ createVm: 1_234, jitter: 0, bootGuest: defaultTimings.bootGuest });
    expect(after.defaults.createVm).toBe(defaultTimings.createVm);

    for (const id of await deployRotation(api)) {
      const created = await history.reach(id, 'CreatingVM');
      const booting = await history.reach(id, 'StartingVM');
      expect(booting.at - created.at).toBeCloseTo(1_234, 2);
    }
  });

  it('refuses unknown phases and bad durations naming the phase, changing nothing', async () => {
    const { api } = await start({ seed: 6 });
    const cases: [Record<string, number>, RegExp][] = [
      [{ warpDrive: 1 }, /unknown phase "warpDrive"/],
      [{ createVm: -1 }, /phase createVm needs a number from 0 to 86400000/],
      [{ bootGuest: 1e12 }, /phase bootGuest needs a number from 0 to 86400000/],
      [{ hostHeartbeat: 0 }, /phase hostHeartbeat needs a number from 100/],
      [{ createVm: 10, guestHeartbeatMin: 9_000 }, /guestHeartbeatMin \(9000\) must not exceed guestHeartbeatMax \(3000\)/],
    ];
    for (const [phases, message] of cases) {
      const error = await refusal(api.setTimings({ phases }));
      expect(error.code).toBe('BadRequest');
      expect(error.message).toMatch(message);
    }
    expect((await api.getTimings()).phases).toEqual(defaultTimings);
  });
});

/** Two hosts of 4 cores, no spare, and the rotation service's two instances Ready, one on each host. */
async function twoHostsReady(seed: number) {
  const pool = { name: 'Pool A', region: 'Local', hosts: 2, spareHosts: 0, coresPerHost: 4, faultDomains: 2 };
  const { api, history } = await start({ seed, pools: [pool] });
  const [target, other] = (await deployRotation(api)) as [string, string];
  await history.reach(target, 'ReadyRole');
  await history.reach(other, 'ReadyRole');
  const targetHost = (await instance(api, target))!.hostId;
  const otherHost = (await instance(api, other))!.hostId;
  return { api, history, target, other, targetHost, otherHost };
}

describe('host repair', () => {
  it('brings a killed host back Healthy with free cores; it takes new instances while healed ones stay put', async () => {
    const { api, history, target, other, targetHost: lostHost, otherHost: healthyHost } = await twoHostsReady(31);
    expect(await refusal(api.repairHost({ hostId: lostHost }))).toMatchObject({ code: 'Conflict', message: expect.stringContaining('is Healthy; only an Unhealthy host can be repaired') });

    const killedAt = api.clock.now();
    await api.injectFault({ kind: 'kill-host', hostId: lostHost });
    await waitFor('healed onto the other host', async () => {
      const now = await instance(api, target);
      return now?.hostId === healthyHost && history.firstInto(target, 'ReadyRole', killedAt);
    }, 30_000);
    expect((await api.getSnapshot()).hosts.find((h) => h.id === lostHost)?.health).toBe('Unhealthy');

    await api.repairHost({ hostId: lostHost });
    const booting = (await api.getSnapshot()).hosts.find((h) => h.id === lostHost)!;
    expect(booting).toMatchObject({ health: 'Booting', usedCores: 0, healthDetails: expect.stringContaining('repair') });
    expect(await refusal(api.repairHost({ hostId: lostHost }))).toMatchObject({ code: 'Conflict', message: expect.stringContaining('already being repaired') });
    const repaired = await waitFor('repaired host Healthy', async () => {
      const host = (await api.getSnapshot()).hosts.find((h) => h.id === lostHost);
      return host?.health === 'Healthy' && host;
    });
    expect(repaired.usedCores).toBe(0);
    expect(repaired.lastHeartbeat).toBeGreaterThan(killedAt);
    // Healed instances are not placed a second time when the repaired host comes back.
    const afterRepair = await api.getSnapshot();
    expect(afterRepair.instances.find((i) => i.id === target)?.hostId).toBe(healthyHost);
    expect(afterRepair.hosts.find((h) => h.id === healthyHost)?.usedCores).toBe(2);

    // A new deployment spreads over both fault domains: one instance lands on the repaired host and runs there.
    const newIds = await deployRotation(api, 'staging');
    const onRepaired = await waitFor('an instance on the repaired host', async () => {
      const mine = (await api.getSnapshot()).instances.filter((i) => newIds.includes(i.id));
      return mine.find((i) => i.hostId === lostHost);
    });
    await history.reach(onRepaired.id, 'ReadyRole');
    const end = await api.getSnapshot();
    expect(end.hosts.find((h) => h.id === lostHost)?.usedCores).toBe(1);
    expect(end.hosts.reduce((sum, h) => sum + h.usedCores, 0)).toBe(4);
  });

  it('refuses unknown hosts and hosts that are not Unhealthy', async () => {
    const { api } = await start({ seed: 32 });
    expect(await refusal(api.repairHost({ hostId: 'pool-9-host-01' }))).toMatchObject({ code: 'NotFound', message: 'There is no host "pool-9-host-01".' });
    expect(await refusal(api.repairHost({ hostId: 'pool-1-host-05' }))).toMatchObject({ code: 'Conflict', message: 'Host 5 is Off; only an Unhealthy host can be repaired.' });
    expect(await refusal(api.repairHost({ hostId: 'pool-1-host-01' }))).toMatchObject({ code: 'Conflict' });
    expect((await api.getSnapshot()).hosts.filter((h) => h.health === 'Healthy')).toHaveLength(4);
  });
});

describe('host restart by the fabric controller', () => {
  it('restarts a hung host and re-creates its instances on it; a host that fails again soon after is marked bad', async () => {
    const { api, history, target, other, targetHost: hostId, otherHost } = await twoHostsReady(51);

    const hungAt = api.clock.now();
    await api.injectFault({ kind: 'hang-host', hostId });
    const lost = await history.reach(target, 'RoleStateUnknown', hungAt);
    expect(lost.details).toMatch(/No heartbeat from the host agent for \d+ s\. The fabric controller is restarting the host\./);
    const back = await history.reach(target, 'ReadyRole', lost.at);
    const snap = await api.getSnapshot();
    expect(snap.instances.find((i) => i.id === target)).toMatchObject({ hostId, restarts: 1 });
    expect(snap.hosts.find((h) => h.id === hostId)).toMatchObject({ health: 'Healthy', usedCores: 1 });
    expect(history.firstInto(other, 'RoleStateUnknown', hungAt)).toBeUndefined();

    // The same host hangs again soon after its restart: repeated failures mark it bad, and service healing
    // moves its instance to the other host.
    await api.injectFault({ kind: 'hang-host', hostId });
    await waitFor('healed onto the other host', async () => {
      const now = await instance(api, target);
      return now?.hostId === otherHost && history.firstInto(target, 'ReadyRole', back.at + 1);
    }, 30_000);
    const bad = (await api.getSnapshot()).hosts.find((h) => h.id === hostId)!;
    expect(bad.health).toBe('Unhealthy');
    expect(bad.healthDetails).toMatch(/It failed again soon after the fabric controller restarted it\. Marked out for repair/);
    expect((await instance(api, target))?.restarts).toBe(2);
  });

  it('suspends a deployment while a host is restarting: the lost instance is StoppedVM at once, keeps its cores, and runs again', async () => {
    const { api, history, target, other, targetHost: hostId } = await twoHostsReady(53);
    const deploymentId = target.split('/')[0]!;
    const operation = async (requestId: string) =>
      waitFor(`operation ${requestId} ended`, async () => {
        const op = (await api.getSnapshot()).operations.find((o) => o.requestId === requestId);
        return op && op.status !== 'InProgress' && op;
      }, 30_000);

    const hungAt = api.clock.now();
    await api.injectFault({ kind: 'hang-host', hostId });
    const lost = await history.reach(target, 'RoleStateUnknown', hungAt);
    // Its VM went with the host: there is nothing to stop, so the suspend does not wait for the restart.
    const suspend = await api.updateDeploymentStatus({ deploymentId, status: 'Suspended' });
    expect(await operation(suspend.requestId)).toMatchObject({ status: 'Succeeded' });
    const stopped = (await api.getSnapshot()).instances.find((i) => i.id === target)!;
    expect(stopped).toMatchObject({ status: 'StoppedVM', hostId });
    await waitFor('the host back', async () => (await api.getSnapshot()).hosts.find((h) => h.id === hostId)?.health === 'Healthy');
    expect((await api.getSnapshot()).hosts.find((h) => h.id === hostId)).toMatchObject({ usedCores: 1 });
    // The restarted host does not re-create a suspended instance.
    expect(history.firstInto(target, 'CreatingVM', lost.at)).toBeUndefined();

    const run = await api.updateDeploymentStatus({ deploymentId, status: 'Running' });
    expect(await operation(run.requestId)).toMatchObject({ status: 'Succeeded' });
    // Batches reach the history a little after the operation's end.
    await history.reach(target, 'ReadyRole', lost.at);
    await history.reach(other, 'ReadyRole', lost.at);

    const removal = await api.deleteDeployment({ deploymentId });
    expect(await operation(removal.requestId)).toMatchObject({ status: 'Succeeded' });
    expect((await api.getSnapshot()).hosts.map((h) => h.usedCores)).toEqual([0, 0]);
  });

  it('deletes a deployment while a host is restarting and the restart then fails: nothing waits for a host that never comes back', async () => {
    const { api, history, target, targetHost: hostId } = await twoHostsReady(54);
    const deploymentId = target.split('/')[0]!;
    // A cut link stays cut: the restarted host boots but its controller never hears it, so the restart fails
    // only after its deadline (5 s of real time at least); the delete comes in meanwhile.
    const cutAt = api.clock.now();
    await api.injectFault({ kind: 'disconnect-host', hostId });
    await history.reach(target, 'RoleStateUnknown', cutAt);
    const removal = await api.deleteDeployment({ deploymentId });
    const done = await waitFor('the delete ended', async () => {
      const op = (await api.getSnapshot()).operations.find((o) => o.requestId === removal.requestId);
      return op && op.status !== 'InProgress' && op;
    }, 30_000);
    expect(done.status).toBe('Succeeded');
    const after = await api.getSnapshot();
    expect(after.instances).toEqual([]);
    // The restart fails later; the host is marked bad with nothing left to heal.
    await waitFor('host marked bad', async () => (await api.getSnapshot()).hosts.find((h) => h.id === hostId)?.health === 'Unhealthy', 30_000);
    expect((await api.getSnapshot()).instances).toEqual([]);
  });

  it('tries a restart before marking a killed host bad: dead hardware does not power on', async () => {
    const { api, history } = await start({ seed: 52 });
    const [target] = await deployRotation(api);
    await history.reach(target!, 'ReadyRole');
    const hostId = (await instance(api, target!))!.hostId;
    await api.injectFault({ kind: 'kill-host', hostId });
    const host = await waitFor('host marked bad', async () => {
      const h = (await api.getSnapshot()).hosts.find((x) => x.id === hostId);
      return h?.health === 'Unhealthy' && h;
    }, 30_000);
    expect(host.healthDetails).toMatch(/No heartbeat from the host agent for \d+ s\. The fabric controller restarted it, but it did not power on \(hardware fault\)\./);
    expect(await refusal(api.injectFault({ kind: 'hang-host', hostId }))).toMatchObject({ code: 'Conflict' });
  });
});

describe('rotation per input endpoint', () => {
  it('keeps a Busy instance in rotation only for the ignoreRoleInstanceStatus endpoint, and both once Ready', async () => {
    const { api, history } = await start({ seed: 41 });
    // A long OnStart (30 emulated minutes) keeps both instances Busy long enough to look at them.
    await api.setTimings({ phases: { onStart: 30 * 60_000 } });
    const ids = await deployRotation(api);
    await waitFor('both instances BusyRole', async () => {
      const mine = (await api.getSnapshot()).instances.filter((i) => ids.includes(i.id));
      return mine.length === 2 && mine.every((i) => i.status === 'BusyRole');
    });
    await api.setClock({ paused: true });
    for (const i of (await api.getSnapshot()).instances.filter((i) => ids.includes(i.id))) {
      expect(i.status).toBe('BusyRole');
      expect(i.rotation).toEqual(['Probe']);
      expect(i.inRotation).toBe(true);
    }
    await api.setClock({ paused: false });
    for (const id of ids) await history.reach(id, 'ReadyRole');
    for (const id of ids) {
      const now = await instance(api, id);
      expect(now?.rotation).toEqual(['HttpIn', 'Probe']);
      expect(now?.inRotation).toBe(true);
    }
  });
});

describe('a pause', () => {
  it('holds: what the hosts said before it is handled before the pause is answered, and nothing comes after', async () => {
    const { api } = await start({ pools: [{ name: 'Pool A', region: 'Local', hosts: 4, spareHosts: 0, coresPerHost: 8, faultDomains: 2 }] });
    const { deploymentId } = await api.deploy({ sample: 'hello-worker' });
    await waitFor('the deployment created', async () => (await api.getSnapshot()).instances.length === 2);
    await api.changeInstanceCount({ deploymentId, roleName: 'WorkerRole1', count: 16 });
    const statuses = async () => (await api.getSnapshot()).instances.map((i) => `${i.id} ${i.status} ${i.statusSince}`).sort();
    // Paused over and over while 16 instances come up on four busy hosts: each time, the fleet as the pause
    // left it stays so (a host's words still in its ring would land afterwards, the drain being periodic).
    let held = 0;
    for (let round = 0; round < 12; round++) {
      await api.setClock({ paused: false });
      await new Promise((r) => setTimeout(r, 15 + round * 5));
      await api.setClock({ paused: true });
      const paused = await statuses();
      await new Promise((r) => setTimeout(r, 60));
      expect(await statuses(), `round ${round}`).toEqual(paused);
      held++;
    }
    expect(held).toBe(12);
    // The fleet came up between the pauses, so the rounds did pause hosts at work.
    await api.setClock({ paused: false });
    await waitFor('16 Ready', async () => (await api.getSnapshot()).instances.filter((i) => i.status === 'ReadyRole').length === 16);
  });
});
