// The load balancer's thread starts with the first input endpoint, not with the fabric: a fabric whose
// deployments have none never pays for it. A stand-in thread says in FrontEnd.log when it starts and what it
// opens; a thread that ends is an ERROR there and starts again with every VIP opened again, a few times at most (one
// that cannot start would start for ever), and the fabric goes on serving.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Fabric } from '../../src-main/fabric/fabric';
import { loadBalancerRestarts } from '../../src-main/fabric/load-balancer/load-balancer';
import { hostWorkerUrl } from '../support/built';
import { waitFor } from '../support/fabric-helpers';

const standInLoadBalancer = new URL(
  `data:text/javascript,${encodeURIComponent(`
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m.type === 'init') parentPort.postMessage({ type: 'log', level: 'INFO', message: 'stand-in load balancer thread started' });
  if (m.type === 'open') parentPort.postMessage({ type: 'log', level: 'INFO', message: 'stand-in opens ' + m.endpoints.map((e) => e.name).join(', ') });
  if (m.type === 'read') parentPort.postMessage({ type: 'traffic', id: m.id, at: 0, endpoints: [], runs: [] });
  if (m.type === 'shutdown') process.exit(0);
});`)}`,
);
/** A stand-in that crashes once, in its first traffic run (the file says it already did), then lives. */
const crashOnce = (marker: string) =>
  new URL(
    `data:text/javascript,${encodeURIComponent(`
import { parentPort } from 'node:worker_threads';
import { existsSync, writeFileSync } from 'node:fs';
const marker = ${JSON.stringify(marker)};
const runs = [];
parentPort.on('message', (m) => {
  if (m.type === 'open') {
    parentPort.postMessage({ type: 'log', level: 'INFO', message: 'stand-in opens ' + m.endpoints.map((e) => e.name).join(', ') });
    parentPort.postMessage({ type: 'opened', deploymentId: m.deploymentId, endpoints: m.endpoints.map((e) => ({ name: e.name, port: 40000, note: '' })) });
  }
  if (m.type === 'start-run' && !existsSync(marker)) {
    writeFileSync(marker, 'crashed');
    const run = { id: m.id, deploymentId: m.deploymentId, endpointName: m.endpointName, url: m.plan.url, rate: m.plan.rate, concurrency: m.plan.concurrency, durationSeconds: 1, keepAlive: false, status: 'Running', startedAt: Date.now(), endedAt: null, progress: 0, sent: 1, served: 0, refused: 0, failed: 0, inFlight: 1, heldBack: 0, statuses: {}, latencyP50Ms: null, latencyP99Ms: null, bounds: [], error: null };
    runs.push(run);
    parentPort.postMessage({ type: 'traffic', at: Date.now(), endpoints: [], runs });
    setTimeout(() => process.exit(3), 10);
  }
  if (m.type === 'backends') parentPort.postMessage({ type: 'log', level: 'INFO', message: 'stand-in backends for ' + m.endpointName });
  if (m.type === 'read') parentPort.postMessage({ type: 'traffic', id: m.id, at: 0, endpoints: [], runs });
  if (m.type === 'shutdown') process.exit(0);
});`)}`,
  );
const brokenLoadBalancer = new URL(`data:text/javascript,${encodeURIComponent(`throw new Error('this load balancer cannot start');`)}`);

let fabric: Fabric | null = null;
afterEach(async () => {
  await fabric?.close();
  fabric = null;
});

const frontEndLog = (f: Fabric) => readFileSync(join(f.sessionDir, 'fabric', 'front-end', 'FrontEnd.log'), 'utf8');
const start = (loadBalancerWorkerUrl: URL) =>
  Fabric.start({ hostWorkerUrl, loadBalancerWorkerUrl, timeScale: 1000, seed: 3, batchIntervalMs: 10, pools: [{ name: 'Pool A', region: 'Local', hosts: 2, spareHosts: 0, coresPerHost: 8, faultDomains: 2 }] });

describe('the load balancer thread', () => {
  it('starts with the first deployment that has an input endpoint, once', async () => {
    fabric = await start(standInLoadBalancer);
    await fabric.deploy({ sample: 'hello-worker' }); // a worker role, no input endpoint
    await waitFor('hello-worker placed', async () => (await fabric!.getSnapshot()).instances.length > 0);
    expect(frontEndLog(fabric)).not.toContain('stand-in load balancer thread started');
    expect((await fabric.getTraffic()).endpoints).toEqual([]);

    await fabric.deploy({ sample: 'web-and-worker', slot: 'staging' });
    await waitFor('the stand-in thread started and opened the web role endpoint', async () => /stand-in opens \S/.test(frontEndLog(fabric!)));
    await fabric.deploy({ sample: 'full-iis' });
    await waitFor('the second deployment opened on the same thread', async () => frontEndLog(fabric!).match(/stand-in opens \S/g)?.length === 2);
    expect(frontEndLog(fabric).match(/stand-in load balancer thread started/g)).toHaveLength(1);
  });

  it('that ends starts again and opens every VIP again, its backends sent afresh', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'lb-crash-'));
    try {
      fabric = await start(crashOnce(join(folder, 'crashed')));
      const { deploymentId } = await fabric.deploy({ sample: 'web-and-worker' });
      await waitFor('the endpoint open', async () => (await fabric!.getSnapshot()).deployments.find((d) => d.id === deploymentId)?.inputEndpoints.some((e) => e.port !== null));
      const started = await fabric.startTraffic({ deploymentId, rate: 1, concurrency: 1, durationSeconds: 1 });
      await waitFor('the run it held Failed', async () => (await fabric!.getTraffic()).runs.find((r) => r.id === started.id)?.status === 'Failed');
      expect((await fabric.getTraffic()).runs.find((r) => r.id === started.id)?.error).toContain("The load balancer's thread ended (exit code 3)");
      await waitFor('the thread ended and says it starts again', async () => /ERROR.*Load balancer worker: its thread ended \(exit code 3\); starting it again in 1 s/.test(frontEndLog(fabric!)));
      expect(existsSync(join(folder, 'crashed'))).toBe(true);
      await waitFor('the second thread opened the endpoint again and got its backends', async () => {
        const log = frontEndLog(fabric!);
        return log.match(/stand-in opens \S/g)?.length === 2 && /stand-in backends for \S+[\s\S]*stand-in opens[\s\S]*stand-in backends for/.test(log);
      });
      const after = await fabric.getTraffic(); // the second thread answers reads, and the lost run stays in the view
      expect(after.endpoints).toEqual([]);
      expect(after.runs.find((r) => r.id === started.id)?.status).toBe('Failed');
      expect(frontEndLog(fabric)).not.toContain('not started again');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('that cannot start is an ERROR in FrontEnd.log, is tried again a few times only, and the fabric serves on', async () => {
    fabric = await start(brokenLoadBalancer); // starts: nothing asked for the thread yet
    const ref = await fabric.deploy({ sample: 'web-and-worker' });
    await waitFor('the ERROR', async () => /ERROR.*Load balancer worker: this load balancer cannot start/.test(frontEndLog(fabric!)));
    await waitFor('its end said', async () => /ERROR.*Load balancer worker: its thread ended/.test(frontEndLog(fabric!)));
    const { maxRestarts, restartDelayMs } = loadBalancerRestarts;
    await waitFor('given up after the restarts', async () => /not started again: VIPs do not answer until the fabric restarts/.test(frontEndLog(fabric!)), (maxRestarts + 2) * restartDelayMs + 10_000);
    expect(frontEndLog(fabric).match(/starting it again/g)).toHaveLength(maxRestarts);
    await waitFor('the deployment created all the same', async () => (await fabric!.getSnapshot()).operations.find((o) => o.requestId === ref.requestId)?.status === 'Succeeded');
    expect((await fabric.getTraffic()).endpoints).toEqual([]);
    expect((await fabric.setClock({ scale: 100 })).scale).toBe(100);
  });
});
