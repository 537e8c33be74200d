// The charts' points as the renderer draws them: instances by status tone and cores used per pool. The
// fabric keeps the samples (common/chart-history.ts) so a reload starts from the whole session; the store
// adds its own from the pushed batches.
import type { ChartSample } from '../../src-main/common/chart-history';
import type { HostView, InstanceView, PoolView } from '../../src-main/common/fabric-api';
import type { InstanceStatus } from '../../src-main/common/instance-status';
import { coresByPool as coresOfPools } from '../../src-main/common/chart-history';
import { toneOf, type Tone } from './status-style';

export { appendBounded } from '../../src-main/common/chart-history';

export const chartTones: readonly Tone[] = ['ready', 'busy', 'progress', 'stopping', 'stopped', 'failed', 'unknown'];

export interface HistoryPoint {
  /** Emulated time of the sample. */
  at: number;
  byTone: Record<Tone, number>;
  /** Cores used on healthy or booting hosts, per pool id. */
  coresByPool: Record<string, number>;
}

const noTones = (): Record<Tone, number> => ({ ready: 0, busy: 0, progress: 0, stopping: 0, stopped: 0, failed: 0, unknown: 0 });

export function countByTone(instances: Iterable<InstanceView>): Record<Tone, number> {
  const counts = noTones();
  for (const instance of instances) counts[toneOf(instance.status)]++;
  return counts;
}

export function coresByPool(pools: readonly PoolView[], hosts: ReadonlyMap<string, HostView>): Record<string, number> {
  return coresOfPools(pools, (id) => hosts.get(id));
}

/** A sample the fabric kept, as a chart point. */
export function toHistoryPoint(sample: ChartSample): HistoryPoint {
  const byTone = noTones();
  for (const [status, n] of Object.entries(sample.byStatus)) byTone[toneOf(status as InstanceStatus)] += n;
  return { at: sample.at, byTone, coresByPool: { ...sample.coresByPool } };
}
