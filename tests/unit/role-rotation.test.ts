// RoleRotation keeps each role's load-balancer rotation on its instances' views: a status change moves only the
// instance that changed, a change of the role's instance count recomputes the whole role.
import { describe, expect, it } from 'vitest';
import type { InstanceView } from '../../src-main/common/fabric-api';
import { RoleRotation, type RotationMember } from '../../src-main/fabric/load-balancer-rotation';

function member(name: string, status: InstanceView['status'], endpoints = [{ name: 'http', ignoreRoleInstanceStatus: false }]): RotationMember {
  return { view: { name, status, inRotation: false, rotation: [] } as unknown as InstanceView, inputEndpoints: endpoints };
}

describe('role rotation', () => {
  it('holds Ready instances, drops Busy ones unless the endpoint ignores the role status, and publishes only changes', () => {
    const published: string[] = [];
    const rotation = new RoleRotation<RotationMember>((m) => published.push(m.view.name));
    const ready = member('a', 'ReadyRole');
    const busy = member('b', 'BusyRole', [
      { name: 'http', ignoreRoleInstanceStatus: false },
      { name: 'probe-free', ignoreRoleInstanceStatus: true },
    ]);
    const role = new Set([ready, busy]);
    rotation.update('d/W', role);
    expect([ready.view.rotation, busy.view.rotation]).toEqual([['http'], ['probe-free']]);
    expect([ready.view.inRotation, busy.view.inRotation]).toEqual([true, true]);
    expect(published).toEqual(['a', 'b']);
    rotation.update('d/W', role);
    expect(published).toEqual(['a', 'b']);
    busy.view.status = 'ReadyRole';
    rotation.update('d/W', role, busy);
    expect(busy.view.rotation).toEqual(['http', 'probe-free']);
    expect(published).toEqual(['a', 'b', 'b']);
  });

  it('recomputes the whole role when its count changes: a single instance is always in rotation', () => {
    const rotation = new RoleRotation<RotationMember>(() => {});
    const a = member('a', 'ReadyRole');
    const b = member('b', 'StartingRole');
    const role = new Set([a, b]);
    rotation.update('d/W', role);
    expect(b.view.inRotation).toBe(false);
    role.delete(a);
    // A change reported for an instance no longer in the role (removed) still recomputes the rest.
    rotation.update('d/W', role, a);
    expect(b.view.inRotation).toBe(true);
    b.view.status = 'StoppedVM';
    rotation.update('d/W', role, b);
    expect(b.view.inRotation).toBe(false);
    // A role that is gone is forgotten without error.
    rotation.update('d/W', undefined);
    const noEndpoints = member('c', 'ReadyRole', []);
    rotation.update('d/X', new Set([noEndpoints, member('d', 'BusyRole', [])]));
    expect([noEndpoints.view.inRotation, noEndpoints.view.rotation]).toEqual([true, []]);
  });
});
