import { describe, expect, it } from 'vitest';
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
