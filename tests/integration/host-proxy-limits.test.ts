// A host worker runs with its young generation capped (host-proxy.ts): V8 in the thread reports the cap in force.
import type { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';
import { HostProxy, hostYoungGenerationMb } from '../../src-main/fabric/host-proxy';
import { hostWorkerUrl } from '../support/built';

it('starts each host worker with its young generation capped', async () => {
  const proxy = new HostProxy('limits-host', hostWorkerUrl, () => {}, () => {});
  try {
    const worker = (proxy as unknown as { worker: Worker }).worker;
    await new Promise((resolve) => worker.once('online', resolve));
    expect(worker.resourceLimits?.maxYoungGenerationSizeMb).toBe(hostYoungGenerationMb);
    expect(hostYoungGenerationMb).toBeLessThanOrEqual(8);
  } finally {
    await proxy.terminate();
  }
});
