// RoleEnvironment as role code sees it inside its host process: the current instance, configuration
// settings, local resources, and the StatusCheck, Changing, Changed and Stopping events. Names follow the
// .NET API, in JavaScript's case.
import type { RoleEnvironmentData } from '../common/role-host-protocol';

type Listener<T> = (event: T) => void;

export interface StatusCheckEvent {
  /** Take the instance out of load-balancer rotation until the next status check. */
  setBusy(): void;
}

export interface ChangingEvent {
  changes: { name: string; value: string }[];
  /** Recycle the role to apply the change instead of taking it live. */
  cancel(): void;
}

export class RoleEnvironment {
  readonly isAvailable = true;
  readonly isEmulated: boolean;
  readonly deploymentId: string;
  readonly currentRoleInstance;
  private settings: Record<string, string>;
  private readonly listeners = {
    statusCheck: new Set<Listener<StatusCheckEvent>>(),
    changing: new Set<Listener<ChangingEvent>>(),
    changed: new Set<Listener<{ changes: { name: string; value: string }[] }>>(),
    stopping: new Set<Listener<void>>(),
  };

  constructor(
    private readonly data: RoleEnvironmentData,
    private readonly onRecycle: () => void,
  ) {
    this.isEmulated = data.isEmulated;
    this.deploymentId = data.deploymentId;
    this.settings = { ...data.settings };
    this.currentRoleInstance = Object.freeze({
      id: data.instanceId,
      role: Object.freeze({ name: data.roleName }),
      updateDomain: data.updateDomain,
      faultDomain: data.faultDomain,
      instanceEndpoints: Object.freeze(
        Object.fromEntries(Object.entries(data.endpoints).map(([name, e]) => [name, Object.freeze({ protocol: e.protocol, ipEndpoint: Object.freeze({ address: e.address, port: e.port }) })])),
      ),
    });
  }

  getConfigurationSettingValue(name: string): string {
    const value = this.settings[name];
    // As in .NET: asking for a setting the role does not declare is an error, not an empty string.
    if (value === undefined) throw new Error(`RoleEnvironment: the role declares no setting "${name}".`);
    return value;
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
  on(event: 'changed', listener: Listener<{ changes: { name: string; value: string }[] }>): void;
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
    const changes = Object.entries(settings).map(([name, value]) => ({ name, value }));
    let cancelled = false;
    for (const listener of this.listeners.changing) listener({ changes, cancel: () => void (cancelled = true) });
    if (cancelled) return true;
    this.settings = { ...this.settings, ...settings };
    for (const listener of this.listeners.changed) listener({ changes });
    return false;
  }

  raiseStopping(): void {
    for (const listener of this.listeners.stopping) listener();
  }
}
