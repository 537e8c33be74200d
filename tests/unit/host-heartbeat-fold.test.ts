// Of one turn's host heartbeats one goes, carrying what the earlier ones reported (common/host-protocol.ts).
import { describe, expect, it } from 'vitest';
import { withHostHeartbeat, type FromHost } from '../../src-main/common/host-protocol';

describe('withHostHeartbeat', () => {
  it('keeps one heartbeat, the latest, with each guest at its latest and the last heap figure, after the other messages', () => {
    let turn: FromHost[] = [];
    turn = withHostHeartbeat(turn, { type: 'host-heartbeat', at: 5, guests: [{ instanceId: 'a', at: 4, count: 1 }, { instanceId: 'b', at: 4, count: 7 }], heapUsed: 100 });
    turn.push({ type: 'error', message: 'x' });
    turn = withHostHeartbeat(turn, { type: 'host-heartbeat', at: 10, guests: [{ instanceId: 'a', at: 9, count: 2 }] });
    expect(turn).toEqual([
      { type: 'error', message: 'x' },
      { type: 'host-heartbeat', at: 10, guests: [{ instanceId: 'a', at: 9, count: 2 }, { instanceId: 'b', at: 4, count: 7 }], heapUsed: 100 },
    ]);
  });

  it('adds a first heartbeat as it is, and a later heap figure wins', () => {
    const first = { type: 'host-heartbeat' as const, at: 5, guests: [] };
    expect(withHostHeartbeat([], first)).toEqual([first]);
    const turn = withHostHeartbeat([{ ...first, heapUsed: 1 }], { ...first, at: 10, heapUsed: 2 });
    expect(turn).toEqual([{ type: 'host-heartbeat', at: 10, guests: [], heapUsed: 2 }]);
  });
});
