// The host workers' old generation grows by at most 2x, not up to 4x, between full collections (host-proxy.ts).
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { hostYoungGenerationMb, limitHeapGrowth } from '../../src-main/fabric/host-proxy';

// A host agent's shape of work: a live set kept for good, and a stream of objects that live a while and die in the
// old generation (log lines waiting, timers fired). The worker reports its used heap's peak once the live set is up.
const churn = `
const { parentPort } = require('node:worker_threads');
const { getHeapStatistics } = require('node:v8');
const live = [];
for (let i = 0; i < 40000; i++) live.push({ name: 'instance' + i, at: [i] });
let waiting = [];
let peak = 0;
for (let round = 0; round < 3000; round++) {
  for (let i = 0; i < 2000; i++) waiting.push({ line: 'line ' + i + ' of ' + round, at: [round, i] });
  if (waiting.length > 60000) waiting = waiting.slice(30000);
  peak = Math.max(peak, getHeapStatistics().used_heap_size);
}
parentPort.postMessage({ peakMiB: peak / 1048576, kept: live.length });`;

function peakHeapMiB(): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(churn, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: hostYoungGenerationMb } });
    worker.once('message', (m: { peakMiB: number }) => void worker.terminate().then(() => resolve(m.peakMiB)));
    worker.once('error', reject);
  });
}

describe('host heap growth', () => {
  it('keeps a churning worker near its live heap (V8 alone let this one reach ~90 MiB)', async () => {
    limitHeapGrowth();
    limitHeapGrowth(); // once is enough; a second call changes nothing
    expect(await peakHeapMiB()).toBeLessThan(60); // 47 MiB with the limit
  }, 60_000);
});
