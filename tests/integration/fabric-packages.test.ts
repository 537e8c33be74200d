// Packages through the fabric: every sample, every valid real service of the corpus, and uploads, deployed
// on real host workers; invalid ones refused with their diagnostics, and the fabric keeps running.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpus, noCorpus, reportMissingCorpus } from '../support/shared-corpus';
import { FabricError } from '../../src-main/common/fabric-api';
import { Fabric } from '../../src-main/fabric/fabric';
import { hostWorkerUrl } from '../support/built';
import { StatusHistory, waitFor } from '../support/fabric-helpers';

const repoRoot = resolve(import.meta.dirname, '../..');
const samples = resolve(repoRoot, 'resources/samples');

let fabric: Fabric;
let history: StatusHistory;
beforeAll(async () => {
  // Room for the largest real service (TestCallingBot: Standard_D3_v2, 4 cores) and many at once.
  fabric = await Fabric.start({
    hostWorkerUrl,
    timeScale: 1000,
    seed: 51,
    batchIntervalMs: 10,
    coreQuota: 400,
    pools: [{ name: 'Big', region: 'Local', hosts: 6, coresPerHost: 16, faultDomains: 2 }],
  });
  history = new StatusHistory(fabric);
});
afterAll(async () => fabric?.close());

async function deployAndWaitReady(request: { sample?: string; packageId?: string }, serviceName: string): Promise<string> {
  const { deploymentId, requestId } = await fabric.deploy({ ...request, serviceName });
  const op = (await fabric.getSnapshot()).operations.find((o) => o.requestId === requestId);
  expect(op?.error ?? null).toBeNull();
  await waitFor(`${serviceName} ReadyRole`, async () => {
    const mine = (await fabric.getSnapshot()).instances.filter((i) => i.deploymentId === deploymentId);
    return mine.length > 0 && mine.every((i) => i.status === 'ReadyRole');
  }, 30_000);
  return deploymentId;
}

async function remove(deploymentId: string): Promise<void> {
  await fabric.deleteDeployment({ deploymentId });
  await waitFor('deleted', async () => !(await fabric.getSnapshot()).deployments.some((d) => d.id === deploymentId));
}

describe('samples', () => {
  it('lists every sample with its README, and marks the teaching sample with errors invalid', async () => {
    const list = await fabric.listSamples();
    // Ordered for a newcomer: Hello worker first, the teaching samples (which fail on purpose) last and marked.
    expect(list.map((s) => s.id)).toEqual([
      'hello-worker',
      'full-iis',
      'startup-tasks',
      'web-and-worker',
      'program-entry-point',
      'worker-with-code',
      'validation-errors',
      'onstart-hang',
      'run-throws',
      'failing-startup-task',
    ]);
    expect(list.filter((s) => s.teaching).map((s) => s.id)).toEqual(['validation-errors', 'onstart-hang', 'run-throws', 'failing-startup-task']);
    expect(list.find((s) => s.id === 'validation-errors')?.valid).toBe(false);
    expect(list.filter((s) => s.valid)).toHaveLength(9);
    for (const sample of list) expect(sample.readme).toContain('What to watch');
  });

  for (const id of ['hello-worker', 'startup-tasks', 'web-and-worker', 'full-iis']) {
    it(`deploys ${id} and brings every instance to ReadyRole`, async () => {
      const deploymentId = await deployAndWaitReady({ sample: id }, `s-${id}`);
      const deployment = (await fabric.getSnapshot()).deployments.find((d) => d.id === deploymentId)!;
      const pkg = await fabric.getSamplePackage({ sample: id });
      expect(deployment.roles.map((r) => r.name)).toEqual(pkg.roles.map((r) => r.name));
      await remove(deploymentId);
    });
  }

  it('full-iis runs the expanded Diagnostics and RemoteAccess tasks before the role starts', async () => {
    const pkg = await fabric.getSamplePackage({ sample: 'full-iis' });
    const tasks = pkg.roles[0]!.startupTasks.map((t) => `${t.taskType}:${t.commandLine}`);
    expect(tasks).toEqual([
      'background:DiagnosticsAgent.exe',
      'simple:DiagnosticsAgent.exe /blockStartup',
      'background:RemoteAccessAgent.exe',
      'simple:RemoteAccessAgent.exe /blockStartup',
    ]);
    const deploymentId = await deployAndWaitReady({ sample: 'full-iis' }, 'iis-tasks');
    const first = `${deploymentId}/WebRole1_IN_0`;
    await history.reach(first, 'ReadyRole'); // the records arrive a batch after the snapshot shows Ready
    const details = history.changes.filter((c) => c.instanceId === first && c.to === 'StartingRole').map((c) => c.details);
    expect(details[0]).toContain('Startup task 1 of 4 (background) is running: DiagnosticsAgent.exe');
    await remove(deploymentId);
  });

  it('failing-startup-task never reaches Ready: its install.cmd exits 1, and the instance says so', async () => {
    const { deploymentId } = await fabric.deploy({ sample: 'failing-startup-task' });
    const instanceId = `${deploymentId}/WorkerRole1_IN_0`;
    const failed = await history.reach(instanceId, 'FailedStartingRole');
    expect(failed.details).toContain('"startup\\install.cmd" exited with code 1');
    expect(history.firstInto(instanceId, 'ReadyRole')).toBeUndefined();
    // The restart count and the details agree, also once the role keeps failing (FailedStartingRole each time).
    const view = await waitFor('the fifth failed start', async () => {
      const i = (await fabric.getSnapshot()).instances.find((x) => x.id === instanceId);
      return i && /failed to start [5-9] times/.test(i.stateDetails) && i;
    });
    expect(view.restarts).toBe(Number(/failed to start (\d+) times/.exec(view.stateDetails)![1]));
    await remove(deploymentId);
  });

  it('refuses to deploy the sample with validation errors, naming the first error', async () => {
    const error = await fabric.deploy({ sample: 'validation-errors' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FabricError);
    expect((error as FabricError).code).toBe('BadRequest');
    expect((error as FabricError).message).toMatch(/has 9 validation error\(s\); the first: .*ServiceDefinition\.csdef:3:12 \[csdef\.role-name\]/);
    const pkg = await fabric.getSamplePackage({ sample: 'validation-errors' });
    expect(pkg.diagnostics.filter((d) => d.severity === 'error')).toHaveLength(9);
  });
});

reportMissingCorpus('fabric-packages.test.ts');
describe.skipIf(noCorpus)('the real services of the corpus', () => {
  const valid: [string, string, string][] = [
    ['BlueCoffee', 'mooso__BlueCoffee__ServiceDefinition.csdef', 'mooso__BlueCoffee__ServiceConfiguration.Cloud.cscfg'],
    ['wazstagram', 'JustinBeckwith__wazstagram__ServiceDefinition.csdef', 'JustinBeckwith__wazstagram__ServiceConfiguration.Local.cscfg'],
    ['webapiworker', 'glennblock__webapiworker__ServiceDefinition.csdef', 'glennblock__webapiworker__ServiceConfiguration.Local.cscfg'],
    ['rubyrole', 'Blackmist__rubyrole__ServiceDefinition.csdef', 'Blackmist__rubyrole__ServiceConfiguration.Cloud.cscfg'],
    [
      'TestCallingBot',
      'microsoftgraph__microsoft-graph-comms-samples__Samples__LocalMediaSamples__TestCallingBot__ServiceDefinition.csdef',
      'microsoftgraph__microsoft-graph-comms-samples__Samples__LocalMediaSamples__TestCallingBot__ServiceConfiguration.Cloud.cscfg',
    ],
    ['RandomQuotes', 'OctopusSamples__RandomQuotes-aspmvc4__ServiceDefinition.csdef', 'OctopusSamples__RandomQuotes-aspmvc4__ServiceConfiguration.Cloud.ARM.cscfg'],
    ['Conference', 'fsimonazzi__cqrs-journey-code__source__Conference.Azure__ServiceDefinition.csdef', 'fsimonazzi__cqrs-journey-code__source__Conference.Azure__ServiceConfiguration.Cloud.cscfg'],
    ['vera', 'SysSurge__vera__ServiceDefinition.csdef', 'SysSurge__vera__ServiceConfiguration.cscfg'],
  ];
  for (const [service, csdef, cscfg] of valid) {
    it(`${service} deploys and every instance reaches ReadyRole`, async () => {
      const pkg = await fabric.packages.openFromDisk(join(corpus, csdef), join(corpus, cscfg));
      expect(pkg.valid).toBe(true);
      const deploymentId = await deployAndWaitReady({ packageId: pkg.packageId }, `c-${service.toLowerCase()}`);
      const expected = pkg.roles.reduce((n, r) => n + r.instanceCount, 0);
      expect((await fabric.getSnapshot()).instances.filter((i) => i.deploymentId === deploymentId)).toHaveLength(expected);
      await remove(deploymentId);
    });
  }

  it('refuses the invalid ones with their diagnostics, and nothing deployed changes', async () => {
    const before = (await fabric.getSnapshot()).deployments.length;
    const pkg = await fabric.packages.openFromDisk(join(corpus, 'NuGet__NuGetGallery__Scripts__NuGetGallery.csdef'), join(corpus, 'NuGet__NuGetGallery__Scripts__NuGetGallery.base.cscfg'));
    expect(pkg.valid).toBe(false);
    expect(pkg.diagnostics.some((d) => d.rule === 'csdef.endpoint-certificate' && d.line > 0)).toBe(true);
    await expect(fabric.deploy({ packageId: pkg.packageId })).rejects.toMatchObject({ code: 'BadRequest' });
    expect((await fabric.getSnapshot()).deployments).toHaveLength(before);
  });
});

describe('uploads', () => {
  function filesOf(folder: string): { path: string; data: string }[] {
    const out: { path: string; data: string }[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else out.push({ path: `hello-worker/${relative(folder, full).split('\\').join('/')}`, data: readFileSync(full).toString('base64') });
      }
    };
    walk(folder);
    return out.filter((f) => !f.path.endsWith('README.md'));
  }

  it('reads an uploaded csx folder with its configuration and deploys it', async () => {
    const pkg = await fabric.openPackage({ files: filesOf(join(samples, 'hello-worker')) });
    expect(pkg).toMatchObject({ source: 'upload', name: 'HelloWorker', valid: true });
    expect(pkg.diagnostics.every((d) => !d.file.includes('fabric-lab-work'))).toBe(true);
    const deploymentId = await deployAndWaitReady({ packageId: pkg.packageId }, 'uploaded');
    await remove(deploymentId);
  });

  it('refuses uploads that escape their folder, name a file twice, or hold two configurations', async () => {
    const cfg = readFileSync(join(samples, 'hello-worker/ServiceConfiguration.cscfg')).toString('base64');
    await expect(fabric.openPackage({ files: [{ path: '../../etc/x.cscfg', data: cfg }] })).rejects.toMatchObject({ code: 'BadRequest', message: expect.stringContaining('outside the package') });
    await expect(fabric.openPackage({ files: [{ path: '/abs/x.cscfg', data: cfg }] })).rejects.toMatchObject({ code: 'BadRequest' });
    await expect(fabric.openPackage({ files: [{ path: 'a.cscfg', data: cfg }, { path: './a.cscfg', data: cfg }] })).rejects.toMatchObject({ message: expect.stringContaining('twice') });
    const two = await fabric.openPackage({ files: [{ path: 'a.cscfg', data: cfg }, { path: 'b.cscfg', data: cfg }] });
    expect(two.valid).toBe(false);
    expect(two.diagnostics[0]).toMatchObject({ rule: 'upload.layout', message: expect.stringContaining('Choose one configuration') });
    // A definition alone: no errors of its own, and the report says what is missing instead of "0 errors".
    const alone = await fabric.openPackage({ files: [{ path: 'svc.csdef', data: readFileSync(join(samples, 'hello-worker', 'ServiceDefinition.csdef')).toString('base64') }] });
    expect(alone.valid).toBe(false);
    expect(alone.diagnostics.filter((d) => d.severity === 'error')).toEqual([
      expect.objectContaining({ file: 'svc.csdef', rule: 'package.configuration-missing', message: expect.stringContaining('Choose its .cscfg too') }),
    ]);
    // A configuration error that points at the definition names it as uploaded, never the fabric's upload folder.
    const hello = readFileSync(join(samples, 'hello-worker', 'ServiceDefinition.csdef')).toString('base64');
    const otherName = Buffer.from(readFileSync(join(samples, 'hello-worker', 'ServiceConfiguration.cscfg'), 'utf8').replace('serviceName="HelloWorker"', 'serviceName="Other"')).toString('base64');
    const crossed = await fabric.openPackage({ files: [{ path: 'svc.csdef', data: hello }, { path: 'svc.cscfg', data: otherName }] });
    const mismatch = crossed.diagnostics.find((d) => d.rule === 'cscfg.service-name')!;
    expect(mismatch.message).toMatch(/\(svc\.csdef, line \d+\)/);
    expect(crossed.diagnostics.every((d) => !d.message.includes(fabric.sessionDir))).toBe(true);
    const garbage = await fabric.openPackage({ files: [{ path: 'x.csdef', data: Buffer.from('<ServiceDefinition').toString('base64') }] });
    expect(garbage.valid).toBe(false);
    expect(garbage.diagnostics[0]?.line).toBeGreaterThan(0);
  });
});
