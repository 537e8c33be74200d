// Web roles host for real (real host workers, 1000x): IISConfigurator configures full IIS sites at
// sitesroot\<index>, WaIISHost runs the role, w3wp starts on the first request; an HWC role's WaWebHost sends
// its warm-up request once Ready (seed 9.2); every request reaches the instance's own loopback listener and leaves a
// W3C line in its site's log; bad requests are refused with a clear FabricError.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceView } from '../../src-main/common/fabric-api';
import { Fabric } from '../../src-main/fabric/fabric';
import { parseIisRequest } from '../../src-main/logs/iis-log-format';
import { hostProcessLogPath, iisLogPath, instanceFolder, vmPathToFile, windowsAzureEventLogPath } from '../../src-main/logs/instance-paths';
import { parseEventRecord } from '../../src-main/logs/windows-azure-events';
import { hostWorkerUrl } from '../support/built';
import { instance, refusal, StatusHistory, waitFor } from '../support/fabric-helpers';

let fabric: Fabric;
let history: StatusHistory;
let session = '';
beforeAll(async () => {
  session = mkdtempSync(join(tmpdir(), 'fabric-lab-web-roles-'));
  fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 71, batchIntervalMs: 10, sessionDir: session });
  history = new StatusHistory(fabric);
});
afterAll(async () => {
  await fabric?.close();
  rmSync(session, { recursive: true, force: true });
});

async function deployReady(sample: string, serviceName: string): Promise<InstanceView[]> {
  const { deploymentId } = await fabric.deploy({ sample, serviceName });
  return waitFor(`${serviceName} ReadyRole`, async () => {
    const mine = (await fabric.getSnapshot()).instances.filter((i) => i.deploymentId === deploymentId);
    return mine.length > 0 && mine.every((i) => i.status === 'ReadyRole') && mine;
  }, 30_000);
}

/** The lines of a file on an instance's drives, by its VM path ([] when it does not exist yet). */
function vmFile(view: InstanceView, vmPath: string): string[] {
  const file = vmPathToFile(instanceFolder(session, view.deploymentId, view.name), vmPath);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : [];
}

const endpoint = async (id: string, name: string) => (await instance(fabric, id))?.endpoints.find((e) => e.name === name);

describe('a full IIS web role (full-iis sample)', () => {
  let web0: InstanceView;
  let web1: InstanceView;
  beforeAll(async () => {
    [web0, web1] = (await deployReady('full-iis', 'iis-web')).sort((a, b) => a.name.localeCompare(b.name)) as [InstanceView, InstanceView];
  });

  it('runs IISConfigurator: old pools deleted, one pool and site per Site at E:\\sitesroot\\<index>, events 10003 then 10004', async () => {
    const log = vmFile(web0, hostProcessLogPath(web0.deploymentId, 'WebRole1', 'IISConfigurator'));
    const text = log.join('\n');
    expect(text).toContain('No application pools of an earlier start to delete.');
    expect(text).toContain('Created site WebRole1_IN_0_Web (id 1) at E:\\sitesroot\\0 in AppPool WebRole1_IN_0_Web.');
    expect(text).toContain('Created site WebRole1_IN_0_Admin (id 2) at E:\\sitesroot\\1 in AppPool WebRole1_IN_0_Admin.');
    expect(text).toContain(`Site WebRole1_IN_0_Web: binding http/${(await instance(fabric, web0.id))!.endpoints[0]!.address}: for endpoint HttpIn.`);
    expect(text).toContain(`DiagnosticStore\\LogFiles\\W3SVC2.`);
    expect(log.every((l) => l.startsWith('IISConfigurator Information: 0 : ['))).toBe(true);
    const events = vmFile(web0, windowsAzureEventLogPath).map(parseEventRecord);
    const ids = events.map((e) => e?.eventId);
    expect(ids.indexOf(10003)).toBeGreaterThan(ids.lastIndexOf(10002)); // after the startup tasks
    expect(ids.indexOf(10004)).toBeGreaterThan(ids.indexOf(10003));
    expect(events.find((e) => e?.eventId === 10004)?.message).toContain('WebRole1_IN_0_Web at E:\\sitesroot\\0');
    // The host process is WaIISHost, with its own log.
    expect(vmFile(web0, hostProcessLogPath(web0.deploymentId, 'WebRole1', 'WaIISHost')).join('\n')).toContain('WaIISHost starting.');
  });

  it("shows its endpoints listening on the instance's DIP, with no w3wp before the first request", async () => {
    const view = (await instance(fabric, web0.id))!;
    expect(view.endpoints.map((e) => [e.name, e.protocol, e.publicPort])).toEqual([
      ['HttpIn', 'http', 80],
      ['AdminIn', 'http', 8080],
    ]);
    expect(view.ipAddress).toMatch(/^127\.\d+\.\d+\.\d+$/);
    for (const e of view.endpoints) expect(e.address).toMatch(new RegExp(`^${view.ipAddress!.replaceAll('.', '\\.')}:\\d+$`));
    expect(view.endpoints.every((e) => e.servedBy === null)).toBe(true);
  });

  it('serves sitesroot content, starts w3wp on the first request only, and writes W3C lines per site', async () => {
    const first = await fabric.sendInstanceRequest({ instanceId: web0.id, path: '/' });
    expect(first.status).toBe(200);
    expect(first.body).toContain('Site Web (sitesroot\\0)');
    expect(first.headers.server).toBe('Microsoft-IIS/10.0'); // osFamily 6: Windows Server 2019
    const w3wp = await waitFor('w3wp serving HttpIn', async () => (await endpoint(web0.id, 'HttpIn'))?.servedBy);
    expect(w3wp.process).toBe('w3wp');
    // The other site's pool has had no request yet: no w3wp for it.
    expect((await endpoint(web0.id, 'AdminIn'))?.servedBy).toBeNull();

    const missing = await fabric.sendInstanceRequest({ instanceId: web0.id, endpointName: 'HttpIn', path: '/missing.html?x=1' });
    expect(missing.status).toBe(404);
    expect((await endpoint(web0.id, 'HttpIn'))?.servedBy).toEqual(w3wp); // the same w3wp: started once
    const admin = await fabric.sendInstanceRequest({ instanceId: web0.id, endpointName: 'AdminIn', path: '/index.html' });
    expect(admin.status).toBe(200);
    expect(admin.body).toContain('Site Admin (sitesroot\\1)');

    const port = Number(first.url.split(':')[2]!.split('/')[0]);
    const w3svc1 = await waitFor('two W3C lines for site 1', async () => {
      const lines = vmFile(web0, iisLogPath(web0.deploymentId, 'WebRole1', w3wp.since, 1));
      return lines.filter((l) => !l.startsWith('#')).length >= 2 && lines;
    });
    expect(w3svc1.slice(0, 4).map((l) => l.split(':')[0])).toEqual(['#Software', '#Version', '#Date', '#Fields']);
    const requests = w3svc1.map(parseIisRequest).filter((r) => r !== null);
    expect(requests.map((r) => [r.method, r.uriStem, r.uriQuery, r.status, r.port, r.clientIp, r.userAgent])).toEqual([
      ['GET', '/', undefined, 200, port, '127.0.0.1', 'FabricLab/1.0'],
      ['GET', '/missing.html', 'x=1', 404, port, '127.0.0.1', 'FabricLab/1.0'],
    ]);
    expect(requests[1]!.win32Status).toBe(2);
    const w3svc2 = await waitFor('a W3C line for site 2', async () => {
      const lines = vmFile(web0, iisLogPath(web0.deploymentId, 'WebRole1', w3wp.since, 2));
      return lines.some((l) => !l.startsWith('#')) && lines;
    });
    expect(w3svc2.map(parseIisRequest).filter((r) => r !== null).map((r) => r.uriStem)).toEqual(['/index.html']);
    // The viewer lists the new files.
    const listed = (await fabric.listLogs({ instanceId: web0.id })).map((f) => `${f.process}:${f.format}`);
    expect(listed).toEqual(expect.arrayContaining(['IISConfigurator:host-process', 'WaIISHost:host-process', 'IIS:iis']));
  });

  it('never serves a file outside the site folder', async () => {
    for (const path of ['/../../ServiceDefinition.csdef', '/%2e%2e/%2e%2e/%2e%2e/ServiceDefinition.csdef', '/..%2f..%2f..%2fServiceDefinition.csdef', '/%5c..%5c..%5cServiceDefinition.csdef']) {
      const answer = await fabric.sendInstanceRequest({ instanceId: web0.id, path });
      expect(answer.status, path).toBe(404);
      expect(answer.body).not.toContain('ServiceDefinition');
    }
  });

  it('answers 503 while the role is not running (its startup task fails), as http.sys does for a stopped pool', async () => {
    const since = (await fabric.getSnapshot()).clock.now;
    await fabric.injectFault({ kind: 'fail-startup-task', instanceId: web1.id });
    await history.reach(web1.id, 'RestartingRole', since);
    const answer = await fabric.sendInstanceRequest({ instanceId: web1.id, path: '/' });
    expect(answer.status).toBe(503);
    expect(answer.body).toContain('HTTP Error 503. The service is unavailable.');
    const log = vmFile(web1, hostProcessLogPath(web1.deploymentId, 'WebRole1', 'IISConfigurator')).join('\n');
    expect(log).toContain('Deleted AppPool WebRole1_IN_1_Web (and its site).'); // the restart cleaned up the first start's pools
    await fabric.injectFault({ kind: 'clear', instanceId: web1.id });
  });
});

describe('an HWC web role (web-and-worker sample)', () => {
  let front: InstanceView;
  let backend: InstanceView;
  beforeAll(async () => {
    const all = await deployReady('web-and-worker', 'hwc-web');
    front = all.find((i) => i.name === 'WebFrontEnd_IN_0')!;
    backend = all.find((i) => i.name === 'Backend_IN_0')!;
  });

  it('sends the warm-up request GET /do.rd_runtime_init once the instance is Ready and Run has started (seed 9.2)', async () => {
    const ready = await history.reach(front.id, 'ReadyRole');
    const logPath = hostProcessLogPath(front.deploymentId, 'WebFrontEnd', 'WaWebHost');
    const hostLog = await waitFor('the warm-up answer in WaWebHost.log', async () => {
      const lines = vmFile(front, logPath);
      return lines.some((l) => /Warm-up request returned 200 in \d+ ms\./.test(l)) && lines;
    });
    const at = (pattern: RegExp) => hostLog.findIndex((l) => pattern.test(l));
    expect(at(/Sending warm-up request GET http:\/\/127\.\d+\.\d+\.\d+:\d+\/do\.rd_runtime_init/)).toBeGreaterThan(at(/CALLING\s+Run\(\)/));
    expect(at(/CALLING\s+Run\(\)/)).toBeGreaterThan(at(/COMPLETED\s+OnStart\(\)/));
    expect(at(/Hosting site .* in Hostable Web Core\./)).toBeLessThan(at(/CALLING\s+OnStart\(\)/));
    // W3C logs are daily files, and at 1000x an emulated day is 86 real s: the warm-up may be in the next day's.
    const warmUp = await waitFor('the warm-up request in the W3C log', async () =>
      [ready.at, ready.at + 86_400_000]
        .flatMap((day) => vmFile(front, iisLogPath(front.deploymentId, 'WebFrontEnd', day, 1)))
        .map(parseIisRequest)
        .find((r) => r?.uriStem === '/do.rd_runtime_init'),
    );
    expect(warmUp.status).toBe(200);
    // W3C stamps whole seconds: the request is logged at or after the second the instance became Ready.
    expect(warmUp.at).toBeGreaterThanOrEqual(Math.floor(ready.at / 1000) * 1000);
    expect((await endpoint(front.id, 'HttpIn'))?.servedBy?.process).toBe('WaWebHost');
  });

  it("serves approot's files through WaWebHost", async () => {
    const answer = await fabric.sendInstanceRequest({ instanceId: front.id });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(readFileSync(join(import.meta.dirname, '../../resources/samples/web-and-worker/roles/WebFrontEnd/approot/index.html'), 'utf8'));
    const head = await fabric.sendInstanceRequest({ instanceId: front.id, path: '/index.html', method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('refuses bad requests with a clear error, and the fabric keeps serving', async () => {
    expect((await refusal(fabric.sendInstanceRequest({ instanceId: 'nope/WebFrontEnd_IN_0' }))).code).toBe('NotFound');
    const noEndpoint = await refusal(fabric.sendInstanceRequest({ instanceId: front.id, endpointName: 'Nope' }));
    expect(noEndpoint.code).toBe('NotFound');
    expect(noEndpoint.message).toContain('its endpoints: HttpIn (http)');
    const worker = await refusal(fabric.sendInstanceRequest({ instanceId: backend.id }));
    expect(worker.code).toBe('BadRequest');
    expect(worker.message).toContain('has no http input endpoint');
    for (const path of ['http://example.com/', 'index.html', `/${'a'.repeat(2_100)}`, '/a b']) {
      const error = await refusal(fabric.sendInstanceRequest({ instanceId: front.id, path }));
      expect(error.code, path).toBe('BadRequest');
      expect(error.message).toContain('is not a path on the instance');
    }
    expect((await fabric.sendInstanceRequest({ instanceId: front.id })).status).toBe(200);
  });

  it('refuses a request to an instance whose VM is stopped, and its listener is gone', async () => {
    const address = (await endpoint(front.id, 'HttpIn'))!.address!;
    await fabric.updateDeploymentStatus({ deploymentId: front.deploymentId, status: 'Suspended' });
    await waitFor('WebFrontEnd_IN_0 stopped with no listener', async () => {
      const view = await instance(fabric, front.id);
      return view?.status === 'StoppedVM' && view.endpoints.every((e) => e.address === null);
    });
    const stopped = await refusal(fabric.sendInstanceRequest({ instanceId: front.id }));
    expect(stopped.code).toBe('Conflict');
    expect(stopped.message).toContain('StoppedVM');
    // Nothing listens on the old address any more: a real connection is refused.
    const [host, port] = address.split(':');
    const refused = await new Promise<string>((resolve) => {
      void import('node:net').then(({ connect }) => {
        const socket = connect(Number(port), host!);
        socket.on('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});
