// RoleEnvironment.Roles as the fabric keeps it for role code: each role's instances, with their upgrade and
// fault domains and their endpoints at their DIPs. As in Azure, a role lists its instances only when it has an
// internal endpoint, and a change to such a role's instances (one added or removed, one moved to another DIP)
// is a topology change every running role hears (RoleEnvironment.Changing with a topology change). Changes are
// gathered per deployment and sent once per turn, only to deployments that run role code of their own.
// Two changes raise nothing, as in Azure, where every instance's address is known from allocation: an instance
// the deployment had when role code first ran in it appearing in Roles (once it binds, when the deployment comes
// up or is Run after a suspend), and an instance's own arrival or move, to that instance. Roles takes those
// quietly: a change that names no role. Instances added later (a scale-out) and moves to another DIP are changes.
import type { RoleTopology, ToHost } from '../common/host-protocol';
import { hasVm, type PoolInstance } from './instance-lifecycle';

export class DeploymentTopologies {
  /**
   * Per deployment: the topology last sent; the instances it had when first sent (whose first listing is quiet);
   * and the instances listed at least once.
   */
  private readonly sent = new Map<string, { roles: RoleTopology[]; initial: ReadonlySet<string>; listed: Set<string> }>();
  private readonly dirty = new Set<string>();
  private scheduled = false;

  constructor(
    private readonly instancesOf: (deploymentId: string) => PoolInstance[],
    private readonly send: (hostId: string, message: ToHost) => void,
  ) {}

  /**
   * Something of `instance` a topology is made of changed (placed, moved, bound or removed). Only an instance
   * that is listed (an internal endpoint) or runs role code (it hears the topology) can change what is sent: a
   * deployment of built-in code costs nothing here, not even a look at its instances.
   */
  changed(instance: PoolInstance): void {
    if (!instance.listed && instance.spec.roleEntryModule === undefined) return;
    const deploymentId = instance.view.deploymentId;
    this.dirty.add(deploymentId);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      for (const id of [...this.dirty]) this.flush(id);
      this.dirty.clear();
    });
  }

  private flush(deploymentId: string): void {
    const instances = this.instancesOf(deploymentId);
    // A deployment gone: nothing to keep for it.
    if (instances.length === 0) return void this.sent.delete(deploymentId);
    // Only role code reads RoleEnvironment: a deployment of built-in code costs nothing here.
    const listeners = instances.filter((i) => i.spec.roleEntryModule !== undefined && hasVm(i.lifecycle));
    if (listeners.length === 0) return;
    const roles = topologyOf(instances);
    const last = this.sent.get(deploymentId) ?? { roles: [], initial: new Set(instances.map((i) => i.view.name)), listed: new Set<string>() };
    const before = last.roles;
    if (JSON.stringify(before) === JSON.stringify(roles)) return;
    const listedNow = roles.flatMap((r) => r.instances.map((i) => i.id));
    // Instances of the deployment as it was first seen, listed for the first time: Azure knew them all along.
    const quiet = new Set(listedNow.filter((name) => last.initial.has(name) && !last.listed.has(name)));
    for (const name of listedNow) last.listed.add(name);
    this.sent.set(deploymentId, { ...last, roles });
    for (const i of listeners) {
      // What changed, apart from the instance itself and the quiet ones; nothing left: Roles takes it quietly.
      const changedRoles = changedRolesFor(before, roles, new Set([...quiet, i.view.name]));
      this.send(i.view.hostId, { type: 'topology', instanceId: i.view.id, roles, changedRoles });
    }
  }
}

/** The roles of a deployment, the listed ones with their instances in instance order and their bound endpoints. */
export function topologyOf(instances: PoolInstance[]): RoleTopology[] {
  const roles = new Map<string, RoleTopology>();
  const indexOf = (name: string) => Number(name.slice(name.lastIndexOf('_') + 1));
  for (const i of [...instances].sort((a, b) => indexOf(a.view.name) - indexOf(b.view.name))) {
    const role = roles.get(i.spec.roleName) ?? { name: i.spec.roleName, instances: [] };
    roles.set(role.name, role);
    // Every role is in Roles; only one with an internal endpoint lists its instances.
    if (!i.listed || i.lifecycle.state === 'Removed') continue;
    const endpoints: RoleTopology['instances'][number]['endpoints'] = {};
    for (const [name, e] of Object.entries(i.roleEndpoints ?? {})) if (e.address) endpoints[name] = { protocol: e.protocol, port: e.port, address: e.address };
    // An instance is listed once its VM has bound its endpoints: role code never sees one it cannot reach.
    if (Object.keys(endpoints).length === 0) continue;
    role.instances.push({ id: i.view.name, updateDomain: i.view.upgradeDomain, faultDomain: i.view.faultDomain, endpoints });
  }
  return [...roles.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The roles whose instances differ between two topologies, leaving out the instances `left` names. */
export function changedRolesFor(before: RoleTopology[], now: RoleTopology[], left: ReadonlySet<string>): string[] {
  const json = (roles: RoleTopology[], name: string) => {
    // A role not there yet lists no instances: its first appearance, with none, is no change.
    const role = roles.find((r) => r.name === name);
    return JSON.stringify(role?.instances.filter((i) => !left.has(i.id)) ?? []);
  };
  const names = [...new Set([...now.map((r) => r.name), ...before.map((r) => r.name)])];
  return names.filter((name) => json(before, name) !== json(now, name));
}
