// The fabric's side of the dashboard's charts: a sample of instances by status and cores per pool taken as
// event batches go out (at most one a second), bounded, and handed over in every snapshot so a page that
// reloads, or reconnects, draws the session's history and not only what it sees from then on.
import { appendBounded, type ChartSample } from '../common/chart-history';
import type { FabricEventBatch } from '../common/fabric-api';

/** Points kept; older ones are thinned, not dropped (appendBounded). */
export const keptChartSamples = 400;

export class ChartHistory {
  private points: ChartSample[] = [];
  private lastSampledAt = -Infinity;

  constructor(
    private readonly sample: () => ChartSample,
    private readonly everyMs = 1_000,
  ) {}

  /** A batch went out: sample if it moved an instance or a host and the last sample is old enough. */
  onBatch(batch: FabricEventBatch): void {
    if (!batch.events.some((e) => e.type === 'instance' || e.type === 'instance-removed' || e.type === 'host')) return;
    const now = performance.now();
    if (now - this.lastSampledAt < this.everyMs) return;
    this.lastSampledAt = now;
    this.points = appendBounded(this.points, this.sample(), keptChartSamples);
  }

  /** The kept samples and one taken now, so the chart reaches the moment of the snapshot. */
  samples(): ChartSample[] {
    return appendBounded(this.points, this.sample(), keptChartSamples);
  }
}
