// Which instances the load balancer sends new connections to. The rules of Azure's default probe:
// an instance is in rotation while Ready; a role with a single instance is always in rotation, whatever
// its status; Busy (StatusCheck) takes an instance out, unless the input endpoint says
// ignoreRoleInstanceStatus="true" (then Busy instances stay in). Each input endpoint has its own rotation;
// RoleRotation keeps it on the views of one pool's instances.
import type { InstanceView } from '../common/fabric-api';
import { isFinal } from '../common/instance-status';

export function inRotation(instance: InstanceView, roleInstanceCount: number, ignoreRoleInstanceStatus = false): boolean {
  if (isFinal(instance.status)) return false;
  if (roleInstanceCount === 1) return true;
  return instance.status === 'ReadyRole' || (ignoreRoleInstanceStatus && instance.status === 'BusyRole');
}

export interface RotationEndpoint {
  name: string;
  ignoreRoleInstanceStatus: boolean;
}

/** The input endpoints whose rotation holds the instance, each judged with its own ignoreRoleInstanceStatus. */
export function rotationOf(instance: InstanceView, roleInstanceCount: number, endpoints: readonly RotationEndpoint[]): string[] {
  return endpoints.filter((e) => inRotation(instance, roleInstanceCount, e.ignoreRoleInstanceStatus)).map((e) => e.name);
}

/** An instance as rotation sees it: its view (changed in place) and its role's input endpoints. */
export interface RotationMember {
  view: InstanceView;
  inputEndpoints: readonly RotationEndpoint[];
  /** Taken out of rotation by the fabric whatever its status (an upgrade drains it before stopping its role). */
  held?: boolean;
}

/**
 * The rotation of every role of one pool, kept on the instances' views. A role's instance count changes the
 * single-instance rule, so a count change recomputes the whole role; otherwise a status change can move only
 * the instance that changed, and a 2,048-instance role is not walked at each of its status changes.
 */
export class RoleRotation<M extends RotationMember> {
  /** Each role's instance count at its last full pass. */
  private readonly sizes = new Map<string, number>();

  /** `publish`: the member's view changed. */
  constructor(private readonly publish: (member: M) => void) {}

  /** Recompute the rotation of role `key`, whose members are `members` (undefined: the role is gone). */
  update(key: string, members: ReadonlySet<M> | undefined, changed?: M): void {
    if (!members) return void this.sizes.delete(key);
    if (changed && members.has(changed) && this.sizes.get(key) === members.size) return this.rotate(changed, members.size);
    this.sizes.set(key, members.size);
    for (const member of members) this.rotate(member, members.size);
  }

  private rotate(member: M, roleSize: number): void {
    const view = member.view;
    const rotation = member.held ? [] : rotationOf(view, roleSize, member.inputEndpoints);
    // A role without input endpoints still shows whether the default probe would answer.
    const any = member.held ? false : member.inputEndpoints.length > 0 ? rotation.length > 0 : inRotation(view, roleSize);
    if (any !== view.inRotation || rotation.join('\n') !== view.rotation.join('\n')) {
      view.inRotation = any;
      view.rotation = rotation;
      this.publish(member);
    }
  }
}
