// The promises the front end's operations wait on: an instance reaching a status (Ready after a start, StoppedVM
// after a stop), and a guest agent taking a configuration version. The controller tells this module what
// happened to an instance; the module settles what waited for it.
import type { InstanceStatus } from '../common/instance-status';

/** Statuses that end a wait for Ready with a failure the operation reports. */
export const failedStart: readonly InstanceStatus[] = ['FailedStartingRole', 'FailedStartingVM'];

/** What a wait for Ready (after a start, a reboot, a recycle) waits for. */
export const readyOrFailed: readonly InstanceStatus[] = ['ReadyRole', ...failedStart];

interface Waiter {
  targets: readonly InstanceStatus[];
  resolve: () => void;
  reject: (error: Error) => void;
}

export class InstanceWaiters {
  private readonly waiters = new Map<string, Waiter[]>();
  /** Per instance, the configuration versions sent to its host and not yet taken, each with what to do when it is. */
  private readonly acks = new Map<string, Map<number, (recycled: boolean) => void>>();

  /** Resolves when the instance next reaches one of `targets`; rejects when a start fails or the instance is removed first. */
  status(instanceId: string, targets: readonly InstanceStatus[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const list = this.waiters.get(instanceId);
      if (list) list.push({ targets, resolve, reject });
      else this.waiters.set(instanceId, [{ targets, resolve, reject }]);
    });
  }

  /**
   * Resolves once the guest has taken configuration `version`: at once when it applied it live, or once it is
   * Ready again when it recycled to apply it. An instance that loses its VM first counts as having taken it
   * (the re-created one starts with it).
   */
  configuration(instanceId: string, version: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let pending = this.acks.get(instanceId);
      if (!pending) this.acks.set(instanceId, (pending = new Map()));
      pending.set(version, (recycled) => {
        if (!recycled) return resolve();
        this.status(instanceId, readyOrFailed).then(resolve, reject);
      });
    });
  }

  /** The instance entered `status`: settle the waits that ended (`name` and `details` say why a start failed). */
  statusChanged(instanceId: string, status: InstanceStatus, name: string, details: string): void {
    const list = this.waiters.get(instanceId);
    if (!list) return;
    const left = list.filter((waiter) => {
      if (!waiter.targets.includes(status)) return true;
      if (failedStart.includes(status) && !waiter.targets.every((t) => failedStart.includes(t))) {
        waiter.reject(new Error(`${name} is ${status}: ${details}`));
      } else {
        waiter.resolve();
      }
      return false;
    });
    if (left.length > 0) this.waiters.set(instanceId, left);
    else this.waiters.delete(instanceId);
  }

  /** The guest answered configuration-applied. */
  configurationApplied(instanceId: string, version: number, recycled: boolean): void {
    const pending = this.acks.get(instanceId);
    const ack = pending?.get(version);
    pending?.delete(version);
    if (pending?.size === 0) this.acks.delete(instanceId);
    ack?.(recycled);
  }

  /** The VM that was to apply a configuration is gone: the re-created one starts with it, so the waits end. */
  vmLost(instanceId: string): void {
    const pending = this.acks.get(instanceId);
    if (!pending) return;
    this.acks.delete(instanceId);
    for (const ack of pending.values()) ack(false);
  }

  /** The instance is gone: waits for its stop succeed, the others fail. */
  removed(instanceId: string, name: string): void {
    this.vmLost(instanceId);
    const list = this.waiters.get(instanceId) ?? [];
    this.waiters.delete(instanceId);
    for (const waiter of list) {
      if (waiter.targets.includes('StoppedVM')) waiter.resolve();
      else waiter.reject(new Error(`Instance ${name} was removed.`));
    }
  }
}
