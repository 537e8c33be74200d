// The logs a real deployment writes (real host workers, 1000x): their paths, their line shapes, a new
// WaHostBootstrapper file per restart, and nothing lost when a host worker is killed.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Fabric } from '../../src-main/fabric/fabric';
import { parseLogLine } from '../../src-main/logs/log-formats';
import { parseEventRecord } from '../../src-main/logs/windows-azure-events';
import { hostWorkerUrl } from '../support/built';
import { deployReady, StatusHistory, waitFor } from '../support/fabric-helpers';

let fabric: Fabric | null = null;
let session = '';
afterEach(async () => {
  await fabric?.close();
  fabric = null;
  rmSync(session, { recursive: true, force: true });
});

async function start(seed: number): Promise<Fabric> {
  session = mkdtempSync(join(tmpdir(), 'logs-writing-'));
  fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed, batchIntervalMs: 10, sessionDir: session });
  return fabric;
}

const read = (file: string) => readFileSync(join(session, file), 'utf8').split('\n').filter((l) => l !== '');

describe('instance logs on disk', () => {
  it('writes each process log at its VM path, in its real line format', async () => {
    const api = await start(31);
    const [target] = await deployReady(api);
    const dep = target!.deploymentId;
    // Wait for what is read below: a few guest heartbeats and Run's "Working" line in their files.
    const files = await waitFor('heartbeats and Run lines on disk', async () => {
      const listed = await api.listLogs({ instanceId: target!.id });
      const agent = listed.find((f) => f.vmPath === 'C:\\Logs\\WaAppAgent.log' && f.current);
      const host = listed.find((f) => f.process === 'WaWorkerHost' && f.current);
      if (!agent || !host) return null;
      const hearts = read(agent.file).filter((l) => l.includes('[HEART] WindowsAzureGuestAgent Heartbeat.')).length;
      return hearts > 3 && read(host.file).some((l) => l.endsWith('[WaWorkerHost.exe] Working')) && listed;
    });
    const vmPaths = files.map((f) => f.vmPath);
    expect(vmPaths).toEqual(
      expect.arrayContaining([
        'C:\\Logs\\WaAppAgent.log',
        'C:\\Logs\\AppAgentRuntime.log',
        `C:\\Resources\\Directory\\${dep}.WorkerRole1.DiagnosticStore\\WaHostBootstrapper.log`,
        `C:\\Resources\\Directory\\${dep}.WorkerRole1\\WaWorkerHost.log`,
        'D:\\Windows\\System32\\Winevt\\Logs\\Windows Azure.evtx.jsonl',
        `C:\\Config\\${dep}.WorkerRole1.1.xml`,
        'E:\\RoleModel.xml',
      ]),
    );
    const byName = (vm: string) => files.find((f) => f.vmPath === vm && f.current)!;

    const agent = read(byName('C:\\Logs\\WaAppAgent.log').file);
    expect(agent[0]).toMatch(/^\[00000006\] \[\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}\.\d{2}\] \[INFO\]  WindowsAzureGuestAgent starting\. Version 2\.7\.41491\.949$/);
    const hearts = agent.filter((l) => l.includes('[HEART] WindowsAzureGuestAgent Heartbeat.'));
    expect(hearts.length).toBeGreaterThan(3);
    for (const line of agent) expect(parseLogLine('app-agent', line), line).not.toBeNull();
    // Heartbeats every 2-3 emulated seconds.
    const times = hearts.map((l) => parseLogLine('app-agent', l)!.at);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1990);

    const runtime = read(byName('C:\\Logs\\AppAgentRuntime.log').file);
    expect(runtime.some((l) => l.includes('Role state changed to ReadyRole'))).toBe(true);
    expect(runtime.some((l) => l.includes('HEART'))).toBe(false); // changes only

    const boot = read(files.find((f) => f.process === 'WaHostBootstrapper' && f.current)!.file);
    expect(boot.some((l) => /^\[\d{8}:\d{8}, \d{4}\/\d{2}\/\d{2}, \d{2}:\d{2}:\d{2}\.\d{3}, WARN \] Executing Startup Task type=0 rolemodule=\(null\) cmd="E:\\approot\\\.\\startup\\install\.cmd"$/.test(l))).toBe(true);
    for (const line of boot) expect(parseLogLine('bootstrapper', line), line).not.toBeNull();

    const host = read(files.find((f) => f.process === 'WaWorkerHost' && f.current)!.file);
    expect(host.some((l) => /^WaWorkerHost Information: 0 : \[\d{8}:00000001, .*INFO \] Role entrypoint \. CALLING   OnStart\(\):$/.test(l))).toBe(true);
    expect(host.some((l) => l.endsWith('[WaWorkerHost.exe] Working'))).toBe(true);

    const events = read(files.find((f) => f.format === 'events')!.file).map((l) => parseEventRecord(l)!);
    expect(events.map((e) => e.eventId)).toEqual(expect.arrayContaining([20001, 10001, 10002]));
    expect(read(byName('E:\\RoleModel.xml').file).join('\n')).toContain('<RoleModel');

    // The fabric's components keep their own logs, and one request id runs through all of them.
    const ops = (await api.getSnapshot()).operations;
    const requestId = ops.find((o) => o.kind === 'CreateDeployment')!.requestId;
    const fe = read('fabric/front-end/FrontEnd.log');
    const fc = read('fabric/fabric-controllers/pool-1/FabricController.log');
    const ha = read(`fabric/hosts/${target!.hostId}/HostAgent.log`);
    for (const log of [fe, fc, ha]) expect(log.some((l) => l.includes(`req ${requestId}`))).toBe(true);
    expect(ha.some((l) => l.includes(`req ${requestId}: ${target!.id} is ReadyRole`))).toBe(true);
    const page = await api.queryEvents({ requestId });
    expect(page.events.some((e) => e.kind === 'instance-status' && e.to === 'ReadyRole' && e.instanceId === target!.id)).toBe(true);
  });

  it('starts a new WaHostBootstrapper file each time the role restarts, keeping the older ones', async () => {
    const api = await start(32);
    const history = new StatusHistory(api);
    const [target] = await deployReady(api);
    for (let i = 0; i < 2; i++) {
      const since = api.clock.now();
      await api.injectFault({ kind: 'crash-role', instanceId: target!.id });
      const crashed = await history.reach(target!.id, 'RestartingRole', since);
      await history.reach(target!.id, 'ReadyRole', crashed.at);
    }
    const boot = (await api.listLogs({ instanceId: target!.id })).filter((f) => f.process === 'WaHostBootstrapper');
    expect(boot.map((f) => [f.current, f.rotation])).toEqual([[true, 0], [false, 2], [false, 1]]);
    expect(boot[0]!.file).toMatch(/WaHostBootstrapper\.log$/);
    const first = read(boot[2]!.file);
    expect(first.some((l) => l.includes('exited with exit code 0xE0434352'))).toBe(true);
    const events = read((await api.listLogs({ instanceId: target!.id })).find((f) => f.format === 'events')!.file);
    expect(events.some((l) => parseEventRecord(l)?.eventId === 1000 && l.includes('InvalidOperationException'))).toBe(true);
  });

  it('starts the OS drive\'s logs anew when an instance is reimaged, keeping the old ones, and goes on writing C:\'s', async () => {
    const api = await start(34);
    const history = new StatusHistory(api);
    const [target] = await deployReady(api);
    const since = api.clock.now();
    await api.reimageInstance({ instanceId: target!.id });
    await history.reach(target!.id, 'CreatingVM', since);
    const ready = await history.reach(target!.id, 'ReadyRole', since);
    expect(ready.at).toBeGreaterThan(since);
    const files = await api.listLogs({ instanceId: target!.id });
    // D: (the Windows event log) is wiped by the fresh image: a new file, the old one kept in the session.
    const events = files.filter((f) => f.vmPath?.startsWith('D:\\'));
    expect(events.map((f) => f.rotation)).toEqual([0, 1]);
    // C:\Logs is on the resource disk, which a reimage keeps: one file, from the first start to the second.
    const agent = files.filter((f) => f.process === 'WaAppAgent');
    expect(agent.map((f) => f.rotation)).toEqual([0]);
    const lines = read(agent[0]!.file);
    const stopping = lines.findIndex((l) => l.includes('status: StoppingRole'));
    expect(stopping).toBeGreaterThan(0);
    expect(lines.slice(stopping).some((l) => l.includes('WindowsAzureGuestAgent starting'))).toBe(true);
  });

  it('loses no line when a host worker is killed', async () => {
    const api = await start(33);
    const [target] = await deployReady(api);
    const hostId = target!.hostId;
    const folder = join(session, 'instances', target!.deploymentId, target!.name, 'C', 'Logs');
    const before = readFileSync(join(folder, 'WaAppAgent.log'), 'utf8');
    await api.injectFault({ kind: 'kill-host', hostId });
    await waitFor('host unhealthy', async () => (await api.getSnapshot()).hosts.find((h) => h.id === hostId)?.health === 'Unhealthy', 30_000);
    const after = readFileSync(join(folder, 'WaAppAgent.log'), 'utf8');
    // Everything written before the kill is still there, whole, and every line parses.
    expect(after.startsWith(before)).toBe(true);
    for (const line of after.split('\n').filter((l) => l)) expect(parseLogLine('app-agent', line), line).not.toBeNull();
    expect(readdirSync(join(session, 'fabric', 'hosts'))).toContain(hostId);
  });
});
