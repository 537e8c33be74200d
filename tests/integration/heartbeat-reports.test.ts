// What a host tells the fabric of its guests' heartbeats (host-heartbeat.ts `beat`): every heartbeat counted,
// but each guest reported at most about once a real second (every 100 emulated s at 100x), so the
// fabric's main thread does not take every guest at every host heartbeat; the host's own heartbeat, every 5
// emulated seconds, is written in its heartbeat register, which the controller reads when it probes its hosts
// (every heartbeat at low scales, about every quarter real second when the real floor is the longer silence).
// When a heartbeat crosses without a register: tests/integration/host-worker-messages.test.ts.
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

// Emulated times are float ms near 1.8e12: a 5 s step comes out as 5000.0002.
const gapsOf = (times: number[]) => times.slice(1).map((t, i) => Math.round(t - times[i]!));

describe('guest heartbeats as the fabric hears them', () => {
  it('at 100x: each guest about every 100 emulated s with every beat counted, the host read about every 25 s', async () => {
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
      // Read about every quarter real second, 25 emulated s (a heartbeat carrying a guest heard after its boot is
      // heard sooner); a probe late on a busy machine reads later, but never as late as the 60 s host timeout.
      expect(Math.max(...gaps)).toBeLessThan(60_000);
      expect(gaps.filter((g) => g >= 20_000).length).toBeGreaterThan(gaps.length / 2);
    }
  }, 90_000);

  it('the controller reads a host’s heartbeats every heartbeat (5 emulated s) while the emulated timeout is the longer silence', async () => {
    fabric = await Fabric.start({
      hostWorkerUrl,
      timeScale: 100,
      seed: 7,
      batchIntervalMs: 10,
      // 150 real ms are 15 emulated s at 100x: the 20 s timeout is the longer silence, and an eighth of it is under a heartbeat.
      hostSilenceFloorMs: 150,
      timings: { hostHeartbeatTimeout: 20_000 },
      pools: [{ name: 'Pool A', region: 'Local', hosts: 2, spareHosts: 0, coresPerHost: 8, faultDomains: 2 }],
    });
    const hostBeats = hostFigures(fabric, (h) => h.lastHeartbeat);
    await waitFor('eight heartbeats of each host', async () => hostBeats.size === 2 && [...hostBeats.values()].every((b) => b.length >= 8), 30_000);
    for (const beats of hostBeats.values()) {
      const gaps = gapsOf(beats.slice(1)); // the first is the host's ready, off the heartbeats' 5 s grid
      // A probe and a heartbeat both every 5 emulated s: a probe just before a beat reads the one before, so 5 s
      // or 10 s apart, never the quarter second's 25 s, never near the 20 s timeout.
      expect(gaps.every((g) => g % 5_000 === 0)).toBe(true);
      expect(gaps.reduce((a, b) => a + b, 0) / gaps.length).toBeLessThanOrEqual(10_000);
      expect(Math.max(...gaps)).toBeLessThan(20_000);
    }
    expect((await fabric.getSnapshot()).hosts.every((h) => h.health === 'Healthy')).toBe(true);
  }, 60_000);

  it('at 1000x with the 2 s real floor: read about every quarter real second (250 emulated s), and no host is lost', async () => {
    fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 8, batchIntervalMs: 10, pools: [{ name: 'Pool A', region: 'Local', hosts: 2, spareHosts: 0, coresPerHost: 8, faultDomains: 2 }] });
    const hostBeats = hostFigures(fabric, (h) => h.lastHeartbeat);
    await waitFor('eight readings of each host', async () => hostBeats.size === 2 && [...hostBeats.values()].every((b) => b.length >= 8), 30_000);
    for (const beats of hostBeats.values()) {
      const gaps = gapsOf(beats);
      // Every 5 emulated s was 200 probes a real second; the floor makes a failure take 2 real s anyway.
      expect(gaps.filter((g) => g >= 200_000).length).toBeGreaterThan(gaps.length / 2);
    }
    expect((await fabric.getSnapshot()).hosts.every((h) => h.health === 'Healthy')).toBe(true);
  }, 60_000);

  it('each host agent reports its thread\'s heap with its heartbeats, about once a real second', async () => {
    fabric = await Fabric.start({ hostWorkerUrl, timeScale: 100, seed: 6, batchIntervalMs: 10, pools: [{ name: 'Pool A', region: 'Local', hosts: 2, spareHosts: 0, coresPerHost: 8, faultDomains: 2 }] });
    const heaps = hostFigures(fabric, (h) => h.agentHeapUsed);
    await fabric.deploy({ sample: 'hello-worker' });
    // Each host's figure changes as its thread works: three reports of each.
    await waitFor('three heap reports from each host', async () => heaps.size === 2 && [...heaps.values()].every((h) => h.length >= 3), 30_000);
    for (const list of heaps.values()) for (const heap of list) expect(heap).toBeGreaterThan(2 ** 20);
    expect((await fabric.getSnapshot()).hosts.every((h) => (h.agentHeapUsed ?? 0) > 2 ** 20)).toBe(true);
  }, 60_000);
});
