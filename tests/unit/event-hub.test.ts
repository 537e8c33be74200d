import { describe, expect, it } from 'vitest';
import type { FabricEventBatch, HostView } from '../../src-main/common/fabric-api';
import { EventHub } from '../../src-main/fabric/event-hub';

const host = (usedCores: number): HostView => ({ id: 'h1', poolId: 'p', name: 'Host 1', cores: 8, usedCores, faultDomain: 0, health: 'Healthy', healthDetails: '', lastHeartbeat: null });

describe('the event hub', () => {
  it('reports a subscriber that throws, once while it keeps failing the same way, and still serves the others', () => {
    const reported: unknown[] = [];
    const hub = new EventHub(1000, (error) => reported.push(error));
    const seen: number[] = [];
    hub.subscribe(() => {
      throw new Error('disk full');
    });
    hub.subscribe((b) => seen.push(b.seq));
    for (let i = 0; i < 3; i++) {
      hub.publish({ type: 'host', host: host(i) });
      hub.flush();
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(reported).toHaveLength(1);
    expect((reported[0] as Error).message).toBe('disk full');
  });

  it('coalesces changes to one entity into its latest state and keeps every record in order', async () => {
    const hub = new EventHub(20);
    const batches: FabricEventBatch[] = [];
    hub.subscribe((b) => batches.push(b));
    for (let i = 0; i < 100; i++) hub.publish({ type: 'host', host: host(i % 8) });
    hub.record({ kind: 'instance-status', at: 1, instanceId: 'd/A_IN_0', deploymentId: 'd', from: 'CreatingVM', to: 'StartingVM', details: '' });
    hub.record({ kind: 'instance-status', at: 2, instanceId: 'd/A_IN_0', deploymentId: 'd', from: 'StartingVM', to: 'CreatingRole', details: '' });
    await new Promise((r) => setTimeout(r, 40));
    expect(batches).toHaveLength(1);
    expect(batches[0]!.events).toEqual([{ type: 'host', host: host(99 % 8) }]);
    expect(batches[0]!.records.map((r) => r.kind === 'instance-status' && r.to)).toEqual(['StartingVM', 'CreatingRole']);
    expect(batches[0]!.seq).toBe(1);
  });

  it('pushes at most one batch per interval however many changes arrive', async () => {
    const hub = new EventHub(50);
    let count = 0;
    hub.subscribe(() => count++);
    const end = Date.now() + 220;
    while (Date.now() < end) {
      hub.publish({ type: 'host', host: host(1) });
      await new Promise((r) => setTimeout(r, 1));
    }
    hub.flush();
    expect(count).toBeLessThanOrEqual(7); // 220 ms / 50 ms, plus the final flush
    expect(count).toBeGreaterThanOrEqual(2);
  });

  it('keeps delivering to the other subscribers when one throws, and stops after unsubscribe', () => {
    const hub = new EventHub(10);
    const got: number[] = [];
    hub.subscribe(() => {
      throw new Error('closed socket');
    });
    const dispose = hub.subscribe((b) => got.push(b.seq));
    hub.publish({ type: 'host', host: host(1) });
    hub.flush();
    dispose();
    hub.publish({ type: 'host', host: host(2) });
    hub.flush();
    expect(got).toEqual([1]);
  });
});
