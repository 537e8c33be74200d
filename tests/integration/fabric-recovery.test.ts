// Faults injected into a real fabric (real host workers, 1000x), and the recovery Azure would make.
import { afterEach, describe, expect, it } from 'vitest';
import { defaultTimings } from '../../src-main/common/timings';
import { Fabric } from '../../src-main/fabric/fabric';
import { parseLogLine, type LogFormat } from '../../src-main/logs/log-formats';
import { hostWorkerUrl } from '../support/built';
import { deployReady, instance, StatusHistory, waitFor, refusal } from '../support/fabric-helpers';

let fabric: Fabric | null = null;
afterEach(async () => {
  await fabric?.close();
  fabric = null;
});

async function start(seed: number): Promise<{ api: Fabric; history: StatusHistory }> {
  fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed, batchIntervalMs: 10 });
  return { api: fabric, history: new StatusHistory(fabric) };
}

describe('role recovery by the guest agent', () => {
  it('restarts a role whose host process crashed, and it comes back Ready', async () => {
    const { api, history } = await start(21);
    const [target, other] = await deployReady(api);
    await api.injectFault({ kind: 'crash-role', instanceId: target!.id });
    const crashed = await history.reach(target!.id, 'RestartingRole');
    await history.reach(target!.id, 'ReadyRole', crashed.at);
    expect(history.of(target!.id).slice(-5)).toEqual(['ReadyRole', 'RestartingRole', 'StartingRole', 'BusyRole', 'ReadyRole']);
    const restarting = history.firstInto(target!.id, 'RestartingRole')!;
    expect(restarting.details).toMatch(/WaWorkerHost exited unexpectedly.*Restarting the role in \d+ s/);
    expect((await instance(api, target!.id))?.restarts).toBe(1);
    expect(history.of(other!.id)).not.toContain('RestartingRole');
  });

  it('ends in FailedStartingRole when the role crashes at every start, with back-off, and recovers once cleared', async () => {
    const { api, history } = await start(22);
    const [target] = await deployReady(api);
    await api.injectFault({ kind: 'crash-role', instanceId: target!.id, persistent: true });
    const failed = await waitFor('FailedStartingRole', async () => history.firstInto(target!.id, 'FailedStartingRole'));
    expect(failed.details).toMatch(/during OnStart.*failed to start 3 times in a row/);
    // Each wait doubles: the gaps between RestartingRole/FailedStartingRole and the next StartingRole grow.
    const waits = history.changes
      .filter((c) => c.instanceId === target!.id && (c.to === 'RestartingRole' || c.to === 'FailedStartingRole'))
      .map((c) => Number(/in (\d+) s/.exec(c.details)![1]));
    expect(waits.slice(0, 3)).toEqual([10, 20, 40]);
    expect((await instance(api, target!.id))?.faults).toEqual(['crash-role']);

    await api.injectFault({ kind: 'clear', instanceId: target!.id });
    await waitFor('Ready after clear', async () => (await instance(api, target!.id))?.status === 'ReadyRole', 30_000);
    expect((await instance(api, target!.id))?.faults).toEqual([]);
  });

  it('never reaches Ready while a simple startup task fails, and says why', async () => {
    const { api, history } = await start(23);
    const [target] = await deployReady(api);
    await api.injectFault({ kind: 'fail-startup-task', instanceId: target!.id });
    const failed = await waitFor('FailedStartingRole', async () => history.firstInto(target!.id, 'FailedStartingRole'));
    expect(failed.details).toContain('Startup task 1 (simple) "startup\\install.cmd" exited with code 1');
    const since = history.firstInto(target!.id, 'RestartingRole')!.at;
    const after = history.changes.filter((c) => c.instanceId === target!.id && c.at > since).map((c) => c.to);
    // The task fails before the host process starts: no OnStart (BusyRole), no Ready.
    expect(after).not.toContain('BusyRole');
    expect(after).not.toContain('ReadyRole');
    expect(after).toContain('StartingRole');
  });
});

describe('guest recovery by the host agent', () => {
  it('reports a hung guest unresponsive, restarts its OS after 10 silent minutes, and the role comes back', async () => {
    const { api, history } = await start(24);
    const [target] = await deployReady(api);
    const hungAt = api.clock.now();
    await api.injectFault({ kind: 'hang-guest', instanceId: target!.id });
    expect((await instance(api, target!.id))?.faults).toEqual(['hang-guest']);
    const unresponsive = await waitFor('UnresponsiveRole', async () => history.firstInto(target!.id, 'UnresponsiveRole'));
    const rebooted = await waitFor('guest OS restarted', async () => history.firstInto(target!.id, 'StartingVM', hungAt));
    // Measured from the guest's last heartbeat, which a busy machine may have sent a little before hungAt.
    expect(Number(/for (\d+) s/.exec(unresponsive.details)![1])).toBeGreaterThanOrEqual(defaultTimings.guestUnresponsiveAfter / 1000);
    expect(unresponsive.at).toBeLessThan(rebooted.at);
    expect(rebooted.at - hungAt).toBeGreaterThanOrEqual(defaultTimings.guestHeartbeatTimeout - 30_000);
    expect(rebooted.at - hungAt).toBeLessThan(defaultTimings.guestHeartbeatTimeout + 90_000);
    expect(rebooted.details).toMatch(/restarted the guest OS: no heartbeat from the guest agent for 10 minutes/);
    const back = await waitFor('Ready after reboot', async () => history.firstInto(target!.id, 'ReadyRole', rebooted.at));
    expect((await instance(api, target!.id))?.faults).toEqual([]);

    // A frozen VM writes nothing: no graceful stop at the hang, no heartbeat or Run trace until the restart
    // (60 emulated seconds allowed for the fault to reach the host); then the restart shows.
    const guestLines: { process: string; at: number; line: string }[] = [];
    for (const file of (await api.listLogs({ instanceId: target!.id })).filter((f) => f.vmPath !== null && f.format !== 'text')) {
      const page = await api.readLog({ file: file.file, fromLine: 0, count: Math.max(1, Math.min(file.lines, 10_000)) });
      for (const line of page.lines) {
        const parsed = parseLogLine(file.format as LogFormat, line);
        if (parsed) guestLines.push({ process: file.process, at: parsed.at, line });
      }
    }
    const whileHung = guestLines.filter((l) => l.at >= hungAt && l.at < rebooted.at);
    expect(whileHung.filter((l) => /CALLING OnStop|Role is stopping|graceful/i.test(l.line))).toEqual([]);
    expect(whileHung.filter((l) => l.at >= hungAt + 60_000)).toEqual([]);
    expect(guestLines.some((l) => l.process === 'WaAppAgent' && l.at >= rebooted.at && l.at <= back.at)).toBe(true);
  });
});

describe('service healing by the fabric controller', () => {
  for (const kind of ['kill-host', 'disconnect-host'] as const) {
    it(`${kind}: marks the silent host bad and re-creates its instances on a healthy host in the same fault domain`, async () => {
      const { api, history } = await start(kind === 'kill-host' ? 25 : 26);
      const [target, other] = await deployReady(api);
      const lostHost = target!.hostId;
      const failedAt = api.clock.now();
      await api.injectFault({ kind, hostId: lostHost });

      await waitFor('Ready on another host', async () => {
        const now = await instance(api, target!.id);
        return now?.status === 'ReadyRole' && now.hostId !== lostHost && history.firstInto(target!.id, 'ReadyRole', failedAt);
      }, 30_000);
      const snap = await api.getSnapshot();
      const host = snap.hosts.find((h) => h.id === lostHost)!;
      expect(host.health).toBe('Unhealthy');
      expect(host.healthDetails).toMatch(/No heartbeat from the host agent for \d+ s/);
      expect(host.usedCores).toBe(0);
      const healed = snap.instances.find((i) => i.id === target!.id)!;
      expect(healed.faultDomain).toBe(target!.faultDomain);
      expect(healed.restarts).toBe(1);
      expect(snap.hosts.reduce((sum, h) => sum + h.usedCores, 0)).toBe(2);
      const lost = history.firstInto(target!.id, 'RoleStateUnknown', failedAt)!;
      expect(lost.at - failedAt).toBeGreaterThanOrEqual(defaultTimings.hostHeartbeatTimeout - defaultTimings.hostHeartbeat);
      expect(history.of(target!.id).slice(-8)).toEqual(['RoleStateUnknown', 'Preparing', 'CreatingVM', 'StartingVM', 'CreatingRole', 'StartingRole', 'BusyRole', 'ReadyRole']);
      expect(snap.instances.find((i) => i.id === other!.id)?.status).toBe('ReadyRole');
    });
  }
});

describe('bad fault requests', () => {

  it('are refused with a reason, and nothing changes', async () => {
    const { api } = await start(27);
    const [target] = await deployReady(api);
    expect(await refusal(api.injectFault({ kind: 'crash-role', instanceId: 'deployment9(9)/Nope_IN_0' }))).toMatchObject({ code: 'NotFound' });
    expect(await refusal(api.injectFault({ kind: 'kill-host', hostId: 'pool-9-host-01' }))).toMatchObject({ code: 'NotFound' });

    await api.deleteDeployment({ deploymentId: target!.deploymentId });
    expect(await refusal(api.injectFault({ kind: 'hang-guest', instanceId: target!.id }))).toMatchObject({ code: 'Conflict', message: expect.stringContaining('being stopped') });

    await api.injectFault({ kind: 'kill-host', hostId: 'pool-1-host-04' });
    await waitFor('host 4 marked bad', async () => (await api.getSnapshot()).hosts.find((h) => h.id === 'pool-1-host-04')?.health === 'Unhealthy');
    expect(await refusal(api.injectFault({ kind: 'disconnect-host', hostId: 'pool-1-host-04' }))).toMatchObject({ code: 'Conflict', message: expect.stringContaining('Unhealthy') });

    const { deploymentId } = await api.deploy({ sample: 'hello-worker', slot: 'staging' });
    const creating = (await api.getSnapshot()).instances.find((i) => i.deploymentId === deploymentId)!;
    expect(await refusal(api.injectFault({ kind: 'hang-guest', instanceId: creating.id }))).toMatchObject({ code: 'Conflict', message: expect.stringContaining('has not booted') });
    expect(await refusal(api.injectFault({ kind: 'crash-role', instanceId: creating.id }))).toMatchObject({ code: 'Conflict', message: expect.stringContaining('persistent') });
    expect((await instance(api, creating.id))?.faults).toEqual([]);
  });

  it('a deployment over the subscription core quota is refused', async () => {
    fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 28, coreQuota: 3 });
    await fabric.deploy({ sample: 'hello-worker' });
    expect(await refusal(fabric.deploy({ sample: 'hello-worker', slot: 'staging' }))).toMatchObject({
      code: 'QuotaExceeded',
      message: 'The request needs 2 more cores; the subscription uses 2 of its 3-core quota, so only 1 are left.',
    });
    expect((await fabric.getSnapshot()).deployments).toHaveLength(1);
  });
});
