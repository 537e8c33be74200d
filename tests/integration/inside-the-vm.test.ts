// Issue 14, "Inside the VM as the seed tells it": what an instance's own drives and logs show, read as a
// support engineer reads them, against the seed (/work/shared/reference). Real host workers, real role processes.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fabric } from '../../src-main/fabric/fabric';
import { instanceFolder } from '../../src-main/logs/instance-paths';
import { hostWorkerUrl } from '../support/built';
import { StatusHistory, waitFor } from '../support/fabric-helpers';

let fabric: Fabric;
let history: StatusHistory;
beforeAll(async () => {
  fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 14, batchIntervalMs: 10, coreQuota: 40, sessionDir: mkdtempSync(join(tmpdir(), 'fabric-lab-inside-vm-')) });
  history = new StatusHistory(fabric);
});
afterAll(async () => fabric?.close());

/** Every line a process wrote on the instance, its earlier files included. */
async function logLines(instanceId: string, process: string): Promise<string[]> {
  const files = await fabric.listLogs({ instanceId }).catch(() => []);
  const lines: string[] = [];
  for (const log of files.filter((f) => f.process === process)) {
    lines.push(...(await fabric.readLog({ file: log.file, fromLine: 0, count: Math.max(1, Math.min(log.lines, 10_000)) })).lines);
  }
  return lines;
}

function waitForLine(instanceId: string, process: string, text: string | RegExp): Promise<string> {
  const test = (l: string) => (typeof text === 'string' ? l.includes(text) : text.test(l));
  return waitFor(`"${text}" in ${process}.log of ${instanceId}`, async () => (await logLines(instanceId, process)).find(test));
}

/** A file on the instance's drives, from its VM path. */
function onInstance(deploymentId: string, instanceName: string, ...segments: string[]): string {
  return join(instanceFolder(fabric.sessionDir, deploymentId, instanceName), ...segments);
}

describe('7. the cloud is not the emulator', () => {
  it('says emulated="false" by default, and "true" only for a deployment that asks to act as the local emulator', async () => {
    const cloud = await fabric.deploy({ sample: 'program-entry-point' });
    const local = await fabric.deploy({ sample: 'program-entry-point', slot: 'staging', emulated: true });
    const views = (await fabric.getSnapshot()).deployments;
    expect(views.find((d) => d.id === cloud.deploymentId)!.emulated).toBe(false);
    expect(views.find((d) => d.id === local.deploymentId)!.emulated).toBe(true);
    for (const [{ deploymentId }, emulated] of [[cloud, 'false'], [local, 'true']] as const) {
      const id = `${deploymentId}/Worker_IN_0`;
      await history.reach(id, 'ReadyRole');
      const config = readFileSync(onInstance(deploymentId, 'Worker_IN_0', 'C', 'Config', `${deploymentId}.Worker.1.xml`), 'utf8');
      expect(config).toContain(`<Deployment id="${deploymentId}" emulated="${emulated}" />`);
      // The program's IsEmulated variable is the xpath /RoleEnvironment/Deployment/@emulated.
      expect(await waitForLine(id, 'WaWorkerHost', 'worker.mjs started')).toContain(`emulated=${emulated};`);
    }
  });
});
