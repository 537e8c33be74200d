// An in-place upgrade as Azure walks it: one upgrade domain at a time (Auto goes on by itself, Manual waits for
// each Walk Upgrade Domain) or all at once (Simultaneous). Walking a domain takes its instances out of the load
// balancer's rotation and waits until the load balancer holds no connection to them, then upgrades them (the
// role stops within OnStop's 5 minutes, its files on E: are replaced, it starts and reports Ready) and gives
// them back to rotation. The other domains keep serving, so a role with two or more instances stays up.
// Also here: the check that a new package may upgrade the running one (its roles are the same).
import type { InstanceView, UpgradeMode, UpgradeStatusView } from '../common/fabric-api';
import { FabricErrors } from '../common/fabric-errors';
import type { ServiceModel } from '../common/service-model';

/** What a walk needs of the deployment it upgrades (the front end gives it the controller and the load balancer). */
export interface UpgradeTarget {
  /** The deployment's instances now (scaling is refused while the upgrade holds the deployment). */
  instances(): InstanceView[];
  /** Take instances out of rotation (`held`) or give them back. */
  hold(instanceIds: string[], held: boolean): void;
  /** Resolves once the load balancer sends the instances nothing and holds no connection to them. */
  drained(instanceIds: string[]): Promise<void>;
  /** Upgrade the instances in place; resolves once each is Ready again, rejects when one fails to start. */
  upgrade(instanceIds: string[]): Promise<void>;
  /** The upgrade status changed (publish the deployment). */
  changed(): void;
}

export class UpgradeWalk {
  readonly status: UpgradeStatusView;
  /** Set by a rollback: the walk goes no further than the domain under way. */
  private stopped = false;

  constructor(
    mode: UpgradeMode,
    private readonly target: UpgradeTarget,
    /** Walk only the first `domainCount` domains (a rollback walks back those an upgrade had walked). */
    domainCount?: number,
  ) {
    const domains = domainCount ?? Math.max(1, ...target.instances().map((i) => i.upgradeDomain + 1));
    this.status = { upgradeType: mode, currentUpgradeDomainState: 'Before', currentUpgradeDomain: 0, upgradeDomainCount: domains, walked: [] };
  }

  /** A rollback stopped this walk. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Every domain walked: the upgrade is complete. */
  get done(): boolean {
    return this.status.walked.length >= this.status.upgradeDomainCount;
  }

  /** Walk every domain left: one after the other (Auto, Manual's remaining walks), or all at once (Simultaneous). */
  async walkAll(): Promise<void> {
    if (this.status.upgradeType === 'Simultaneous') {
      await this.walk(range(this.status.currentUpgradeDomain, this.status.upgradeDomainCount));
      return;
    }
    while (!this.done && !this.stopped) await this.walk([this.status.currentUpgradeDomain]);
  }

  /** A rollback: no domain after the one under way is walked. */
  stop(): void {
    this.stopped = true;
  }

  /** Manual: walk `domain`, which must be the current one (the next not yet walked). */
  walkDomain(domain: number, requestId: string): Promise<void> {
    const { upgradeDomainCount, currentUpgradeDomain, currentUpgradeDomainState } = this.status;
    if (domain >= upgradeDomainCount) throw FabricErrors.upgradeDomainNotFound(domain, upgradeDomainCount, requestId);
    if (currentUpgradeDomainState === 'During') throw FabricErrors.upgradeDomainBeingWalked(currentUpgradeDomain, requestId);
    if (domain !== currentUpgradeDomain) throw FabricErrors.upgradeDomainOutOfOrder(domain, currentUpgradeDomain, this.status.walked, requestId);
    return this.walk([domain]);
  }

  /** Upgrade the instances of `domains` together; the status says During until they are back in rotation. */
  private async walk(domains: number[]): Promise<void> {
    this.status.currentUpgradeDomainState = 'During';
    this.target.changed();
    const ids = this.target
      .instances()
      .filter((i) => domains.includes(i.upgradeDomain))
      .map((i) => i.id);
    this.target.hold(ids, true);
    try {
      await this.target.drained(ids);
      await this.target.upgrade(ids);
    } finally {
      this.target.hold(ids, false);
    }
    this.status.walked = [...this.status.walked, ...domains];
    this.status.currentUpgradeDomain = Math.min(Math.max(...domains) + 1, this.status.upgradeDomainCount - 1);
    this.status.currentUpgradeDomainState = 'Before';
    this.target.changed();
  }
}

/**
 * Whether `next` may upgrade the deployment running `running` in place: the same roles, each of the same type,
 * VM size and instance count, with the same input endpoints (the VIP keeps serving them). Throws BadRequest
 * naming what differs, as Azure refuses such a package (a change of roles needs a new deployment and a VIP swap).
 */
export function checkUpgrade(running: ServiceModel, next: ServiceModel, requestId: string): void {
  const names = (m: ServiceModel) => m.roles.map((r) => r.name).sort();
  const added = names(next).filter((n) => !names(running).includes(n));
  const removed = names(running).filter((n) => !names(next).includes(n));
  if (added.length || removed.length) throw FabricErrors.upgradeRolesDiffer(added, removed, requestId);
  for (const role of running.roles) {
    const other = next.roles.find((r) => r.name === role.name)!;
    const endpoints = (r: typeof role) => r.endpoints.input.map((e) => `${e.name} ${e.protocol}:${e.port}`).sort().join(', ');
    const differences = [
      role.type !== other.type ? `its type (${role.type} -> ${other.type})` : '',
      role.vmSize !== other.vmSize ? `its VM size (${role.vmSize} -> ${other.vmSize})` : '',
      role.instanceCount !== other.instanceCount ? `its instance count (${role.instanceCount} -> ${other.instanceCount})` : '',
      endpoints(role) !== endpoints(other) ? `its input endpoints (${endpoints(role) || 'none'} -> ${endpoints(other) || 'none'})` : '',
    ].filter(Boolean);
    if (differences.length) throw FabricErrors.upgradeRoleChanged(role.name, differences, requestId);
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
