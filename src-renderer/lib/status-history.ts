// The charts' memory: one point per sample of instances by status tone and cores used per pool, kept to a
// fixed number of points so a session that runs for hours costs the same as one that runs for a minute.
import type { HostView, InstanceView, PoolView } from '../../src-main/common/fabric-api';
import { toneOf, type Tone } from './status-style';

export const chartTones: readonly Tone[] = ['ready', 'busy', 'progress', 'stopping', 'stopped', 'failed', 'unknown'];

export interface HistoryPoint {
  /** Emulated time of the sample. */
  at: number;
  byTone: Record<Tone, number>;
  /** Cores used on healthy or booting hosts, per pool id. */
  coresByPool: Record<string, number>;
}

export function countByTone(instances: Iterable<InstanceView>): Record<Tone, number> {
  const counts: Record<Tone, number> = { ready: 0, busy: 0, progress: 0, stopping: 0, stopped: 0, failed: 0, unknown: 0 };
  for (const instance of instances) counts[toneOf(instance.status)]++;
  return counts;
}

export function coresByPool(pools: readonly PoolView[], hosts: ReadonlyMap<string, HostView>): Record<string, number> {
  const cores: Record<string, number> = {};
  for (const pool of pools) {
    let used = 0;
    for (const id of pool.hostIds) used += hosts.get(id)?.usedCores ?? 0;
    cores[pool.id] = used;
  }
  return cores;
}

/**
 * Append a point, keeping at most `max`. When full, every other point of the older half is dropped, so the
 * chart keeps the whole session at a coarser grain instead of forgetting its beginning. A point at the same
 * emulated time as the last one (the clock paused) replaces it.
 */
export function appendBounded<T extends { at: number }>(points: readonly T[], point: T, max: number): T[] {
  const last = points.at(-1);
  if (last && point.at <= last.at) return [...points.slice(0, -1), point];
  if (points.length < max) return [...points, point];
  const half = Math.floor(points.length / 2);
  const thinned = points.slice(0, half).filter((_, i) => i % 2 === 0);
  return [...thinned, ...points.slice(half), point];
}
