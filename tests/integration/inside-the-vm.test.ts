// Issue 14, "Inside the VM as the seed tells it": what an instance's own drives and logs show, read as a
// support engineer reads them, against the seed (../shared/reference beside the repository). Real host workers, real role processes.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fabric } from '../../src-main/fabric/fabric';
import { instanceFolder } from '../../src-main/logs/instance-paths';
import { parseHostProcessLine } from '../../src-main/logs/log-formats';
import { hostWorkerUrl } from '../support/built';
import { instance, StatusHistory, waitFor } from '../support/fabric-helpers';

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
    // A file listed a moment ago may have been rotated since (a bootstrapper start): read what is there.
    const page = await fabric.readLog({ file: log.file, fromLine: 0, count: Math.max(1, Math.min(log.lines, 10_000)) }).catch(() => null);
    lines.push(...(page?.lines ?? []));
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

/** The process id a runtime log line carries ([pppppppp:tttttttt, ...]). */
const pidOf = (line: string) => Number(/\[(\d{8,}):\d{8,}, /.exec(line)?.[1]);

describe('9. consistent details', () => {
  it("role code's host process has one pid everywhere, and its log says COMPLETED OnStart() and CALLING Run()", async () => {
    const { deploymentId } = await fabric.deploy({ sample: 'worker-with-code', slot: 'staging' });
    const id = `${deploymentId}/WorkerRole1_IN_0`;
    const busy = await waitFor('BusyRole with the pid', async () => history.firstInto(id, 'BusyRole'));
    const pid = Number(/\(pid (\d+)\)/.exec(busy.details)?.[1]);
    expect(pid).toBeGreaterThan(0);
    await waitForLine(id, 'WaWorkerHost', /CALLING\s+Run\(\)/);
    const bootstrapper = await logLines(id, 'WaHostBootstrapper');
    expect(bootstrapper.find((l) => l.includes('Starting host process WaWorkerHost.exe'))).toContain(`(pid ${pid})`);
    expect(bootstrapper.filter((l) => l.includes('Client WaWorkerHost.exe')).every((l) => l.includes(`(${pid})`))).toBe(true);
    const host = await logLines(id, 'WaWorkerHost');
    expect(new Set(host.map(pidOf).filter((p) => !Number.isNaN(p)))).toEqual(new Set([pid]));
    const order = [/CALLING\s+OnStart\(\)/, /COMPLETED\s+OnStart\(\)/, /CALLING\s+Run\(\)/].map((p) => host.findIndex((l) => p.test(l)));
    expect(order.every((n, i) => n >= 0 && (i === 0 || n > order[i - 1]!))).toBe(true);
    const agent = await logLines(id, 'WaAppAgent');
    expect(agent.find((l) => l.includes('is calling OnStart'))).toContain(`(pid ${pid})`);
    await fabric.deleteDeployment({ deploymentId });
  });

  it('startup tasks are executed at WARN, and the bootstrapper has its own version, not the guest agent\'s', async () => {
    const { deploymentId } = await fabric.deploy({ sample: 'startup-tasks', slot: 'staging' });
    const views = (await fabric.getSnapshot()).instances.filter((i) => i.deploymentId === deploymentId);
    const id = views[0]!.id;
    const executing = await waitForLine(id, 'WaHostBootstrapper', 'Executing Startup Task');
    expect(executing).toMatch(/, WARN \] Executing Startup Task type=\d/);
    const version = /Bootstrapper is starting\. Version (\S+)/.exec((await logLines(id, 'WaHostBootstrapper')).join('\n'))?.[1];
    const agentVersion = /WindowsAzureGuestAgent starting\. Version (\S+)/.exec((await logLines(id, 'WaAppAgent')).join('\n'))?.[1];
    expect(version).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(agentVersion).toBeDefined();
    expect(version).not.toBe(agentVersion);
    await fabric.deleteDeployment({ deploymentId });
  });

  it("a web role: no Working trace, a crash stack naming the role's own class, and the warm-up's time as IIS logged it", async () => {
    const { deploymentId } = await fabric.deploy({ sample: 'web-and-worker', slot: 'staging' });
    const id = `${deploymentId}/WebFrontEnd_IN_0`;
    const ready = await history.reach(id, 'ReadyRole');
    const answered = await waitForLine(id, 'WaWebHost', /Warm-up request returned 200 in \d+ ms\./);
    const warmUpMs = Number(/in (\d+) ms/.exec(answered)![1]);
    const w3c = await waitForLine(id, 'IIS', '/do.rd_runtime_init');
    expect(Number(w3c.trim().split(/\s+/).at(-1))).toBe(warmUpMs);
    await fabric.injectFault({ kind: 'crash-role', instanceId: id });
    await waitForLine(id, 'WaWebHost', 'at WebFrontEnd.WebRole.Run()');
    const host = await logLines(id, 'WaWebHost');
    expect(host.some((l) => l.includes('WorkerRole1.WorkerRole'))).toBe(false);
    expect(host.some((l) => l.includes('Working'))).toBe(false);
    expect(ready.at).toBeGreaterThan(0);
    await fabric.deleteDeployment({ deploymentId });
  });

  it("IIS is the osFamily's (8.5 on family 4, 10.0 on 6), and IISConfigurator's steps are stamped as they happen", async () => {
    const samples = join(import.meta.dirname, '../../resources/samples/full-iis');
    const files = readdirSync(samples, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const path = relative(samples, join(e.parentPath, e.name)).replaceAll('\\', '/');
        let text = readFileSync(join(e.parentPath, e.name));
        if (path === 'ServiceConfiguration.cscfg') text = Buffer.from(text.toString('utf8').replace('osFamily="6"', 'osFamily="4"'));
        return { path: `FullIis/${path}`, data: text.toString('base64') };
      });
    const pkg = await fabric.openPackage({ files });
    expect(pkg.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const old = await fabric.deploy({ packageId: pkg.packageId, serviceName: 'iis-family-4' });
    const current = await fabric.deploy({ sample: 'full-iis', serviceName: 'iis-family-6' });
    for (const [{ deploymentId }, version] of [[old, '8.5'], [current, '10.0']] as const) {
      const instanceId = `${deploymentId}/WebRole1_IN_0`;
      await history.reach(instanceId, 'ReadyRole');
      const answer = await fabric.sendInstanceRequest({ instanceId });
      expect(answer.headers['server']).toBe(`Microsoft-IIS/${version}`);
      expect(await waitForLine(instanceId, 'IIS', '#Software')).toBe(`#Software: Microsoft Internet Information Services ${version}`);
      const configurator = (await logLines(instanceId, 'IISConfigurator')).map((l) => parseHostProcessLine(l)!.at);
      const configureSteps = configurator.slice(-6);
      expect(new Set(configureSteps).size).toBeGreaterThan(3);
      expect([...configureSteps].sort((a, b) => a - b)).toEqual(configureSteps);
    }
  });
});

describe('1. the package reaches the VM', () => {
  it("lays the role's files out on E: (Preparing), runs tasks and role code from there, and a reimage lays them out afresh", async () => {
    const { deploymentId } = await fabric.deploy({ sample: 'startup-tasks', serviceName: 'on-e' });
    const id = `${deploymentId}/Worker_IN_0`;
    await history.reach(id, 'ReadyRole');
    const statuses = history.of(id);
    expect(statuses.indexOf('Preparing')).toBeGreaterThanOrEqual(0);
    expect(statuses.indexOf('Preparing')).toBeLessThan(statuses.indexOf('CreatingVM'));
    const sample = join(import.meta.dirname, '../../resources/samples/startup-tasks/roles/Worker/approot');
    const setup = onInstance(deploymentId, 'Worker_IN_0', 'E', 'approot', 'setup.cmd');
    // The file the bootstrapper's log cites exists on the instance's E:, with the package's bytes.
    expect(await waitForLine(id, 'WaHostBootstrapper', 'cmd="E:\\approot\\.\\setup.cmd"')).toBeDefined();
    expect(readFileSync(setup, 'utf8')).toBe(readFileSync(join(sample, 'setup.cmd'), 'utf8'));
    // Reimage wipes E: and lays it out again: a file left there is gone.
    const stray = onInstance(deploymentId, 'Worker_IN_0', 'E', 'approot', 'left-behind.txt');
    writeFileSync(stray, 'written on the VM');
    const since = (await fabric.getSnapshot()).clock.now;
    await fabric.reimageInstance({ instanceId: id });
    await waitFor('Ready after the reimage', async () => history.firstInto(id, 'ReadyRole', since));
    expect(existsSync(stray)).toBe(false);
    expect(existsSync(setup)).toBe(true);
    await fabric.deleteDeployment({ deploymentId });
  });

  it("role code runs from E:\\approot, and a package whose files are gone fails with FailedStartingVM, the fabric serving on", async () => {
    const root = mkdtempSync(join(tmpdir(), 'fabric-lab-on-e-'));
    const csx = join(root, 'OnE.csx');
    mkdirSync(join(csx, 'roles/Worker/approot'), { recursive: true });
    const ns = 'http://schemas.microsoft.com/ServiceHosting/2008/10/';
    writeFileSync(join(csx, 'ServiceDefinition.csdef'), `<ServiceDefinition name="OnE" xmlns="${ns}ServiceDefinition"><WorkerRole name="Worker" vmsize="Small" /></ServiceDefinition>`);
    writeFileSync(join(root, 'ServiceConfiguration.cscfg'), `<ServiceConfiguration serviceName="OnE" xmlns="${ns}ServiceConfiguration"><Role name="Worker"><Instances count="1" /></Role></ServiceConfiguration>`);
    writeFileSync(join(csx, 'roles/Worker/approot/RoleEntryPoint.mjs'), "export function onStart() { console.log(`cwd=${process.cwd()} module=${import.meta.url}`); return true; }\nexport function run() { return new Promise(() => {}); }\n");
    const pkg = await fabric.packages.openFromDisk(csx, join(root, 'ServiceConfiguration.cscfg'));
    const { deploymentId } = await fabric.deploy({ packageId: pkg.packageId, serviceName: 'code-on-e' });
    const id = `${deploymentId}/Worker_IN_0`;
    const line = await waitForLine(id, 'WaWorkerHost', 'cwd=');
    const approot = onInstance(deploymentId, 'Worker_IN_0', 'E', 'approot');
    expect(line).toContain(`cwd=${approot}`);
    expect(line).toContain(`module=file://${join(approot, 'RoleEntryPoint.mjs')}`);

    // The package's folder is gone before a second deployment is prepared: the VM cannot be made.
    rmSync(root, { recursive: true, force: true });
    const gone = await fabric.deploy({ packageId: pkg.packageId, serviceName: 'code-gone', slot: 'staging' });
    const failed = await waitFor('FailedStartingVM', async () => history.firstInto(`${gone.deploymentId}/Worker_IN_0`, 'FailedStartingVM'));
    expect(failed.details).toMatch(/could not put the role's files on E:: .*ENOENT/);
    expect((await fabric.getSnapshot()).instances.find((i) => i.id === id)?.status).toBe('ReadyRole');
    await fabric.deleteDeployment({ deploymentId });
    await fabric.deleteDeployment({ deploymentId: gone.deploymentId });
  });
});

describe('10. every InstanceStatus by its cause', () => {
  it('CyclingRole: a role that keeps ending after Ready; DeletingVM: a deleted deployment\'s VMs', async () => {
    const { deploymentId } = await fabric.deploy({ sample: 'run-throws', serviceName: 'cycling' });
    const id = `${deploymentId}/WorkerRole1_IN_0`;
    const cycling = await waitFor('CyclingRole', async () => history.firstInto(id, 'CyclingRole'), 40_000);
    expect(cycling.details).toMatch(/ended soon after reaching Ready 3 times in a row: it keeps cycling/);
    expect(history.of(id).filter((s) => s === 'RestartingRole').length).toBe(2);
    const deletedAt = (await fabric.getSnapshot()).clock.now;
    await fabric.deleteDeployment({ deploymentId });
    await waitFor('StoppedVM in the history', async () => history.firstInto(id, 'StoppedVM', deletedAt));
    const after = history.changes.filter((c) => c.instanceId === id && c.at >= deletedAt).map((c) => c.to);
    expect(after.slice(-3)).toEqual(['StoppingVM', 'DeletingVM', 'StoppedVM']);
    expect(after).toContain('StoppingRole');
  }, 60_000); // run-throws' Run fails after 2 real seconds, three times

  it('StoppedDeallocated: a lost host\'s instance with no room anywhere, until the host is repaired', async () => {
    const tight = await Fabric.start({
      hostWorkerUrl, timeScale: 1000, seed: 10, batchIntervalMs: 10,
      pools: [{ name: 'Tight', region: 'Local', hosts: 2, spareHosts: 0, coresPerHost: 1, faultDomains: 2 }],
      sessionDir: mkdtempSync(join(tmpdir(), 'fabric-lab-deallocated-')),
    });
    try {
      const seen = new StatusHistory(tight);
      const { deploymentId } = await tight.deploy({ sample: 'hello-worker' });
      const id = `${deploymentId}/WorkerRole1_IN_0`;
      await seen.reach(id, 'ReadyRole');
      const hostId = (await instance(tight, id))!.hostId!;
      await tight.injectFault({ kind: 'kill-host', hostId });
      const deallocated = await waitFor('StoppedDeallocated', async () => seen.firstInto(id, 'StoppedDeallocated'), 30_000);
      expect(deallocated.details).toMatch(/no healthy host in pool Tight has 1 free core\(s\); deallocated until one has room/);
      await tight.repairHost({ hostId });
      await seen.reach(id, 'ReadyRole', deallocated.at);
    } finally {
      await tight.close();
    }
  });
});

describe('2. E:\\RoleModel.xml is the bootstrapper\'s input', () => {
  it('runs the tasks the file names (an edit shows at the next start), and refuses a file it cannot use with its line and rule', async () => {
    const { deploymentId } = await fabric.deploy({ sample: 'startup-tasks', serviceName: 'role-model' });
    const id = `${deploymentId}/Worker_IN_0`;
    const ready = await history.reach(id, 'ReadyRole');
    const file = onInstance(deploymentId, 'Worker_IN_0', 'E', 'RoleModel.xml');
    const written = readFileSync(file, 'utf8');
    expect(written).toContain('version="2.9.8999.45"');
    expect(written).toContain('<RoleInstanceValue xpath="/RoleEnvironment/Deployment/@emulated" />');
    expect(await waitForLine(id, 'WaHostBootstrapper', /Role model: E:\\RoleModel\.xml \(version 2\.9\.8999\.45\), 4 startup task\(s\)\./)).toBeDefined();

    // The file, not the fabric's goal state, is what the next start runs.
    const approot = onInstance(deploymentId, 'Worker_IN_0', 'E', 'approot');
    writeFileSync(join(approot, 'warmup-edited.cmd'), readFileSync(join(approot, 'warmup.cmd')));
    writeFileSync(file, written.replace('commandLine="warmup.cmd"', 'commandLine="warmup-edited.cmd"'));
    await fabric.injectFault({ kind: 'crash-role', instanceId: id });
    const restarted = await waitFor('Ready again', async () => history.firstInto(id, 'ReadyRole', ready.at + 1));
    expect(await waitForLine(id, 'WaHostBootstrapper', 'cmd="E:\\approot\\.\\warmup-edited.cmd"')).toBeDefined();

    // A file the bootstrapper cannot run from: the role does not start, the details say where and why.
    writeFileSync(file, written.replace('<Task commandLine="monitor.cmd"', '<Task'));
    await fabric.injectFault({ kind: 'crash-role', instanceId: id });
    const refused = await waitFor('a start refused', async () => history.changes.find((c) => c.instanceId === id && c.at > restarted.at && /RoleModel\.xml:\d+:\d+: \[rolemodel\.task-command\]/.test(c.details)));
    expect(refused.details).toContain('A startup <Task> needs a commandLine.');
    expect(await waitForLine(id, 'WaHostBootstrapper', /ERROR ?\] E:\\RoleModel\.xml:\d+:\d+: \[rolemodel\.task-command\]/)).toBeDefined();
    // The fabric keeps serving: another deployment still deploys.
    const other = await fabric.deploy({ sample: 'hello-worker', serviceName: 'still-serving' });
    await history.reach(`${other.deploymentId}/WorkerRole1_IN_0`, 'ReadyRole');
    await fabric.deleteDeployment({ deploymentId });
    await fabric.deleteDeployment({ deploymentId: other.deploymentId });
  });
});

describe('5. /blockStartup blocks', () => {
  it("a plugin's /blockStartup task waits for the agent its background task started, which keeps running; without an agent it says so", async () => {
    const root = mkdtempSync(join(tmpdir(), 'fabric-lab-block-startup-'));
    const ns = 'http://schemas.microsoft.com/ServiceHosting/2008/10/';
    writeFileSync(join(root, 'Diag.csdef'), `<ServiceDefinition name="Diag" xmlns="${ns}ServiceDefinition"><WorkerRole name="Worker" vmsize="Small"><Startup><Task commandLine="Lonely.exe /blockStartup" taskType="simple" /></Startup><Imports><Import moduleName="Diagnostics" /></Imports></WorkerRole></ServiceDefinition>`);
    writeFileSync(join(root, 'Diag.cscfg'), `<ServiceConfiguration serviceName="Diag" xmlns="${ns}ServiceConfiguration"><Role name="Worker"><Instances count="1" /><ConfigurationSettings><Setting name="Microsoft.WindowsAzure.Plugins.Diagnostics.ConnectionString" value="UseDevelopmentStorage=true" /></ConfigurationSettings></Role></ServiceConfiguration>`);
    const pkg = await fabric.packages.openFromDisk(join(root, 'Diag.csdef'), join(root, 'Diag.cscfg'));
    expect(pkg.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const { deploymentId } = await fabric.deploy({ packageId: pkg.packageId, serviceName: 'block-startup' });
    const id = `${deploymentId}/Worker_IN_0`;
    await history.reach(id, 'ReadyRole');
    const lines = await logLines(id, 'WaHostBootstrapper');
    const at = (text: string) => lines.findIndex((l) => l.includes(text));
    const started = at('started DiagnosticsAgent.exe (emulated); it keeps running with the role.');
    const waits = at('waits for DiagnosticsAgent.exe to initialise (/blockStartup).');
    const initialised = at('DiagnosticsAgent.exe (task 1) has initialised.');
    expect(started).toBeGreaterThanOrEqual(0);
    expect(waits).toBeGreaterThan(started);
    expect(initialised).toBeGreaterThan(waits);
    // The blocked task ends when the agent has initialised, not before.
    expect(lines.slice(waits, initialised).some((l) => l.includes('Task 2 done'))).toBe(false);
    expect(lines.slice(initialised).some((l) => l.includes('Task 2 done'))).toBe(true);
    // A /blockStartup task with no agent to wait for goes on, and says so.
    expect(at('No Lonely.exe runs to wait for: task 3 goes on as a plain task.')).toBeGreaterThan(initialised);
    await fabric.deleteDeployment({ deploymentId });
    rmSync(root, { recursive: true, force: true });
  });
});
