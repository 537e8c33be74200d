// Packages that carry role code: it runs in real host processes, its output lands in the host process log,
// and crashes, throwing Runs and hanging OnStarts behave as they do on Azure.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fabric } from '../../src-main/fabric/fabric';
import { hostWorkerUrl } from '../support/built';
import { getOverTls, instance, StatusHistory, waitFor } from '../support/fabric-helpers';

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

/** Opens a .csx of one role whose approot holds `code` as RoleEntryPoint.mjs. */
function openRoleCode(service: string, role: string, files: { csdef: string; cscfg: string; code: string }) {
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  return fabric.openPackage({
    files: [
      { path: `${service}.csx/ServiceDefinition.csdef`, data: b64(files.csdef) },
      { path: `${service}.csx/roles/${role}/approot/RoleEntryPoint.mjs`, data: b64(files.code) },
      { path: 'ServiceConfiguration.cscfg', data: b64(files.cscfg) },
    ],
  });
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

  it('hands role code the certificates its role names, so it serves https itself through the VIP, and refuses one it does not name', async () => {
    const thumbprint = 'C0FFEE0123456789ABCDEF0123456789ABCDEF01';
    const csdef = `<?xml version="1.0" encoding="utf-8"?>
<ServiceDefinition name="OwnTls" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceDefinition">
  <WorkerRole name="Api" vmsize="Small">
    <Certificates><Certificate name="SSL" storeLocation="LocalMachine" storeName="My" /></Certificates>
    <Endpoints><InputEndpoint name="Secure" protocol="https" port="8443" certificate="SSL" /></Endpoints>
  </WorkerRole>
</ServiceDefinition>`;
    const cscfg = `<?xml version="1.0" encoding="utf-8"?>
<ServiceConfiguration serviceName="OwnTls" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">
  <Role name="Api"><Instances count="1" /><Certificates><Certificate name="SSL" thumbprint="${thumbprint}" thumbprintAlgorithm="sha1" /></Certificates></Role>
</ServiceConfiguration>`;
    const code = `import { createServer } from 'node:https';
export function onStart(env) {
  const at = env.currentRoleInstance.instanceEndpoints.Secure.ipEndpoint;
  const certificate = env.getCertificate('SSL');
  createServer({ key: certificate.key, cert: certificate.cert }, (req, res) => res.end('role code, certificate ' + certificate.thumbprint + ' from ' + certificate.storeLocation + '/' + certificate.storeName)).listen(at.port, at.address);
  try { env.getCertificate('Nope'); } catch (e) { console.log(e.message); }
  return true;
}
export function run() { return new Promise(() => {}); }
`;
    const pkg = await openRoleCode('OwnTls', 'Api', { csdef, cscfg, code });
    const { deploymentId } = await fabric.deploy({ packageId: pkg.packageId });
    const id = `${deploymentId}/Api_IN_0`;
    await history.reach(id, 'ReadyRole');
    const endpoint = await waitFor('the VIP port', async () => (await fabric.getSnapshot()).deployments.find((d) => d.id === deploymentId)?.inputEndpoints.find((e) => e.name === 'Secure' && e.port !== null));
    const answer = await waitFor('an answer over TLS from role code', () =>
      getOverTls(endpoint.vip, endpoint.port!).then(
        ({ body, subject }) => ({ body, subject: subject.OU }),
        () => false as const,
      ),
    );
    expect(answer).toEqual({ body: `role code, certificate ${thumbprint} from LocalMachine/My`, subject: thumbprint });
    expect((await hostProcessLog(id)).some((l) => l.includes('RoleEnvironment: the role declares no certificate "Nope".'))).toBe(true);
    await fabric.deleteDeployment({ deploymentId });
  });

  it('a Run that blocks its event loop: the unanswered probe reads as Busy (out of rotation), and 5 unanswered minutes recycle the host process', async () => {
    const csdef = `<?xml version="1.0" encoding="utf-8"?>
<ServiceDefinition name="RunBlocks" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceDefinition">
  <WorkerRole name="Spinner" vmsize="Small" />
</ServiceDefinition>`;
    const cscfg = `<?xml version="1.0" encoding="utf-8"?>
<ServiceConfiguration serviceName="RunBlocks" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">
  <Role name="Spinner"><Instances count="2" /></Role>
</ServiceConfiguration>`;
    // Run never yields: the process cannot answer StatusCheck (nor anything else) until it is killed. Two
    // instances: the load balancer keeps a lone instance in rotation whatever its status.
    const code = 'export function onStart() { return true; }\nexport function run() { for (;;) {} }\n';
    const pkg = await openRoleCode('RunBlocks', 'Spinner', { csdef, cscfg, code });
    const { deploymentId } = await fabric.deploy({ packageId: pkg.packageId });
    const id = `${deploymentId}/Spinner_IN_0`;
    const ready = await history.reach(id, 'ReadyRole');
    const busy = await waitFor('BusyRole after Ready', async () => history.firstInto(id, 'BusyRole', ready.at), 20_000);
    expect(busy.details).toMatch(/did not answer the status probe within 30 s; read as Busy/);
    expect(busy.at - ready.at).toBeGreaterThanOrEqual(30_000);
    const now = (await instance(fabric, id))!;
    expect({ status: now.status, inRotation: now.inRotation }).toEqual({ status: 'BusyRole', inRotation: false });
    const restarting = await waitFor('RestartingRole after Busy', async () => history.firstInto(id, 'RestartingRole', busy.at), 30_000);
    expect(restarting.details).toMatch(/answered no status probe for \d+ minutes: WaHostBootstrapper recycles it/);
    expect(restarting.at - busy.at).toBeGreaterThanOrEqual(5 * 60_000 - 30_000);
    // Each bootstrapper start writes a new file: read them all (again, if one was rotated between listing and reading).
    const readAll = async () => {
      const lines: string[] = [];
      for (const file of (await fabric.listLogs({ instanceId: id })).filter((f) => f.process === 'WaHostBootstrapper')) {
        lines.push(...(await fabric.readLog({ file: file.file, fromLine: 0, count: Math.max(1, Math.min(file.lines, 10_000)) })).lines);
      }
      return lines;
    };
    await waitFor('the Busy reading in WaHostBootstrapper.log', async () => (await readAll()).some((l) => /WARN .*Client WaWorkerHost\.exe \(\d+\) did not answer the status probe within 30 s; read as Busy\./.test(l)));
    await fabric.deleteDeployment({ deploymentId });
  });
});
