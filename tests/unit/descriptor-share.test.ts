import { describe, expect, it } from 'vitest';
import { logDescriptorShare, openFileLimit } from '../../src-main/fabric/descriptor-share';

describe("a host's share of the file descriptors", () => {
  it('shares 70% of the limit among the hosts, within 8 and 256 logs each', () => {
    // 313 hosts under a 20,000 limit (this machine): 44 logs each, 13,772 in all.
    expect(logDescriptorShare(313, 20_000)).toBe(44);
    expect(logDescriptorShare(4, 20_000)).toBe(256);
    expect(logDescriptorShare(5000, 1024)).toBe(8);
    expect(logDescriptorShare(0, 1024)).toBe(256);
  });

  it('reads the soft limit of this process', () => {
    expect(openFileLimit()).toBeGreaterThanOrEqual(256);
  });
});
