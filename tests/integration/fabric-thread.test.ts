// The fabric in a thread of its own (fabric-thread/), as the shells run it: the same FabricApi
// across the thread, events forwarded, the clock shared, the Service Management API served from there; bad
// commands and messages answered without harm; a thread that ends or cannot start is said, not hung on.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FabricEventBatch } from '../../src-main/common/fabric-api';
import { startFabricThread, type FabricThread } from '../../src-main/fabric-thread/fabric-thread';
import { hostWorkerUrl } from '../support/built';
import { deployReady, refusal, waitFor } from '../support/fabric-helpers';

const folder = mkdtempSync(join(tmpdir(), 'fabric-thread-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const pools = [{ name: 'Pool A', region: 'Local', hosts: 2, spareHosts: 0, coresPerHost: 4, faultDomains: 2 }];

describe('a fabric in its own thread', () => {
  let fabric: FabricThread;
  const batches: FabricEventBatch[] = [];
  beforeAll(async () => {
    fabric = await startFabricThread({ hostWorkerUrl, timeScale: 1000, seed: 3, batchIntervalMs: 10, pools, sessionDir: join(folder, 'session'), management: { folder: join(folder, 'management') } });
    fabric.onEvents((batch) => batches.push(batch));
  }, 30_000);
  afterAll(() => fabric?.close());

  it('runs the whole workflow behind the same FabricApi, its events pushed to this thread', async () => {
    expect(fabric.sessionDir).toBe(join(folder, 'session'));
    expect(fabric.threadId === null || Number.isInteger(fabric.threadId)).toBe(true);
    const ready = await deployReady(fabric);
    expect(ready.map((i) => i.status)).toEqual(['ReadyRole', 'ReadyRole']);
    // Pushed in the next batch (every 10 ms): the snapshot that said Ready may come before it.
    await waitFor('a ReadyRole record pushed to this thread', async () => batches.flatMap((b) => b.records).some((r) => r.kind === 'instance-status' && r.to === 'ReadyRole'));
    // The clock is shared memory: this thread reads what the fabric's thread set, without a message.
    await fabric.setClock({ scale: 250 });
    expect(fabric.clock.read().scale).toBe(250);
    const lag = await fabric.measureLag(200);
    expect(lag.p99Ms).toBeGreaterThan(0);
  }, 30_000);

  it('serves the Service Management API from the fabric thread', async () => {
    expect(fabric.management).toEqual({ url: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+$/) });
    // The "Connect tools" panel's connection is the one the thread's face set.
    expect((await fabric.getManagementConnection())?.url).toBe((fabric.management as { url: string }).url);
  });

  it('answers bad commands with the rule they broke, and keeps serving', async () => {
    const call = fabric as unknown as Record<string, (args: unknown) => Promise<unknown>>;
    expect((await refusal(call.changeInstanceCount!({ deploymentId: 'x', roleName: 'WorkerRole1', count: -1 }))).message).toMatch(/changeInstanceCount.*count/);
    expect((await refusal(fabric.deleteDeployment({ deploymentId: 'no-such' }))).code).toBe('NotFound');
    // An argument that cannot cross to the fabric's thread at all (a caller's bug: the shells pass parsed JSON).
    const uncloneable = await refusal(call.deploy!({ sample: () => 'hello-worker' }));
    expect(uncloneable.code).toBe('BadRequest');
    expect(uncloneable.message).toMatch(/^Bad argument to deploy: .*could not be cloned/);
    // An error a shell caught at its boundary is reported where a support engineer looks.
    fabric.reportError('Test', 'a shell-side error');
    await waitFor('the report', async () => batches.flatMap((b) => b.records).find((r) => r.kind === 'fabric-error' && r.message === 'a shell-side error'));
    expect((await fabric.getSnapshot()).hosts).toHaveLength(2);
  });
});

it('says why a fabric could not start (its hosts did not), in the start that failed', async () => {
  const missing = new URL('file:///nonexistent/host-worker.cjs');
  await expect(startFabricThread({ hostWorkerUrl: missing, workerUrl: new URL('fabric-worker.js', hostWorkerUrl), pools, sessionDir: join(folder, 'failed') })).rejects.toThrow(/^pool-1-host-0\d stopped before it was ready: host worker exited/);
}, 30_000);

it('reports a Service Management API that could not start, and runs the fabric without it', async () => {
  const blocked = join(folder, 'a-file');
  writeFileSync(blocked, 'not a folder');
  const fabric = await startFabricThread({ hostWorkerUrl, timeScale: 1000, pools, sessionDir: join(folder, 'no-management'), management: { folder: join(blocked, 'management') } });
  try {
    expect(fabric.management).toEqual({ error: expect.stringContaining('a-file') });
    expect((await fabric.getSnapshot()).hosts).toHaveLength(2);
  } finally {
    await fabric.close();
  }
  // Closed: a call is refused as by a fabric that has shut down, not left waiting.
  expect((await refusal(fabric.getSnapshot())).message).toBe('The fabric has been shut down.');
}, 30_000);

it('refuses calls with the reason once the fabric thread has ended, and says so once', async () => {
  // A stand-in fabric thread that starts, answers nothing, and ends.
  const script = `const { parentPort } = require('node:worker_threads');
parentPort.postMessage({ type: 'started', sessionDir: '/stand-in', clock: new SharedArrayBuffer(64), threadId: null, management: null });
setTimeout(() => process.exit(7), 50);`;
  const entry = join(folder, 'ending-fabric.cjs');
  writeFileSync(entry, script);
  const ended: string[] = [];
  const fabric = await startFabricThread({ hostWorkerUrl, workerUrl: new URL(`file://${entry}`), onEnded: (reason) => ended.push(reason) });
  const pending = fabric.getSnapshot();
  const error = await refusal(pending);
  expect(error.code).toBe('Internal');
  expect(error.message).toBe('The fabric is not running: its thread exited with code 7.');
  expect((await refusal(fabric.listSamples())).message).toMatch(/exited with code 7/);
  expect(ended).toEqual(['its thread exited with code 7']);
  await fabric.close(); // closing an ended fabric is harmless
});
