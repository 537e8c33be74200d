import { describe, expect, it } from 'vitest';
import type { HostView, InstanceView } from '../../src-main/common/fabric-api';
import { inRotation } from '../../src-main/fabric/load-balancer-rotation';
import { pickHost, upgradeDomainOf } from '../../src-main/fabric/placement';

function host(id: string, faultDomain: number, usedCores = 0, health: HostView['health'] = 'Healthy', cores = 8): { view: HostView } {
  return { view: { id, poolId: 'p', name: id, cores, usedCores, faultDomain, health, healthDetails: '', lastHeartbeat: 0 } };
}

describe('placement', () => {
  it('spreads a role over fault domains before filling a host', () => {
    const hosts = [host('a', 0), host('b', 0), host('c', 1)];
    const perFd = new Map<number, number>();
    const reserved = new Map<string, number>();
    const picks: string[] = [];
    for (let i = 0; i < 4; i++) {
      const h = pickHost(hosts, 1, perFd, reserved)!;
      picks.push(h.view.id);
      perFd.set(h.view.faultDomain, (perFd.get(h.view.faultDomain) ?? 0) + 1);
      reserved.set(h.view.id, (reserved.get(h.view.id) ?? 0) + 1);
    }
    expect(picks.map((id) => hosts.find((h) => h.view.id === id)!.view.faultDomain)).toEqual([0, 1, 0, 1]);
  });

  it('skips unhealthy hosts and hosts without enough free cores, and says none when nothing fits', () => {
    const hosts = [host('full', 0, 7), host('sick', 1, 0, 'Unhealthy'), host('off', 1, 0, 'Off')];
    expect(pickHost(hosts, 2, new Map())).toBeNull();
    expect(pickHost(hosts, 1, new Map())?.view.id).toBe('full');
  });

  it('keeps a healed instance in its old fault domain when a host there has room', () => {
    const hosts = [host('fd0', 0, 6), host('fd1', 1, 0)];
    expect(pickHost(hosts, 1, new Map(), new Map(), 0)?.view.id).toBe('fd0');
    expect(pickHost(hosts, 4, new Map(), new Map(), 0)?.view.id).toBe('fd1');
  });

  it('deals upgrade domains round robin: 14 instances over 5 domains are 3,3,3,3,2', () => {
    const counts = [0, 0, 0, 0, 0];
    for (let n = 0; n < 14; n++) counts[upgradeDomainOf(n, 5)]!++;
    expect(counts).toEqual([3, 3, 3, 3, 2]);
  });
});

describe('load-balancer rotation', () => {
  const instance = (status: InstanceView['status']) => ({ status }) as InstanceView;
  it('takes Ready instances, leaves Busy and starting ones out, and always keeps a lone instance in', () => {
    expect(inRotation(instance('ReadyRole'), 2)).toBe(true);
    expect(inRotation(instance('BusyRole'), 2)).toBe(false);
    expect(inRotation(instance('StartingRole'), 2)).toBe(false);
    expect(inRotation(instance('BusyRole'), 1)).toBe(true);
    expect(inRotation(instance('StoppedVM'), 1)).toBe(false);
  });

  it('keeps Busy instances in when the endpoint ignores role status, but never starting or stopped ones', () => {
    expect(inRotation(instance('BusyRole'), 3, true)).toBe(true);
    expect(inRotation(instance('StartingRole'), 3, true)).toBe(false);
    expect(inRotation(instance('StoppedVM'), 3, true)).toBe(false);
  });
});
