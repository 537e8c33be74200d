// The fabric keeps a pace its machine can hold (keepPace): a main thread held busy makes it run the clock
// slower than asked, every worker follows the kept scale, ClockState and the UI's events show both scales,
// the front end's log says why, and the asked scale comes back once the lag is gone. Off, the clock keeps
// the asked scale whatever the lag.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClockState } from '../../src-main/common/fabric-api';
import { Fabric } from '../../src-main/fabric/fabric';
import { hostWorkerUrl } from '../support/built';
import { deployReady, waitFor } from '../support/fabric-helpers';

let fabric: Fabric | null = null;
const cleanup: string[] = [];
afterEach(async () => {
  await fabric?.close();
  fabric = null;
  for (const dir of cleanup.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // the main thread held, as 64 busy host workers hold it on two cores
  }
};

async function start(keepPace: boolean): Promise<Fabric> {
  const sessionDir = mkdtempSync(join(tmpdir(), 'clock-pace-'));
  cleanup.push(sessionDir);
  // Judged every 200 ms; lag past 100 ms lowers the pace, two windows under 60 ms raise it (the defaults are 1 s, 20 and 8 ms).
  fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 7, batchIntervalMs: 10, sessionDir, keepPace: keepPace && { windowMs: 200, highLagMs: 100, lowLagMs: 60 } });
  return fabric;
}

describe('keeping pace', () => {
  it('runs the clock slower than asked while the main thread lags, shows both, and comes back', async () => {
    const api = await start(true);
    await deployReady(api);
    const clocks: ClockState[] = [];
    api.onEvents((batch) => {
      for (const event of batch.events) if (event.type === 'clock') clocks.push(event.clock);
    });
    busy(1_500);
    const slowed = await waitFor('a kept scale below the asked one', async () => clocks.find((c) => c.keptScale < c.scale));
    expect(slowed.scale).toBe(1000);
    expect((await api.getSnapshot()).clock.scale).toBe(1000);
    expect(readFileSync(join(api.sessionDir, 'fabric/front-end/FrontEnd.log'), 'utf8')).toMatch(/Time scale kept at [\d.]+x of 1000x asked: the fabric's event loop lagged \d+ ms/);
    // The host workers run on the same clock buffer, at the kept pace: their instances stay Ready.
    const snapshot = await api.getSnapshot();
    expect(snapshot.instances.every((i) => i.status === 'ReadyRole')).toBe(true);
    // The lag is gone: the pace climbs back to the asked scale.
    await waitFor('the asked scale kept again', async () => (await api.getSnapshot()).clock.keptScale === 1000, 60_000);
  }, 90_000);

  it('keeps the asked scale whatever the lag when off', async () => {
    const api = await start(false);
    busy(1_000);
    await new Promise((r) => setTimeout(r, 500));
    expect((await api.getSnapshot()).clock).toMatchObject({ scale: 1000, keptScale: 1000 });
    expect(await api.setClock({ scale: 10 })).toMatchObject({ scale: 10, keptScale: 10 });
  });
});
