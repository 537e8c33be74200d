// The endpoints of an instance that IIS does not serve: tcp input endpoints, http ones of worker roles, and
// internal endpoints. Each gets a port on the instance's DIP (the csdef's port, walked up when taken). When the
// role has code of its own, the code listens there (RoleEnvironment tells it the port); when it has none, the
// instance still answers, so traffic through the load balancer shows where it went: http endpoints with a page
// naming the instance, tcp endpoints by echoing what they receive.
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { InstanceSpec } from '../common/host-protocol';
import { bindOnce, boundPort, describeWalk, walkPorts } from '../common/port-walk';
import { standInCertificate } from './stand-in-certificate';

export interface EndpointPlan {
  name: string;
  protocol: string;
  /** The port the endpoint asks for on the instance (0: any). */
  wanted: number;
}

export interface BoundEndpoint {
  name: string;
  protocol: string;
  port: number;
  /** Who answers there: Fabric Lab's built-in answer, or the role's own code. */
  answeredBy: 'built-in' | 'role code';
  /** How the port walked, in words ("" when the wanted port bound). */
  walk: string;
}

/** The endpoints this class binds for an instance: everything but the http input endpoints IIS serves and udp. */
export function endpointPlans(spec: InstanceSpec): EndpointPlan[] {
  const input = new Map((spec.inputEndpoints ?? []).map((e) => [e.name, e]));
  const plans: EndpointPlan[] = [];
  for (const [name, e] of Object.entries(spec.roleEnvironment.endpoints)) {
    if (e.protocol === 'udp') continue;
    const inputEndpoint = input.get(name);
    if (inputEndpoint && spec.roleType === 'WebRole' && (inputEndpoint.protocol === 'http' || inputEndpoint.protocol === 'https')) continue; // IIS's
    const wanted = inputEndpoint ? (typeof inputEndpoint.localPort === 'number' ? inputEndpoint.localPort : inputEndpoint.localPort === '*' ? 0 : inputEndpoint.port) : e.port;
    plans.push({ name, protocol: inputEndpoint?.protocol ?? e.protocol, wanted });
  }
  return plans;
}

export class EndpointListeners {
  private readonly servers: (HttpServer | TcpServer)[] = [];
  private readonly sockets = new Set<Socket>();
  private frozen = false;
  private closed = false;

  constructor(
    private readonly spec: InstanceSpec,
    readonly ipAddress: string,
  ) {}

  /**
   * Bind every planned endpoint. With role code, each port is only found free (bound, then let go) for the code
   * to take; without, the built-in answer listens there until the VM stops.
   */
  async open(plans: EndpointPlan[], roleCodeListens: boolean): Promise<BoundEndpoint[]> {
    const bound: BoundEndpoint[] = [];
    for (const plan of plans) {
      const certificate = plan.protocol === 'https' && !roleCodeListens ? this.spec.inputEndpoints?.find((e) => e.name === plan.name)?.certificate : undefined;
      const tls = plan.protocol === 'https' && !roleCodeListens ? await standInCertificate(certificate?.name ?? plan.name, certificate?.thumbprint ?? '') : null;
      const server = plan.protocol === 'http' || plan.protocol === 'https' ? this.httpServer(plan.name, tls) : this.echoServer();
      server.on('connection', (socket: Socket) => {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
      });
      const walk = await walkPorts(plan.wanted, (port) => bindOnce(server, this.ipAddress, port));
      const port = boundPort(server);
      if (roleCodeListens || this.closed) server.close();
      else this.servers.push(server);
      bound.push({ name: plan.name, protocol: plan.protocol, port, answeredBy: roleCodeListens ? 'role code' : 'built-in', walk: describeWalk(plan.wanted, walk) });
    }
    return bound;
  }

  /** A hung guest accepts connections and answers nothing. */
  freeze(): void {
    this.frozen = true;
  }

  close(): void {
    this.closed = true;
    for (const server of this.servers) server.close();
    for (const socket of this.sockets) socket.destroy();
    this.servers.length = 0;
    this.sockets.clear();
  }

  private httpServer(endpointName: string, tls: { key: string; cert: string } | null): HttpServer {
    const answer = (req: IncomingMessage, res: ServerResponse) => {
      if (this.frozen) return;
      const body = `${this.spec.instanceName} answered ${req.method ?? 'GET'} ${req.url ?? '/'} on endpoint ${endpointName} of role ${this.spec.roleName} (${this.spec.deploymentId}). The role has no code of its own, so Fabric Lab answers for it.\n`;
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    return tls ? createTlsServer(tls, answer) : createHttpServer(answer);
  }

  private echoServer(): TcpServer {
    return createTcpServer((socket) => {
      socket.on('error', () => socket.destroy());
      socket.on('data', (chunk) => {
        if (!this.frozen) socket.write(chunk);
      });
    });
  }
}
