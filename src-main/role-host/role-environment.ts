// RoleEnvironment as role code sees it inside its host process: the current instance, the deployment's roles
// (with the instances of those that have an internal endpoint), configuration settings, local resources, and
// the StatusCheck, Changing, Changed and Stopping events. Names follow the .NET API, in JavaScript's case.
import type { RoleTopology } from '../common/host-protocol';
import type { RoleEnvironmentData } from '../common/role-host-protocol';

type Listener<T> = (event: T) => void;

export interface StatusCheckEvent {
  /** Take the instance out of load-balancer rotation until the next status check. */
  setBusy(): void;
}

/** One change in a Changing or Changed event: a setting's new value, or a role whose instances changed (.NET's RoleEnvironmentConfigurationSettingChange and RoleEnvironmentTopologyChange). */
export type RoleEnvironmentChange = { type: 'setting'; name: string; value: string } | { type: 'topology'; roleName: string };

export interface ChangingEvent {
  changes: RoleEnvironmentChange[];
  /** Recycle the role to apply the change instead of taking it live. */
  cancel(): void;
}

export interface RoleInstance {
  id: string;
  /** The current instance's role also lists its `instances` (as RoleEnvironment.Roles has them now). */
  role: { name: string; readonly instances?: readonly RoleInstance[] };
  updateDomain: number;
  faultDomain: number;
  instanceEndpoints: Readonly<Record<string, { protocol: string; ipEndpoint: { address: string; port: number } }>>;
}

export interface Role {
  name: string;
  /** Listed only for a role with an internal endpoint, as in Azure. */
  instances: readonly RoleInstance[];
}

export class RoleEnvironment {
  readonly isAvailable = true;
  readonly isEmulated: boolean;
  readonly deploymentId: string;
  readonly currentRoleInstance: RoleInstance;
  private settings: Record<string, string>;
  private topology: Readonly<Record<string, Role>>;
  private readonly listeners = {
    statusCheck: new Set<Listener<StatusCheckEvent>>(),
    changing: new Set<Listener<ChangingEvent>>(),
    changed: new Set<Listener<{ changes: RoleEnvironmentChange[] }>>(),
    stopping: new Set<Listener<void>>(),
  };

  constructor(
    private readonly data: RoleEnvironmentData,
    private readonly onRecycle: () => void,
  ) {
    this.isEmulated = data.isEmulated;
    this.deploymentId = data.deploymentId;
    this.settings = { ...data.settings };
    // Its role's instances follow the topology of the moment (a getter), as CurrentRoleInstance.Role.Instances does.
    const roles = () => this.topology;
    const role = Object.freeze({
      name: data.roleName,
      get instances(): readonly RoleInstance[] {
        return roles()[data.roleName]?.instances ?? [];
      },
    });
    this.currentRoleInstance = roleInstance(role, { id: data.instanceId, updateDomain: data.updateDomain, faultDomain: data.faultDomain, endpoints: data.endpoints });
    this.topology = rolesOf(this.currentRoleInstance, data.roles);
  }

  /** Every role of the deployment by name; a role with an internal endpoint lists its instances (this one too). */
  get roles(): Readonly<Record<string, Role>> {
    return this.topology;
  }

  getRole(name: string): Role {
    // Own properties only: 'toString' or 'constructor' is no role either.
    const role = Object.hasOwn(this.topology, name) ? this.topology[name] : undefined;
    // As in .NET: a role the deployment does not have is an error, not undefined.
    if (!role) throw new Error(`RoleEnvironment: the deployment has no role "${name}" (its roles: ${Object.keys(this.topology).join(', ')}).`);
    return role;
  }

  getConfigurationSettingValue(name: string): string {
    const value = this.settings[name];
    // As in .NET: asking for a setting the role does not declare is an error, not an empty string.
    if (value === undefined) throw new Error(`RoleEnvironment: the role declares no setting "${name}".`);
    return value;
  }

  /**
   * A certificate the role names, as its code would read it from the VM's store: thumbprint, store, and the
   * PEM key and certificate (a stand-in: Fabric Lab has no real one), ready for `https.createServer`.
   */
  getCertificate(name: string): { name: string; thumbprint: string; storeName: string; storeLocation: string; key: string; cert: string } {
    const certificate = this.data.certificates?.[name];
    if (!certificate) throw new Error(`RoleEnvironment: the role declares no certificate "${name}".`);
    if (certificate.key === null || certificate.cert === null) throw new Error(`RoleEnvironment: certificate "${name}" (${certificate.thumbprint}) has no private key in the store: no stand-in could be made (is openssl installed?).`);
    return Object.freeze({ name, thumbprint: certificate.thumbprint, storeName: certificate.storeName, storeLocation: certificate.storeLocation, key: certificate.key, cert: certificate.cert });
  }

  getLocalResource(name: string): { name: string; rootPath: string; maximumSizeInMegabytes: number } {
    const resource = this.data.localResources[name];
    if (!resource) throw new Error(`RoleEnvironment: the role declares no local storage "${name}".`);
    return { name, ...resource };
  }

  requestRecycle(): void {
    this.onRecycle();
  }

  on(event: 'statusCheck', listener: Listener<StatusCheckEvent>): void;
  on(event: 'changing', listener: Listener<ChangingEvent>): void;
  on(event: 'changed', listener: Listener<{ changes: RoleEnvironmentChange[] }>): void;
  on(event: 'stopping', listener: Listener<void>): void;
  on(event: keyof RoleEnvironment['listeners'], listener: Listener<never>): void {
    (this.listeners[event] as Set<Listener<never>>).add(listener);
  }

  /** Raise StatusCheck; true when a handler called setBusy. */
  raiseStatusCheck(): boolean {
    let busy = false;
    for (const listener of this.listeners.statusCheck) listener({ setBusy: () => void (busy = true) });
    return busy;
  }

  /** Raise Changing, then (unless a handler cancelled) apply the values and raise Changed; true when cancelled. */
  raiseChanging(settings: Record<string, string>): boolean {
    const changes = Object.entries(settings).map(([name, value]): RoleEnvironmentChange => ({ type: 'setting', name, value }));
    return this.change(changes, () => (this.settings = { ...this.settings, ...settings }));
  }

  /**
   * Raise Changing with a topology change per role, then (unless cancelled) take the new Roles and raise Changed.
   * No changed role (the deployment still coming up, or only this instance's own entry): Roles takes it quietly.
   */
  raiseTopologyChanging(roles: RoleTopology[], changedRoles: string[]): boolean {
    if (changedRoles.length === 0) {
      this.topology = rolesOf(this.currentRoleInstance, roles);
      return false;
    }
    const changes = changedRoles.map((roleName): RoleEnvironmentChange => ({ type: 'topology', roleName }));
    return this.change(changes, () => (this.topology = rolesOf(this.currentRoleInstance, roles)));
  }

  private change(changes: RoleEnvironmentChange[], take: () => void): boolean {
    let cancelled = false;
    for (const listener of this.listeners.changing) listener({ changes, cancel: () => void (cancelled = true) });
    if (cancelled) return true;
    take();
    for (const listener of this.listeners.changed) listener({ changes });
    return false;
  }

  raiseStopping(): void {
    for (const listener of this.listeners.stopping) listener();
  }
}

function roleInstance(role: RoleInstance['role'], i: { id: string; updateDomain: number; faultDomain: number; endpoints: Record<string, { protocol: string; address: string; port: number }> }): RoleInstance {
  return Object.freeze({
    id: i.id,
    role,
    updateDomain: i.updateDomain,
    faultDomain: i.faultDomain,
    instanceEndpoints: Object.freeze(
      Object.fromEntries(Object.entries(i.endpoints).map(([name, e]) => [name, Object.freeze({ protocol: e.protocol, ipEndpoint: Object.freeze({ address: e.address, port: e.port }) })])),
    ),
  });
}

/** Roles by name: the listed ones with their instances; the current role always, if only with no instances listed. */
function rolesOf(current: RoleInstance, roles: RoleTopology[]): Readonly<Record<string, Role>> {
  const currentRole = current.role.name;
  const listed = roles.some((r) => r.name === currentRole) ? roles : [...roles, { name: currentRole, instances: [] }];
  const byName: Record<string, Role> = {};
  for (const role of listed) {
    const named = Object.freeze({ name: role.name });
    // The current instance, where listed, is the very object currentRoleInstance is.
    const instances = role.instances.map((i) => (role.name === currentRole && i.id === current.id ? current : roleInstance(named, i)));
    byName[role.name] = Object.freeze({ name: role.name, instances: Object.freeze(instances) });
  }
  return Object.freeze(byName);
}
