// One input endpoint on a deployment's VIP: a real TCP listener at VIP:port that hands each NEW connection to
// an instance in the endpoint's rotation, chosen by a hash of the connection (5-tuple, or the source IP as
// loadBalancerDistribution asks), and then only forwards bytes: a connection stays with its instance until
// either side closes it, whatever rotation does meanwhile (Azure's load balancer is layer 4 and does the same).
// With no instance in rotation a connection is accepted and reset at once, counted, as are connections over
// the endpoint's limit and instances that refuse to connect (the next in rotation is tried first).
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { EndpointTrafficView, InstanceTrafficView } from '../../common/fabric-api';
import { bindOnce, boundPort, describeWalk, walkPorts } from '../../common/port-walk';
import { CustomProbe } from './custom-probe';
import { HttpExchangeMeter } from './http-exchange-meter';
import type { BackendConfig, VipEndpointConfig } from './protocol';
import { TrafficMeter } from './traffic-counters';

interface Backend extends BackendConfig {
  host: string | null;
  port: number;
  meter: TrafficMeter;
  /** The instance is no longer in the deployment: kept so the counters still add up. */
  gone: boolean;
}

interface Forwarded {
  client: Socket;
  backend: Socket;
  /** Bytes moved since the last idle sweep. */
  active: boolean;
  /** Emulated ms without a byte either way. */
  idleMs: number;
  /** performance.now() of the last sweep that saw bytes move. */
  activeAt: number;
}

/**
 * Real ms a connection must also have been idle before idleTimeoutInMinutes closes it: at 1000x, 4 emulated
 * minutes are 240 real ms, less than a busy machine may take to answer one request.
 */
export const idleFloorMs = 2_000;

/** FNV-1a over a string: the connection's hash, spread evenly enough for a handful of instances. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class VipEndpoint {
  private readonly server: Server;
  port: number | null = null;
  note = '';
  private backends = new Map<string, Backend>();
  /** In-rotation backends with an address, in a stable order; rebuilt when the fabric sends a change. */
  private rotation: Backend[] = [];
  private readonly open = new Set<Forwarded>();
  private readonly totals = new TrafficMeter();
  private readonly refusedBy = { noInstance: 0, connectionLimit: 0, instanceUnreachable: 0 };
  private idleClosed = 0;
  private malformed = 0;
  private closed = false;
  /** The endpoint's custom LoadBalancerProbe, which then decides rotation instead of the guest agent. */
  private probe: CustomProbe | null;

  constructor(
    readonly config: VipEndpointConfig,
    maxConnections: number,
    /** Something changed that the next push of counters should carry. */
    private readonly touched: () => void,
    private readonly failed: (message: string) => void = () => {},
  ) {
    // allowHalfOpen: a client that has sent its last byte still gets the whole answer.
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => this.accept(client));
    this.server.maxConnections = maxConnections;
    this.probe = config.probe ? new CustomProbe(config.probe) : null;
    this.server.on('drop', () => {
      this.totals.connections++;
      this.refusedBy.connectionLimit++;
      this.touched();
    });
  }

  /** Listen at VIP:port, walking up from the csdef's port when it is taken or privileged. */
  async listen(): Promise<void> {
    const walk = await walkPorts(this.config.requestedPort, (port) => bindOnce(this.server, this.config.vip, port));
    this.port = boundPort(this.server);
    // Once listening, an error (out of file descriptors while accepting) is logged; the endpoint goes on.
    this.server.on('error', (error) => this.failed(`${this.config.vip}:${this.port}: ${error.message}`));
    this.note = describeWalk(this.config.requestedPort, walk);
    if (this.closed) this.server.close();
  }

  close(): void {
    this.closed = true;
    this.server.close();
    for (const f of this.open) {
      f.client.destroy();
      f.backend.destroy();
    }
    this.open.clear();
  }

  /** VIP swap: this endpoint and `other` (the same endpoint of the other slot's deployment) trade their instances. */
  swapBackends(other: VipEndpoint): void {
    [this.backends, other.backends] = [other.backends, this.backends];
    [this.probe, other.probe] = [other.probe, this.probe];
    this.rebuildRotation();
    other.rebuildRotation();
  }

  setBackends(list: BackendConfig[]): void {
    const seen = new Set<string>();
    for (const config of list) {
      seen.add(config.instanceId);
      const [host, port] = splitAddress(config.address);
      const existing = this.backends.get(config.instanceId);
      if (existing) Object.assign(existing, config, { host, port, gone: false });
      else this.backends.set(config.instanceId, { ...config, host, port, meter: new TrafficMeter(), gone: false });
    }
    for (const backend of this.backends.values()) {
      if (seen.has(backend.instanceId)) continue;
      backend.gone = true;
      backend.inRotation = false;
      backend.address = null;
      backend.host = null;
    }
    this.rebuildRotation();
  }

  /** Whether new connections may go to the instance: its probe's verdict (custom, or the guest agent's via the fabric). */
  private inRotation(b: Backend): boolean {
    return b.host !== null && !b.gone && (this.probe ? this.probe.healthy(b.instanceId) : b.inRotation);
  }

  private rebuildRotation(): void {
    this.rotation = [...this.backends.values()].filter((b) => this.inRotation(b)).sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1));
    this.touched();
  }

  /** Run the custom probe where it is due (emulated `now`; `scale` emulated ms per real ms). */
  probeTick(now: number, scale: number): void {
    if (!this.probe || this.closed) return;
    const targets = [...this.backends.values()].filter((b) => !b.gone).map((b) => ({ instanceId: b.instanceId, host: b.host, port: b.port }));
    this.probe.tick(now, scale, targets, () => this.rebuildRotation());
  }

  /** Close connections idle for idleTimeoutInMinutes (and idleFloorMs of real time); `elapsed`: emulated ms since the last sweep. */
  sweepIdle(elapsed: number, realNow = performance.now()): void {
    for (const f of this.open) {
      if (f.active) {
        f.active = false;
        f.idleMs = 0;
        f.activeAt = realNow;
        continue;
      }
      f.idleMs += elapsed;
      if (f.idleMs >= this.config.idleTimeoutMs && realNow - f.activeAt >= idleFloorMs) {
        this.idleClosed++;
        this.touched();
        f.client.destroy();
        f.backend.destroy();
      }
    }
  }

  view(): EndpointTrafficView {
    const refused = this.refusedBy.noInstance + this.refusedBy.connectionLimit + this.refusedBy.instanceUnreachable;
    return {
      deploymentId: this.config.deploymentId,
      roleName: this.config.roleName,
      endpointName: this.config.name,
      protocol: this.config.protocol,
      vip: this.config.vip,
      port: this.port,
      totals: this.totals.view(),
      refused,
      refusedBy: { ...this.refusedBy },
      idleClosed: this.idleClosed,
      malformed: this.malformed,
      instances: [...this.backends.values()].map(
        (b): InstanceTrafficView => ({
          instanceId: b.instanceId,
          instanceName: b.instanceName,
          address: b.address,
          inRotation: this.inRotation(b),
          probe: this.probe ? { kind: this.probe.config.protocol, name: this.probe.config.name, ...this.probe.view(b.instanceId) } : b.probe,
          counters: b.meter.view(),
        }),
      ),
    };
  }

  private accept(client: Socket): void {
    this.totals.connections++;
    this.touched();
    client.on('error', () => {});
    if (this.rotation.length === 0) return this.refuse(client, 'noInstance');
    const remote = `${client.remoteAddress ?? ''}`;
    const key =
      this.config.distribution === 'sourceIP'
        ? `${remote}|${this.config.vip}`
        : this.config.distribution === 'sourceIPProtocol'
          ? `${remote}|${this.config.vip}|tcp`
          : `${remote}|${client.remotePort ?? 0}|${this.config.vip}|${this.port ?? 0}|tcp`;
    const start = hash(key) % this.rotation.length;
    const order = this.rotation.map((_, i) => this.rotation[(start + i) % this.rotation.length]!);
    this.tryConnect(client, order, 0);
  }

  private refuse(client: Socket, why: keyof VipEndpoint['refusedBy']): void {
    this.refusedBy[why]++;
    this.touched();
    if (client.destroyed) return;
    client.resetAndDestroy();
  }

  /** Connect to the chosen instance; one that refuses counts an error there and the next in rotation is tried. */
  private tryConnect(client: Socket, order: Backend[], index: number): void {
    const target = order[index];
    if (!target || client.destroyed) return this.refuse(client, 'instanceUnreachable');
    if (!this.inRotation(target)) return this.tryConnect(client, order, index + 1);
    // From the client's own address (every 127.x address is local): the instance sees who called, as behind
    // Azure's load balancer, so IIS's W3C c-ip is the client's and not the load balancer's.
    // From the client's own loopback address where the instance is on loopback too (a node's DIP elsewhere is reached plainly).
    const localAddress = client.remoteAddress?.startsWith('127.') && target.host?.startsWith('127.') ? client.remoteAddress : undefined;
    const backend = connect({ host: target.host!, port: target.port, allowHalfOpen: true, ...(localAddress ? { localAddress } : {}) });
    const early = () => {
      target.meter.errors++;
      this.totals.errors++;
      backend.destroy();
      this.tryConnect(client, order, index + 1);
    };
    backend.once('error', early);
    backend.once('connect', () => {
      backend.removeListener('error', early);
      if (client.destroyed) return void backend.destroy();
      this.forward(client, backend, target);
    });
  }

  private forward(client: Socket, backend: Socket, target: Backend): void {
    const meter = target.meter;
    const totals = this.totals;
    meter.connections++;
    meter.activeConnections++;
    totals.activeConnections++;
    const f: Forwarded = { client, backend, active: true, idleMs: 0, activeAt: performance.now() };
    this.open.add(f);
    client.setNoDelay(true);
    backend.setNoDelay(true);
    const http =
      this.config.protocol === 'http'
        ? new HttpExchangeMeter({
            request: () => {
              meter.requests++;
              totals.requests++;
            },
            response: (status, ms) => {
              meter.latency.record(ms);
              totals.latency.record(ms);
              if (status >= 500) {
                meter.errors++;
                totals.errors++;
              }
            },
            malformed: () => void this.malformed++,
          })
        : null;
    client.on('data', (chunk: Buffer) => {
      f.active = true;
      meter.bytesIn += chunk.length;
      totals.bytesIn += chunk.length;
      http?.fromClient(chunk);
      this.touched();
    });
    backend.on('data', (chunk: Buffer) => {
      f.active = true;
      meter.bytesOut += chunk.length;
      totals.bytesOut += chunk.length;
      http?.fromInstance(chunk);
    });
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      this.open.delete(f);
      meter.activeConnections--;
      totals.activeConnections--;
      // Requests the instance never answered (it was cut off, crashed, or its VM stopped) are its errors.
      const unanswered = http?.unanswered ?? 0;
      meter.errors += unanswered;
      totals.errors += unanswered;
      this.touched();
      client.destroy();
      backend.destroy();
    };
    backend.on('error', () => {});
    client.once('close', end);
    backend.once('close', end);
    client.pipe(backend);
    backend.pipe(client);
    client.resume();
  }
}

function splitAddress(address: string | null): [string | null, number] {
  if (!address) return [null, 0];
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon), Number(address.slice(colon + 1))];
}
