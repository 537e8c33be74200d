// Upgrade Deployment and Walk Upgrade Domain through the Service Management API, driven by Microsoft's own
// azure-asm-compute over HTTPS (real host workers, 1000x): a Manual upgrade shows its UpgradeStatus in Get
// Deployment and walks one domain per call; a walk of a domain that does not exist, a package whose roles differ
// and a second operation while the upgrade holds the deployment are refused as Azure refused them.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fabric } from '../../src-main/fabric/fabric';
import { makeSubscription, type ManagementSubscription } from '../../src-main/management/management-credentials';
import { startManagementFace, type ManagementFace } from '../../src-main/management/management-face';
import { hostWorkerUrl } from '../support/built';
import { waitFor } from '../support/fabric-helpers';
import { asmComputeClient, call, errorOf, rest, type AsmCompute } from '../support/management-clients';

let fabric: Fabric;
let face: ManagementFace;
let folder: string;
let alice: ManagementSubscription;
let client: AsmCompute;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'fabric-lab-smapi-upgrade-'));
  alice = makeSubscription('Alice');
  writeFileSync(join(folder, 'subscriptions.json'), JSON.stringify([alice]));
  fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 17, batchIntervalMs: 10, sessionDir: join(folder, 'session') });
  face = await startManagementFace(fabric, { folder });
  client = asmComputeClient({ subscriptionId: alice.id, certificatePem: alice.certificatePem, keyPem: alice.keyPem, caPem: face.connection.caPem }, face.server.url);
}, 60_000);

afterAll(async () => {
  await face?.close();
  await fabric?.close();
  rmSync(folder, { recursive: true, force: true });
});

const ns = 'http://schemas.microsoft.com/ServiceHosting/2008/10/';
let made = 0;

/** A csx folder of worker role W (2 instances over 2 upgrade domains; `extraRole` adds role X) and its configuration. */
function service(version: string, extraRole = false): { packageUri: string; configuration: string } {
  const csx = join(folder, `v${++made}`, 'Walks.csx');
  mkdirSync(join(csx, 'roles/W/approot'), { recursive: true });
  writeFileSync(join(csx, 'roles/W/approot/version.txt'), version);
  const extra = extraRole ? '<WorkerRole name="X" vmsize="Small" />' : '';
  writeFileSync(join(csx, 'ServiceDefinition.csdef'), `<ServiceDefinition name="Walks" upgradeDomainCount="2" xmlns="${ns}ServiceDefinition"><WorkerRole name="W" vmsize="Small" />${extra}</ServiceDefinition>`);
  const roles = `<Role name="W"><Instances count="2" /></Role>${extraRole ? '<Role name="X"><Instances count="1" /></Role>' : ''}`;
  return { packageUri: pathToFileURL(csx).href, configuration: `<?xml version="1.0" encoding="utf-8"?>\n<ServiceConfiguration serviceName="Walks" xmlns="${ns}ServiceConfiguration">${roles}</ServiceConfiguration>` };
}

interface Deployment {
  status: string;
  privateId: string;
  locked: boolean;
  rollbackAllowed: boolean;
  label: string;
  upgradeStatus?: { upgradeType: string; currentUpgradeDomainState: string; currentUpgradeDomain: number };
  upgradeDomainCount: number;
  roleInstances: { instanceName: string; instanceStatus: string; instanceUpgradeDomain: number }[];
}

const get = () => call<Deployment>(client.deployments, 'getBySlot', 'walks', 'Production');
const api = (path: string) => `${face.server.url}/${alice.id}/services/hostedservices/walks/deploymentslots/production${path}`;
const auth = () => ({ caPem: face.connection.caPem, cert: { certificatePem: alice.certificatePem, keyPem: alice.keyPem } });
const walkXml = (domain: string | number) => `<WalkUpgradeDomain xmlns="http://schemas.microsoft.com/windowsazure"><UpgradeDomain>${domain}</UpgradeDomain></WalkUpgradeDomain>`;

describe('Upgrade Deployment through the Service Management API', () => {
  it('walks a Manual upgrade domain by domain, showing UpgradeStatus, and refuses what Azure refused', async () => {
    await call(client.hostedServices, 'create', { serviceName: 'walks', label: 'walks', location: 'Local' });
    const first = service('1');
    const created = await call<{ status: string }>(client.deployments, 'create', 'walks', 'Production', { name: 'walks-1', label: 'one', startDeployment: true, ...first });
    expect(created.status).toBe('Succeeded');
    await waitFor('both instances Ready', async () => {
      const d = await get();
      return d.roleInstances.length === 2 && d.roleInstances.every((i) => i.instanceStatus === 'ReadyRole') && d;
    }, 60_000);
    expect((await get()).upgradeStatus).toBeUndefined();

    // Roles added: refused, with the deployment as it was.
    const more = service('1b', true);
    const refused = await call(client.deployments, 'upgradeBySlot', 'walks', 'Production', { mode: 'Auto', label: 'more', force: false, ...more }).then(
      () => null,
      (error: { statusCode?: number; code?: string; message: string }) => error,
    );
    expect(refused).toMatchObject({ statusCode: 400, code: 'BadRequest', message: expect.stringContaining('adds X') });
    // A mode Azure does not have.
    const badMode = await rest(api('/?comp=upgrade'), { method: 'POST', ...auth(), body: `<UpgradeDeployment xmlns="http://schemas.microsoft.com/windowsazure"><Mode>Sideways</Mode><PackageUrl>${more.packageUri}</PackageUrl><Configuration>${Buffer.from(more.configuration).toString('base64')}</Configuration><Label>eA==</Label></UpgradeDeployment>` });
    expect([badMode.status, errorOf(badMode.body).message]).toEqual([400, expect.stringContaining('Auto, Manual or Simultaneous')]);

    // Manual: the Upgrade Deployment operation ends once set up; nothing is walked until asked.
    const second = service('2');
    const upgraded = await call<{ status: string }>(client.deployments, 'upgradeBySlot', 'walks', 'Production', { mode: 'Manual', label: 'two', force: false, ...second });
    expect(upgraded.status).toBe('Succeeded');
    let d = await get();
    expect(d).toMatchObject({ locked: true, label: 'two', upgradeDomainCount: 2, upgradeStatus: { upgradeType: 'Manual', currentUpgradeDomainState: 'Before', currentUpgradeDomain: 0 } });

    // The upgrade holds the deployment: a configuration change meanwhile is Azure's ConflictError.
    const change = await rest(api('/?comp=config'), { method: 'POST', ...auth(), body: `<ChangeConfiguration xmlns="http://schemas.microsoft.com/windowsazure"><Configuration>${Buffer.from(second.configuration).toString('base64')}</Configuration></ChangeConfiguration>` });
    expect([change.status, errorOf(change.body).code]).toEqual([409, 'ConflictError']);
    // A domain that does not exist, and one out of turn.
    const missing = await rest(api('/?comp=walkupgradedomain'), { method: 'POST', ...auth(), body: walkXml(7) });
    expect([missing.status, errorOf(missing.body).code, errorOf(missing.body).message]).toEqual([400, 'BadRequest', expect.stringContaining('Upgrade domain 7 does not exist')]);
    const notNumber = await rest(api('/?comp=walkupgradedomain'), { method: 'POST', ...auth(), body: walkXml('first') });
    expect(notNumber.status).toBe(400);
    const outOfTurn = await rest(api('/?comp=walkupgradedomain'), { method: 'POST', ...auth(), body: walkXml(1) });
    expect([outOfTurn.status, errorOf(outOfTurn.body).message]).toEqual([400, expect.stringContaining('the next one is 0')]);

    const walk0 = await call<{ status: string }>(client.deployments, 'walkUpgradeDomainByDeploymentSlot', 'walks', 'Production', { upgradeDomain: 0 });
    expect(walk0.status).toBe('Succeeded');
    d = await get();
    expect(d.upgradeStatus).toEqual({ upgradeType: 'Manual', currentUpgradeDomainState: 'Before', currentUpgradeDomain: 1 });
    const walk1 = await call<{ status: string }>(client.deployments, 'walkUpgradeDomainByDeploymentSlot', 'walks', 'Production', { upgradeDomain: 1 });
    expect(walk1.status).toBe('Succeeded');
    d = await get();
    expect(d).toMatchObject({ status: 'Running', locked: false, rollbackAllowed: false });
    expect(d.upgradeStatus).toBeUndefined();

    // Rollback in Manual mode: the domain walked goes back when it is walked again.
    await call(client.deployments, 'upgradeBySlot', 'walks', 'Production', { mode: 'Manual', label: 'two-b', force: false, ...service('2b') });
    await call(client.deployments, 'walkUpgradeDomainByDeploymentSlot', 'walks', 'Production', { upgradeDomain: 0 });
    expect(await get()).toMatchObject({ rollbackAllowed: true, upgradeStatus: { upgradeType: 'Manual', currentUpgradeDomain: 1 } });
    const rollback = await call<{ statusCode: number }>(client.deployments, 'rollbackUpdateOrUpgradeByDeploymentSlot', 'walks', 'Production', { mode: 'Manual', force: false });
    expect(rollback.statusCode).toBe(202);
    d = await waitFor('the rollback set up', async () => {
      const now = await get();
      return now.upgradeStatus?.currentUpgradeDomain === 0 && now.status === 'Running' && now;
    });
    expect(d).toMatchObject({ locked: true, rollbackAllowed: false, upgradeStatus: { upgradeType: 'Manual', currentUpgradeDomainState: 'Before', currentUpgradeDomain: 0 } });
    await call(client.deployments, 'walkUpgradeDomainByDeploymentSlot', 'walks', 'Production', { upgradeDomain: 0 });
    d = await get();
    expect(d).toMatchObject({ status: 'Running', locked: false });
    expect(d.upgradeStatus).toBeUndefined();
    const versions = d.roleInstances.map((i) => readFileSync(join(fabric.sessionDir, 'instances', d.privateId, i.instanceName, 'E', 'approot', 'version.txt'), 'utf8'));
    expect(versions).toEqual(['2', '2']);

    // Auto: one call, every domain walked, the instances Ready again.
    const third = await call<{ status: string }>(client.deployments, 'upgradeBySlot', 'walks', 'Production', { mode: 'Auto', label: 'three', force: true, ...service('3') });
    expect(third.status).toBe('Succeeded');
    d = await get();
    expect(d.roleInstances.every((i) => i.instanceStatus === 'ReadyRole')).toBe(true);
    // The walks are in FrontEnd.log (written in batches: read until they are there).
    await waitFor('the walks in FrontEnd.log', async () => /WalkUpgradeDomain deployment\d+\(\d+\) upgrade domain 1: accepted/.test(readFileSync(join(fabric.sessionDir, 'fabric', 'front-end', 'FrontEnd.log'), 'utf8')));
  }, 180_000);
});
