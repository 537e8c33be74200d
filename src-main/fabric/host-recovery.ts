// What a pool's fabric controller does when one of its hosts fails, as Azure's does: restart the host first
// and re-create its instances on it; a host that does not come back, or fails again soon after its restart, is
// marked bad (powered off for repair) and its instances go to service healing. Repair brings an Unhealthy host
// back. What losing a VM means for an instance stays the controller's business (RecoveringPool).
import { FabricErrors } from '../common/fabric-errors';
import type { ComponentLog } from '../logs/component-log';
import type { PoolInstance } from './instance-lifecycle';
import type { Host, PoolHosts } from './pool-hosts';

/**
 * A host that fails again this soon after the controller restarted it is marked bad ("repeated failures"): 15
 * emulated minutes, or 20 real seconds, since at high time scales detecting a failure alone takes longer than that.
 */
const repeatedFailureWindow = { emulated: 15 * 60_000, real: 20_000 };

export interface RecoveringPool {
  readonly hosts: PoolHosts;
  /** FabricController.log of the pool. */
  readonly log: ComponentLog;
  now(): number;
  /** The instances whose host is this one (holding their cores there). */
  instancesOn(host: Host): PoolInstance[];
  /** The instance's VM went with its host: to wait for the restarted host (`orphan` false) or for service healing. */
  loseVm(instance: PoolInstance, details: string, now: number, orphan: boolean): void;
  /** The restarted host is back: re-create the instance's VM on it if it waited for that. */
  recreate(instance: PoolInstance): void;
  /** Room may have appeared: place the instances waiting for a host. */
  heal(): void;
}

export class HostRecovery {
  /** Hosts being restarted by repair, until they are Healthy again (or the repair fails). */
  private readonly repairing = new Set<string>();

  constructor(private readonly pool: RecoveringPool) {}

  /** The controller's probe of the host failed: restart it, unless it failed again soon after the last restart. */
  hostFailed(host: Host, reason: string): void {
    const { pool } = this;
    const now = pool.now();
    const last = host.restartedAt;
    if (last && (now - last.emulated < repeatedFailureWindow.emulated || performance.now() - last.real < repeatedFailureWindow.real)) {
      this.markBad(host, `${reason} It failed again soon after the fabric controller restarted it.`);
      return;
    }
    pool.log.write('ERROR', `${host.view.id} failed: ${reason} Restarting the host.`);
    for (const instance of pool.instancesOn(host)) pool.loseVm(instance, `${host.view.name} failed: ${reason} The fabric controller is restarting the host.`, now, false);
    pool.hosts.restart(host, `${reason} The fabric controller is restarting the host.`).then(
      () => {
        pool.log.write('INFO', `${host.view.id} is back after its restart; re-creating its instances on it.`);
        for (const instance of pool.instancesOn(host)) pool.recreate(instance);
      },
      (error: Error) => this.markBad(host, `${reason} The fabric controller restarted it, but ${error.message}.`),
    );
  }

  /**
   * Restart an Unhealthy host: a fresh worker and host agent, Booting then Healthy, with every core free for
   * later placements (and for instances still waiting for a host). Instances healed elsewhere stay there.
   */
  repair(host: Host): void {
    const { pool } = this;
    const hostId = host.view.id;
    if (this.repairing.has(hostId)) throw FabricErrors.hostBeingRepaired(host.view.name);
    if (host.view.health !== 'Unhealthy') throw FabricErrors.hostNotUnhealthy(host.view.name, host.view.health);
    this.repairing.add(hostId);
    pool.log.write('WARN', `Repairing ${hostId}: restarting the host OS and its host agent.`);
    pool.hosts.repair(host).then(
      () => {
        this.repairing.delete(hostId);
        pool.log.write('INFO', `${hostId} is repaired and Healthy; it takes placements again.`);
        pool.heal();
      },
      (error: Error) => {
        this.repairing.delete(hostId);
        pool.log.write('ERROR', `Repair of ${hostId} failed: ${error.message}`);
        pool.hosts.markFailed(host, `The repair failed: ${error.message}`);
      },
    );
  }

  /** Power the host off for repair, and re-create its instances on healthy hosts (service healing). */
  private markBad(host: Host, reason: string): void {
    const { pool } = this;
    pool.log.write('ERROR', `${host.view.id} is bad: ${reason} Marking it out for repair and healing its instances.`);
    pool.hosts.markFailed(host, `${reason} Marked out for repair; its instances are being re-created on healthy hosts.`);
    const now = pool.now();
    for (const instance of pool.instancesOn(host)) {
      pool.loseVm(
        instance,
        instance.view.status === 'StoppedVM' ? `${host.view.name} failed; the stopped instance will be re-created on another host.` : `${host.view.name} failed: ${reason} Service healing: waiting for a healthy host.`,
        now,
        true,
      );
    }
    pool.heal();
  }
}
