// Where the fabric controller puts an instance: on a healthy host with enough free cores, spreading each
// role over fault domains. Pure, so it can be reasoned about and tested on its own.
import type { HostView } from '../common/fabric-api';

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
  const free = (h: H) => h.view.cores - h.view.usedCores - (reserved.get(h.view.id) ?? 0);
  let best: H | null = null;
  const rank = (h: H): [number, number, number] => [
    preferFaultDomain === undefined || h.view.faultDomain === preferFaultDomain ? 0 : 1,
    roleCountByFaultDomain.get(h.view.faultDomain) ?? 0,
    -free(h),
  ];
  for (const host of hosts) {
    if (host.view.health !== 'Healthy' || free(host) < cores) continue;
    if (!best) {
      best = host;
      continue;
    }
    const a = rank(host);
    const b = rank(best);
    const order = a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || host.view.id.localeCompare(best.view.id);
    if (order < 0) best = host;
  }
  return best;
}

/** Upgrade domain of the n-th instance of a role: round robin, so 14 instances over 5 domains are 3,3,3,3,2. */
export function upgradeDomainOf(index: number, upgradeDomainCount: number): number {
  return index % upgradeDomainCount;
}
