// The fabric keeps the charts' samples, bounded, so a reloaded page redraws the session so far.
import { describe, expect, it } from 'vitest';
import type { ChartSample } from '../../src-main/common/chart-history';
import type { FabricEventBatch } from '../../src-main/common/fabric-api';
import { ChartHistory, keptChartSamples } from '../../src-main/fabric/chart-history';
import { toHistoryPoint } from '../../src-renderer/lib/status-history';

const moved: FabricEventBatch = { seq: 1, events: [{ type: 'instance-removed', id: 'd/A_IN_0' }], records: [] };
const clockOnly: FabricEventBatch = { seq: 1, events: [{ type: 'clock', clock: { now: 0, scale: 1, keptScale: 1, paused: false, seed: 1 } }], records: [] };

describe('the fabric’s chart history', () => {
  it('samples when instances or hosts moved, keeps a bounded history, and ends with a sample taken now', () => {
    let at = 0;
    const history = new ChartHistory((): ChartSample => ({ at: (at += 1000), byStatus: { ReadyRole: at / 1000 }, coresByPool: { 'pool-1': 2 } }), 0);
    history.onBatch(clockOnly);
    expect(history.samples()).toHaveLength(1); // only the one taken for the snapshot
    for (let i = 0; i < 1000; i++) history.onBatch(moved);
    const samples = history.samples();
    expect(samples.length).toBeLessThanOrEqual(keptChartSamples);
    expect(samples.length).toBeGreaterThan(keptChartSamples / 2);
    // Thinned, not forgotten: the first sample of the session is still there, and the last one is now.
    expect(samples[0]!.at).toBe(2000);
    expect(samples.at(-1)!.at).toBe(at);
    expect(samples.every((s, i) => i === 0 || s.at > samples[i - 1]!.at)).toBe(true);
  });

  it('samples at most once per interval however many batches go out', () => {
    let taken = 0;
    const history = new ChartHistory(() => ({ at: ++taken, byStatus: {}, coresByPool: {} }), 60_000);
    for (let i = 0; i < 50; i++) history.onBatch(moved);
    expect(taken).toBe(1);
  });

  it('reads as the renderer’s chart point, statuses counted by tone', () => {
    const point = toHistoryPoint({ at: 5, byStatus: { ReadyRole: 3, BusyRole: 1, RestartingRole: 2, StoppedVM: 1 }, coresByPool: { 'pool-1': 7 } });
    expect(point).toEqual({ at: 5, byTone: { ready: 3, busy: 3, progress: 0, stopping: 0, stopped: 1, failed: 0, unknown: 0 }, coresByPool: { 'pool-1': 7 } });
  });
});
