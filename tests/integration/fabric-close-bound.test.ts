// A close that runs past its bound powers this process's hosts off at once (PoolHosts.powerOffAll): ending the thread
// that owns them would end them one after another, each waited for (Node joins a thread's workers in turn), 18 s for
// 64 busy hosts. The fabric's own power-off, then the fabric thread's bound that uses it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it, vi } from 'vitest';
import { Fabric } from '../../src-main/fabric/fabric';
import { startFabricThread } from '../../src-main/fabric-thread/fabric-thread';
import { hostWorkerUrl } from '../support/built';
import { deployReady } from '../support/fabric-helpers';

const folder = mkdtempSync(join(tmpdir(), 'fabric-close-bound-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());
const pools = [{ name: 'Pool A', region: 'Local', hosts: 3, spareHosts: 0, coresPerHost: 4, faultDomains: 2 }];
const hostLog = (session: string, host: string) => readFileSync(join(session, 'fabric', 'hosts', host, 'HostAgent.log'), 'utf8');

it('powers every host off at once, without a shutdown and without a restart, and still closes', async () => {
  const sessionDir = join(folder, 'in-process');
  const fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 4, pools, sessionDir });
  try {
    await deployReady(fabric);
    expect(await fabric.powerOffHosts()).toBe(3);
    const hosts = (await fabric.getSnapshot()).hosts;
    expect(hosts.map((h) => h.health)).toEqual(['Off', 'Off', 'Off']);
    // Give a restart time to happen (at 1000x the controller's silence rule is milliseconds): none does.
    await new Promise((r) => setTimeout(r, 500));
    expect((await fabric.getSnapshot()).hosts.map((h) => h.health)).toEqual(['Off', 'Off', 'Off']);
    for (const h of hosts) {
      const log = hostLog(sessionDir, h.id);
      expect(log.match(/Host agent started/g)).toHaveLength(1);
      expect(log).not.toContain('Host agent shutting down.');
    }
    expect(await fabric.powerOffHosts()).toBe(0); // nothing left running
  } finally {
    await fabric.close();
  }
}, 30_000);

it('in its own thread, powers the hosts off once a close runs past its bound, and says so', async () => {
  const said = vi.spyOn(console, 'error').mockImplementation(() => {});
  const sessionDir = join(folder, 'thread');
  // A bound of 0: the bound's path at once, with all three hosts still running (a bound of 1 ms raced the close's own
  // shutdown of the hosts on a loaded machine).
  const fabric = await startFabricThread({ hostWorkerUrl, timeScale: 1000, seed: 4, pools, sessionDir, closeBoundMs: 0 });
  await deployReady(fabric);
  await fabric.close();
  expect(said).toHaveBeenCalledWith('Fabric Lab: the fabric did not close within 0 s; its 3 host threads were powered off at once.');
}, 30_000);
