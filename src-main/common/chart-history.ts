// The charts' memory, kept by the fabric so a reloaded page redraws them: one sample of instances by status
// and cores used per pool at a time, kept to a fixed number of points so a session that runs for hours
// costs the same as one that runs for a minute. Pure: the fabric samples, the renderer draws.
// Shapes, not fabric-api's views: fabric-api carries ChartSample, so importing it back would be a cycle.
import type { InstanceStatus } from './instance-status';

export interface ChartSample {
  /** Emulated time of the sample. */
  at: number;
  byStatus: Partial<Record<InstanceStatus, number>>;
  /** Cores used per pool id. */
  coresByPool: Record<string, number>;
}

export function countByStatus(instances: Iterable<{ status: InstanceStatus }>): Partial<Record<InstanceStatus, number>> {
  const counts: Partial<Record<InstanceStatus, number>> = {};
  for (const { status } of instances) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

export function coresByPool(pools: readonly { id: string; hostIds: readonly string[] }[], hostOf: (hostId: string) => { usedCores: number } | undefined): Record<string, number> {
  const cores: Record<string, number> = {};
  for (const pool of pools) {
    let used = 0;
    for (const id of pool.hostIds) used += hostOf(id)?.usedCores ?? 0;
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
