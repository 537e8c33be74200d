// The classic cross-platform azure CLI (azure-cli 0.10, asm mode) against Fabric Lab, unchanged: it imports
// the publish settings Fabric Lab wrote (PKCS#12 with an empty password, 3DES), trusts the CA through
// NODE_EXTRA_CA_CERTS, and lists, shows and reads the deployment of a service deployed through the API.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fabric } from '../../src-main/fabric/fabric';
import { startManagementFace, type ManagementFace } from '../../src-main/management/management-face';
import { hostWorkerUrl } from '../support/built';
import { waitFor } from '../support/fabric-helpers';
import { rest, runAzureCli } from '../support/management-clients';

const sampleDir = new URL('../../resources/samples/hello-worker/', import.meta.url);

let fabric: Fabric;
let face: ManagementFace;
let folder: string;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'fabric-lab-azure-cli-'));
  fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 5, batchIntervalMs: 10 });
  face = await startManagementFace(fabric, { folder: join(folder, 'management') });
}, 60_000);

afterAll(async () => {
  await face?.close();
  await fabric?.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('the classic azure CLI', () => {
  it('imports the publish settings and lists, shows and reads a deployed service', async () => {
    const subscription = face.connection.subscriptions[0]!;
    const env = { configDir: join(folder, 'azure'), caFile: join(folder, 'management', 'ca.pem') };
    const cli = async (...args: string[]) => {
      const result = await runAzureCli(args, env);
      expect(result.status, `azure ${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
      return result.stdout;
    };
    await cli('config', 'mode', 'asm');
    // Like any cloud that is not Azure's public one, Fabric Lab is an environment the CLI is told about first.
    await cli('account', 'env', 'add', 'FabricLab', '--management-endpoint-url', face.server.url, '--active-directory-resource-id', face.server.url, '--active-directory-endpoint-url', face.server.url);
    expect(await cli('account', 'import', join(folder, 'management', subscription.publishSettingsFileName))).toMatch(/account import.*OK/);

    // The service and its deployment are made over plain HTTPS with the bearer token the folder holds.
    const token = readFileSync(join(folder, 'management', 'token'), 'utf8').trim();
    const caPem = face.connection.caPem;
    const base = `${face.server.url}/${subscription.id}/services/hostedservices`;
    const created = await rest(base, {
      method: 'POST',
      token,
      caPem,
      body: `<CreateHostedService xmlns="http://schemas.microsoft.com/windowsazure"><ServiceName>clitest</ServiceName><Label>${Buffer.from('CLI test').toString('base64')}</Label><Location>Local</Location></CreateHostedService>`,
    });
    expect(created.status).toBe(201);
    const configuration = readFileSync(new URL('ServiceConfiguration.cscfg', sampleDir));
    const deploy = await rest(`${base}/clitest/deploymentslots/production`, {
      method: 'POST',
      token,
      caPem,
      body: `<CreateDeployment xmlns="http://schemas.microsoft.com/windowsazure"><Name>clidep</Name><PackageUrl>${pathToFileURL(sampleDir.pathname).href}</PackageUrl><Label>${Buffer.from('cli').toString('base64')}</Label><Configuration>${configuration.toString('base64')}</Configuration><StartDeployment>true</StartDeployment></CreateDeployment>`,
    });
    expect(deploy.status).toBe(202);

    const list = JSON.parse(await cli('service', 'list', '--json')) as { serviceName: string }[];
    expect(list.map((s) => s.serviceName)).toEqual(['clitest']);
    const show = JSON.parse(await cli('service', 'show', 'clitest', '--json')) as { serviceName: string; properties: { label: string; location: string } };
    expect(show).toMatchObject({ serviceName: 'clitest', properties: { label: 'CLI test', location: 'Local' } });
    const deployment = await waitFor('ReadyRole through azure service deployment get-by-slot', async () => {
      const d = JSON.parse(await cli('service', 'deployment', 'get-by-slot', 'clitest', 'Production', '--json')) as { name: string; status: string; roleInstances: { instanceName: string; instanceStatus: string }[] };
      return d.roleInstances.length === 2 && d.roleInstances.every((i) => i.instanceStatus === 'ReadyRole') && d;
    }, 90_000);
    expect(deployment).toMatchObject({ name: 'clidep', status: 'Running' });

    const unknown = await runAzureCli(['service', 'show', 'nosuch', '--json'], env);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stdout + unknown.stderr).toMatch(/nosuch/);
  }, 240_000);
});
