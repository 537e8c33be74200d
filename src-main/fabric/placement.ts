// Where the fabric controller puts an instance: on a healthy host with enough free cores, spreading each
// role over fault domains. Pure, so it can be reasoned about and tested on its own.
import type { HostView, InstanceView } from '../common/fabric-api';
import type { InstanceSpec } from '../common/host-protocol';
import { vmSizeCores, type RoleModel } from '../common/service-model';

export interface PlacementHost {
  view: HostView;
}

/**
 * The best host for one instance needing `cores`, or null when none has room.
 * `roleCountByFaultDomain`: how many instances of the same role each fault domain already holds;
 * `reserved`: cores promised to instances placed earlier in the same request;
 * `preferFaultDomain`: the instance's fault domain before service healing moved it.
 */
export function pickHost<H extends PlacementHost>(
  hosts: Iterable<H>,
  cores: number,
  roleCountByFaultDomain: ReadonlyMap<number, number>,
  reserved: ReadonlyMap<string, number> = new Map(),
  preferFaultDomain?: number,
): H | null {
  // Ranked by: the preferred fault domain, then the role's fewest instances there, then the most free cores, then
  // the id. Plain numbers, not a tuple per host: a 512-instance plan on 64 hosts ranks 32,768 times.
  let best: H | null = null;
  let bestOther = 0;
  let bestCount = 0;
  let bestFree = 0;
  for (const host of hosts) {
    const { view } = host;
    const free = view.cores - view.usedCores - (reserved.get(view.id) ?? 0);
    if (view.health !== 'Healthy' || free < cores) continue;
    const other = preferFaultDomain === undefined || view.faultDomain === preferFaultDomain ? 0 : 1;
    const count = roleCountByFaultDomain.get(view.faultDomain) ?? 0;
    const order = best === null ? -1 : other - bestOther || count - bestCount || bestFree - free || view.id.localeCompare(best.view.id);
    if (order < 0) {
      best = host;
      bestOther = other;
      bestCount = count;
      bestFree = free;
    }
  }
  return best;
}

/** Upgrade domain of the n-th instance of a role: round robin, so 14 instances over 5 domains are 3,3,3,3,2. */
export function upgradeDomainOf(index: number, upgradeDomainCount: number): number {
  return index % upgradeDomainCount;
}

/**
 * Hosts for the given instances of a deployment, all or none: each role's instances spread over fault
 * domains (counting the ones it already has), each on a healthy host with room. When one does not fit,
 * the reason says which and by how much.
 */
export function planInstances<H extends PlacementHost>(
  poolName: string,
  /** The deployment: its id, and whether it acts as the local emulator. */
  deployment: { id: string; emulated?: boolean; osFamily?: string },
  roles: { role: RoleModel; indices: number[] }[],
  upgradeDomainCount: number,
  hosts: Iterable<H>,
  existing: (roleName: string) => InstanceView[],
  freeCores: number,
): { spec: InstanceSpec; host: H }[] | { reason: string } {
  const candidates = [...hosts];
  const plan: { spec: InstanceSpec; host: H }[] = [];
  const reserved = new Map<string, number>();
  for (const { role, indices } of roles) {
    const cores = vmSizeCores[role.vmSize];
    const perFaultDomain = new Map<number, number>();
    for (const other of existing(role.name)) perFaultDomain.set(other.faultDomain, (perFaultDomain.get(other.faultDomain) ?? 0) + 1);
    for (const n of indices) {
      const host = pickHost(candidates, cores, perFaultDomain, reserved);
      if (!host) {
        const need = roles.reduce((sum, r) => sum + vmSizeCores[r.role.vmSize] * r.indices.length, 0);
        return {
          reason: `Allocation failed: pool ${poolName} has no host with ${cores} free core(s) for ${role.name}_IN_${n} (${role.vmSize}); the request needs ${need} cores and the pool has ${freeCores} free.`,
        };
      }
      perFaultDomain.set(host.view.faultDomain, (perFaultDomain.get(host.view.faultDomain) ?? 0) + 1);
      reserved.set(host.view.id, (reserved.get(host.view.id) ?? 0) + cores);
      plan.push({ host, spec: instanceSpecOf(deployment, role, n, upgradeDomainOf(n, upgradeDomainCount), host.view.faultDomain) });
    }
  }
  return plan;
}

/** The goal state of instance number `n` of a role: what its host agent creates and runs (an upgrade makes it anew from the new package). */
export function instanceSpecOf(deployment: { id: string; emulated?: boolean; osFamily?: string }, role: RoleModel, n: number, upgradeDomain: number, faultDomain: number): InstanceSpec {
  const instanceName = `${role.name}_IN_${n}`;
  return {
    instanceId: `${deployment.id}/${instanceName}`,
    instanceName,
    deploymentId: deployment.id,
    ...(deployment.emulated ? { emulated: true } : {}),
    ...(deployment.osFamily ? { osFamily: deployment.osFamily } : {}),
    roleName: role.name,
    roleType: role.type,
    vmSize: role.vmSize,
    upgradeDomain,
    faultDomain,
    startupTasks: role.startupTasks,
    ...(role.directory ? { roleDirectory: role.directory } : {}),
    ...(role.entryModule ? { roleEntryModule: role.entryModule } : {}),
    ...programEntryPointOf(role),
    roleEnvironment: roleEnvironmentOf(role),
    ...webRoleOf(role),
    ...instanceInputOf(role, n),
  };
}

/** What RoleEnvironment will tell the role's code: settings, local storage sizes, and its endpoints' ports. */
function roleEnvironmentOf(role: RoleModel): InstanceSpec['roleEnvironment'] {
  const endpoints: InstanceSpec['roleEnvironment']['endpoints'] = {};
  for (const e of role.endpoints.input) endpoints[e.name] = { protocol: e.protocol, port: typeof e.localPort === 'number' ? e.localPort : e.port };
  for (const e of role.endpoints.internal) endpoints[e.name] = { protocol: e.protocol, port: e.port ?? 0 };
  for (const e of role.endpoints.instanceInput) endpoints[e.name] = { protocol: e.protocol, port: e.localPort };
  return {
    settings: Object.fromEntries(role.settings.map((s) => [s.name, s.value])),
    localResources: Object.fromEntries(role.localResources.map((l) => [l.name, { maximumSizeInMegabytes: l.sizeInMB, cleanOnRoleRecycle: l.cleanOnRoleRecycle }])),
    endpoints,
    ...(role.certificates.length ? { certificates: role.certificates.map((c) => ({ name: c.name, thumbprint: c.thumbprint, storeName: c.storeName, storeLocation: c.storeLocation })) } : {}),
  };
}

/** The instance's own public ports: instance number n takes the n-th port of each InstanceInputEndpoint's range. */
function instanceInputOf(role: RoleModel, n: number): Pick<InstanceSpec, 'instanceInputEndpoints'> {
  if (role.endpoints.instanceInput.length === 0) return {};
  return {
    instanceInputEndpoints: role.endpoints.instanceInput.map((e) => ({
      name: e.name,
      protocol: e.protocol,
      localPort: e.localPort,
      publicPort: e.publicPortRange.min + n <= e.publicPortRange.max ? e.publicPortRange.min + n : null,
    })),
  };
}

/** A worker role's ProgramEntryPoint, with the Runtime Environment its process gets. */
function programEntryPointOf(role: RoleModel): Pick<InstanceSpec, 'programEntryPoint'> {
  const entry = role.runtime.entryPoint;
  if (entry?.kind !== 'ProgramEntryPoint') return {};
  return { programEntryPoint: { commandLine: entry.commandLine, setReadyOnProcessStart: entry.setReadyOnProcessStart, environment: role.runtime.environment } };
}

/** The input endpoints every instance gets, and a full IIS role's sites with the endpoints each is bound to. */
function webRoleOf(role: RoleModel): Pick<InstanceSpec, 'inputEndpoints' | 'sites' | 'roleCodeListens'> {
  const inputEndpoints = role.endpoints.input.map((e) => {
    const certificate = e.certificate === undefined ? undefined : role.certificates.find((c) => c.name === e.certificate);
    return { name: e.name, protocol: e.protocol, port: e.port, localPort: e.localPort, ...(certificate ? { certificate: { name: certificate.name, thumbprint: certificate.thumbprint } } : {}) };
  });
  // Role code (an entry module, or a ProgramEntryPoint) listens on its own endpoints; IIS serves a web role's http ones.
  const roleCodeListens = role.entryModule !== undefined || role.runtime.entryPoint?.kind === 'ProgramEntryPoint';
  if (role.sites.length === 0) return { inputEndpoints, roleCodeListens };
  const sites = role.sites.map((s) => ({ name: s.name, ...(s.directory ? { directory: s.directory } : {}), endpointNames: s.bindings.map((b) => b.endpointName) }));
  return { inputEndpoints, sites, roleCodeListens };
}

/** A newly placed instance as the controller first shows it: allocated, waiting for its host agent. */
export function newInstanceView(spec: InstanceSpec, hostId: string, now: number): InstanceView {
  return {
    id: spec.instanceId,
    name: spec.instanceName,
    deploymentId: spec.deploymentId,
    roleName: spec.roleName,
    hostId,
    status: 'RoleStateUnknown',
    stateDetails: 'Allocated; waiting for the host agent.',
    powerState: 'Unknown',
    upgradeDomain: spec.upgradeDomain,
    faultDomain: spec.faultDomain,
    vmSize: spec.vmSize,
    ipAddress: null,
    statusSince: now,
    lastGuestHeartbeat: null,
    guestHeartbeats: 0,
    inRotation: false,
    rotation: [],
    restarts: 0,
    faults: [],
    endpoints: (spec.inputEndpoints ?? []).map((e) => ({ name: e.name, protocol: e.protocol, publicPort: e.port, address: null, servedBy: null })),
  };
}
