// `fabric-lab upgrade` and `fabric-lab walk` against a running Fabric Lab's Service Management API: a Manual
// upgrade of the sample is walked domain by domain from the command line, `status` shows where it stands, and
// bad command lines (a mode Azure does not have, a domain that is not a number) and refusals (a domain that does
// not exist) end with their exit status and a line saying why.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fabric } from '../../src-main/fabric/fabric';
import { startManagementFace, type ManagementFace } from '../../src-main/management/management-face';
import { main } from '../../src-main/serve/cli';
import { hostWorkerUrl } from '../support/built';
import { waitFor } from '../support/fabric-helpers';

const sample = fileURLToPath(new URL('../../resources/samples/hello-worker/', import.meta.url));
const cscfg = join(sample, 'ServiceConfiguration.cscfg');

let fabric: Fabric;
let face: ManagementFace;
let folder: string;
let settings: string;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'fabric-lab-cli-upgrade-'));
  fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 29, batchIntervalMs: 10, sessionDir: join(folder, 'session') });
  face = await startManagementFace(fabric, { folder: join(folder, 'session', 'management') });
  settings = join(folder, 'session', 'management', face.connection.subscriptions[0]!.publishSettingsFileName);
}, 60_000);

afterAll(async () => {
  await face?.close();
  await fabric?.close();
  rmSync(folder, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main([...args, '--publish-settings', settings], { out: (t) => (out += t.endsWith('\n') ? t : `${t}\n`), err: (t) => (err += t.endsWith('\n') ? t : `${t}\n`) });
  return { code, out, err };
}

describe('fabric-lab upgrade and walk', () => {
  it('walks a Manual upgrade from the command line and refuses bad walks', async () => {
    expect((await cli('deploy', 'clisvc', sample, cscfg)).code).toBe(0);
    await waitFor('both instances ReadyRole', async () => {
      const status = await cli('status', 'clisvc', '--json');
      const view = JSON.parse(status.out) as { instances: { status: string }[] };
      return view.instances.length === 2 && view.instances.every((i) => i.status === 'ReadyRole');
    }, 60_000);

    const sideways = await cli('upgrade', 'clisvc', sample, cscfg, '--mode', 'sideways');
    expect([sideways.code, sideways.err]).toEqual([2, expect.stringContaining('--mode must be Auto, Manual or Simultaneous')]);
    const upgrade = await cli('upgrade', 'clisvc', sample, cscfg, '--mode', 'manual');
    expect([upgrade.code, upgrade.out]).toEqual([0, expect.stringContaining('(Manual): Succeeded.')]);
    expect((await cli('status', 'clisvc')).out).toContain('Upgrade (Manual): upgrade domain 0 waits to be walked');

    const notNumber = await cli('walk', 'clisvc', 'one');
    expect([notNumber.code, notNumber.err]).toEqual([2, expect.stringContaining('a number from 0 to 19')]);
    const missing = await cli('walk', 'clisvc', '9');
    expect([missing.code, missing.err]).toEqual([1, expect.stringContaining('Upgrade domain 9 does not exist')]);
    expect((await cli('walk', 'clisvc', '0')).code).toBe(0);
    expect((await cli('status', 'clisvc')).out).toContain('upgrade domain 1 waits to be walked');
    const last = await cli('walk', 'clisvc', '1', '--json');
    expect([last.code, JSON.parse(last.out)]).toEqual([0, { requestId: expect.any(String), status: 'Succeeded' }]);
    const done = JSON.parse((await cli('status', 'clisvc', '--json')).out) as { status: string; upgrade: unknown };
    expect(done).toMatchObject({ status: 'Running', upgrade: null });
    // Nothing left to roll back: refused with the reason, exit 1; then a Manual upgrade walked once is rolled back.
    const nothing = await cli('rollback', 'clisvc');
    expect([nothing.code, nothing.err]).toEqual([1, expect.stringContaining('no upgrade in progress')]);
    expect((await cli('upgrade', 'clisvc', sample, cscfg, '--mode', 'manual')).code).toBe(0);
    expect((await cli('walk', 'clisvc', '0')).code).toBe(0);
    const back = await cli('rollback', 'clisvc');
    expect([back.code, back.out]).toEqual([0, expect.stringContaining('Roll back the upgrade of clisvc (production): Succeeded.')]);
    expect(JSON.parse((await cli('status', 'clisvc', '--json')).out)).toMatchObject({ status: 'Running', upgrade: null });
    // Manual: the rollback is set up, and `walk` walks the domain back.
    expect((await cli('upgrade', 'clisvc', sample, cscfg, '--mode', 'manual')).code).toBe(0);
    expect((await cli('walk', 'clisvc', '0')).code).toBe(0);
    const badMode = await cli('rollback', 'clisvc', '--mode', 'sideways');
    expect([badMode.code, badMode.err]).toEqual([2, expect.stringContaining('--mode must be Auto or Manual, not "sideways"')]);
    expect((await cli('rollback', 'clisvc', '--mode', 'manual')).code).toBe(0);
    expect((await cli('status', 'clisvc')).out).toContain('upgrade domain 0 waits to be walked');
    expect((await cli('walk', 'clisvc', '0')).code).toBe(0);
    expect(JSON.parse((await cli('status', 'clisvc', '--json')).out)).toMatchObject({ status: 'Running', upgrade: null });
  }, 120_000);
});

describe('fabric-lab swap', () => {
  it('moves a lone staging deployment to production, swaps it back with a new staging one, and refuses a service with nothing to swap', async () => {
    expect((await cli('deploy', 'swapsvc', sample, cscfg, '--slot', 'staging', '--name', 'first')).code).toBe(0);
    const moved = await cli('swap', 'swapsvc');
    expect([moved.code, moved.out]).toEqual([0, expect.stringContaining('Swap the deployments of swapsvc: Succeeded.')]);
    expect(JSON.parse((await cli('status', 'swapsvc', '--slot', 'production', '--json')).out)).toMatchObject({ name: 'first' });
    expect((await cli('deploy', 'swapsvc', sample, cscfg, '--slot', 'staging', '--name', 'second')).code).toBe(0);
    expect((await cli('swap', 'swapsvc', '--json')).code).toBe(0);
    expect(JSON.parse((await cli('status', 'swapsvc', '--slot', 'production', '--json')).out)).toMatchObject({ name: 'second' });
    expect(JSON.parse((await cli('status', 'swapsvc', '--slot', 'staging', '--json')).out)).toMatchObject({ name: 'first' });

    expect((await cli('deploy', 'emptysvc', sample, cscfg)).code).toBe(0);
    expect((await cli('delete', 'emptysvc')).code).toBe(0);
    const nothing = await cli('swap', 'emptysvc');
    expect([nothing.code, nothing.err]).toEqual([2, expect.stringContaining('has no deployment to swap')]);
    const unknown = await cli('swap', 'nosuchsvc');
    expect(unknown.code).toBe(1);
  }, 120_000);
});
