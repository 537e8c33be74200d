// Packages that carry role code: it runs in real host processes, its output lands in the host process log,
// and crashes, throwing Runs and hanging OnStarts behave as they do on Azure.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fabric } from '../../src-main/fabric/fabric';
import { hostWorkerUrl } from '../support/built';
import { instance, StatusHistory, waitFor } from '../support/fabric-helpers';

let fabric: Fabric;
let history: StatusHistory;
beforeAll(async () => {
  fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 61, batchIntervalMs: 10, sessionDir: mkdtempSync(join(tmpdir(), 'fabric-lab-rolecode-session-')) });
  history = new StatusHistory(fabric);
});
afterAll(async () => fabric?.close());

async function hostProcessLog(instanceId: string): Promise<string[]> {
  const files = await fabric.listLogs({ instanceId });
  const log = files.find((f) => f.process === 'WaWorkerHost' && f.current);
  if (!log) return [];
  return (await fabric.readLog({ file: log.file, fromLine: 0, count: Math.max(1, Math.min(log.lines, 10_000)) })).lines;
}

describe('role code in real host processes', () => {
  it("runs worker-with-code's entry point: Ready once OnStart returns, its trace in WaWorkerHost.log", async () => {
    const { deploymentId } = await fabric.deploy({ sample: 'worker-with-code' });
    const id = `${deploymentId}/WorkerRole1_IN_0`;
    const ready = await history.reach(id, 'ReadyRole');
    const busy = history.firstInto(id, 'BusyRole')!;
    expect(busy.details).toMatch(/WaWorkerHost \(pid \d+\) is calling OnStart/);
    expect(ready.at).toBeGreaterThanOrEqual(busy.at);
    await waitFor('role output in the log', async () => (await hostProcessLog(id)).some((l) => l.includes('Greeting setting: Hello from the fabric')));
    const lines = await hostProcessLog(id);
    expect(lines.some((l) => l.includes('OnStart: WorkerRole1_IN_0 of WorkerRole1'))).toBe(true);
    expect(lines.some((l) => l.includes('Working (1)'))).toBe(true);

    // An injected crash kills the real process; the guest agent restarts the role and it runs again.
    await fabric.injectFault({ kind: 'crash-role', instanceId: id });
    const restarting = await history.reach(id, 'RestartingRole');
    expect(restarting.details).toContain('injected fault');
    await history.reach(id, 'ReadyRole', restarting.at);
    expect((await instance(fabric, id))?.restarts).toBe(1);
  });

  it('run-throws: the exception ends the process and the role cycles, with the exception in the details', async () => {
    const { deploymentId } = await fabric.deploy({ sample: 'run-throws' });
    const id = `${deploymentId}/WorkerRole1_IN_0`;
    const ready = await history.reach(id, 'ReadyRole');
    const restarting = await waitFor('RestartingRole', async () => history.firstInto(id, 'RestartingRole', ready.at), 20_000);
    expect(restarting.details).toMatch(/WaWorkerHost exited with code 1: .*Cannot reach the queue "orders"/);
    await waitFor('the exception in the log', async () => (await hostProcessLog(id)).some((l) => l.includes('Cannot reach the queue')));
    expect((await hostProcessLog(id)).some((l) => l.includes('OnStop never runs'))).toBe(false);
  });

  it('onstart-hang: the instance stays BusyRole, out of rotation, while its guest keeps heartbeating', async () => {
    const { deploymentId } = await fabric.deploy({ sample: 'onstart-hang' });
    const id = `${deploymentId}/WorkerRole1_IN_0`;
    const busy = await history.reach(id, 'BusyRole');
    const beatsThen = (await instance(fabric, id))!.guestHeartbeats;
    await new Promise((r) => setTimeout(r, 1_500)); // 25 emulated minutes at 1000x
    const now = (await instance(fabric, id))!;
    expect(now.status).toBe('BusyRole');
    expect(now.statusSince).toBe(busy.at);
    expect(now.inRotation).toBe(false);
    expect(now.guestHeartbeats).toBeGreaterThan(beatsThen + 100);
    await fabric.deleteDeployment({ deploymentId });
    await waitFor('deleted', async () => !(await fabric.getSnapshot()).deployments.some((d) => d.id === deploymentId), 20_000);
  });
});
