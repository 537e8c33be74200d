// Service healing: instances whose host was marked bad wait here, Orphaned, until a healthy host has room for
// them, in the fault domain they had where it can; a spare host is powered on when none has. The controller
// says which instances wait and when room may have appeared (a host repaired, an instance removed); what
// placing one means (its cores, its VM) stays the controller's business.
import { vmSizeCores } from '../common/service-model';
import type { PoolInstance } from './instance-lifecycle';
import { pickHost } from './placement';
import type { Host, PoolHosts } from './pool-hosts';

export interface HealingPool {
  readonly name: string;
  readonly hosts: PoolHosts;
  /** The instances of the same role as `instance` (their fault domains spread it). */
  sameRole(instance: PoolInstance): Iterable<PoolInstance>;
  /** Give the waiting instance a host. */
  assign(instance: PoolInstance, host: Host): void;
  /** The instance's view changed (why it still waits). */
  publish(instance: PoolInstance): void;
  /** No host has room and no spare is left: the instance waits StoppedDeallocated, with no VM and no cores. */
  deallocate(instance: PoolInstance, details: string): void;
  /** A spare that did not power on: said in FabricController.log (the instance keeps waiting; the next heal tries again). */
  spareFailed(spare: Host, error: Error): void;
}

export class ServiceHealing {
  private readonly waiting = new Set<PoolInstance>();

  constructor(private readonly pool: HealingPool) {}

  /** The instance lost its host for good: it waits for another. */
  add(instance: PoolInstance): void {
    this.waiting.add(instance);
  }

  /** The instance no longer waits (removed). */
  delete(instance: PoolInstance): void {
    this.waiting.delete(instance);
  }

  /** Place every waiting instance that now fits, keeping its fault domain where it can. */
  heal(): void {
    for (const instance of [...this.waiting]) {
      const sameRole = new Map<number, number>();
      for (const other of this.pool.sameRole(instance)) {
        if (other !== instance && other.lifecycle.state !== 'Orphaned') sameRole.set(other.view.faultDomain, (sameRole.get(other.view.faultDomain) ?? 0) + 1);
      }
      const cores = vmSizeCores[instance.spec.vmSize];
      const host = pickHost(this.pool.hosts.all(), cores, sameRole, new Map(), instance.view.faultDomain);
      if (host) {
        // Placed: no longer waiting, so a later heal() does not place it again.
        this.waiting.delete(instance);
        this.pool.assign(instance, host);
        continue;
      }
      const spare = this.pool.hosts.spares()[0];
      if (!spare) {
        this.pool.deallocate(instance, `Service healing: no healthy host in pool ${this.pool.name} has ${cores} free core(s); deallocated until one has room.`);
        continue;
      }
      instance.view.stateDetails = `Service healing: powering on ${spare.view.name} for a host with ${cores} free core(s).`;
      this.pool.publish(instance);
      if (spare) void this.pool.hosts.powerOn(spare).then(() => this.heal(), (error: Error) => this.pool.spareFailed(spare, error));
    }
  }
}
