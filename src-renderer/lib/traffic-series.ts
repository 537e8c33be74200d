// Requests (or, for tcp endpoints, connections) per second per instance, made from the load balancer's
// cumulative counters as they are pushed: each push is one point, the rate since the push before.
import type { EndpointTrafficView, TrafficView } from '../../src-main/common/fabric-api';
import { appendBounded } from './status-history';

export interface TrafficPoint {
  /** Real ms since the Unix epoch. */
  at: number;
  /** Per endpoint (deploymentId/endpointName), per instance name: events a second since the last point. */
  rates: Record<string, Record<string, number>>;
}

export const endpointKey = (e: { deploymentId: string; endpointName: string }): string => `${e.deploymentId}/${e.endpointName}`;

/** What an endpoint's chart counts: requests for http, connections for tcp (which has no requests to see). */
export function countOf(endpoint: EndpointTrafficView, counters: EndpointTrafficView['totals']): number {
  return endpoint.protocol === 'http' ? counters.requests : counters.connections;
}

/** The next series: a point of rates between `previous` and `next` (none for the first view, or a clock that went back). */
export function appendTraffic(series: readonly TrafficPoint[], previous: TrafficView | null, next: TrafficView, max: number): TrafficPoint[] {
  if (!previous || next.at <= previous.at) return [...series];
  const seconds = (next.at - previous.at) / 1000;
  const rates: TrafficPoint['rates'] = {};
  for (const endpoint of next.endpoints) {
    const before = previous.endpoints.find((e) => endpointKey(e) === endpointKey(endpoint));
    const perInstance: Record<string, number> = {};
    for (const instance of endpoint.instances) {
      const old = before?.instances.find((i) => i.instanceId === instance.instanceId);
      const delta = countOf(endpoint, instance.counters) - (old ? countOf(endpoint, old.counters) : 0);
      perInstance[instance.instanceName] = Math.max(0, Math.round((delta / seconds) * 10) / 10);
    }
    rates[endpointKey(endpoint)] = perInstance;
  }
  return appendBounded(series, { at: next.at, rates }, max);
}

/** Bytes for people: 1.2 KiB, 3.4 MiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
