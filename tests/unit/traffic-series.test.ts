// The renderer's requests/s per instance, made from the load balancer's cumulative counters as they are pushed.
import { describe, expect, it } from 'vitest';
import type { EndpointTrafficView, TrafficCounters, TrafficView } from '../../src-main/common/fabric-api';
import { appendTraffic, formatBytes } from '../../src-renderer/lib/traffic-series';

const counters = (requests: number, connections = requests): TrafficCounters => ({ connections, activeConnections: 0, requests, bytesIn: 0, bytesOut: 0, errors: 0, latencyP50Ms: null, latencyP99Ms: null });
const probe = { kind: 'guest-agent' as const, name: 'guest agent', lastResult: '', at: null };
function view(at: number, protocol: 'http' | 'tcp', perInstance: Record<string, number>): TrafficView {
  const endpoint: EndpointTrafficView = {
    deploymentId: 'd1',
    roleName: 'Web',
    endpointName: 'In',
    protocol,
    vip: '127.100.0.1',
    port: 80,
    totals: counters(0),
    refused: 0,
    refusedBy: { noInstance: 0, connectionLimit: 0, instanceUnreachable: 0 },
    idleClosed: 0,
    malformed: 0,
    instances: Object.entries(perInstance).map(([name, n]) => ({ instanceId: `d1/${name}`, instanceName: name, address: null, inRotation: true, probe, counters: protocol === 'http' ? counters(n, 1) : counters(0, n) })),
  };
  return { at, endpoints: [endpoint], runs: [] };
}

describe('traffic series', () => {
  it('turns cumulative counters into per-instance rates between pushes (requests for http, connections for tcp)', () => {
    const first = view(1_000, 'http', { A: 10, B: 0 });
    const second = view(1_500, 'http', { A: 60, B: 25 });
    expect(appendTraffic([], null, first, 10)).toEqual([]);
    const series = appendTraffic([], first, second, 10);
    expect(series).toEqual([{ at: 1_500, rates: { 'd1/In': { A: 100, B: 50 } } }]);
    const tcp = appendTraffic([], view(0, 'tcp', { A: 0 }), view(2_000, 'tcp', { A: 8 }), 10);
    expect(tcp[0]!.rates['d1/In']).toEqual({ A: 4 });
  });

  it('counts a new instance from zero, never shows a negative rate, and ignores a push that goes back in time', () => {
    const series = appendTraffic([], view(0, 'http', { A: 5 }), view(1_000, 'http', { A: 3, C: 7 }), 10);
    expect(series[0]!.rates['d1/In']).toEqual({ A: 0, C: 7 });
    expect(appendTraffic(series, view(2_000, 'http', { A: 1 }), view(1_000, 'http', { A: 2 }), 10)).toEqual(series);
  });

  it('formats bytes for people', () => {
    expect([formatBytes(512), formatBytes(2_048), formatBytes(3 * 1024 * 1024)]).toEqual(['512 B', '2.0 KiB', '3.0 MiB']);
  });
});
