// A host worker runs with its heap limited (host-proxy.ts): V8 in the thread reports the limits in force, and a host
// that outgrows its old generation ends alone, with the reason heard by the fabric.
import type { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';
import type { FromHost } from '../../src-main/common/host-protocol';
import { HostProxy, hostOldGenerationMb, hostYoungGenerationMb } from '../../src-main/fabric/host-proxy';
import { hostWorkerUrl } from '../support/built';

const workerOf = (proxy: HostProxy): Worker => (proxy as unknown as { worker: Worker }).worker;
const online = (proxy: HostProxy): Promise<unknown> => new Promise((resolve) => workerOf(proxy).once('online', resolve));

it('starts each host worker with its young and old generations limited', async () => {
  const proxy = new HostProxy('limits-host', hostWorkerUrl, () => {}, () => {});
  try {
    await online(proxy);
    expect(workerOf(proxy).resourceLimits?.maxYoungGenerationSizeMb).toBe(hostYoungGenerationMb);
    expect(workerOf(proxy).resourceLimits?.maxOldGenerationSizeMb).toBe(hostOldGenerationMb);
    expect(hostYoungGenerationMb).toBeLessThanOrEqual(8);
  } finally {
    await proxy.terminate();
  }
});

it('ends a host that outgrows its old generation, reports why, and leaves the fabric process serving', async () => {
  // A stand-in for a host OS that leaks: it keeps every 800 KB array it makes.
  const leaking = new URL(`data:text/javascript,${encodeURIComponent('const kept = []; for (;;) kept.push(new Array(100000).fill(kept.length));')}`);
  const heard: FromHost[] = [];
  const exited = new Promise<string>((resolve) => new HostProxy('leaking-host', leaking, (message) => heard.push(message), resolve));
  expect(await exited).toMatch(/^host worker exited with code \d+$/);
  expect(heard).toContainEqual({ type: 'error', message: expect.stringMatching(/memory limit/i) });
  // The process that ran it goes on: a healthy host still boots beside it.
  const proxy = new HostProxy('healthy-host', hostWorkerUrl, () => {}, () => {});
  try {
    await online(proxy);
  } finally {
    await proxy.terminate();
  }
}, 30_000);
