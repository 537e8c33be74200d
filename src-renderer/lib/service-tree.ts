// The left tree (service -> deployment (slot) -> role -> instance) flattened to the rows currently shown,
// so a virtual list can render only the visible ones however many instances there are.
import type { DeploymentView, InstanceView } from '../../src-main/common/fabric-api';
import type { InstanceStatus } from '../../src-main/common/instance-status';

export type TreeRow =
  | { kind: 'service'; key: string; depth: 0; label: string; expanded: boolean; count: number }
  | { kind: 'deployment'; key: string; depth: 1; label: string; expanded: boolean; deploymentId: string; status: string }
  | { kind: 'role'; key: string; depth: 2; label: string; expanded: boolean; count: number; ready: number }
  | { kind: 'instance'; key: string; depth: 3; label: string; instanceId: string; status: InstanceStatus };

/** Instances of one deployment grouped by role, each list in instance order. */
export type RoleIndex = ReadonlyMap<string, readonly InstanceView[]>;

/**
 * Rows of the tree, every node expanded unless its key is in `collapsed` (so new deployments show open).
 * `rolesOf` gives a deployment's instances by role, already sorted.
 */
export function treeRows(deployments: Iterable<DeploymentView>, rolesOf: (deploymentId: string) => RoleIndex, collapsed: ReadonlySet<string>): TreeRow[] {
  const services = new Map<string, DeploymentView[]>();
  for (const d of deployments) services.set(d.serviceName, [...(services.get(d.serviceName) ?? []), d]);
  const rows: TreeRow[] = [];
  for (const [service, list] of [...services].sort(([a], [b]) => a.localeCompare(b))) {
    const serviceKey = `s:${service}`;
    const serviceOpen = !collapsed.has(serviceKey);
    rows.push({ kind: 'service', key: serviceKey, depth: 0, label: service, expanded: serviceOpen, count: list.length });
    if (!serviceOpen) continue;
    // Production before staging, as the portal lists slots.
    for (const d of list.sort((a, b) => a.slot.localeCompare(b.slot)).reverse()) {
      const deploymentKey = `d:${d.id}`;
      const deploymentOpen = !collapsed.has(deploymentKey);
      rows.push({ kind: 'deployment', key: deploymentKey, depth: 1, label: d.slot, expanded: deploymentOpen, deploymentId: d.id, status: d.status });
      if (!deploymentOpen) continue;
      const roles = rolesOf(d.id);
      for (const role of d.roles) {
        const instances = roles.get(role.name) ?? [];
        const roleKey = `r:${d.id}/${role.name}`;
        const roleOpen = !collapsed.has(roleKey);
        const ready = instances.reduce((n, i) => n + (i.status === 'ReadyRole' ? 1 : 0), 0);
        rows.push({ kind: 'role', key: roleKey, depth: 2, label: role.name, expanded: roleOpen, count: instances.length, ready });
        if (!roleOpen) continue;
        for (const i of instances) rows.push({ kind: 'instance', key: `i:${i.id}`, depth: 3, label: i.name, instanceId: i.id, status: i.status });
      }
    }
  }
  return rows;
}

/** The number after _IN_ in an instance name, for ordering instances as the portal does (2 before 10). */
export function instanceIndex(name: string): number {
  const at = name.lastIndexOf('_IN_');
  return at < 0 ? 0 : Number(name.slice(at + 4)) || 0;
}

/** Group a fabric's instances by deployment and role, each role's list ordered by instance index. */
export function indexInstances(instances: Iterable<InstanceView>): Map<string, Map<string, InstanceView[]>> {
  const index = new Map<string, Map<string, InstanceView[]>>();
  for (const i of instances) {
    let roles = index.get(i.deploymentId);
    if (!roles) index.set(i.deploymentId, (roles = new Map()));
    let list = roles.get(i.roleName);
    if (!list) roles.set(i.roleName, (list = []));
    list.push(i);
  }
  for (const roles of index.values()) for (const list of roles.values()) list.sort((a, b) => instanceIndex(a.name) - instanceIndex(b.name));
  return index;
}
