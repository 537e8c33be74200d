// Running roles, the rest of it: a ProgramEntryPoint as a real process, local storage cleaned on recycle (or
// kept), a new configuration on a running deployment (Changing / Changed, recycle to apply, scaling), and
// foreground startup tasks holding off a recycle. Real host workers, real role processes.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationRef } from '../../src-main/common/fabric-api';
import { FabricError } from '../../src-main/common/fabric-errors';
import { Fabric } from '../../src-main/fabric/fabric';
import { instanceFolder } from '../../src-main/logs/instance-paths';
import { hostWorkerUrl } from '../support/built';
import { instance, refusal, StatusHistory, waitFor } from '../support/fabric-helpers';

let fabric: Fabric;
let history: StatusHistory;
beforeAll(async () => {
  fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 83, batchIntervalMs: 10, coreQuota: 40, sessionDir: mkdtempSync(join(tmpdir(), 'fabric-lab-running-roles-')) });
  history = new StatusHistory(fabric);
});
afterAll(async () => fabric?.close());

const ns = 'http://schemas.microsoft.com/ServiceHosting/2008/10/';

/** A csx folder with one worker role W: `role` is the inside of <WorkerRole>, `files` its approot. */
function service(name: string, role: string, files: Record<string, string>, settings = ''): { csx: string; cscfg: string; approot: string } {
  const root = mkdtempSync(join(tmpdir(), `fabric-lab-${name}-`));
  const csx = join(root, `${name}.csx`);
  const approot = join(csx, 'roles/W/approot');
  mkdirSync(approot, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(approot, file), text);
  writeFileSync(join(csx, 'ServiceDefinition.csdef'), `<ServiceDefinition name="${name}" xmlns="${ns}ServiceDefinition"><WorkerRole name="W">${role}</WorkerRole></ServiceDefinition>`);
  const cscfg = join(root, 'ServiceConfiguration.cscfg');
  writeFileSync(cscfg, configuration(name, 1, settings));
  return { csx, cscfg, approot };
}

function configuration(serviceName: string, count: number, settings: string, roleName = 'W'): string {
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<ServiceConfiguration serviceName="${serviceName}" xmlns="${ns}ServiceConfiguration">`,
    `  <Role name="${roleName}">`,
    `    <Instances count="${count}" />`,
    `    <ConfigurationSettings>${settings}</ConfigurationSettings>`,
    '  </Role>',
    '</ServiceConfiguration>',
  ].join('\n');
}

async function deployService(s: { csx: string; cscfg: string }): Promise<string> {
  const pkg = await fabric.packages.openFromDisk(s.csx, s.cscfg);
  expect(pkg.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return (await fabric.deploy({ packageId: pkg.packageId })).deploymentId;
}

/** Every line a process wrote on the instance, its earlier files (a bootstrapper starts a new one each time) included. */
async function logLines(instanceId: string, process: string): Promise<string[]> {
  // An instance whose guest has not written anything yet has no logs.
  const files = await fabric.listLogs({ instanceId }).catch(() => []);
  const lines: string[] = [];
  for (const log of files.filter((f) => f.process === process)) {
    // A bootstrapper that starts again rotates its log between the listing and the read: the next look finds it renamed.
    const read = await fabric.readLog({ file: log.file, fromLine: 0, count: Math.max(1, Math.min(log.lines, 10_000)) }).catch((error: unknown) => {
      if (error instanceof FabricError && error.code === 'NotFound') return null;
      throw error;
    });
    lines.push(...(read?.lines ?? []));
  }
  return lines;
}

function waitForLine(instanceId: string, process: string, text: string | RegExp): Promise<string> {
  const test = (l: string) => (typeof text === 'string' ? l.includes(text) : text.test(l));
  return waitFor(`"${text}" in ${process}.log of ${instanceId}`, async () => (await logLines(instanceId, process)).find(test));
}

async function operationEnd(ref: OperationRef) {
  return waitFor(`operation ${ref.requestId}`, async () => {
    const op = (await fabric.getSnapshot()).operations.find((o) => o.requestId === ref.requestId);
    return op && op.status !== 'InProgress' && op;
  });
}

/** A file on the instance's drives, from its VM path. */
function onInstance(deploymentId: string, instanceName: string, ...segments: string[]): string {
  return join(instanceFolder(fabric.sessionDir, deploymentId, instanceName), ...segments);
}

const programEntryPoint = (commandLine: string) => `<Runtime><EntryPoint><ProgramEntryPoint commandLine="${commandLine}" setReadyOnProcessStart="true"/></EntryPoint></Runtime>`;

describe('ProgramEntryPoint', () => {
  it('runs the sample program as a real process with its Runtime Environment: Ready at process start, output in WaWorkerHost.log', async () => {
    const { deploymentId } = await fabric.deploy({ sample: 'program-entry-point' });
    const id = `${deploymentId}/Worker_IN_0`;
    const busy = await history.reach(id, 'BusyRole');
    expect(busy.details).toContain('starting its ProgramEntryPoint: node worker.mjs');
    await history.reach(id, 'ReadyRole');
    const started = await waitForLine(id, 'WaWorkerHost', 'worker.mjs started');
    expect(started).toContain('Hello from a ProgramEntryPoint; emulated=false; mode=worker');
    expect(await waitForLine(id, 'WaWorkerHost', 'setReadyOnProcessStart="true", so the role is Ready')).toBeTruthy();
    // The local resource xpath resolved to the instance's own Scratch folder, where the program wrote.
    const scratch = onInstance(deploymentId, 'Worker_IN_0', 'C', 'Resources', 'Directory', `${deploymentId}.Worker.Scratch`);
    expect(await waitForLine(id, 'WaWorkerHost', `Scratch local storage at ${scratch}`)).toBeTruthy();
    await waitFor('started.txt in Scratch', async () => existsSync(join(scratch, 'started.txt')));

    // An injected crash kills the real process; the role restarts and the program runs again.
    await fabric.injectFault({ kind: 'crash-role', instanceId: id });
    const restarting = await history.reach(id, 'RestartingRole');
    expect(restarting.details).toContain('ProgramEntryPoint process was killed (injected fault)');
    await history.reach(id, 'ReadyRole', restarting.at);
  });

  it('recycles the role when the program exits 0, and reports a non-zero exit as a crash with its error', async () => {
    const clean = await deployService(service('ProgramExits', programEntryPoint('node done.js'), { 'done.js': `console.log('one job done'); process.exit(0);` }));
    const cleanId = `${clean}/W_IN_0`;
    const ready = await history.reach(cleanId, 'ReadyRole');
    const recycling = await history.reach(cleanId, 'RestartingRole', ready.at);
    expect(recycling.details).toContain(`ProgramEntryPoint "node done.js" exited with code 0, so the role recycles`);
    await waitForLine(cleanId, 'WaWorkerHost', 'one job done');

    const crash = await deployService(service('ProgramCrashes', programEntryPoint('node crash.js'), { 'crash.js': `console.error('Error: cannot open the queue'); process.exit(3);` }));
    const crashId = `${crash}/W_IN_0`;
    const restarting = await history.reach(crashId, 'RestartingRole');
    expect(restarting.details).toMatch(/"node crash\.js" exited with code 3: Error: cannot open the queue/);
  });

  it('fails to start, saying why, when the program is not in the package', async () => {
    const missing = await deployService(service('ProgramMissing', programEntryPoint('node missing.js'), { 'readme.txt': 'no program here' }));
    const id = `${missing}/W_IN_0`;
    const restarting = await history.reach(id, 'RestartingRole');
    expect(restarting.details).toContain('could not start its ProgramEntryPoint "node missing.js": missing.js is not in the package');
    expect(history.firstInto(id, 'ReadyRole')).toBeUndefined();
    await waitForLine(id, 'WaWorkerHost', 'missing.js is not in the package');
  });

  it('ends the program with its host: kill-host leaves no process of the guest running', async () => {
    // A program that writes nothing after it starts: a closed output pipe cannot end it, only its host can.
    const quiet = `console.log('quiet.js started (pid ' + process.pid + ')'); setInterval(() => {}, 1000);`;
    const deploymentId = await deployService(service('ProgramOnKilledHost', programEntryPoint('node quiet.js'), { 'quiet.js': quiet }));
    const id = `${deploymentId}/W_IN_0`;
    await history.reach(id, 'ReadyRole');
    const started = await waitForLine(id, 'WaWorkerHost', /quiet\.js started \(pid \d+\)/);
    const pid = Number(/\(pid (\d+)\)/.exec(started)![1]);
    // Running, not a zombie: a killed process stays one until the fabric's process exits, since the thread
    // that would have reaped it is gone. `ps` prints nothing (and exits 1) for a pid that is gone.
    const alive = () => {
      try {
        return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim().startsWith('Z');
      } catch {
        return false;
      }
    };
    expect(alive()).toBe(true);
    const hostId = (await fabric.getSnapshot()).instances.find((i) => i.id === id)!.hostId;
    // A terminated worker thread does not end the processes it spawned; the fabric does, as a dead host would.
    await fabric.injectFault({ kind: 'kill-host', hostId });
    await waitFor(`process ${pid} of the killed host to end`, async () => !alive());
  });

  it('emulates a Windows program, and says so in the host log', async () => {
    const exe = await deployService(service('ProgramExe', programEntryPoint('MyWorker.exe -run'), { 'MyWorker.exe': 'MZ' }));
    const id = `${exe}/W_IN_0`;
    await history.reach(id, 'ReadyRole');
    await waitForLine(id, 'WaWorkerHost', /MyWorker\.exe is a Windows program that cannot run here; Fabric Lab emulates it/);
  });
});

describe('local storage', () => {
  it('empties cleanOnRoleRecycle="true" folders on a recycle and keeps the files of the others', async () => {
    const code = `
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
export function onStart(env) {
  const clean = env.getLocalResource('Clean').rootPath, keep = env.getLocalResource('Keep').rootPath;
  console.log('Clean holds [' + readdirSync(clean).sort().join(',') + '], Keep holds [' + readdirSync(keep).sort().join(',') + ']');
  if (!existsSync(join(keep, 'recycled-once'))) {
    writeFileSync(join(clean, 'scratch.txt'), 'x');
    writeFileSync(join(keep, 'cache.txt'), 'x');
    writeFileSync(join(keep, 'recycled-once'), 'x');
    setTimeout(() => env.requestRecycle(), 0);
  }
  return true;
}
export function run() { return new Promise(() => setInterval(() => {}, 1000)); }
`;
    const storage = '<LocalResources><LocalStorage name="Clean" sizeInMB="10"/><LocalStorage name="Keep" sizeInMB="10" cleanOnRoleRecycle="false"/></LocalResources>';
    const deploymentId = await deployService(service('LocalStorage', storage, { 'RoleEntryPoint.mjs': code }));
    const id = `${deploymentId}/W_IN_0`;
    await waitForLine(id, 'WaWorkerHost', 'Clean holds [], Keep holds []');
    await waitForLine(id, 'WaWorkerHost', 'Clean holds [], Keep holds [cache.txt,recycled-once]');
    const runtime = await waitForLine(id, 'AppAgentRuntime', 'Local storage: emptied Clean');
    expect(runtime).toContain('kept the files of Keep (cleanOnRoleRecycle="false")');
    const folder = (name: string) => onInstance(deploymentId, 'W_IN_0', 'C', 'Resources', 'Directory', `${deploymentId}.W.${name}`);
    // A requested recycle is no crash: the bootstrapper says why the host process ends, and no exception is logged.
    await waitForLine(id, 'WaHostBootstrapper', 'Host process WaWorkerHost.exe is ending: The role called RequestRecycle.');
    expect((await logLines(id, 'WaWorkerHost')).some((l) => l.includes('Unhandled Exception'))).toBe(false);
    expect(readdirSync(folder('Clean'))).toEqual([]);
    expect(readdirSync(folder('Keep')).sort()).toEqual(['cache.txt', 'recycled-once']);

    // A reimage keeps local storage (it is on C:, the resource disk); a rebuild empties all of it.
    const since = fabric.clock.now();
    await operationEnd(await fabric.reimageInstance({ instanceId: id }));
    await history.reach(id, 'ReadyRole', since);
    expect(readdirSync(folder('Keep')).sort()).toEqual(['cache.txt', 'recycled-once']);
    const rebuilt = fabric.clock.now();
    expect((await operationEnd(await fabric.rebuildInstance({ instanceId: id }))).kind).toBe('RebuildRoleInstance');
    await history.reach(id, 'ReadyRole', rebuilt);
    // OnStart finds Keep empty again (and fills it, and recycles, as at its first start).
    const emptyAtStart = async () => (await logLines(id, 'WaWorkerHost')).filter((l) => l.includes('Clean holds [], Keep holds []')).length;
    await waitFor('OnStart to find the local storage empty after the rebuild', async () => (await emptyAtStart()) === 2);
  });
});

describe('configuration change (updateConfiguration)', () => {
  const code = `
export function onStart(env) {
  env.on('changing', (e) => {
    console.log('Changing: ' + e.changes.map((c) => c.name + '=' + c.value).join(', '));
    if (e.changes.some((c) => c.name === 'Mode' && c.value === 'recycle')) e.cancel();
  });
  env.on('changed', () => console.log('Changed: Greeting is now ' + env.getConfigurationSettingValue('Greeting')));
  console.log('OnStart: Greeting ' + env.getConfigurationSettingValue('Greeting') + ', Mode ' + env.getConfigurationSettingValue('Mode'));
  return true;
}
export function run() { return new Promise(() => setInterval(() => {}, 1000)); }
`;
  const declared = '<ConfigurationSettings><Setting name="Greeting"/><Setting name="Mode"/></ConfigurationSettings>';
  const values = (greeting: string, mode: string) => `<Setting name="Greeting" value="${greeting}"/><Setting name="Mode" value="${mode}"/>`;

  it('hands running role code Changing then Changed, writes the next C:\\Config file, and scales on a new instance count', async () => {
    const deploymentId = await deployService(service('ConfigChange', declared, { 'RoleEntryPoint.mjs': code }, values('hello', 'live')));
    const id = `${deploymentId}/W_IN_0`;
    await history.reach(id, 'ReadyRole');
    await waitForLine(id, 'WaWorkerHost', 'OnStart: Greeting hello, Mode live');

    // Live: Changing, then Changed, after which RoleEnvironment returns the new value.
    const live = await fabric.updateConfiguration({ deploymentId, configuration: configuration('ConfigChange', 1, values('bonjour', 'live')) });
    expect((await operationEnd(live)).status).toBe('Succeeded');
    await waitForLine(id, 'WaWorkerHost', 'Changing: Greeting=bonjour');
    await waitForLine(id, 'WaWorkerHost', 'Changed: Greeting is now bonjour');
    expect(await waitForLine(id, 'AppAgentRuntime', 'New configuration version 2')).toContain('changed setting(s): Greeting');
    const config2 = readFileSync(onInstance(deploymentId, 'W_IN_0', 'C', 'Config', `${deploymentId}.W.2.xml`), 'utf8');
    expect(config2).toContain('<ConfigurationSetting name="Greeting" value="bonjour" />');
    expect((await fabric.getSnapshot()).deployments.find((d) => d.id === deploymentId)!.roles[0]!.settings.find((s) => s.name === 'Greeting')!.value).toBe('bonjour');
    expect(history.firstInto(id, 'RestartingRole')).toBeUndefined();

    // Cancelled: the role recycles to apply the change, and starts again with the new values.
    const cancelled = await fabric.updateConfiguration({ deploymentId, configuration: configuration('ConfigChange', 1, values('bonjour', 'recycle')) });
    const restarting = await history.reach(id, 'RestartingRole');
    expect(restarting.details).toContain('cancelled RoleEnvironment.Changing, so the role recycles to apply configuration version 3');
    expect((await operationEnd(cancelled)).status).toBe('Succeeded');
    expect((await instance(fabric, id))!.status).toBe('ReadyRole');
    await waitForLine(id, 'WaWorkerHost', 'OnStart: Greeting bonjour, Mode recycle');

    // A new instance count scales the role; the new instance starts with the new values.
    const scaled = await fabric.updateConfiguration({ deploymentId, configuration: configuration('ConfigChange', 2, values('hola', 'recycle')) });
    expect((await operationEnd(scaled)).status).toBe('Succeeded');
    const added = `${deploymentId}/W_IN_1`;
    expect((await instance(fabric, added))!.status).toBe('ReadyRole');
    await waitForLine(added, 'WaWorkerHost', 'OnStart: Greeting hola, Mode recycle');
  });

  it('refuses a bad configuration with file, line and rule, and changes nothing', async () => {
    const deploymentId = await deployService(service('ConfigRefused', declared, { 'RoleEntryPoint.mjs': code }, values('hello', 'live')));
    const id = `${deploymentId}/W_IN_0`;
    await history.reach(id, 'ReadyRole');
    const cases: { configuration: string; rule: RegExp }[] = [
      { configuration: '<ServiceConfiguration serviceName="ConfigRefused"', rule: /my\.cscfg:1:\d+ \[xml\.[\w-]+\]/ },
      { configuration: configuration('Other', 1, values('a', 'b')), rule: /my\.cscfg:2:\d+ \[cscfg\.service-name\] serviceName "Other"/ },
      { configuration: configuration('ConfigRefused', 1, `${values('a', 'b')}<Setting name="Extra" value="1"/>`), rule: /my\.cscfg:5:\d+ \[cscfg\.setting-undeclared\] Setting "Extra"/ },
      { configuration: configuration('ConfigRefused', 1, values('a', 'b'), 'Nope'), rule: /\[cscfg\.role-missing\][\s\S]*\[cscfg\.role-undefined\] Role "Nope"/ },
      { configuration: configuration('ConfigRefused', 1, '<Setting name="Greeting" value="a"/>'), rule: /my\.cscfg:5:\d+ \[cscfg\.setting-missing\] Role "W" has no value for setting "Mode"/ },
    ];
    const refusedIds: (string | undefined)[] = [];
    for (const c of cases) {
      const error = await refusal(fabric.updateConfiguration({ deploymentId, configuration: c.configuration, fileName: 'my.cscfg' }));
      refusedIds.push(error.requestId);
      expect(error.code).toBe('BadRequest');
      expect(error.message).toMatch(/nothing deployed changed/);
      expect(error.message).toMatch(c.rule);
    }
    const snapshot = await fabric.getSnapshot();
    const failed = snapshot.operations.filter((o) => o.kind === 'ChangeDeploymentConfiguration' && o.target === deploymentId);
    expect(failed.map((o) => o.status)).toEqual(cases.map(() => 'Failed'));
    // Each refusal names the request id of its failed operation.
    expect(failed.map((o) => o.requestId)).toEqual(refusedIds);
    expect(snapshot.deployments.find((d) => d.id === deploymentId)!.roles[0]!.settings.map((s) => s.value)).toEqual(['hello', 'live']);
    expect(snapshot.deployments.find((d) => d.id === deploymentId)!.status).toBe('Running');
    expect(existsSync(onInstance(deploymentId, 'W_IN_0', 'C', 'Config', `${deploymentId}.W.2.xml`))).toBe(false);
    expect((await logLines(id, 'WaWorkerHost')).some((l) => l.includes('Changing'))).toBe(false);

    expect(await refusal(fabric.updateConfiguration({ deploymentId: 'deployment999(999)', configuration: configuration('ConfigRefused', 1, values('a', 'b')) }))).toMatchObject({ code: 'NotFound' });
    await fabric.deleteDeployment({ deploymentId });
    const deleting = await refusal(fabric.updateConfiguration({ deploymentId, configuration: configuration('ConfigRefused', 1, values('a', 'b')) }));
    expect(deleting).toMatchObject({ code: 'Conflict', message: expect.stringContaining('is being deleted') });
  });
});

describe('foreground startup tasks', () => {
  it('hold a recycle until they exit (visibly, however long), while background tasks do not', async () => {
    // The foreground task runs until the test drops a "release" file in the instance's approot; the background one never ends
    // on its own (it is ended with the role, and does not hold the recycle).
    const foreground = `const { existsSync } = require('node:fs'); console.log('foreground task up'); setInterval(() => { if (existsSync('release')) process.exit(0); }, 20);`;
    const background = `console.log('background task up'); setInterval(() => {}, 1000);`;
    const code = `
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
export function onStart(env) {
  const marker = join(env.getLocalResource('Keep').rootPath, 'recycled-once');
  if (!existsSync(marker)) { writeFileSync(marker, 'x'); setTimeout(() => env.requestRecycle(), 0); }
  console.log('OnStart ran');
  return true;
}
export function run() { return new Promise(() => setInterval(() => {}, 1000)); }
`;
    const role = `<Startup><Task commandLine="node fg.cjs" taskType="foreground"/><Task commandLine="node bg.cjs" taskType="background"/></Startup>
      <LocalResources><LocalStorage name="Keep" cleanOnRoleRecycle="false"/></LocalResources>`;
    const s = service('Foreground', role, { 'fg.cjs': foreground, 'bg.cjs': background, 'RoleEntryPoint.mjs': code });
    const deploymentId = await deployService(s);
    const id = `${deploymentId}/W_IN_0`;
    const ready = await history.reach(id, 'ReadyRole');
    const waiting = await history.reach(id, 'RestartingRole', ready.at);
    expect(waiting.details).toMatch(/The role called RequestRecycle\. Waiting for foreground startup task\(s\) to exit before the role restarts: task 1 "node fg\.cjs" \(pid \d+\)/);
    expect(waiting.details).not.toContain('bg.cjs');
    await waitForLine(id, 'WaHostBootstrapper', /foreground startup task\(s\) still run: task 1 "node fg\.cjs"/);

    // However long it takes, the role does not start again: many heartbeats later it still waits, and says so.
    const beats = (await instance(fabric, id))!.guestHeartbeats;
    await waitFor('a few emulated minutes of heartbeats', async () => (await instance(fabric, id))!.guestHeartbeats > beats + 60);
    const still = (await instance(fabric, id))!;
    expect(still.status).toBe('RestartingRole');
    expect(still.stateDetails).toContain('Waiting for foreground startup task(s) to exit');
    expect(history.firstInto(id, 'StartingRole', waiting.at)).toBeUndefined();

    // The foreground task exits: the role restarts. It runs in the instance's own E:\approot (the package's files laid out there).
    writeFileSync(join(instanceFolder(fabric.sessionDir, deploymentId, 'W_IN_0'), 'E', 'approot', 'release'), '');
    await waitForLine(id, 'WaHostBootstrapper', 'Foreground task 1 "node fg.cjs" exited with code 0');
    await waitForLine(id, 'WaHostBootstrapper', 'Every foreground startup task has exited; the role restarts.');
    const restarted = await history.reach(id, 'ReadyRole', waiting.at);
    expect(restarted.at).toBeGreaterThan(waiting.at);
  });
});
