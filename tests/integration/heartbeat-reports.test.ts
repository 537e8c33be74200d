// What a host tells the fabric of its guests' heartbeats (host-agent.ts `beat`): every heartbeat counted,
// but each guest reported at most about once a real second (every 100 emulated s at 100x), so the
// fabric's main thread does not take every guest at every host heartbeat; the host's own heartbeat, every 5
// emulated seconds, crosses to the fabric at most about every quarter of a real second (every 25 emulated s
// at 100x), never further apart than half the host timeout.
import { afterEach, describe, expect, it } from 'vitest';
import type { HostView } from '../../src-main/common/fabric-api';
import { Fabric } from '../../src-main/fabric/fabric';
import { hostWorkerUrl } from '../support/built';
import { guestHeartbeatOf, waitFor } from '../support/fabric-helpers';

let fabric: Fabric | null = null;
afterEach(async () => {
  await fabric?.close();
  fabric = null;
});

/** Each host's successive values of one figure of its view (its heartbeat's time, its heap), as the batches publish them. */
function hostFigures(on: Fabric, figure: (host: HostView) => number | null | undefined): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  on.onEvents((batch) => {
    for (const e of batch.events) {
      if (e.type !== 'host') continue;
      const value = figure(e.host);
      if (value === undefined || value === null) continue;
      const list = seen.get(e.host.id) ?? [];
      if (list.at(-1) !== value) list.push(value);
      seen.set(e.host.id, list);
    }
  });
  return seen;
}

const gapsOf = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

describe('guest heartbeats as the fabric hears them', () => {
  it('at 100x: each guest about every 100 emulated s with every beat counted, the host about every 25 s', async () => {
    fabric = await Fabric.start({ hostWorkerUrl, timeScale: 100, seed: 5, batchIntervalMs: 10, hostSilenceFloorMs: 60_000 });
    const reports = new Map<string, [number, number][]>(); // instance -> [count, at] as published
    const hostBeats = hostFigures(fabric, (h) => h.lastHeartbeat);
    fabric.onEvents((batch) => {
      for (const e of batch.events) {
        const beat = guestHeartbeatOf(e);
        if (!beat) continue;
        const list = reports.get(beat.instanceId) ?? [];
        if (list.at(-1)?.[0] !== beat.count) list.push([beat.count, beat.at]);
        reports.set(beat.instanceId, list);
      }
    });
    await fabric.deploy({ sample: 'hello-worker' });
    await waitFor('four reports of each guest', async () => reports.size === 2 && [...reports.values()].every((r) => r.length >= 4), 60_000);
    for (const list of reports.values()) {
      for (let i = 1; i < list.length; i++) {
        const [count, at] = list[i]!;
        const [before, beforeAt] = list[i - 1]!;
        expect(at - beforeAt).toBeGreaterThanOrEqual(80_000); // reports ~100 emulated s apart; these are the times of the beats they carry
        const interval = (at - beforeAt) / (count - before);
        expect(interval).toBeGreaterThanOrEqual(2_000); // every beat in between counted: one each 2-3 s
        expect(interval).toBeLessThanOrEqual(3_000);
      }
    }
    for (const beats of hostBeats.values()) {
      const gaps = gapsOf(beats);
      expect(gaps.length).toBeGreaterThan(4);
      // Never beyond half the 60 s host timeout (a heartbeat of 5 s of the host's own is late by at most the jitter
      // of a busy thread); mostly the quarter second of real time, 25 emulated s (a guest heard after its boot makes
      // one cross sooner).
      expect(Math.max(...gaps)).toBeLessThanOrEqual(35_000);
      expect(gaps.filter((g) => g >= 20_000).length).toBeGreaterThan(gaps.length / 2);
    }
  }, 90_000);

  it('crosses at least every half host timeout: with a 20 s timeout, every 10 emulated s at 100x, and no host is lost', async () => {
    fabric = await Fabric.start({
      hostWorkerUrl,
      timeScale: 100,
      seed: 7,
      batchIntervalMs: 10,
      timings: { hostHeartbeatTimeout: 20_000 },
      pools: [{ name: 'Pool A', region: 'Local', hosts: 2, spareHosts: 0, coresPerHost: 8, faultDomains: 2 }],
    });
    const hostBeats = hostFigures(fabric, (h) => h.lastHeartbeat);
    await waitFor('eight crossings of each host', async () => hostBeats.size === 2 && [...hostBeats.values()].every((b) => b.length >= 8), 30_000);
    for (const beats of hostBeats.values()) {
      const gaps = gapsOf(beats);
      // The quarter second (25 emulated s) would be longer than the timeout allows: half of it, 10 s, wins.
      expect(gaps.filter((g) => g === 10_000).length).toBeGreaterThan(gaps.length / 2);
      expect(Math.max(...gaps)).toBeLessThan(20_000);
    }
    expect((await fabric.getSnapshot()).hosts.every((h) => h.health === 'Healthy')).toBe(true);
  }, 60_000);

  it('each host agent reports its thread\'s heap with its heartbeat, about once a real second', async () => {
    fabric = await Fabric.start({ hostWorkerUrl, timeScale: 100, seed: 6, batchIntervalMs: 10, pools: [{ name: 'Pool A', region: 'Local', hosts: 2, spareHosts: 0, coresPerHost: 8, faultDomains: 2 }] });
    const heaps = hostFigures(fabric, (h) => h.agentHeapUsed);
    await fabric.deploy({ sample: 'hello-worker' });
    // Each host's figure changes as its thread works: three reports of each.
    await waitFor('three heap reports from each host', async () => heaps.size === 2 && [...heaps.values()].every((h) => h.length >= 3), 30_000);
    for (const list of heaps.values()) for (const heap of list) expect(heap).toBeGreaterThan(2 ** 20);
    expect((await fabric.getSnapshot()).hosts.every((h) => (h.agentHeapUsed ?? 0) > 2 ** 20)).toBe(true);
  }, 60_000);
});
