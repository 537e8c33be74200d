// A deployment's instances laid out as fault domains (rows) x upgrade domains (columns), the way Service
// Fabric Explorer draws its cluster map: a glance shows whether a role is spread so that one rack or one
// upgrade walk can take down only part of it.
import type { InstanceView } from '../../src-main/common/fabric-api';

export interface DomainCell {
  faultDomain: number;
  upgradeDomain: number;
  instances: InstanceView[];
  ready: number;
}

export interface DomainMap {
  faultDomains: number[];
  upgradeDomains: number[];
  /** cells[fdIndex][udIndex] */
  cells: DomainCell[][];
}

/** Every fault domain 0..fdCount-1 and upgrade domain 0..udCount-1 gets a row/column, even when empty. */
export function domainMap(instances: readonly InstanceView[], fdCount: number, udCount: number): DomainMap {
  const fds = Math.max(fdCount, ...instances.map((i) => i.faultDomain + 1), 1);
  const uds = Math.max(udCount, ...instances.map((i) => i.upgradeDomain + 1), 1);
  const faultDomains = Array.from({ length: fds }, (_, i) => i);
  const upgradeDomains = Array.from({ length: uds }, (_, i) => i);
  const cells = faultDomains.map((fd) => upgradeDomains.map((ud): DomainCell => ({ faultDomain: fd, upgradeDomain: ud, instances: [], ready: 0 })));
  for (const i of instances) {
    const cell = cells[i.faultDomain]![i.upgradeDomain]!;
    cell.instances.push(i);
    if (i.status === 'ReadyRole') cell.ready++;
  }
  return { faultDomains, upgradeDomains, cells };
}
