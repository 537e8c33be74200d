// RoleEnvironment as role code sees it: the deployment's roles and their instances (frozen; the current instance
// the same object in its own role, whose `instances` follow the topology), getRole's clear error, and
// Changing/Changed with setting and topology changes told apart by `type` (a cancel leaves the roles as they were,
// a quiet topology raises nothing).
import { describe, expect, it } from 'vitest';
import type { RoleTopology } from '../../src-main/common/host-protocol';
import type { RoleEnvironmentData } from '../../src-main/common/role-host-protocol';
import { RoleEnvironment, type RoleEnvironmentChange } from '../../src-main/role-host/role-environment';

const at = (address: string, port: number) => ({ protocol: 'tcp', address, port });
const topology = (bCount: number): RoleTopology[] => [
  { name: 'A', instances: [{ id: 'A_IN_0', updateDomain: 0, faultDomain: 0, endpoints: { Peer: at('10.0.0.1', 9000) } }] },
  { name: 'B', instances: Array.from({ length: bCount }, (_, n) => ({ id: `B_IN_${n}`, updateDomain: n, faultDomain: n % 2, endpoints: { Svc: at(`10.0.0.${n + 2}`, 9100) } })) },
];
const data: RoleEnvironmentData = {
  deploymentId: 'deployment1(1)',
  roleName: 'A',
  instanceId: 'A_IN_0',
  updateDomain: 0,
  faultDomain: 0,
  isEmulated: false,
  settings: { Greeting: 'hello' },
  localResources: {},
  endpoints: { Peer: at('10.0.0.1', 9000) },
  roles: topology(2),
  certificates: {},
};

describe('RoleEnvironment.roles', () => {
  it('lists every role with its instances and their endpoints at their DIPs, frozen', () => {
    const env = new RoleEnvironment(data, () => {});
    expect(Object.keys(env.roles)).toEqual(['A', 'B']);
    const b1 = env.roles.B!.instances[1]!;
    expect(b1.id).toBe('B_IN_1');
    expect(b1.updateDomain).toBe(1);
    expect(b1.role.name).toBe('B');
    expect(b1.instanceEndpoints.Svc).toEqual({ protocol: 'tcp', ipEndpoint: { address: '10.0.0.3', port: 9100 } });
    expect(Object.isFrozen(env.roles)).toBe(true);
    expect(() => (env.roles.B!.instances as unknown[]).push(1)).toThrow();
    // The current instance is the same object in its role's list, and its role lists its instances.
    expect(env.roles.A!.instances[0]).toBe(env.currentRoleInstance);
    expect(env.currentRoleInstance.role.instances?.map((i) => i.id)).toEqual(['A_IN_0']);
  });

  it('answers a role the deployment does not have with a clear error', () => {
    const env = new RoleEnvironment(data, () => {});
    expect(env.getRole('B').instances).toHaveLength(2);
    expect(() => env.getRole('Nope')).toThrow('RoleEnvironment: the deployment has no role "Nope" (its roles: A, B).');
    expect(() => env.getRole('toString')).toThrow('no role "toString"');
    expect(() => env.getRole('constructor')).toThrow('no role "constructor"');
  });
});

describe('RoleEnvironment Changing and Changed', () => {
  it('raises a topology change per changed role, then takes the new roles', () => {
    const env = new RoleEnvironment(data, () => {});
    const seen: RoleEnvironmentChange[][] = [];
    let countInChanging = -1;
    env.on('changing', (e) => {
      seen.push(e.changes);
      countInChanging = env.roles.B!.instances.length;
    });
    env.on('changed', (e) => seen.push(e.changes));
    expect(env.raiseTopologyChanging(topology(3), ['B'])).toBe(false);
    expect(seen).toEqual([[{ type: 'topology', roleName: 'B' }], [{ type: 'topology', roleName: 'B' }]]);
    // Changing sees the topology of before; Changed and after, the new one.
    expect(countInChanging).toBe(2);
    expect(env.roles.B!.instances.map((i) => i.id)).toEqual(['B_IN_0', 'B_IN_1', 'B_IN_2']);
  });

  it('keeps setting changes readable as { name, value } (with type "setting")', () => {
    const env = new RoleEnvironment(data, () => {});
    const names: string[] = [];
    env.on('changing', (e) => names.push(...e.changes.map((c) => ('name' in c ? `${c.type} ${c.name}=${c.value}` : ''))));
    env.raiseChanging({ Greeting: 'bonjour' });
    expect(names).toEqual(['setting Greeting=bonjour']);
    expect(env.getConfigurationSettingValue('Greeting')).toBe('bonjour');
  });

  it('leaves the roles as they were when a handler cancels, and takes a quiet topology (no role named) with no event', () => {
    const env = new RoleEnvironment(data, () => {});
    const events: string[] = [];
    env.on('changing', (e) => {
      events.push('changing');
      e.cancel();
    });
    env.on('changed', () => events.push('changed'));
    expect(env.raiseTopologyChanging(topology(3), ['B'])).toBe(true);
    expect(events).toEqual(['changing']);
    expect(env.roles.B!.instances).toHaveLength(2);
    expect(env.raiseTopologyChanging(topology(1), [])).toBe(false);
    expect(events).toEqual(['changing']);
    expect(env.roles.B!.instances).toHaveLength(1);
    expect(env.currentRoleInstance.role.instances).toEqual([env.currentRoleInstance]);
  });
});
