// Entry of the load balancer's worker thread: the VIP listeners and every forwarded byte live here, off the
// fabric's main thread, so heavy traffic does not slow the controllers or the UI's event pushes. The fabric
// (load-balancer.ts) sends it the endpoints and their instances; it answers with counters twice a second.
import { parentPort } from 'node:worker_threads';
import { EmulatedClock } from '../../common/emulated-clock';
import type { TrafficRunView } from '../../common/fabric-api';
import type { FromLoadBalancer, ToLoadBalancer } from './protocol';
import { TrafficRun } from './traffic-generator';
import { VipEndpoint } from './vip-endpoint';

if (!parentPort) throw new Error('load-balancer-worker must run as a worker thread');
const fabric = parentPort;
const send = (message: FromLoadBalancer) => fabric.postMessage(message);

/** VIP endpoints per deployment. */
const deployments = new Map<string, VipEndpoint[]>();
const runs = new Map<string, TrafficRun>();
/** Ended runs are kept for the UI, the latest few. */
const endedRuns: TrafficRunView[] = [];
const keptRuns = 20;
let clock: EmulatedClock | null = null;
let maxConnections = 2_000;
let changed = false;
const touched = () => void (changed = true);

/** How often counters are pushed (when something changed) and idle connections swept. */
const pushMs = 500;
const sweepMs = 100;
let lastSweep = 0;

function traffic(id?: number): FromLoadBalancer {
  const endpoints = [...deployments.values()].flatMap((list) => list.map((e) => e.view()));
  const all = [...[...runs.values()].map((r) => r.snapshot()), ...endedRuns];
  return { type: 'traffic', ...(id !== undefined ? { id } : {}), at: Date.now(), endpoints, runs: all };
}

/** One more push after traffic stops, so a chart of rates sees them fall to zero. */
let settlePush = false;
setInterval(() => {
  if (!changed && runs.size === 0 && !settlePush) return;
  settlePush = changed || runs.size > 0;
  changed = false;
  send(traffic());
}, pushMs).unref();

setInterval(() => {
  if (!clock) return;
  const now = clock.now();
  const elapsed = lastSweep === 0 ? 0 : now - lastSweep;
  lastSweep = now;
  const { scale, paused } = clock.read();
  for (const list of deployments.values()) {
    for (const endpoint of list) {
      endpoint.sweepIdle(elapsed);
      if (!paused) endpoint.probeTick(now, scale);
    }
  }
}, sweepMs).unref();

async function open(deploymentId: string, list: VipEndpoint[]): Promise<void> {
  deployments.set(deploymentId, list);
  const opened: { name: string; port: number | null; note: string }[] = [];
  for (const endpoint of list) {
    try {
      await endpoint.listen();
      opened.push({ name: endpoint.config.name, port: endpoint.port, note: endpoint.note });
    } catch (error) {
      const note = `nothing listens: ${(error as Error).message}`;
      opened.push({ name: endpoint.config.name, port: null, note });
      send({ type: 'log', level: 'ERROR', message: `${deploymentId} ${endpoint.config.roleName}/${endpoint.config.name}: ${note}` });
    }
  }
  if (deployments.get(deploymentId) === list) send({ type: 'opened', deploymentId, endpoints: opened });
}

function handle(message: ToLoadBalancer): void {
  switch (message.type) {
    case 'init':
      clock = new EmulatedClock(message.clock);
      maxConnections = message.maxConnectionsPerEndpoint;
      break;
    case 'open': {
      const list = message.endpoints.map(
        (config) => new VipEndpoint(config, maxConnections, touched, (problem) => send({ type: 'log', level: 'ERROR', message: `${config.deploymentId} ${config.roleName}/${config.name}: ${problem}` })),
      );
      void open(message.deploymentId, list);
      break;
    }
    case 'close':
      for (const endpoint of deployments.get(message.deploymentId) ?? []) endpoint.close();
      deployments.delete(message.deploymentId);
      touched();
      break;
    case 'swap': {
      // The listeners stay on their VIPs; each takes the other deployment's instances, in one step, so no new
      // connection meets an endpoint with nobody behind it. Connections under way keep their instance.
      const a = deployments.get(message.a) ?? [];
      const b = deployments.get(message.b) ?? [];
      for (const endpoint of a) {
        const partner = b.find((e) => e.config.name === endpoint.config.name);
        if (partner) endpoint.swapBackends(partner);
      }
      for (const endpoint of a) endpoint.config.deploymentId = message.b;
      for (const endpoint of b) endpoint.config.deploymentId = message.a;
      deployments.set(message.a, b);
      deployments.set(message.b, a);
      touched();
      break;
    }
    case 'backends':
      deployments
        .get(message.deploymentId)
        ?.find((e) => e.config.name === message.endpointName)
        ?.setBackends(message.backends);
      break;
    case 'read':
      send(traffic(message.id));
      break;
    case 'start-run': {
      const run = new TrafficRun(message.id, message.plan, { deploymentId: message.deploymentId, endpointName: message.endpointName }, (view) => {
        runs.delete(message.id);
        endedRuns.unshift(view);
        endedRuns.length = Math.min(endedRuns.length, keptRuns);
        touched();
      });
      runs.set(message.id, run);
      run.start();
      break;
    }
    case 'stop-run':
      runs.get(message.id)?.cancel();
      break;
    case 'shutdown':
      for (const run of runs.values()) run.cancel();
      for (const list of deployments.values()) for (const endpoint of list) endpoint.close();
      deployments.clear();
      fabric.close();
      break;
  }
}

fabric.on('message', (message: ToLoadBalancer) => {
  try {
    handle(message);
  } catch (error) {
    // One bad message must not take the load balancer down: say so where the fabric logs it, and go on.
    send({ type: 'log', level: 'ERROR', message: `load balancer: ${(error as Error).message}` });
  }
});
