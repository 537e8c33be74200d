// RoleEnvironment.Roles as the fabric keeps it for role code: each role's instances, with their upgrade and
// fault domains and their endpoints at their DIPs. As in Azure, a role lists its instances only when it has an
// internal endpoint, and a change to such a role's instances (one added or removed, one moved to another DIP)
// is a topology change every running role hears (RoleEnvironment.Changing with a topology change). Changes are
// gathered per deployment and sent once per turn, only to deployments that run role code of their own.
// Two changes raise nothing, as in Azure, where every instance's address is known from allocation: those made
// while the deployment's listed instances first bind (Roles fills in quietly until each has), and an instance's
// own arrival or move, to that instance (its Roles takes it quietly). A quiet change names no role.
import type { RoleTopology, ToHost } from '../common/host-protocol';
import { hasVm, type PoolInstance } from './instance-lifecycle';

export class DeploymentTopologies {
  /** Per deployment, the topology last sent, and whether its listed instances have all bound once (from then on changes raise). */
  private readonly sent = new Map<string, { roles: RoleTopology[]; settled: boolean }>();
  private readonly dirty = new Set<string>();
  private scheduled = false;

  constructor(
    private readonly instancesOf: (deploymentId: string) => PoolInstance[],
    private readonly send: (hostId: string, message: ToHost) => void,
  ) {}

  /** Something a deployment's topology is made of changed (an instance placed, moved, bound or removed). */
  changed(deploymentId: string): void {
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
    const last = this.sent.get(deploymentId);
    const before = last?.roles ?? [];
    const settled = last?.settled === true || instances.every((i) => !i.listed || !hasVm(i.lifecycle) || Object.values(i.roleEndpoints ?? {}).some((e) => e.address));
    this.sent.set(deploymentId, { roles, settled });
    if (changedRolesFor(before, roles, null).length === 0) return;
    for (const i of listeners) {
      // Quiet (no role named) until the deployment has settled; after, what changed apart from the instance itself.
      const changedRoles = last?.settled === true ? changedRolesFor(before, roles, i.view.name) : [];
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

/** The roles whose instances differ between two topologies, leaving out the instance `self` (null: none left out). */
export function changedRolesFor(before: RoleTopology[], now: RoleTopology[], self: string | null): string[] {
  const json = (roles: RoleTopology[], name: string) => {
    const role = roles.find((r) => r.name === name);
    return role ? JSON.stringify(role.instances.filter((i) => i.id !== self)) : null;
  };
  const names = [...new Set([...now.map((r) => r.name), ...before.map((r) => r.name)])];
  return names.filter((name) => json(before, name) !== json(now, name));
}
