import { describe, expect, it } from 'vitest';
import type { FabricEventBatch } from '../../src-main/common/fabric-api';
import { EventHub } from '../../src-main/fabric/event-hub';
import { OperationTracker } from '../../src-main/fabric/operation-tracker';

describe('the operation tracker', () => {
  it('lists API calls beside operations in the order they came, without letting a polling client push operations out', () => {
    let now = 0;
    const hub = new EventHub(1000);
    const tracker = new OperationTracker(hub, () => now);
    const op = tracker.start('CreateDeployment', 'deployment1', 'r-op');
    now = 5;
    tracker.recordCall('r-read', 'GET /services/hostedservices', '→ 200', null);
    // The call that started an operation is listed as that operation, not twice.
    tracker.recordCall('r-op', 'POST /services/hostedservices/s/deployments', '→ 202', null);
    expect(tracker.views().map((o) => [o.requestId, o.kind, o.status])).toEqual([
      ['r-op', 'CreateDeployment', 'InProgress'],
      ['r-read', 'ApiCall', 'Succeeded'],
    ]);
    expect(tracker.get('r-read')).toBeUndefined();
    expect(tracker.get('r-op')).toBe(op);

    for (let i = 0; i < 1000; i++) tracker.recordCall(`poll-${i}`, 'GET /operations/r-op', '→ 200', null);
    tracker.recordCall('refused', 'GET /locations', '→ 400', 'MissingOrIncorrectVersionHeader: 2018-01-01 is not a version this API takes.');
    const views = tracker.views();
    expect(views.filter((o) => o.kind === 'ApiCall').length).toBe(200);
    expect(views[0]!.requestId).toBe('r-op');
    expect(views.at(-1)).toMatchObject({ requestId: 'refused', status: 'Failed', error: expect.stringContaining('2018-01-01') });
  });

  it('pushes each call to the UI once, ended', () => {
    const hub = new EventHub(1000);
    const batches: FabricEventBatch[] = [];
    hub.subscribe((b) => batches.push(b));
    const tracker = new OperationTracker(hub, () => 7);
    tracker.recordCall('r1', 'GET /', '→ 200', null);
    hub.flush();
    const events = batches.flatMap((b) => b.events);
    expect(events).toEqual([{ type: 'operation', operation: expect.objectContaining({ requestId: 'r1', kind: 'ApiCall', startedAt: 7, endedAt: 7, status: 'Succeeded' }) }]);
  });
});
