import { describe, expect, it } from 'vitest';
import { newestFirst } from '../../src-renderer/lib/event-order';
import { formatViewHash, parseViewHash } from '../../src-renderer/lib/view-hash';

describe('the view in the URL hash', () => {
  it('round-trips the selected instance and the open panel', () => {
    const view = { instanceId: 'deployment1(1)/WorkerRole1_IN_0', panel: 'logs' as const };
    const hash = formatViewHash(view);
    expect(hash).toBe('#instance=deployment1%281%29%2FWorkerRole1_IN_0&panel=logs');
    expect(parseViewHash(hash)).toEqual(view);
    expect(parseViewHash(formatViewHash({ instanceId: null, panel: 'settings' }))).toEqual({ instanceId: null, panel: 'settings' });
    expect(formatViewHash({ instanceId: null, panel: null })).toBe('');
  });

  it('ignores what it does not know, and an instance panel without an instance', () => {
    expect(parseViewHash('#panel=format-disk&instance=')).toEqual({ instanceId: null, panel: null });
    expect(parseViewHash('#panel=events')).toEqual({ instanceId: null, panel: null });
    expect(parseViewHash('')).toEqual({ instanceId: null, panel: null });
  });
});

describe('the events list order', () => {
  it('is by emulated time, newest first, not by the order the file recorded them', () => {
    const event = (seq: number, at: number) => ({ kind: 'fabric-error' as const, seq, at, source: 'h', message: '' });
    // seq 2 was recorded after seq 1 but happened before it (a host whose turn came late).
    expect(newestFirst([event(2, 100), event(1, 200), event(3, 200)]).map((e) => e.seq)).toEqual([3, 1, 2]);
  });
});
