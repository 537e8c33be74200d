// The load balancer carries real traffic (real host workers, 1000x): each deployment has its own VIP, each
// instance its own DIP, input endpoints listen on VIP:port, new connections follow rotation while existing ones
// stay with their instance, a service with nothing in rotation refuses clearly, roles without code still
// answer, role code listens where RoleEnvironment says, and the counters add up.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentView, EndpointTrafficView, FabricApi, InstanceView } from '../../src-main/common/fabric-api';
import { parseCommandArgs } from '../../src-main/common/command-dispatcher';
import { Fabric } from '../../src-main/fabric/fabric';
import { parseIisRequest } from '../../src-main/logs/iis-log-format';
import { instanceFolder } from '../../src-main/logs/instance-paths';
import { hostWorkerUrl } from '../support/built';
import { getOverTls, refusal, StatusHistory, waitFor } from '../support/fabric-helpers';

let fabric: Fabric;
let session = '';
beforeAll(async () => {
  session = mkdtempSync(join(tmpdir(), 'fabric-lab-lb-'));
  fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 111, batchIntervalMs: 10, sessionDir: session, coreQuota: 40 });
});
afterAll(async () => {
  await fabric?.close();
  rmSync(session, { recursive: true, force: true });
});

export function get(url: string, agent: Agent | false = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: agent === false ? { connection: 'close' } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/** Send `text` on a new TCP connection and collect what comes back until `expected` bytes or the close. */
export function tcpExchange(host: string, port: number, text: string, expected = text.length): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => socket.write(text));
    let got = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      got += c;
      if (got.length >= expected) socket.end();
    });
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('no echo within 10 s')));
  });
}

async function deployReady(api: FabricApi, request: Parameters<FabricApi['deploy']>[0], count: number, timeoutMs = 30_000): Promise<{ deployment: DeploymentView; instances: InstanceView[] }> {
  const { deploymentId } = await api.deploy(request);
  return waitFor(`${deploymentId} Ready and listening`, async () => {
    const snapshot = await api.getSnapshot();
    const deployment = snapshot.deployments.find((d) => d.id === deploymentId);
    const instances = snapshot.instances.filter((i) => i.deploymentId === deploymentId);
    const ready = instances.length === count && instances.every((i) => i.status === 'ReadyRole' && i.endpoints.every((e) => e.address !== null || e.protocol === 'udp'));
    const listening = deployment?.inputEndpoints.every((e) => e.port !== null || e.protocol === 'udp');
    if (!(ready && listening && deployment)) return false;
    // The load balancer has the instances' rotation too (it follows the published views a batch later).
    const traffic = (await api.getTraffic()).endpoints.filter((e) => e.deploymentId === deploymentId);
    // An InstanceInputEndpoint's port (<endpoint>@<instance>) has its one instance behind it.
    const behind = (name: string) => (name.includes('@') ? 1 : instances.filter((i) => i.endpoints.some((e) => e.name === name)).length);
    return traffic.every((e) => e.instances.filter((i) => i.inRotation || i.probe.kind !== 'guest-agent').length === behind(e.endpointName)) && { deployment, instances };
  }, timeoutMs);
}

async function endpointTraffic(deploymentId: string, endpointName: string): Promise<EndpointTrafficView> {
  const view = (await fabric.getTraffic()).endpoints.find((e) => e.deploymentId === deploymentId && e.endpointName === endpointName);
  if (!view) throw new Error(`no traffic view for ${deploymentId}/${endpointName}`);
  return view;
}

/** The load balancer has applied the rotation the controller published (its own view says so). */
function rotationApplied(deploymentId: string, endpointName: string, want: Record<string, boolean>): Promise<EndpointTrafficView> {
  return waitFor(`rotation ${JSON.stringify(want)}`, async () => {
    const view = await endpointTraffic(deploymentId, endpointName);
    return Object.entries(want).every(([name, inRotation]) => view.instances.find((i) => i.instanceName === name)?.inRotation === inRotation) && view;
  });
}

function expectCountersAddUp(view: EndpointTrafficView): void {
  const sum = (key: 'connections' | 'requests' | 'bytesIn' | 'bytesOut' | 'errors') => view.instances.reduce((n, i) => n + i.counters[key], 0);
  expect(view.totals.connections).toBe(sum('connections') + view.refused);
  expect(view.refused).toBe(view.refusedBy.noInstance + view.refusedBy.connectionLimit + view.refusedBy.instanceUnreachable);
  expect(view.totals.requests).toBe(sum('requests'));
  expect(view.totals.bytesIn).toBe(sum('bytesIn'));
  expect(view.totals.bytesOut).toBe(sum('bytesOut'));
  expect(view.totals.errors).toBe(sum('errors'));
}

const requestsOf = (view: EndpointTrafficView) => Object.fromEntries(view.instances.map((i) => [i.instanceName, i.counters.requests]));

describe('Web front end and worker through its VIP', () => {
  let production: { deployment: DeploymentView; instances: InstanceView[] };
  let staging: { deployment: DeploymentView; instances: InstanceView[] };
  beforeAll(async () => {
    [production, staging] = await Promise.all([
      deployReady(fabric, { sample: 'web-and-worker', serviceName: 'shop' }, 4),
      deployReady(fabric, { sample: 'web-and-worker', serviceName: 'shop', slot: 'staging' }, 4),
    ]);
  });

  it('gives each deployment its own VIP and each instance its own DIP, with the endpoint on VIP:80 and DIP:80', () => {
    const aliases = fabric.loopbackAliases;
    const [p, s] = [production.deployment, staging.deployment];
    expect(p.vip).toMatch(/^127\.\d+\.\d+\.\d+$/);
    if (aliases) expect(s.vip).not.toBe(p.vip);
    expect(p.inputEndpoints).toEqual([{ roleName: 'WebFrontEnd', name: 'HttpIn', protocol: 'http', vip: p.vip, port: aliases ? 80 : expect.any(Number), requestedPort: 80, note: aliases ? '' : expect.any(String), tls: null, instanceName: null }]);
    const dips = [...production.instances, ...staging.instances].map((i) => i.ipAddress);
    for (const dip of dips) expect(dip).toMatch(/^127\.\d+\.\d+\.\d+$/);
    if (aliases) expect(new Set(dips).size).toBe(8);
    for (const web of production.instances.filter((i) => i.roleName === 'WebFrontEnd')) {
      expect(web.endpoints[0]!.address).toBe(`${web.ipAddress}:${aliases ? 80 : web.endpoints[0]!.address!.split(':')[1]}`);
    }
    // The front end's log says where each endpoint listens.
    const log = readFileSync(join(session, 'fabric', 'front-end', 'FrontEnd.log'), 'utf8');
    expect(log).toContain(`${p.id} WebFrontEnd/HttpIn (http, csdef port 80) listens on ${p.vip}:${p.inputEndpoints[0]!.port}`);
  });

  it('spreads new connections over the instances in rotation, and the counters add up', async () => {
    const { vip, port } = production.deployment.inputEndpoints[0]!;
    const before = requestsOf(await endpointTraffic(production.deployment.id, 'HttpIn'));
    const answers = await Promise.all(Array.from({ length: 40 }, () => get(`http://${vip}:${port}/`)));
    expect(answers.map((a) => a.status)).toEqual(Array(40).fill(200));
    expect(answers[0]!.body).toContain('Hello from');
    const view = await waitFor('40 requests counted', async () => {
      const v = await endpointTraffic(production.deployment.id, 'HttpIn');
      return v.totals.activeConnections === 0 && v;
    });
    const after = requestsOf(view);
    const served = Object.keys(after).map((name) => after[name]! - (before[name] ?? 0));
    expect(served.reduce((a, b) => a + b, 0)).toBe(40);
    // A 5-tuple hash over 40 connections from changing source ports lands on both instances.
    expect(served.every((n) => n > 0)).toBe(true);
    expectCountersAddUp(view);
    expect(view.totals.latencyP50Ms).toBeGreaterThan(0);
    expect(view.totals.latencyP99Ms).toBeGreaterThanOrEqual(view.totals.latencyP50Ms!);
  });

  it("passes the client's address on: the instance's W3C log has the caller's c-ip, not the load balancer's", async () => {
    if (!fabric.loopbackAliases) return; // a client address of its own needs loopback aliases
    const { vip, port } = production.deployment.inputEndpoints[0]!;
    const answer = await new Promise<number>((resolve, reject) => {
      const req = request({ host: vip!, port: port!, path: '/from-elsewhere', localAddress: '127.9.9.9', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer).toBe(404);
    const lines = await waitFor('the W3C line', async () => {
      const found = production.instances
        .filter((i) => i.roleName === 'WebFrontEnd')
        .flatMap((i) => {
          const folder = instanceFolder(session, i.deploymentId, i.name);
          return (readdirSync(folder, { recursive: true }) as string[]).filter((f) => /u_ex\d+\.log$/.test(f)).flatMap((f) => readFileSync(join(folder, f), 'utf8').split('\n'));
        })
        .map(parseIisRequest)
        .filter((r) => r?.uriStem === '/from-elsewhere');
      return found.length > 0 && found;
    });
    expect(lines[0]).toMatchObject({ clientIp: '127.9.9.9', status: 404 });
  });

  it('moves new connections off a crashed instance, while a connection already open stays with it', async () => {
    // 4 emulated minutes of idle timeout are 240 ms at 1000x: slow the clock so the kept-alive connection outlives the wait.
    await fabric.setClock({ scale: 10 });
    const { id: deploymentId, inputEndpoints } = production.deployment;
    const url = `http://${inputEndpoints[0]!.vip}:${inputEndpoints[0]!.port}/`;
    // One kept-alive connection: which instance has it?
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = requestsOf(await endpointTraffic(deploymentId, 'HttpIn'));
    expect((await get(url, agent)).status).toBe(200);
    const afterOne = requestsOf(await waitFor('the request counted', async () => {
      const v = await endpointTraffic(deploymentId, 'HttpIn');
      return v.totals.requests > Object.values(before).reduce((a, b) => a + b, 0) && v;
    }));
    const kept = Object.keys(afterOne).find((name) => afterOne[name]! > (before[name] ?? 0))!;
    const other = Object.keys(afterOne).find((name) => name !== kept)!;
    const keptId = `${deploymentId}/${kept}`;

    await fabric.injectFault({ kind: 'crash-role', instanceId: keptId, persistent: true });
    await rotationApplied(deploymentId, 'HttpIn', { [kept]: false, [other]: true });
    const start = requestsOf(await endpointTraffic(deploymentId, 'HttpIn'));
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(url)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    // The connection opened before still reaches its instance (whose site is down, 503, or up again between crashes).
    const old = await get(url, agent);
    expect([200, 503]).toContain(old.status);
    const end = requestsOf(await waitFor('22 requests counted', async () => {
      const v = await endpointTraffic(deploymentId, 'HttpIn');
      return v.totals.activeConnections <= 1 && v.totals.requests >= Object.values(start).reduce((a, b) => a + b, 0) + 21 && v;
    }));
    expect(end[other]! - start[other]!).toBe(20);
    expect(end[kept]! - start[kept]!).toBe(1);
    agent.destroy();
    expectCountersAddUp(await endpointTraffic(deploymentId, 'HttpIn'));

    await fabric.setClock({ scale: 1000 });
    await fabric.injectFault({ kind: 'clear', instanceId: keptId });
    await rotationApplied(deploymentId, 'HttpIn', { [kept]: true, [other]: true });
  });

  it('refuses connections clearly while no instance is in rotation (suspended), and keeps serving the others', async () => {
    const { id, inputEndpoints } = staging.deployment;
    const { vip, port } = inputEndpoints[0]!;
    const suspended = await fabric.updateDeploymentStatus({ deploymentId: id, status: 'Suspended' });
    await waitFor('suspended', async () => (await fabric.getSnapshot()).operations.find((o) => o.requestId === suspended.requestId)?.status === 'Succeeded');
    await rotationApplied(id, 'HttpIn', { WebFrontEnd_IN_0: false, WebFrontEnd_IN_1: false });
    const refusedBefore = (await endpointTraffic(id, 'HttpIn')).refusedBy.noInstance;
    const error = await get(`http://${vip}:${port}/`).then(() => null, (e: NodeJS.ErrnoException) => e);
    expect(error?.code).toBe('ECONNRESET');
    const view = await waitFor('the refusal counted', async () => {
      const v = await endpointTraffic(id, 'HttpIn');
      return v.refusedBy.noInstance === refusedBefore + 1 && v;
    });
    expectCountersAddUp(view);
    // Production is untouched.
    const p = production.deployment.inputEndpoints[0]!;
    expect((await get(`http://${p.vip}:${p.port}/`)).status).toBe(200);
  });
});

describe('traffic runs', () => {
  let deployment: DeploymentView;
  beforeAll(async () => {
    ({ deployment } = await deployReady(fabric, { sample: 'web-and-worker', serviceName: 'traffic' }, 4));
  });

  const ended = (runId: string) =>
    waitFor(`run ${runId} ended with nothing in flight`, async () => {
      const run = (await fabric.getTraffic()).runs.find((r) => r.id === runId);
      return run && run.status !== 'Running' && run.inFlight === 0 && run;
    }, 30_000);

  it('sends a bounded run through the VIP: sent = served + refused + failed, with progress, and says which bound ended it', async () => {
    const before = await endpointTraffic(deployment.id, 'HttpIn');
    const started = await fabric.startTraffic({ deploymentId: deployment.id, rate: 100, concurrency: 8, durationSeconds: 1, path: '/index.html' });
    expect(started).toMatchObject({ status: 'Running', endpointName: 'HttpIn', url: `http://${deployment.vip}:${deployment.inputEndpoints[0]!.port}/index.html` });
    const progress: number[] = [];
    const done = await waitFor('the run ended', async () => {
      const run = (await fabric.getTraffic()).runs.find((r) => r.id === started.id)!;
      progress.push(run.progress);
      return run.status !== 'Running' && run.inFlight === 0 && run;
    }, 30_000);
    expect(done.status).toBe('Completed');
    // Every request due (100/s for 1 s) was sent or, with 8 already in flight on a busy machine, held back.
    expect(done.sent + done.heldBack).toBe(100);
    expect(done.sent).toBeGreaterThan(0);
    expect(done.sent).toBe(done.served + done.refused + done.failed);
    expect(done.served, JSON.stringify(done)).toBe(done.sent);
    expect(done.statuses).toEqual({ 200: done.sent });
    expect(done.bounds).toContain('stopped at its duration bound (1 s)');
    expect(done.latencyP99Ms).toBeGreaterThan(0);
    expect(progress.some((p) => p > 0 && p < 1)).toBe(true);
    // The load balancer counted the same requests, spread over both instances (new connection each).
    const after = await waitFor('the counters caught up', async () => {
      const v = await endpointTraffic(deployment.id, 'HttpIn');
      return v.totals.requests - before.totals.requests >= done.served && v;
    });
    expect(after.totals.requests - before.totals.requests).toBe(done.served);
    for (const i of after.instances) expect(i.counters.requests).toBeGreaterThan(before.instances.find((b) => b.instanceId === i.instanceId)?.counters.requests ?? 0);
    expectCountersAddUp(after);
  });

  it('says when the concurrency bound held requests back', async () => {
    const started = await fabric.startTraffic({ deploymentId: deployment.id, rate: 2_000, concurrency: 1, durationSeconds: 1 });
    const done = await ended(started.id);
    expect(done.heldBack).toBeGreaterThan(0);
    expect(done.sent + done.heldBack).toBe(2_000);
    expect(done.bounds.join('\n')).toMatch(/the concurrency bound \(1 in flight\) held back \d+ request/);
    expect(done.sent).toBe(done.served + done.refused + done.failed);
  });

  it('can be cancelled, and refuses to stop twice or what does not exist', async () => {
    const started = await fabric.startTraffic({ deploymentId: deployment.id, rate: 20, concurrency: 2, durationSeconds: 600 });
    const stopped = await fabric.stopTraffic({ runId: started.id });
    expect(stopped.status).toBe('Cancelled');
    const done = await ended(started.id);
    expect(done.sent).toBe(done.served + done.refused + done.failed);
    expect(await refusal(fabric.stopTraffic({ runId: started.id }))).toMatchObject({ code: 'Conflict', message: expect.stringContaining('already ended (Cancelled)') });
    expect(await refusal(fabric.stopTraffic({ runId: 'nope' }))).toMatchObject({ code: 'NotFound' });
  });

  it('refuses bad requests with a clear error, and the fabric keeps serving', async () => {
    expect(() => parseCommandArgs('startTraffic', { deploymentId: deployment.id, rate: 0, concurrency: 1, durationSeconds: 1 })).toThrow(/Bad argument to startTraffic: rate: the rate is 1-2000 requests a second/);
    expect(() => parseCommandArgs('startTraffic', { deploymentId: deployment.id, rate: 10, concurrency: 1000, durationSeconds: 1 })).toThrow(/concurrency: concurrency is 1-256/);
    expect(() => parseCommandArgs('startTraffic', { deploymentId: deployment.id, rate: 10, concurrency: 1, durationSeconds: 1, path: 'http://elsewhere/' })).toThrow(/path: a path starts with "\/"/);
    expect(await refusal(fabric.startTraffic({ deploymentId: deployment.id, rate: 5_000, concurrency: 1, durationSeconds: 1 }))).toMatchObject({ code: 'BadRequest', message: expect.stringContaining('rate must be 1-2000, got 5000') });
    expect(await refusal(fabric.startTraffic({ deploymentId: 'deployment99(99)', rate: 1, concurrency: 1, durationSeconds: 1 }))).toMatchObject({ code: 'NotFound' });
    expect(await refusal(fabric.startTraffic({ deploymentId: deployment.id, endpointName: 'Nope', rate: 1, concurrency: 1, durationSeconds: 1 }))).toMatchObject({ code: 'NotFound', message: expect.stringContaining('Its input endpoints: HttpIn (http)') });
    const { vip, port } = deployment.inputEndpoints[0]!;
    expect((await get(`http://${vip}:${port}/`)).status).toBe(200);
  });
});

/** A package the test writes: a worker role without code (tcp and http input endpoints) and one whose code listens. */
function trafficPackage(): { path: string; data: string }[] {
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  const csdef = `<?xml version="1.0" encoding="utf-8"?>
<ServiceDefinition name="Traffic" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceDefinition">
  <WorkerRole name="Plain" vmsize="Small">
    <Endpoints>
      <InputEndpoint name="Echo" protocol="tcp" port="7000" />
      <InputEndpoint name="Web" protocol="http" port="7080" localPort="7081" />
      <InstanceInputEndpoint name="Direct" protocol="tcp" localPort="7200">
        <AllocatePublicPortFrom><FixedPortRange min="7300" max="7301" /></AllocatePublicPortFrom>
      </InstanceInputEndpoint>
    </Endpoints>
  </WorkerRole>
  <WorkerRole name="Coded" vmsize="Small">
    <Endpoints>
      <InputEndpoint name="Api" protocol="http" port="7090" />
    </Endpoints>
  </WorkerRole>
</ServiceDefinition>`;
  const cscfg = `<?xml version="1.0" encoding="utf-8"?>
<ServiceConfiguration serviceName="Traffic" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">
  <Role name="Plain"><Instances count="2" /></Role>
  <Role name="Coded"><Instances count="1" /></Role>
</ServiceConfiguration>`;
  const code = `import { createServer } from 'node:http';
let server;
export function onStart(env) {
  const { address, port } = env.currentRoleInstance.instanceEndpoints.Api.ipEndpoint;
  server = createServer((req, res) => res.end(JSON.stringify({ instance: env.currentRoleInstance.id, address, port })));
  return new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, address, () => resolve(true)); });
}
export function run() { return new Promise(() => {}); }
export function onStop() { server?.close(); }
`;
  return [
    { path: 'Traffic.csx/ServiceDefinition.csdef', data: b64(csdef) },
    { path: 'Traffic.csx/roles/Plain/approot/README.txt', data: b64('no code') },
    { path: 'Traffic.csx/roles/Coded/approot/RoleEntryPoint.mjs', data: b64(code) },
    { path: 'ServiceConfiguration.cscfg', data: b64(cscfg) },
  ];
}

describe('roles that answer for themselves', () => {
  let deployment: DeploymentView;
  let instances: InstanceView[];
  beforeAll(async () => {
    const pkg = await fabric.openPackage({ files: trafficPackage() });
    expect(pkg.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    ({ deployment, instances } = await deployReady(fabric, { packageId: pkg.packageId }, 3));
  });

  const at = (name: string) => {
    const e = deployment.inputEndpoints.find((x) => x.name === name)!;
    return { host: e.vip, port: e.port! };
  };

  it('a tcp endpoint without code echoes through the VIP; an http one names the instance that answered', async () => {
    const echo = at('Echo');
    expect(await tcpExchange(echo.host, echo.port, 'hello, fabric')).toBe('hello, fabric');
    const web = at('Web');
    const answer = await get(`http://${web.host}:${web.port}/anything`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(/^Plain_IN_[01] answered GET \/anything on endpoint Web of role Plain/);
    // The instance listens on its csdef localPort, on its own DIP.
    const plain = instances.find((i) => i.roleName === 'Plain')!;
    expect(plain.endpoints.find((e) => e.name === 'Web')!.address).toBe(`${plain.ipAddress}:${fabric.loopbackAliases ? 7081 : plain.endpoints.find((e) => e.name === 'Web')!.address!.split(':')[1]}`);
    const view = await endpointTraffic(deployment.id, 'Echo');
    expect(view.totals.bytesIn).toBeGreaterThanOrEqual('hello, fabric'.length);
    expect(view.totals.requests).toBe(0); // tcp endpoints count connections and bytes, not requests
  });

  it('an InstanceInputEndpoint gives each instance its own port on the VIP, straight to it', async () => {
    const direct = deployment.inputEndpoints.filter((e) => e.name === 'Direct');
    expect(direct.map((e) => [e.instanceName, e.requestedPort, e.port !== null])).toEqual([
      ['Plain_IN_0', 7300, true],
      ['Plain_IN_1', 7301, true],
    ]);
    for (const e of direct) {
      expect(await tcpExchange(e.vip, e.port!, `to ${e.instanceName}`)).toBe(`to ${e.instanceName}`);
      const view = await endpointTraffic(deployment.id, `Direct@${e.instanceName}`);
      expect(view.instances.map((i) => [i.instanceName, i.counters.connections])).toEqual([[e.instanceName, 1]]);
    }
    // Each instance lists its own public port and where it listens (the csdef's localPort on its DIP).
    const snapshot = await fabric.getSnapshot();
    for (const [n, port] of [[0, 7300], [1, 7301]] as const) {
      const view = snapshot.instances.find((i) => i.deploymentId === deployment.id && i.name === `Plain_IN_${n}`)!;
      const own = view.endpoints.find((e) => e.name === 'Direct')!;
      expect(own.publicPort).toBe(port);
      if (fabric.loopbackAliases) expect(own.address).toBe(`${view.ipAddress}:7200`);
    }
  });

  it("role code listens where RoleEnvironment says, on the instance's DIP, and the VIP reaches it", async () => {
    const api = at('Api');
    const answer = await get(`http://${api.host}:${api.port}/`);
    const told = JSON.parse(answer.body) as { instance: string; address: string; port: number };
    const coded = instances.find((i) => i.roleName === 'Coded')!;
    expect(told.instance).toBe('Coded_IN_0');
    expect(`${told.address}:${told.port}`).toBe(coded.endpoints[0]!.address);
    expect(told.address).toBe(coded.ipAddress);
  });

  it('garbage on an http endpoint is passed on, answered 400 by the instance, and counted as malformed', async () => {
    const web = at('Web');
    const reply = await tcpExchange(web.host, web.port, 'GARBAGE \u0000\u0001 not http\r\n\r\n', 12);
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    const view = await waitFor('malformed counted', async () => {
      const v = await endpointTraffic(deployment.id, 'Web');
      return v.malformed >= 1 && v;
    });
    expectCountersAddUp(view);
    expect((await get(`http://${web.host}:${web.port}/`)).status).toBe(200);
  });
});

/** Role code whose /health the probe asks: /set?health=ok|fail|hang changes what it answers. */
function probedPackage(): { path: string; data: string }[] {
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  const csdef = `<?xml version="1.0" encoding="utf-8"?>
<ServiceDefinition name="Probed" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceDefinition">
  <LoadBalancerProbes>
    <LoadBalancerProbe name="health" protocol="http" path="/health" intervalInSeconds="5" timeoutInSeconds="11" />
  </LoadBalancerProbes>
  <WorkerRole name="Api" vmsize="Small">
    <Endpoints>
      <InputEndpoint name="Web" protocol="http" port="7100" loadBalancerProbe="health" />
      <InputEndpoint name="Sticky" protocol="http" port="7101" loadBalancerDistribution="sourceIP" idleTimeoutInMinutes="30" />
      <InputEndpoint name="Plain" protocol="http" port="7102" />
    </Endpoints>
  </WorkerRole>
</ServiceDefinition>`;
  const cscfg = `<?xml version="1.0" encoding="utf-8"?>
<ServiceConfiguration serviceName="Probed" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">
  <Role name="Api"><Instances count="2" /></Role>
</ServiceConfiguration>`;
  const code = `import { createServer } from 'node:http';
let health = 'ok';
let busy = false;
const servers = [];
export async function onStart(env) {
  env.on('statusCheck', (e) => { if (busy) e.setBusy(); });
  for (const name of ['Web', 'Sticky', 'Plain']) {
    const { address, port } = env.currentRoleInstance.instanceEndpoints[name].ipEndpoint;
    const server = createServer((req, res) => {
      const url = new URL(req.url, 'http://x');
      if (url.pathname === '/set') health = url.searchParams.get('health') ?? health;
      if (url.pathname === '/busy') busy = url.searchParams.get('busy') === 'true';
      if (url.pathname === '/health') {
        if (health === 'hang') return;
        res.statusCode = health === 'ok' ? 200 : 500;
      }
      res.end(env.currentRoleInstance.id);
    });
    servers.push(server);
    await new Promise((resolve) => server.listen(port, address, resolve));
  }
  return true;
}
export function run() { return new Promise(() => {}); }
export function onStop() { for (const s of servers) s.close(); }
`;
  return [
    { path: 'Probed.csx/ServiceDefinition.csdef', data: b64(csdef) },
    { path: 'Probed.csx/roles/Api/approot/RoleEntryPoint.mjs', data: b64(code) },
    { path: 'ServiceConfiguration.cscfg', data: b64(cscfg) },
  ];
}

describe('custom probes, distribution and idle timeout from the .csdef', () => {
  let deployment: DeploymentView;
  let web: { host: string; port: number };
  beforeAll(async () => {
    const pkg = await fabric.openPackage({ files: probedPackage() });
    expect(pkg.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    ({ deployment } = await deployReady(fabric, { packageId: pkg.packageId }, 2));
    expect(deployment.inputEndpoints.map((e) => e.name)).toEqual(['Web', 'Sticky', 'Plain']);
    const e = deployment.inputEndpoints.find((x) => x.name === 'Web')!;
    web = { host: e.vip, port: e.port! };
  });

  /** Ask one instance to answer its probe differently. */
  async function setHealth(instanceName: string, health: 'ok' | 'fail' | 'hang'): Promise<void> {
    // Straight to the instance at its DIP, as an operator on the VM would: the VIP would pick an instance itself.
    const view = await endpointTraffic(deployment.id, 'Web');
    const address = view.instances.find((x) => x.instanceName === instanceName)!.address!;
    expect((await get(`http://${address}/set?health=${health}`)).status).toBe(200);
  }

  it('puts instances in rotation once their probe passes, and shows the last result per instance', async () => {
    const view = await waitFor('both probed healthy', async () => {
      const v = await endpointTraffic(deployment.id, 'Web');
      return v.instances.length === 2 && v.instances.every((i) => i.inRotation && i.probe.lastResult === '200 OK') && v;
    });
    for (const i of view.instances) expect(i.probe).toMatchObject({ kind: 'http', name: 'health', at: expect.any(Number) });
  });

  it('takes an instance whose probe answers 500, then hangs, out after timeoutInSeconds, and puts it back when it passes', async () => {
    await setHealth('Api_IN_0', 'fail');
    let view = await rotationApplied(deployment.id, 'Web', { Api_IN_0: false, Api_IN_1: true });
    expect(view.instances.find((i) => i.instanceName === 'Api_IN_0')!.probe.lastResult).toBe('HTTP 500');
    const answers = await Promise.all(Array.from({ length: 12 }, () => get(`http://${web.host}:${web.port}/`)));
    expect(answers.map((a) => a.body)).toEqual(Array(12).fill('Api_IN_1'));

    await setHealth('Api_IN_0', 'hang');
    view = await waitFor('a probe that timed out', async () => {
      const v = await endpointTraffic(deployment.id, 'Web');
      return v.instances.find((i) => i.instanceName === 'Api_IN_0')!.probe.lastResult === 'timed out' && v;
    });
    expect(view.instances.find((i) => i.instanceName === 'Api_IN_0')!.inRotation).toBe(false);

    await setHealth('Api_IN_0', 'ok');
    await rotationApplied(deployment.id, 'Web', { Api_IN_0: true, Api_IN_1: true });
  });

  it('an instance that calls setBusy leaves the guest-agent rotation (no new connections), but a custom probe decides for itself', async () => {
    const view = await endpointTraffic(deployment.id, 'Plain');
    const address = view.instances.find((x) => x.instanceName === 'Api_IN_0')!.address!;
    expect((await get(`http://${address}/busy?busy=true`)).status).toBe(200);
    await rotationApplied(deployment.id, 'Plain', { Api_IN_0: false, Api_IN_1: true });
    expect((await fabric.getSnapshot()).instances.find((i) => i.id === `${deployment.id}/Api_IN_0`)?.status).toBe('BusyRole');
    const plain = deployment.inputEndpoints.find((x) => x.name === 'Plain')!;
    const answers = await Promise.all(Array.from({ length: 12 }, () => get(`http://${plain.vip}:${plain.port}/`)));
    expect(answers.map((a) => a.body)).toEqual(Array(12).fill('Api_IN_1'));
    // The Web endpoint's probe still passes on the busy instance, so it stays in that endpoint's rotation.
    expect((await endpointTraffic(deployment.id, 'Web')).instances.find((x) => x.instanceName === 'Api_IN_0')!.inRotation).toBe(true);
    expect((await get(`http://${address}/busy?busy=false`)).status).toBe(200);
    await rotationApplied(deployment.id, 'Plain', { Api_IN_0: true, Api_IN_1: true });
  });

  it('sourceIP distribution keeps one client on one instance; idleTimeoutInMinutes="30" outlives the default 4', async () => {
    const sticky = deployment.inputEndpoints.find((x) => x.name === 'Sticky')!;
    const answers = await Promise.all(Array.from({ length: 12 }, () => get(`http://${sticky.vip}:${sticky.port}/`)));
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);

    // Two idle connections: the default endpoint's (4 emulated minutes) closes first; the 30-minute one is still
    // open then. At 100x, 4 minutes are 2.4 s (past the load balancer's 2 s real floor) and 30 minutes 18 s.
    await fabric.setClock({ scale: 100 });
    const open = (port: number) =>
      new Promise<{ closed: Promise<number> }>((resolve, reject) => {
        const socket = connect({ host: web.host, port }, () => resolve({ closed: new Promise((r) => socket.once('close', () => r(Date.now()))) }));
        socket.on('error', reject);
      });
    const short = await open(web.port);
    const long = await open(sticky.port!);
    const shortClosed = await short.closed;
    const longState = await Promise.race([long.closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('open'), 50))]);
    expect(longState).toBe('open');
    expect((await endpointTraffic(deployment.id, 'Web')).idleClosed).toBeGreaterThanOrEqual(1);
    expect((await endpointTraffic(deployment.id, 'Sticky')).idleClosed).toBe(0);
    await fabric.setClock({ scale: 1000 });
    expect(await long.closed).toBeGreaterThan(shortClosed);
  });
});

describe('https endpoints', () => {
  it('terminate TLS on the instances with a self-signed stand-in for the certificate the package names, and say so', { timeout: 60_000 }, async () => {
    const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
    const thumbprint = '0123456789ABCDEF0123456789ABCDEF01234567';
    const csdef = `<?xml version="1.0" encoding="utf-8"?>
<ServiceDefinition name="Secure" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceDefinition">
  <WebRole name="Front" vmsize="Small">
    <Certificates><Certificate name="SSL" storeLocation="LocalMachine" storeName="My" /></Certificates>
    <Endpoints>
      <InputEndpoint name="Http" protocol="http" port="8088" />
      <InputEndpoint name="Https" protocol="https" port="8443" certificate="SSL" />
    </Endpoints>
  </WebRole>
</ServiceDefinition>`;
    const cscfg = `<?xml version="1.0" encoding="utf-8"?>
<ServiceConfiguration serviceName="Secure" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">
  <Role name="Front"><Instances count="2" /><Certificates><Certificate name="SSL" thumbprint="${thumbprint}" thumbprintAlgorithm="sha1" /></Certificates></Role>
</ServiceConfiguration>`;
    const pkg = await fabric.openPackage({
      files: [
        { path: 'Secure.csx/ServiceDefinition.csdef', data: b64(csdef) },
        { path: 'Secure.csx/roles/Front/approot/index.html', data: b64('<h1>secure front</h1>') },
        { path: 'ServiceConfiguration.cscfg', data: b64(cscfg) },
      ],
    });
    expect(pkg.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const history = new StatusHistory(fabric);
    const { deployment, instances } = await deployReady(fabric, { packageId: pkg.packageId }, 2, 45_000);
    const https = deployment.inputEndpoints.find((e) => e.name === 'Https')!;
    expect(https.tls).toContain(`self-signed stand-in for certificate SSL (thumbprint ${thumbprint})`);
    const fetchOverTls = async () => {
      const { status, body, subject } = await getOverTls(https.vip, https.port!);
      return { status, body, subject: `${subject.CN} / ${subject.O} / ${subject.OU}` };
    };
    const answer = await fetchOverTls();
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('secure front');
    expect(answer.subject).toBe(`SSL / Fabric Lab stand-in certificate / ${thumbprint}`);
    // A client that checks certificates refuses the stand-in: it is not trusted, and says so.
    const refused = await new Promise<string>((resolve) => {
      const req = httpsRequest({ host: https.vip, port: https.port!, path: '/', agent: false }, () => resolve('accepted'));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      req.end();
    });
    expect(refused).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    const view = await endpointTraffic(deployment.id, 'Https');
    expect(view.totals.connections).toBeGreaterThanOrEqual(2);
    expect(view.totals.requests).toBe(0); // TLS bytes are forwarded, not read
    expectCountersAddUp(view);

    // A new thumbprint in the configuration is installed off-line, as Azure installs certificates: each instance
    // restarts (one upgrade domain after the other) and then presents the stand-in for the new certificate.
    const renewed = 'FEDCBA9876543210FEDCBA9876543210FEDCBA98';
    const since = (await fabric.getSnapshot()).clock.now;
    const change = await fabric.updateConfiguration({ deploymentId: deployment.id, configuration: cscfg.replace(thumbprint, renewed) });
    const ended = await waitFor('the certificate change ended', async () => (await fabric.getSnapshot()).operations.find((o) => o.requestId === change.requestId && o.status !== 'InProgress'), 45_000);
    expect(ended.status).toBe('Succeeded');
    for (const i of instances) expect(history.changes.some((c) => c.instanceId === i.id && c.at >= since && c.from === 'ReadyRole')).toBe(true);
    await waitFor('both instances back in rotation', async () => (await endpointTraffic(deployment.id, 'Https')).instances.filter((i) => i.inRotation).length === 2);
    expect((await fetchOverTls()).subject).toBe(`SSL / Fabric Lab stand-in certificate / ${renewed}`);
    const card = (await fabric.getSnapshot()).deployments.find((d) => d.id === deployment.id)!;
    expect(card.inputEndpoints.find((e) => e.name === 'Https')!.tls).toContain(`(thumbprint ${renewed})`);
    expect(card.roles[0]!.certificates).toEqual([expect.objectContaining({ name: 'SSL', thumbprint: renewed })]);
  });
});

describe('a killed host', () => {
  it("gets no new connection: the load balancer tries the instance left, and every request is served", async () => {
    const { deployment, instances } = await deployReady(fabric, { sample: 'web-and-worker', serviceName: 'survivor' }, 4);
    const victim = instances.find((i) => i.name === 'WebFrontEnd_IN_0')!;
    const { vip, port } = deployment.inputEndpoints[0]!;
    await fabric.injectFault({ kind: 'kill-host', hostId: victim.hostId });
    // At once, before the controller has even noticed the host is gone: refused connects move to the other instance.
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(`http://${vip}:${port}/`)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    const view = await endpointTraffic(deployment.id, 'HttpIn');
    const dead = view.instances.find((i) => i.instanceName === 'WebFrontEnd_IN_0')!;
    const alive = view.instances.find((i) => i.instanceName === 'WebFrontEnd_IN_1')!;
    expect(alive.counters.requests).toBe(20);
    expect(dead.counters.requests).toBe(0);
    expectCountersAddUp(view);
    // Once the controller sees the host gone, the instance leaves rotation.
    await rotationApplied(deployment.id, 'HttpIn', { WebFrontEnd_IN_0: false });
  });
});

describe('clients that misbehave', () => {
  it('holds at most its connection limit, refuses the rest clearly, closes the silent ones when idle, and keeps serving', async () => {
    const local = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 113, batchIntervalMs: 10, maxConnectionsPerEndpoint: 100, sessionDir: mkdtempSync(join(tmpdir(), 'fabric-lab-lb-limits-')) });
    const sockets: Socket[] = [];
    try {
      const { deployment } = await deployReady(local, { sample: 'web-and-worker', serviceName: 'limits' }, 4);
      const { vip, port } = deployment.inputEndpoints[0]!;
      const traffic = async () => (await local.getTraffic()).endpoints.find((e) => e.deploymentId === deployment.id)!;
      // 600 clients connect at once and never write a byte.
      const outcomes = await Promise.all(
        Array.from({ length: 600 }, () =>
          new Promise<string>((resolve) => {
            const socket = connect({ host: vip, port: port! });
            sockets.push(socket);
            socket.on('connect', () => resolve('connected'));
            socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
          }),
        ),
      );
      expect(outcomes.length).toBe(600);
      const full = await waitFor('500 refused at the limit', async () => {
        const v = await traffic();
        return v.refusedBy.connectionLimit === 500 && v.totals.activeConnections === 100 && v;
      });
      expectCountersAddUp(full);
      // Within the 2 s real floor of the 4-minute idle timeout the silent ones go, and the service answers again.
      const idle = await waitFor('the silent connections closed as idle', async () => {
        const v = await traffic();
        return v.idleClosed === 100 && v.totals.activeConnections === 0 && v;
      }, 20_000);
      expectCountersAddUp(idle);
      expect((await get(`http://${vip}:${port}/`)).status).toBe(200);
      expect((await local.getSnapshot()).instances.filter((i) => i.deploymentId === deployment.id).every((i) => i.status === 'ReadyRole')).toBe(true);
      const log = readFileSync(join(local.sessionDir, 'fabric', 'front-end', 'FrontEnd.log'), 'utf8');
      expect(log).toContain(`${deployment.id} WebFrontEnd/HttpIn (http, csdef port 80) listens on ${vip}:${port}`);
    } finally {
      for (const s of sockets) s.destroy();
      await local.close();
    }
  });
});

describe('where the OS gives only 127.0.0.1', () => {
  it('puts every VIP and DIP on 127.0.0.1 and walks ports: a second deployment on port 80 gets another port, and says so', async () => {
    const local = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 112, batchIntervalMs: 10, loopbackAliases: false, sessionDir: mkdtempSync(join(tmpdir(), 'fabric-lab-lb-local-')) });
    try {
      const first = await deployReady(local, { sample: 'web-and-worker', serviceName: 'one' }, 4);
      const second = await deployReady(local, { sample: 'web-and-worker', serviceName: 'two' }, 4);
      expect([first.deployment.vip, second.deployment.vip]).toEqual(['127.0.0.1', '127.0.0.1']);
      for (const i of [...first.instances, ...second.instances]) expect(i.ipAddress).toBe('127.0.0.1');
      const [a, b] = [first.deployment.inputEndpoints[0]!, second.deployment.inputEndpoints[0]!];
      expect(a.port).not.toBe(b.port);
      expect(b.port).toBeGreaterThan(80);
      expect(b.note).toMatch(/^port 80 walked up to \d+ \(.*taken\)$/);
      for (const e of [a, b]) expect((await get(`http://127.0.0.1:${e.port}/`)).status).toBe(200);
    } finally {
      await local.close();
    }
  });
});
