// Messages between the fabric (main thread) and the load balancer's worker thread. The fabric tells it which
// VIP endpoints to open and which instances (DIP:port, in rotation or not) stand behind each; the worker
// forwards connections, counts, and runs traffic generators.
import type { EndpointTrafficView, InstanceTrafficView, TrafficRunView } from '../../common/fabric-api';
import type { ProbeConfig } from './custom-probe';
import type { TrafficPlan } from './traffic-generator';

export type Distribution = 'fiveTuple' | 'sourceIP' | 'sourceIPProtocol';

export interface VipEndpointConfig {
  deploymentId: string;
  roleName: string;
  name: string;
  protocol: 'http' | 'https' | 'tcp' | 'udp';
  vip: string;
  requestedPort: number;
  distribution: Distribution;
  /** idleTimeoutInMinutes, in emulated ms. */
  idleTimeoutMs: number;
  /** The endpoint's custom LoadBalancerProbe; absent: the guest agent's answer (the fabric's rotation). */
  probe?: ProbeConfig;
  /** An InstanceInputEndpoint's port: only this instance stands behind it. `name` is then `<endpoint>@<instance>`. */
  instance?: { instanceName: string; endpointName: string };
}

/** One instance behind an endpoint, as the fabric's rotation and the instance's listener say. */
export interface BackendConfig {
  instanceId: string;
  instanceName: string;
  /** DIP:port, null while nothing listens. */
  address: string | null;
  inRotation: boolean;
  probe: InstanceTrafficView['probe'];
}

export type ToLoadBalancer =
  | { type: 'init'; clock: SharedArrayBuffer; maxConnectionsPerEndpoint: number }
  | { type: 'open'; deploymentId: string; endpoints: VipEndpointConfig[] }
  | { type: 'close'; deploymentId: string }
  /** VIP swap: the endpoints of `a` and of `b` trade the instances behind them (each pair matched by name). */
  | { type: 'swap'; a: string; b: string }
  | { type: 'backends'; deploymentId: string; endpointName: string; backends: BackendConfig[] }
  | { type: 'read'; id: number }
  | { type: 'start-run'; id: string; plan: TrafficPlan; deploymentId: string; endpointName: string }
  | { type: 'stop-run'; id: string }
  | { type: 'shutdown' };

export type FromLoadBalancer =
  | { type: 'opened'; deploymentId: string; endpoints: { name: string; port: number | null; note: string }[] }
  /** Counters and runs; `id` answers a read, absent on the worker's own pushes. */
  | { type: 'traffic'; id?: number; at: number; endpoints: EndpointTrafficView[]; runs: TrafficRunView[] }
  | { type: 'log'; level: 'INFO' | 'WARN' | 'ERROR'; message: string };
