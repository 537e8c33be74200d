// The Service Management API driven by Microsoft's own Node client (azure-asm-compute with azure-common's
// certificate credentials) over real HTTPS with real certificates on 127.0.0.1: create a hosted service,
// deploy a sample, poll the operation, wait for every instance ReadyRole, reboot one, delete. Then the bad
// input a user can send, each answered as Azure answered it, with the fabric still serving.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fabric } from '../../src-main/fabric/fabric';
import { makeServiceCertificatePfx, makeSubscription, type ManagementSubscription } from '../../src-main/management/management-credentials';
import { startManagementFace, type ManagementFace } from '../../src-main/management/management-face';
import { hostWorkerUrl } from '../support/built';
import { waitFor } from '../support/fabric-helpers';
import { asmComputeClient, call, errorOf, rest, type AsmCompute } from '../support/management-clients';

const sampleDir = new URL('../../resources/samples/hello-worker/', import.meta.url);
const sampleConfiguration = readFileSync(new URL('ServiceConfiguration.cscfg', sampleDir), 'utf8');

let fabric: Fabric;
let face: ManagementFace;
let folder: string;
let alice: ManagementSubscription;
let bob: ManagementSubscription;
let client: AsmCompute;
let caPem: string;

const api = (sub: ManagementSubscription, path: string) => `${face.server.url}/${sub.id}${path}`;
const asAlice = { cert: {} as { certificatePem: string; keyPem: string } };

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'fabric-lab-smapi-'));
  // Two subscriptions in the credentials file: each must see nothing of the other.
  alice = makeSubscription('Alice');
  bob = makeSubscription('Bob');
  writeFileSync(join(folder, 'subscriptions.json'), JSON.stringify([alice, bob]));
  fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 12, batchIntervalMs: 10 });
  face = await startManagementFace(fabric, { folder });
  caPem = face.connection.caPem;
  asAlice.cert = { certificatePem: alice.certificatePem, keyPem: alice.keyPem };
  client = asmComputeClient({ subscriptionId: alice.id, certificatePem: alice.certificatePem, keyPem: alice.keyPem, caPem }, face.server.url);
}, 60_000);

afterAll(async () => {
  await face?.close();
  await fabric?.close();
  rmSync(folder, { recursive: true, force: true });
});

const createDeploymentXml = (fields: { name?: string; packageUrl?: string; configuration?: string; start?: boolean }) =>
  `<?xml version="1.0" encoding="utf-8"?><CreateDeployment xmlns="http://schemas.microsoft.com/windowsazure">` +
  (fields.name !== undefined ? `<Name>${fields.name}</Name>` : '') +
  (fields.packageUrl !== undefined ? `<PackageUrl>${fields.packageUrl}</PackageUrl>` : '') +
  `<Label>${Buffer.from('label').toString('base64')}</Label>` +
  `<Configuration>${Buffer.from(fields.configuration ?? sampleConfiguration).toString('base64')}</Configuration>` +
  `<StartDeployment>${fields.start ?? true}</StartDeployment></CreateDeployment>`;

async function createService(name: string): Promise<void> {
  const body = `<CreateHostedService xmlns="http://schemas.microsoft.com/windowsazure"><ServiceName>${name}</ServiceName><Label>${Buffer.from(name).toString('base64')}</Label><Location>Local</Location></CreateHostedService>`;
  const answer = await rest(api(alice, '/services/hostedservices'), { method: 'POST', body, caPem, ...asAlice });
  expect(answer.status).toBe(201);
}

interface RoleInstance {
  instanceName: string;
  instanceStatus: string;
  powerState: string;
  instanceUpgradeDomain: number;
  instanceFaultDomain: number;
  instanceSize: string;
  instanceStateDetails: string;
}

describe('the Service Management API, driven by azure-asm-compute', () => {
  it('creates a service, deploys a sample, brings every instance to ReadyRole, reboots one, and deletes it all', async () => {
    const created = await call<{ statusCode: number; requestId: string }>(client.hostedServices, 'create', { serviceName: 'walk', label: 'The walk', location: 'Local' });
    expect(created.statusCode).toBe(201);
    const available = await call<{ isAvailable: boolean; reason: string }>(client.hostedServices, 'checkNameAvailability', 'walk');
    expect(available.isAvailable).toBe(false);
    const listed = await call<{ hostedServices: { serviceName: string; properties: { label: string; location: string } }[] }>(client.hostedServices, 'list');
    expect(listed.hostedServices.map((s) => [s.serviceName, s.properties.label, s.properties.location])).toEqual([['walk', 'The walk', 'Local']]);

    // A long-running operation: the client polls Get Operation Status until it ends.
    // The answer is the last Get Operation Status; its ID is the Create Deployment's request id.
    const deployed = await call<{ status: string; id: string }>(client.deployments, 'create', 'walk', 'Production', {
      name: 'walk-1',
      packageUri: pathToFileURL(sampleDir.pathname).href,
      label: 'first',
      configuration: sampleConfiguration,
      startDeployment: true,
    });
    expect(deployed.status).toBe('Succeeded');
    const operation = (await fabric.getSnapshot()).operations.find((o) => o.requestId === deployed.id);
    expect(operation).toMatchObject({ kind: 'CreateDeployment', status: 'Succeeded' });

    const ready = await waitFor('every instance ReadyRole through Get Deployment', async () => {
      const d = await call<{ name: string; deploymentSlot: string; status: string; label: string; configuration: string; roleInstances: RoleInstance[] }>(client.deployments, 'getBySlot', 'walk', 'Production');
      return d.roleInstances.length === 2 && d.roleInstances.every((i) => i.instanceStatus === 'ReadyRole') && d;
    }, 60_000);
    expect(ready).toMatchObject({ name: 'walk-1', deploymentSlot: 'Production', status: 'Running', label: 'first', configuration: sampleConfiguration });
    expect(ready.roleInstances.map((i) => i.instanceName).sort()).toEqual(['WorkerRole1_IN_0', 'WorkerRole1_IN_1']);
    for (const i of ready.roleInstances) expect(i).toMatchObject({ powerState: 'Started', instanceSize: 'Small' });
    expect(new Set(ready.roleInstances.map((i) => i.instanceFaultDomain)).size).toBe(2);
    const byName = await call<{ deploymentSlot: string }>(client.deployments, 'getByName', 'walk', 'walk-1');
    expect(byName.deploymentSlot).toBe('Production');
    const detailed = await call<{ deployments: { name: string }[] }>(client.hostedServices, 'getDetailed', 'walk');
    expect(detailed.deployments.map((d) => d.name)).toEqual(['walk-1']);
    const subscription = await rest(api(alice, ''), { caPem, ...asAlice });
    expect(subscription.body).toMatch(/<CurrentCoreCount>2<\/CurrentCoreCount>/);
    expect(subscription.body).toMatch(/<MaxCoreCount>20<\/MaxCoreCount>/);

    // azure-asm-compute's body-less POSTs never send under Node 20: reboot as a plain REST call, then poll with the client.
    const reboot = await rest(api(alice, '/services/hostedservices/walk/deploymentslots/production/roleinstances/WorkerRole1_IN_0?comp=reboot'), { method: 'POST', caPem, ...asAlice });
    expect(reboot.status).toBe(202);
    const rebootId = String(reboot.headers['x-ms-request-id']);
    const rebooted = await waitFor('the reboot to succeed', async () => {
      const status = await call<{ status: string }>(client as unknown as Record<string, (...args: unknown[]) => void>, 'getOperationStatus', rebootId);
      return status.status !== 'InProgress' && status;
    }, 60_000);
    expect(rebooted.status).toBe('Succeeded');
    const rebootOp = (await fabric.getSnapshot()).operations.find((o) => o.requestId === rebootId);
    expect(rebootOp).toMatchObject({ kind: 'RebootRoleInstance', target: `${operation!.target}/WorkerRole1_IN_0`, status: 'Succeeded' });

    // List Events: the reboot, from the session's events (times are the fabric's emulated ones).
    const events = await waitFor('the reboot in List Events', async () => {
      const answer = await call<{ deploymentEvents: { roleName: string; instanceName: string; rebootReason: string; rebootStartTime: Date }[] }>(
        client.deployments,
        'listEvents',
        'walk',
        'walk-1',
        new Date(0),
        new Date(Date.UTC(2999, 0)),
      );
      return answer.deploymentEvents.length > 0 && answer.deploymentEvents;
    });
    expect(events).toEqual([{ roleName: 'WorkerRole1', instanceName: 'WorkerRole1_IN_0', rebootReason: 'Rebooting the guest OS.', rebootStartTime: expect.any(Date) as Date }]);
    const noEnd = await rest(api(alice, '/services/hostedservices/walk/deployments/walk-1/events?starttime=2020-01-01T00:00:00Z'), { caPem, ...asAlice });
    expect([noEnd.status, errorOf(noEnd.body).message]).toEqual([400, expect.stringContaining('endtime') as string]);

    const deleted = await call<{ status: string }>(client.deployments, 'deleteBySlot', 'walk', 'Production');
    expect(deleted.status).toBe('Succeeded');
    await call(client.hostedServices, 'deleteMethod', 'walk');
    expect((await call<{ hostedServices: unknown[] }>(client.hostedServices, 'list')).hostedServices).toEqual([]);

    // Every call is in FrontEnd.log with its request id.
    const frontEndLog = join(fabric.sessionDir, 'fabric', 'front-end', 'FrontEnd.log');
    const log = await waitFor('the calls in FrontEnd.log', async () => {
      const text = readFileSync(frontEndLog, 'utf8');
      return text.includes(rebootId) && /hostedservices\/walk -> 200/.test(text) && text;
    });
    expect(log).toContain(deployed.id);
    expect(log).toContain(rebootId);
    expect(log).toMatch(/Service Management API: GET \/[0-9a-f-]+\/services\/hostedservices\/walk\/deploymentslots\/Production -> 200/);
  }, 180_000);
});

describe('the Service Management API refuses bad input as Azure did, and keeps serving', () => {
  it('answers 403 for an unknown subscription, no credential and another subscription\'s certificate, 401 for a wrong token', async () => {
    const unknown = await rest(`${face.server.url}/00000000-0000-0000-0000-000000000000/services/hostedservices`, { caPem, ...asAlice });
    expect([unknown.status, errorOf(unknown.body).code]).toEqual([403, 'ForbiddenError']);
    expect(unknown.headers['x-ms-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(unknown.body).toContain('xmlns="http://schemas.microsoft.com/windowsazure"');

    const none = await rest(api(alice, '/services/hostedservices'), { caPem });
    expect([none.status, errorOf(none.body).code]).toEqual([403, 'ForbiddenError']);

    const wrongCert = await rest(api(alice, '/services/hostedservices'), { caPem, cert: { certificatePem: bob.certificatePem, keyPem: bob.keyPem } });
    expect([wrongCert.status, errorOf(wrongCert.body).code]).toEqual([403, 'ForbiddenError']);

    const wrongToken = await rest(api(alice, '/services/hostedservices'), { caPem, token: bob.token });
    expect([wrongToken.status, errorOf(wrongToken.body).code]).toEqual([401, 'AuthenticationFailed']);
    const rightToken = await rest(api(alice, '/services/hostedservices'), { caPem, token: alice.token });
    expect(rightToken.status).toBe(200);
  });

  it('requires a documented x-ms-version', async () => {
    const missing = await rest(api(alice, '/services/hostedservices'), { caPem, ...asAlice, version: null });
    expect([missing.status, errorOf(missing.body).code]).toEqual([400, 'MissingOrIncorrectVersionHeader']);
    const unknown = await rest(api(alice, '/services/hostedservices'), { caPem, ...asAlice, version: '2018-01-01' });
    expect([unknown.status, errorOf(unknown.body).code]).toEqual([400, 'MissingOrIncorrectVersionHeader']);
    expect(errorOf(unknown.body).message).toContain('2018-01-01');
    const oldest = await rest(api(alice, '/services/hostedservices'), { caPem, ...asAlice, version: '2009-10-01' });
    expect(oldest.status).toBe(200);
  });

  it('shows every call in the operations list with its request id: reads, refusals, and the operations calls start', async () => {
    const calls = () => fabric.getSnapshot().then((s) => s.operations);
    const read = await rest(api(alice, '/services/hostedservices'), { caPem, ...asAlice });
    const badVersion = await rest(api(alice, '/locations'), { caPem, ...asAlice, version: '2018-01-01' });
    const unknownUri = await rest(api(alice, '/services/nothing'), { caPem, ...asAlice });
    const listed = await calls();
    const byId = (answer: { headers: Record<string, unknown> }) => listed.find((o) => o.requestId === answer.headers['x-ms-request-id']);
    expect(byId(read)).toMatchObject({ kind: 'ApiCall', target: 'GET /services/hostedservices', status: 'Succeeded', detail: '→ 200', error: null });
    expect(byId(badVersion)).toMatchObject({ kind: 'ApiCall', target: 'GET /locations', status: 'Failed', detail: '→ 400' });
    expect(byId(badVersion)!.error).toMatch(/^MissingOrIncorrectVersionHeader: .*2018-01-01/);
    expect(byId(unknownUri)).toMatchObject({ kind: 'ApiCall', status: 'Failed', detail: '→ 404' });

    // A call that starts an operation is listed once, as that operation.
    const body = '<CreateHostedService xmlns="http://schemas.microsoft.com/windowsazure"><ServiceName>listed</ServiceName><Label>bA==</Label><Location>Local</Location></CreateHostedService>';
    const created = await rest(api(alice, '/services/hostedservices'), { method: 'POST', body, caPem, ...asAlice });
    const entries = (await calls()).filter((o) => o.requestId === created.headers['x-ms-request-id']);
    expect(entries.map((o) => [o.kind, o.status])).toEqual([['CreateHostedService', 'Succeeded']]);
    // A read is not an operation: Get Operation Status does not know its request id.
    const status = await rest(api(alice, `/operations/${String(read.headers['x-ms-request-id'])}`), { caPem, ...asAlice });
    expect([status.status, errorOf(status.body).code]).toEqual([404, 'ResourceNotFound']);
  });

  it('keeps subscriptions apart: another subscription sees none of the services and cannot reach them', async () => {
    await createService('alices');
    const bobs = { cert: { certificatePem: bob.certificatePem, keyPem: bob.keyPem } };
    const list = await rest(api(bob, '/services/hostedservices'), { caPem, ...bobs });
    expect(list.body).not.toContain('alices');
    const get = await rest(api(bob, '/services/hostedservices/alices'), { caPem, ...bobs });
    expect([get.status, errorOf(get.body).code]).toEqual([404, 'ResourceNotFound']);
    // The name is global all the same, as DNS names under cloudapp.net were.
    const check = await rest(api(bob, '/services/hostedservices/operations/isavailable/alices'), { caPem, ...bobs });
    expect(check.body).toMatch(/<Result>false<\/Result>/);
    const taken = await rest(api(bob, '/services/hostedservices'), {
      method: 'POST',
      caPem,
      ...bobs,
      body: `<CreateHostedService xmlns="http://schemas.microsoft.com/windowsazure"><ServiceName>alices</ServiceName><Label>eA==</Label><Location>Local</Location></CreateHostedService>`,
    });
    expect([taken.status, errorOf(taken.body).code]).toEqual([409, 'ConflictError']);
    await rest(api(alice, '/services/hostedservices/alices'), { method: 'DELETE', caPem, ...asAlice });
  });

  it('refuses malformed XML with its line and column, a missing package, and a configuration that fails validation with file:line:col', async () => {
    await createService('bad');
    const malformed = await rest(api(alice, '/services/hostedservices/bad/deploymentslots/production'), { method: 'POST', caPem, ...asAlice, body: '<CreateDeployment xmlns="http://schemas.microsoft.com/windowsazure">\n  <Name>x</Nam>\n</CreateDeployment>' });
    expect([malformed.status, errorOf(malformed.body).code]).toEqual([400, 'BadRequest']);
    expect(errorOf(malformed.body).message).toMatch(/line 2, column \d+/);

    const entity = await rest(api(alice, '/services/hostedservices'), { method: 'POST', caPem, ...asAlice, body: '<!DOCTYPE x [<!ENTITY a "aaaa">]><CreateHostedService/>' });
    expect([entity.status, errorOf(entity.body).message]).toEqual([400, expect.stringContaining('DOCTYPE') as string]);

    const noUrl = await rest(api(alice, '/services/hostedservices/bad/deploymentslots/production'), { method: 'POST', caPem, ...asAlice, body: createDeploymentXml({ name: 'x' }) });
    expect([noUrl.status, errorOf(noUrl.body).message]).toEqual([400, expect.stringContaining('<PackageUrl>') as string]);

    const missing = pathToFileURL(join(folder, 'no-such.cspkg')).href;
    const notThere = await rest(api(alice, '/services/hostedservices/bad/deploymentslots/production'), { method: 'POST', caPem, ...asAlice, body: createDeploymentXml({ name: 'x', packageUrl: missing }) });
    expect([notThere.status, errorOf(notThere.body).message]).toEqual([400, expect.stringContaining('does not exist') as string]);

    const outside = await rest(api(alice, '/services/hostedservices/bad/deploymentslots/production'), { method: 'POST', caPem, ...asAlice, body: createDeploymentXml({ name: 'x', packageUrl: 'http://example.com/a.cspkg' }) });
    expect([outside.status, errorOf(outside.body).message]).toEqual([400, expect.stringContaining('only from this machine') as string]);

    const broken = sampleConfiguration.replace('<Instances count="2" />', '<Instances count="two" />').replace('WorkerRole1', 'NoSuchRole');
    const invalid = await rest(api(alice, '/services/hostedservices/bad/deploymentslots/production'), {
      method: 'POST',
      caPem,
      ...asAlice,
      body: createDeploymentXml({ name: 'x', packageUrl: pathToFileURL(sampleDir.pathname).href, configuration: broken }),
    });
    expect([invalid.status, errorOf(invalid.body).code]).toEqual([400, 'BadRequest']);
    expect(errorOf(invalid.body).message).toMatch(/ServiceConfiguration\.cscfg:\d+:\d+: error \[/);
    expect((await fabric.getSnapshot()).deployments.filter((d) => d.serviceName === 'bad')).toEqual([]);
  });

  it('answers ConflictError for a second deployment in a taken slot and a second operation while one runs; refuses a rollback with nothing to roll back', async () => {
    await createService('busy');
    const sample = pathToFileURL(sampleDir.pathname).href;
    const first = await rest(api(alice, '/services/hostedservices/busy/deploymentslots/production'), { method: 'POST', caPem, ...asAlice, body: createDeploymentXml({ name: 'one', packageUrl: sample }) });
    expect(first.status).toBe(202);
    const second = await rest(api(alice, '/services/hostedservices/busy/deploymentslots/production'), { method: 'POST', caPem, ...asAlice, body: createDeploymentXml({ name: 'two', packageUrl: sample }) });
    expect([second.status, errorOf(second.body).code]).toEqual([409, 'ConflictError']);
    // A refused call that would have changed something is a failed operation in the dashboard's list all the same.
    const refusedCreate = (await fabric.getSnapshot()).operations.find((o) => o.requestId === second.headers['x-ms-request-id']);
    expect(refusedCreate).toMatchObject({ kind: 'CreateDeployment', target: 'busy/production', status: 'Failed' });
    await waitFor('the deployment to be created', async () => {
      const status = await rest(api(alice, `/operations/${String(first.headers['x-ms-request-id'])}`), { caPem, ...asAlice });
      return /<Status>Succeeded<\/Status>/.test(status.body);
    }, 60_000);

    const suspend = `<UpdateDeploymentStatus xmlns="http://schemas.microsoft.com/windowsazure"><Status>Suspended</Status></UpdateDeploymentStatus>`;
    // The clock stands still while the second call comes: at 1000x a suspend could end before it on a busy machine.
    await fabric.setClock({ paused: true });
    const running = await rest(api(alice, '/services/hostedservices/busy/deploymentslots/production/?comp=status'), { method: 'POST', caPem, ...asAlice, body: suspend });
    expect(running.status).toBe(202);
    const meanwhile = await rest(api(alice, '/services/hostedservices/busy/deploymentslots/production/roleinstances/WorkerRole1_IN_0?comp=reboot'), { method: 'POST', caPem, ...asAlice });
    expect([meanwhile.status, errorOf(meanwhile.body).code]).toEqual([409, 'ConflictError']);
    expect(errorOf(meanwhile.body).message).toContain(`x-ms-requestid ${String(running.headers['x-ms-request-id'])}`);
    expect((await fabric.getSnapshot()).operations.find((o) => o.requestId === meanwhile.headers['x-ms-request-id'])).toMatchObject({ kind: 'RebootRoleInstance', status: 'Failed' });
    await fabric.setClock({ paused: false });

    // A rollback with no upgrade or configuration change to roll back: ConflictError, a failed operation; a Mode
    // Azure does not have: BadRequest.
    const rollbackIn = (mode: string) =>
      rest(api(alice, '/services/hostedservices/busy/deploymentslots/production/?comp=rollback'), {
        method: 'POST',
        caPem,
        ...asAlice,
        body: `<RollbackUpdateOrUpgrade xmlns="http://schemas.microsoft.com/windowsazure"><Mode>${mode}</Mode><Force>false</Force></RollbackUpdateOrUpgrade>`,
      });
    const rollback = await rollbackIn('Manual');
    expect([rollback.status, errorOf(rollback.body).code]).toEqual([409, 'ConflictError']);
    const refused = (await fabric.getSnapshot()).operations.find((o) => o.requestId === rollback.headers['x-ms-request-id']);
    expect(refused).toMatchObject({ kind: 'RollbackUpdateOrUpgrade', status: 'Failed' });
    const status = await rest(api(alice, `/operations/${String(rollback.headers['x-ms-request-id'])}`), { caPem, ...asAlice });
    expect(status.body).toMatch(/<Status>Failed<\/Status>.*<Code>ConflictError<\/Code>/s);
    const sideways = await rollbackIn('Sideways');
    expect([sideways.status, errorOf(sideways.body).code, errorOf(sideways.body).message]).toEqual([400, 'BadRequest', expect.stringContaining('Auto or Manual')]);
    // Bob cannot read Alice's operation.
    const bobs = await rest(api(bob, `/operations/${String(first.headers['x-ms-request-id'])}`), { caPem, cert: { certificatePem: bob.certificatePem, keyPem: bob.keyPem } });
    expect(bobs.status).toBe(404);
  }, 120_000);

  it('deploys a package fetched over http on loopback only when the service holds the certificate the roles name', async () => {
    await createService('certs');
    const { pfx, thumbprint } = makeServiceCertificatePfx('certs.example', 'secret');
    const csdef = readFileSync(new URL('../fixtures/packages/minimal.csdef', import.meta.url), 'utf8').replace(
      '</WorkerRole>',
      '<Certificates><Certificate name="ssl" storeLocation="LocalMachine" storeName="My" /></Certificates></WorkerRole>',
    );
    const cscfg = readFileSync(new URL('../fixtures/packages/minimal.cscfg', import.meta.url), 'utf8').replace(
      '</Role>',
      `<Certificates><Certificate name="ssl" thumbprint="${thumbprint}" thumbprintAlgorithm="sha1" /></Certificates></Role>`,
    );
    const server: Server = createServer((req, res) => {
      if (req.url === '/Minimal.csdef') res.end(csdef);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const gone = await rest(api(alice, '/services/hostedservices/certs/deploymentslots/staging'), { method: 'POST', caPem, ...asAlice, body: createDeploymentXml({ name: 'c', packageUrl: `${base}/gone.cspkg`, configuration: cscfg }) });
      expect([gone.status, errorOf(gone.body).message]).toEqual([400, expect.stringContaining('answered 404') as string]);

      const lacking = await rest(api(alice, '/services/hostedservices/certs/deploymentslots/staging'), { method: 'POST', caPem, ...asAlice, body: createDeploymentXml({ name: 'c', packageUrl: `${base}/Minimal.csdef`, configuration: cscfg }) });
      expect([lacking.status, errorOf(lacking.body).code]).toEqual([400, 'BadRequest']);
      expect(errorOf(lacking.body).message).toContain(thumbprint);

      const wrongPassword = `<CertificateFile xmlns="http://schemas.microsoft.com/windowsazure"><Data>${pfx.toString('base64')}</Data><CertificateFormat>pfx</CertificateFormat><Password>nope</Password></CertificateFile>`;
      const refused = await rest(api(alice, '/services/hostedservices/certs/certificates'), { method: 'POST', caPem, ...asAlice, body: wrongPassword });
      expect([refused.status, errorOf(refused.body).message]).toEqual([400, expect.stringContaining('password') as string]);

      const add = await rest(api(alice, '/services/hostedservices/certs/certificates'), { method: 'POST', caPem, ...asAlice, body: wrongPassword.replace('nope', 'secret') });
      expect(add.status).toBe(202);
      const listed = await rest(api(alice, '/services/hostedservices/certs/certificates'), { caPem, ...asAlice });
      expect(listed.body).toContain(`<Thumbprint>${thumbprint}</Thumbprint>`);
      const one = await rest(api(alice, `/services/hostedservices/certs/certificates/sha1-${thumbprint}`), { caPem, ...asAlice });
      expect(one.status).toBe(200);

      const deployed = await rest(api(alice, '/services/hostedservices/certs/deploymentslots/staging'), { method: 'POST', caPem, ...asAlice, body: createDeploymentXml({ name: 'c', packageUrl: `${base}/Minimal.csdef`, configuration: cscfg }) });
      expect(deployed.status).toBe(202);
      await waitFor('the certificate deployment to be created', async () => {
        const status = await rest(api(alice, `/operations/${String(deployed.headers['x-ms-request-id'])}`), { caPem, ...asAlice });
        return /<Status>Succeeded<\/Status>/.test(status.body);
      }, 60_000);
      // A new configuration naming a certificate the service does not hold is refused as Create Deployment is.
      const other = 'AB'.repeat(20);
      const changeXml = `<ChangeConfiguration xmlns="http://schemas.microsoft.com/windowsazure"><Configuration>${Buffer.from(cscfg.replace(thumbprint, other)).toString('base64')}</Configuration></ChangeConfiguration>`;
      const unheld = await rest(api(alice, '/services/hostedservices/certs/deploymentslots/staging/?comp=config'), { method: 'POST', caPem, ...asAlice, body: changeXml });
      expect([unheld.status, errorOf(unheld.body).code, errorOf(unheld.body).message]).toEqual([400, 'BadRequest', expect.stringContaining(other)]);
      const removeCert = await rest(api(alice, `/services/hostedservices/certs/certificates/sha1-${thumbprint}`), { method: 'DELETE', caPem, ...asAlice });
      expect(removeCert.status).toBe(200);
      const busyService = await rest(api(alice, '/services/hostedservices/certs'), { method: 'DELETE', caPem, ...asAlice });
      expect([busyService.status, errorOf(busyService.body).code]).toEqual([409, 'ConflictError']);
    } finally {
      server.close();
    }
  }, 120_000);
});

describe('deployment operations through the API', () => {
  it('changes the configuration (refusing one that fails validation), deletes and rebuilds role instances, suspends and runs', async () => {
    await createService('ops');
    const sample = pathToFileURL(sampleDir.pathname).href;
    const threeInstances = sampleConfiguration.replace('<Instances count="2" />', '<Instances count="3" />');
    const created = await rest(api(alice, '/services/hostedservices/ops/deploymentslots/staging'), { method: 'POST', caPem, ...asAlice, body: createDeploymentXml({ name: 'opsdep', packageUrl: sample, configuration: threeInstances }) });
    expect(created.status).toBe(202);
    const byName = (path = '') => api(alice, `/services/hostedservices/ops/deployments/opsdep${path}`);
    const until = (requestId: string) =>
      waitFor(`operation ${requestId} to end`, async () => {
        const answer = await rest(api(alice, `/operations/${requestId}`), { caPem, ...asAlice });
        return !/<Status>InProgress<\/Status>/.test(answer.body) && answer.body;
      }, 90_000);
    const readyCount = (n: number) =>
      waitFor(`${n} instances ReadyRole`, async () => {
        const body = (await rest(byName(), { caPem, ...asAlice })).body;
        const statuses = [...body.matchAll(/<InstanceStatus>([^<]+)<\/InstanceStatus>/g)].map((m) => m[1]);
        return statuses.length === n && statuses.every((st) => st === 'ReadyRole') && body;
      }, 90_000);
    expect(await until(String(created.headers['x-ms-request-id']))).toMatch(/<Status>Succeeded<\/Status>/);
    const ready = await readyCount(3);
    expect(ready).toMatch(/<DeploymentSlot>Staging<\/DeploymentSlot>/);
    expect(ready).toMatch(/<PowerState>Started<\/PowerState>/);
    expect(ready).toMatch(/<InstanceUpgradeDomain>\d<\/InstanceUpgradeDomain>/);

    const change = (configuration: string) =>
      rest(byName('/?comp=config'), {
        method: 'POST',
        caPem,
        ...asAlice,
        body: `<ChangeConfiguration xmlns="http://schemas.microsoft.com/windowsazure"><Configuration>${Buffer.from(configuration).toString('base64')}</Configuration><Mode>Auto</Mode></ChangeConfiguration>`,
      });
    const refused = await change(threeInstances.replace('<Instances count="3" />', '<Instances count="-1" />'));
    expect([refused.status, errorOf(refused.body).code]).toEqual([400, 'BadRequest']);
    expect(errorOf(refused.body).message).toMatch(/ServiceConfiguration\.cscfg:\d+:\d+/);
    const manual = await rest(byName('/?comp=config'), {
      method: 'POST',
      caPem,
      ...asAlice,
      body: `<ChangeConfiguration xmlns="http://schemas.microsoft.com/windowsazure"><Configuration>${Buffer.from(threeInstances.replace('<Instances count="3" />', '<Instances count="4" />')).toString('base64')}</Configuration><Mode>Manual</Mode></ChangeConfiguration>`,
    });
    // Manual mode walks domains by hand; a new instance count cannot be walked so, and an unknown mode is refused.
    expect([manual.status, errorOf(manual.body).code]).toEqual([400, 'BadRequest']);
    expect(errorOf(manual.body).message).toContain('cannot be walked in Manual mode');
    const sideways = await rest(byName('/?comp=config'), {
      method: 'POST',
      caPem,
      ...asAlice,
      body: `<ChangeConfiguration xmlns="http://schemas.microsoft.com/windowsazure"><Configuration>${Buffer.from(threeInstances).toString('base64')}</Configuration><Mode>Sideways</Mode></ChangeConfiguration>`,
    });
    expect([sideways.status, errorOf(sideways.body).code]).toEqual([400, 'BadRequest']);

    const deleteInstances = await rest(byName('/roleinstances/?comp=delete'), {
      method: 'POST',
      caPem,
      ...asAlice,
      body: '<RoleInstances xmlns="http://schemas.microsoft.com/windowsazure"><Name>WorkerRole1_IN_2</Name></RoleInstances>',
    });
    expect(deleteInstances.status).toBe(202);
    expect(await until(String(deleteInstances.headers['x-ms-request-id']))).toMatch(/<Status>Succeeded<\/Status>/);
    expect(await readyCount(2)).not.toContain('WorkerRole1_IN_2');
    const noSuch = await rest(byName('/roleinstances/WorkerRole1_IN_9?comp=reboot'), { method: 'POST', caPem, ...asAlice });
    expect([noSuch.status, errorOf(noSuch.body).code]).toEqual([404, 'ResourceNotFound']);

    const rebuild = await rest(byName('/roleinstances/WorkerRole1_IN_1?comp=rebuild'), { method: 'POST', caPem, ...asAlice });
    expect(rebuild.status).toBe(202);
    expect(await until(String(rebuild.headers['x-ms-request-id']))).toMatch(/<Status>Succeeded<\/Status>/);
    expect((await fabric.getSnapshot()).operations.find((o) => o.requestId === rebuild.headers['x-ms-request-id'])).toMatchObject({ kind: 'RebuildRoleInstance', status: 'Succeeded' });

    const changed = await change(sampleConfiguration);
    expect(changed.status).toBe(202);
    expect(await until(String(changed.headers['x-ms-request-id']))).toMatch(/<Status>Succeeded<\/Status>/);
    expect((await rest(byName(), { caPem, ...asAlice })).body).toContain(`<Configuration>${Buffer.from(sampleConfiguration).toString('base64')}</Configuration>`);

    const status = (value: string) =>
      rest(byName('/?comp=status'), { method: 'POST', caPem, ...asAlice, body: `<UpdateDeploymentStatus xmlns="http://schemas.microsoft.com/windowsazure"><Status>${value}</Status></UpdateDeploymentStatus>` });
    const bad = await status('Paused');
    expect([bad.status, errorOf(bad.body).code]).toEqual([400, 'BadRequest']);
    const suspended = await status('Suspended');
    expect(await until(String(suspended.headers['x-ms-request-id']))).toMatch(/<Status>Succeeded<\/Status>/);
    expect((await rest(byName(), { caPem, ...asAlice })).body).toMatch(/<Status>Suspended<\/Status>.*<PowerState>Stopped<\/PowerState>/s);
    const running = await status('Running');
    expect(await until(String(running.headers['x-ms-request-id']))).toMatch(/<Status>Succeeded<\/Status>/);

    const removed = await rest(byName(), { method: 'DELETE', caPem, ...asAlice });
    expect(removed.status).toBe(202);
    expect(await until(String(removed.headers['x-ms-request-id']))).toMatch(/<Status>Succeeded<\/Status>/);
    const gone = await rest(byName(), { caPem, ...asAlice });
    expect([gone.status, errorOf(gone.body).code]).toEqual([404, 'ResourceNotFound']);
  }, 240_000);
});

describe('Create Deployment without StartDeployment', () => {
  it('leaves the deployment Suspended once placed, as Azure did, and refuses Delete All by name', async () => {
    await createService('idle');
    const created = await rest(api(alice, '/services/hostedservices/idle/deploymentslots/production'), {
      method: 'POST',
      caPem,
      ...asAlice,
      body: createDeploymentXml({ name: 'idle', packageUrl: pathToFileURL(sampleDir.pathname).href, start: false }),
    });
    expect(created.status).toBe(202);
    const suspended = await waitFor('the deployment Suspended with its VMs stopped', async () => {
      const body = (await rest(api(alice, '/services/hostedservices/idle/deploymentslots/production'), { caPem, ...asAlice })).body;
      const powers = [...body.matchAll(/<PowerState>([^<]+)<\/PowerState>/g)].map((m) => m[1]);
      return /<Status>Suspended<\/Status>/.test(body) && powers.length === 2 && powers.every((p) => p === 'Stopped') && body;
    }, 90_000);
    expect(suspended).toMatch(/<InstanceStatus>StoppedVM<\/InstanceStatus>/);
    const all = await rest(api(alice, '/services/hostedservices/idle?comp=media'), { method: 'DELETE', caPem, ...asAlice });
    expect([all.status, errorOf(all.body).code]).toEqual([501, 'NotImplemented']);
  }, 120_000);
});

describe('addresses through the API', () => {
  it('shows the load balancer\'s VIP and each instance\'s DIP, as Get Deployment names them, and the VIP answers', async () => {
    await createService('addr');
    const webAndWorker = new URL('../../resources/samples/web-and-worker/', import.meta.url);
    const configuration = readFileSync(new URL('ServiceConfiguration.cscfg', webAndWorker), 'utf8');
    const deployed = await call<{ status: string }>(client.deployments, 'create', 'addr', 'Production', {
      name: 'addr-1',
      packageUri: pathToFileURL(webAndWorker.pathname).href,
      label: 'addresses',
      configuration,
      startDeployment: true,
    });
    expect(deployed.status).toBe('Succeeded');
    interface Addressed { iPAddress?: string; roleName: string; instanceStatus: string; instanceEndpoints: { name: string; virtualIPAddress?: string; port?: number }[] }
    const ready = await waitFor('every instance ReadyRole with its DIP', async () => {
      const d = await call<{ roleInstances: Addressed[]; virtualIPAddresses: { address: string }[] }>(client.deployments, 'getBySlot', 'addr', 'Production');
      return d.roleInstances.length > 0 && d.roleInstances.every((i) => i.instanceStatus === 'ReadyRole' && i.iPAddress) && d;
    }, 90_000);
    const view = (await fabric.getSnapshot()).deployments.find((d) => d.serviceName === 'addr')!;
    const instances = (await fabric.getSnapshot()).instances.filter((i) => i.deploymentId === view.id);
    expect(view.vip).toBeTruthy();
    expect(ready.virtualIPAddresses.map((v) => v.address)).toEqual([view.vip]);
    // Each instance's IpAddress is its own DIP, as the fabric shows it, and DIPs differ where the OS allows.
    expect(ready.roleInstances.map((i) => i.iPAddress).sort()).toEqual(instances.map((i) => i.ipAddress).sort());
    const web = ready.roleInstances.filter((i) => i.roleName === 'WebFrontEnd');
    expect(web.length).toBeGreaterThan(0);
    for (const i of web) expect(i.instanceEndpoints).toEqual([expect.objectContaining({ name: 'HttpIn', virtualIPAddress: view.vip, port: 80 })]); // the client reads PublicPort as port
    // InputEndpointList's Port is the port the VIP really listens on (80 walks up where it is taken or privileged).
    const body = (await rest(api(alice, '/services/hostedservices/addr/deploymentslots/production'), { caPem, ...asAlice })).body;
    const listening = view.inputEndpoints.find((e) => e.name === 'HttpIn')!;
    expect(body).toContain(`<InputEndpoint><RoleName>WebFrontEnd</RoleName><Vip>${view.vip}</Vip><Port>${listening.port}</Port><Protocol>http</Protocol></InputEndpoint>`);
    const answer = await fetch(`http://${view.vip}:${listening.port}/`);
    expect(answer.status).toBeLessThan(500);
  }, 120_000);
});

describe('Swap Deployment through the API', () => {
  it('swaps production and staging with azure-asm-compute, and refuses a swap that names no deployment of the service', async () => {
    await createService('swapped');
    const hello = new URL('../../resources/samples/hello-worker/', import.meta.url);
    const configuration = readFileSync(new URL('ServiceConfiguration.cscfg', hello), 'utf8');
    for (const [slot, name] of [['Production', 'blue'], ['Staging', 'green']] as const) {
      const deployed = await call<{ status: string }>(client.deployments, 'create', 'swapped', slot, { name, packageUri: pathToFileURL(hello.pathname).href, label: name, configuration, startDeployment: true });
      expect(deployed.status).toBe('Succeeded');
    }
    const swapped = await call<{ status: string }>(client.deployments, 'swap', 'swapped', { productionDeployment: 'blue', sourceDeployment: 'green' });
    expect(swapped.status).toBe('Succeeded');
    const production = await call<{ name: string; deploymentSlot: string }>(client.deployments, 'getBySlot', 'swapped', 'Production');
    expect(production).toMatchObject({ name: 'green', deploymentSlot: 'Production' });
    const staging = await call<{ name: string }>(client.deployments, 'getBySlot', 'swapped', 'Staging');
    expect(staging.name).toBe('blue');

    const unknown = await rest(api(alice, '/services/hostedservices/swapped'), { caPem, ...asAlice, method: 'POST', body: '<Swap xmlns="http://schemas.microsoft.com/windowsazure"><SourceDeployment>nobody</SourceDeployment></Swap>' });
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown.body)).toMatchObject({ code: 'ResourceNotFound', message: expect.stringContaining('No deployment named nobody') });
    const empty = await rest(api(alice, '/services/hostedservices/swapped'), { caPem, ...asAlice, method: 'POST', body: '<Swap xmlns="http://schemas.microsoft.com/windowsazure"><Production>green</Production></Swap>' });
    expect(empty.status).toBe(400);
  }, 120_000);
});
