// fabric-lab as a client of a running Fabric Lab: every verb reads the publish settings Fabric Lab wrote and
// talks to its Service Management API over mutual TLS. Deploy the sample, follow its status to ReadyRole,
// reboot and reimage an instance, export the session, delete; and the bad command lines and refusals.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { Fabric } from '../../src-main/fabric/fabric';
import { startManagementFace, type ManagementFace } from '../../src-main/management/management-face';
import { main } from '../../src-main/serve/cli';
import { hostWorkerUrl } from '../support/built';
import { waitFor } from '../support/fabric-helpers';

const sample = fileURLToPath(new URL('../../resources/samples/hello-worker/', import.meta.url));

let fabric: Fabric;
let face: ManagementFace;
let folder: string;
let settings: string;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'fabric-lab-cli-remote-'));
  // As browser mode with --session lays it out: the credentials in the session folder's management/.
  fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 21, batchIntervalMs: 10, sessionDir: join(folder, 'session') });
  face = await startManagementFace(fabric, { folder: join(folder, 'session', 'management') });
  settings = join(folder, 'session', 'management', face.connection.subscriptions[0]!.publishSettingsFileName);
}, 60_000);

afterAll(async () => {
  await face?.close();
  await fabric?.close();
  rmSync(folder, { recursive: true, force: true });
});

function zipEntryNames(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error ?? new Error('no zip'));
      const names: string[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        names.push(entry.fileName);
        zip.readEntry();
      });
      zip.on('end', () => resolve(names));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t.endsWith('\n') ? t : `${t}\n`), err: (t) => (err += t.endsWith('\n') ? t : `${t}\n`) });
  return { code, out, err };
}

describe('fabric-lab against a running Fabric Lab', () => {
  it('deploys, follows the status to ReadyRole, reboots, reimages, exports and deletes', async () => {
    expect(await cli('services', '--publish-settings', settings)).toMatchObject({ code: 0, out: 'No hosted services in Fabric Lab.\n' });

    const deployed = await cli('deploy', 'hello', sample, join(sample, 'ServiceConfiguration.cscfg'), '--publish-settings', settings);
    expect(deployed.err).toBe('');
    expect(deployed.code).toBe(0);
    expect(deployed.out).toMatch(/Created hosted service hello in Local\.\nCreate deployment hello-production in hello \(production\): request [0-9a-f]{32}\n.*Succeeded\.\n/);

    const ready = await waitFor('ReadyRole through fabric-lab status --json', async () => {
      const status = await cli('status', 'hello', '--publish-settings', settings, '--json');
      const view = JSON.parse(status.out) as { status: string; instances: { name: string; status: string; powerState: string }[] };
      return view.instances.length === 2 && view.instances.every((i) => i.status === 'ReadyRole') && view;
    }, 60_000);
    expect(ready).toMatchObject({ status: 'Running', instances: [{ powerState: 'Started' }, { powerState: 'Started' }] });
    const listed = JSON.parse((await cli('services', '--publish-settings', settings, '--json')).out) as unknown;
    expect(listed).toEqual([{ name: 'hello', location: 'Local', deployments: [{ name: 'hello-production', slot: 'Production', status: 'Running' }] }]);

    const reboot = await cli('reboot', 'hello', 'WorkerRole1_IN_0', '--publish-settings', settings);
    expect([reboot.code, reboot.err]).toEqual([0, '']);
    expect(reboot.out).toMatch(/Reboot WorkerRole1_IN_0: Succeeded\./);
    const reimage = await cli('reimage', 'hello', 'WorkerRole1_IN_1', '--publish-settings', settings, '--json');
    expect(reimage.code).toBe(0);
    expect(JSON.parse(reimage.out)).toMatchObject({ status: 'Succeeded' });
    const rebuild = await cli('rebuild', 'hello', 'WorkerRole1_IN_1', '--publish-settings', settings);
    expect([rebuild.code, rebuild.out]).toEqual([0, expect.stringMatching(/Rebuild WorkerRole1_IN_1: Succeeded\./)]);

    const zip = join(folder, 'session.zip');
    const exported = await cli('export', zip, '--publish-settings', settings);
    expect([exported.code, exported.err]).toEqual([0, '']);
    expect(statSync(zip).size).toBeGreaterThan(1000);
    // The session's logs, never the credentials kept beside them.
    const names = await zipEntryNames(zip);
    expect(names).toContain('fabric/front-end/FrontEnd.log');
    expect(names.filter((n) => n.includes('management/') || n.endsWith('.pem') || n.endsWith('.publishsettings'))).toEqual([]);
    const again = await cli('export', zip, '--publish-settings', settings);
    expect([again.code, again.err]).toEqual([2, `fabric-lab: ${zip} already exists; choose a new file\n`]);

    const deleted = await cli('delete', 'hello', '--service', '--publish-settings', settings);
    expect([deleted.code, deleted.err]).toEqual([0, '']);
    expect(deleted.out).toMatch(/Deleted hosted service hello\./);
    expect((await cli('services', '--publish-settings', settings)).out).toBe('No hosted services in Fabric Lab.\n');
  }, 180_000);

  it('names what is wrong: no publish settings, a file that is not one, a bad slot, what the API refused', async () => {
    const saved = process.env.FABRIC_LAB_PUBLISH_SETTINGS;
    delete process.env.FABRIC_LAB_PUBLISH_SETTINGS;
    try {
      expect(await cli('services')).toMatchObject({ code: 2, err: expect.stringContaining('--publish-settings FILE') as string });
    } finally {
      if (saved !== undefined) process.env.FABRIC_LAB_PUBLISH_SETTINGS = saved;
    }
    const notSettings = join(folder, 'not.publishsettings');
    writeFileSync(notSettings, '<PublishData>\n  <Oops>\n</PublishData>');
    expect(await cli('services', '--publish-settings', notSettings)).toMatchObject({ code: 1, err: expect.stringMatching(/not\.publishsettings:\d+:\d+: /) as string });
    expect(await cli('services', '--publish-settings', join(folder, 'missing.publishsettings'))).toMatchObject({ code: 1, err: expect.stringContaining('ENOENT') as string });
    expect(await cli('status', 'x', '--slot', 'blue', '--publish-settings', settings)).toMatchObject({ code: 2, err: 'fabric-lab: --slot must be production or staging, not "blue"\n' });
    const unknown = await cli('status', 'nosuch', '--publish-settings', settings);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/^fabric-lab: ResourceNotFound: The hosted service nosuch does not exist\. \(request [0-9a-f]{32}\)\n$/);
    const badConfig = join(folder, 'bad.cscfg');
    writeFileSync(badConfig, '<ServiceConfiguration serviceName="HelloWorker" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration"><Role name="WorkerRole1"><Instances count="0" /></Role></ServiceConfiguration>');
    const refused = await cli('deploy', 'badcfg', sample, badConfig, '--publish-settings', settings);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/BadRequest: .*ServiceConfiguration\.cscfg:1:\d+: error \[/);
  }, 60_000);
});
