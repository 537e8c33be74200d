// The emulated VMBus between a guest and its host agent (src-main/host/vm-bus.ts): delivered in order after
// the sender's turn, heartbeats waiting for delivery merged into one that counts them, nothing after close.
import { describe, expect, it } from 'vitest';
import { mergeHeartbeats, type FromGuest, type ToGuest } from '../../src-main/host/guest-protocol';
import { vmBus } from '../../src-main/host/vm-bus';

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('the VMBus', () => {
  it('delivers in order, both ways, only after the sender’s turn', async () => {
    const bus = vmBus<FromGuest, ToGuest>();
    const atHost: FromGuest[] = [];
    const atGuest: ToGuest[] = [];
    bus.host.on('message', (m) => atHost.push(m));
    bus.guest.on('message', (m) => atGuest.push(m));
    bus.guest.postMessage({ type: 'status', status: 'CreatingRole', details: '', at: 1 });
    bus.guest.postMessage({ type: 'heartbeat', at: 2, beats: 1 });
    bus.host.postMessage({ type: 'stop' });
    expect(atHost).toEqual([]);
    expect(atGuest).toEqual([]);
    await nextTurn();
    expect(atHost.map((m) => m.type)).toEqual(['status', 'heartbeat']);
    expect(atGuest).toEqual([{ type: 'stop' }]);
  });

  it('merges heartbeats the host has not taken yet, keeping the latest time and the count, never across another message', async () => {
    const bus = vmBus<FromGuest, ToGuest>(mergeHeartbeats);
    const atHost: FromGuest[] = [];
    bus.host.on('message', (m) => atHost.push(m));
    for (let at = 1; at <= 5; at++) bus.guest.postMessage({ type: 'heartbeat', at, beats: 1 });
    bus.guest.postMessage({ type: 'status', status: 'StartingRole', details: '', at: 6 });
    bus.guest.postMessage({ type: 'heartbeat', at: 7, beats: 1 });
    bus.guest.postMessage({ type: 'heartbeat', at: 8, beats: 1 });
    await nextTurn();
    expect(atHost).toEqual([
      { type: 'heartbeat', at: 5, beats: 5 },
      { type: 'status', status: 'StartingRole', details: '', at: 6 },
      { type: 'heartbeat', at: 8, beats: 2 },
    ]);
    bus.guest.postMessage({ type: 'heartbeat', at: 9, beats: 1 });
    await nextTurn();
    expect(atHost.at(-1)).toEqual({ type: 'heartbeat', at: 9, beats: 1 }); // delivered ones are never merged into
  });

  it('delivers nothing once closed, not even what was already posted', async () => {
    const bus = vmBus<FromGuest, ToGuest>(mergeHeartbeats);
    const atHost: FromGuest[] = [];
    const atGuest: ToGuest[] = [];
    bus.host.on('message', (m) => atHost.push(m));
    bus.guest.on('message', (m) => atGuest.push(m));
    bus.guest.postMessage({ type: 'heartbeat', at: 1, beats: 1 });
    bus.host.close();
    bus.guest.postMessage({ type: 'stopped' });
    bus.host.postMessage({ type: 'stop' });
    await nextTurn();
    expect(atHost).toEqual([]);
    expect(atGuest).toEqual([]);
  });

  it('keeps channels apart: one VM’s close does not touch another’s messages', async () => {
    const one = vmBus<FromGuest, ToGuest>();
    const two = vmBus<FromGuest, ToGuest>();
    const got: string[] = [];
    one.host.on('message', (m) => got.push(`one:${m.type}`));
    two.host.on('message', (m) => got.push(`two:${m.type}`));
    one.guest.postMessage({ type: 'stopped' });
    two.guest.postMessage({ type: 'stopped' });
    one.host.close();
    await nextTurn();
    expect(got).toEqual(['two:stopped']);
  });

  it('delivers a reply posted during delivery in the same pass, and each end once per pass, turn after turn', async () => {
    const buses = [0, 1, 2].map(() => vmBus<FromGuest, ToGuest>());
    const got: string[] = [];
    buses.forEach((bus, i) => {
      bus.host.on('message', (m) => {
        got.push(`host${i}:${m.type}`);
        if (m.type === 'stopped') bus.host.postMessage({ type: 'stop' }); // the reply
      });
      bus.guest.on('message', (m) => got.push(`guest${i}:${m.type}`));
    });
    for (let turn = 0; turn < 3; turn++) {
      got.length = 0;
      buses[2]!.guest.postMessage({ type: 'status', status: 'StartingRole', details: '', at: turn });
      buses[0]!.guest.postMessage({ type: 'stopped' });
      buses[2]!.guest.postMessage({ type: 'heartbeat', at: turn, beats: 1 });
      let replied = false;
      queueMicrotask(() => (replied = got.includes('guest0:stop'))); // queued after the delivery: the same pass
      await nextTurn();
      expect(replied).toBe(true);
      expect(got).toEqual(['host2:status', 'host2:heartbeat', 'host0:stopped', 'guest0:stop']);
    }
  });
});
