// IIS on one web role instance, as far as a request can tell: http.sys's listeners (one real TCP listener on
// the instance's DIP per http input endpoint, at the csdef's localPort walked up when taken, bound while the VM
// is up: the instance's own endpoint, the address the load balancer forwards to), the sites IISConfigurator configures (full IIS) or WaWebHost hosts (HWC), w3wp
// started by the first request to a full IIS site, static files from the site's folder, and one W3C line per
// request in the site's log. With no site running (role stopped, recycling, crashed) http.sys answers 503, as
// it does for a stopped application pool; with the VM off nothing listens and the connection is refused.
import { createReadStream } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { extname, isAbsolute, join, relative } from 'node:path';
import type { InstanceEndpointView } from '../common/fabric-api';
import type { InstanceSpec } from '../common/host-protocol';
import { bindOnce, boundPort, describeWalk, walkPorts } from '../common/port-walk';
import type { InstanceLogs } from './instance-logs';
import { iisVersionFor, warmUpPath, type IisSite } from './role-stack';
import { standInCertificate } from './stand-in-certificate';

type ServingProcess = { process: 'WaWebHost' | 'w3wp'; pid: number; since: number };

interface Listener {
  name: string;
  server: Server;
  port: number;
}

// Loaded with IIS, once per host worker, the first time a VM with endpoints boots (host-agent.ts).
export { EndpointListeners, endpointPlans } from './endpoint-listeners';

/** IIS's default documents, in its order. */
const defaultDocuments = ['default.htm', 'default.asp', 'index.htm', 'index.html', 'iisstart.htm', 'default.aspx'];

const contentTypes: Record<string, string> = {
  '.html': 'text/html', '.htm': 'text/html', '.css': 'text/css', '.js': 'application/javascript', '.json': 'application/json',
  '.txt': 'text/plain', '.xml': 'text/xml', '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.ico': 'image/x-icon',
};

/** The header that marks a request the guest sends its own listener (the warm-up), so it learns IIS's time-taken. */
const ownRequestHeader = 'x-fabric-lab-own-request';

interface Answer {
  status: number;
  subStatus?: number;
  win32Status?: number;
  type?: string;
  body?: string;
  file?: string;
  headers?: Record<string, string>;
}

export class InstanceWebServer {
  private listeners: Listener[] = [];
  private readonly sockets = new Set<Socket>();
  /** Sites IISConfigurator created (full IIS), or the one site WaWebHost hosts (HWC). Empty: nothing runs. */
  private sites: IisSite[] = [];
  /** Application pools IIS holds (kept across role restarts until IISConfigurator deletes them). */
  readonly appPools = new Set<string>();
  /** w3wp per running application pool (full IIS); WaWebHost itself for HWC. */
  private readonly workers = new Map<string, ServingProcess>();
  /** Sites whose W3C log needs its header block before the next line (the site (re)started logging). */
  private readonly headerDue = new Set<number>();
  private hwcHost: ServingProcess | null = null;
  private w3wpStarts = 0;
  private frozen = false;
  private closed = false;
  /** Requests the guest sent its own listener, waiting for the time-taken IIS logs for them. */
  private readonly ownRequests = new Map<string, (timeTakenMs: number) => void>();
  private ownRequestCount = 0;

  constructor(
    private readonly spec: InstanceSpec,
    private readonly logs: InstanceLogs,
    private readonly now: () => number,
    /** The endpoints changed (listening, closed, served by another process): the host agent tells the controller. */
    private readonly changed: (endpoints: InstanceEndpointView[]) => void,
    /** The instance's DIP: every listener binds it. */
    readonly ipAddress = '127.0.0.1',
  ) {}

  /** Ports that walked up from the csdef's localPort, in words, for the host agent's log. */
  readonly walks: string[] = [];

  /** The http and https input endpoints this server listens for (tcp and udp are not IIS's). */
  get httpEndpoints(): string[] {
    return (this.spec.inputEndpoints ?? []).filter((e) => e.protocol === 'http' || e.protocol === 'https').map((e) => e.name);
  }

  protocolOf(endpointName: string): 'http' | 'https' {
    return this.spec.inputEndpoints?.find((e) => e.name === endpointName)?.protocol === 'https' ? 'https' : 'http';
  }

  /** Bind one listener per http endpoint on the DIP at its localPort (walking up when taken), then report the addresses. */
  async open(): Promise<void> {
    for (const name of this.httpEndpoints) {
      try {
        await this.listen(name);
      } catch (error) {
        // One endpoint that cannot listen (no openssl for its certificate, no free port) leaves the others serving.
        this.failures.push(`${name}: ${(error as Error).message}`);
      }
      if (this.closed) return;
    }
    this.report();
  }

  /** Endpoints that could not listen, with why, for the host agent's log. */
  readonly failures: string[] = [];

  private async listen(name: string): Promise<void> {
    const endpoint = this.spec.inputEndpoints?.find((e) => e.name === name);
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(name, req, res);
    // https: IIS's binding presents the certificate the endpoint names; Fabric Lab holds a stand-in for it.
    const tls = endpoint?.protocol === 'https' ? await standInCertificate(endpoint.certificate?.name ?? name, endpoint.certificate?.thumbprint ?? '') : null;
    const server: Server = tls ? createTlsServer(tls, handler) : createServer(handler);
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    const wanted = typeof endpoint?.localPort === 'number' ? endpoint.localPort : endpoint?.localPort === '*' ? 0 : (endpoint?.port ?? 0);
    const walk = await walkPorts(wanted, (port) => bindOnce(server, this.ipAddress, port));
    const note = describeWalk(wanted, walk);
    if (note) this.walks.push(`${name}: ${note}`);
    if (this.closed) {
      server.close();
      return;
    }
    this.listeners.push({ name, server, port: boundPort(server) });
  }

  /** The VM is going away: listeners closed, open connections cut, nothing serves any more. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const { server } of this.listeners) server.close();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.listeners = [];
    this.sites = [];
    this.workers.clear();
    this.hwcHost = null;
    this.report();
  }

  /** The guest OS froze: connections are accepted by the host's TCP stack but nothing in the guest answers. */
  freeze(): void {
    this.frozen = true;
  }

  portOf(endpointName: string): number | null {
    return this.listeners.find((l) => l.name === endpointName)?.port ?? null;
  }

  // ---- What IISConfigurator and the host processes do to IIS ---------------------------------------------

  /** IISConfigurator removes the application pools of an earlier start; their w3wp processes end. */
  deleteAppPools(): string[] {
    const deleted = [...this.appPools];
    this.appPools.clear();
    this.workers.clear();
    this.sites = [];
    this.report();
    return deleted;
  }

  /** IISConfigurator creates a site and its application pool; w3wp starts later, on the first request. */
  addSite(site: IisSite): void {
    this.appPools.add(site.appPool);
    this.sites.push(site);
    this.headerDue.add(site.id);
    this.report();
  }

  /** WaWebHost hosts the HWC site inside its own process (no application pool, no w3wp). */
  hostHwcSite(site: IisSite, pid: number): void {
    this.sites = [site];
    this.hwcHost = { process: 'WaWebHost', pid, since: this.now() };
    this.headerDue.add(site.id);
    this.report();
  }

  /** The role stack stopped: the HWC site goes with WaWebHost; full IIS sites' application pools are stopped. */
  stopSites(): void {
    if (this.sites.length === 0 && !this.hwcHost) return;
    this.sites = [];
    this.workers.clear();
    this.hwcHost = null;
    this.report();
  }

  /**
   * A real HTTP request from inside the guest to its own listener (WaWebHost's warm-up). `timeTakenMs` is the
   * time IIS logged for it (W3C time-taken), so the host process's log and the site's agree; a request IIS
   * did not log (a 503 from http.sys) has the time the caller measured.
   */
  request(endpointName: string, path: string): Promise<{ status: number; timeTakenMs: number }> {
    const port = this.portOf(endpointName);
    if (port === null) return Promise.reject(new Error(`No listener for endpoint ${endpointName}.`));
    const started = performance.now();
    const id = String(++this.ownRequestCount);
    const logged = new Promise<number>((resolve) => this.ownRequests.set(id, resolve));
    const settle = (status: number) => {
      const measured = Math.round(performance.now() - started);
      // IIS logs once the answer has gone out, which is as a rule before the caller has read it.
      const fallback = new Promise<number>((resolve) => setTimeout(() => resolve(measured), 1_000).unref());
      return Promise.race([logged, fallback]).then((timeTakenMs) => {
        this.ownRequests.delete(id);
        return { status, timeTakenMs };
      });
    };
    return new Promise((resolve, reject) => {
      const send = this.protocolOf(endpointName) === 'https' ? httpsRequest : httpRequest;
      const headers = { 'user-agent': 'WaWebHost', [ownRequestHeader]: id };
      const req = send({ host: this.ipAddress, port, path, method: 'GET', rejectUnauthorized: false, headers }, (res) => {
        res.resume();
        res.on('end', () => void settle(res.statusCode ?? 0).then(resolve));
      });
      req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${path} within 10 s`)));
      req.on('error', reject);
      req.end();
    });
  }

  // ---- Requests -------------------------------------------------------------------------------------------

  private handle(endpointName: string, req: IncomingMessage, res: ServerResponse): void {
    if (this.frozen) return; // a hung guest never answers; its sockets are cut when the VM restarts
    const started = performance.now();
    const at = this.now();
    const site = this.sites.find((s) => s.endpointNames.includes(endpointName));
    const port = this.portOf(endpointName) ?? 0;
    if (!site) {
      // No site runs: http.sys answers for the stopped application pool; IIS writes no W3C line (that is HTTPERR's).
      this.send(res, req.method === 'HEAD', { status: 503, type: 'text/html', body: serviceUnavailable, headers: { Server: 'Microsoft-HTTPAPI/2.0' } });
      return;
    }
    if (!this.hwcHost && !this.workers.has(site.appPool)) {
      this.w3wpStarts++;
      this.workers.set(site.appPool, { process: 'w3wp', pid: this.logs.processIdOf('w3wp', this.w3wpStarts), since: at });
      this.report();
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    void this.answer(site, req, url).then(
      (answer) => this.finish(site, req, res, url, answer, at, port, started),
      (error: Error) => this.finish(site, req, res, url, { status: 500, type: 'text/plain', body: `Internal server error: ${error.message}` }, at, port, started),
    );
  }

  private finish(site: IisSite, req: IncomingMessage, res: ServerResponse, url: URL, answer: Answer, at: number, port: number, started: number): void {
    res.on('finish', () => {
      if (this.closed) return;
      try {
        this.logRequest(site, req, url, answer, at, port, started);
      } catch (error) {
        // A log that cannot be written must not take the host worker down with it.
        console.error(`IIS log of ${this.spec.instanceId}: ${(error as Error).message}`);
      }
    });
    this.send(res, req.method === 'HEAD', answer);
  }

  private logRequest(site: IisSite, req: IncomingMessage, url: URL, answer: Answer, at: number, port: number, started: number): void {
    const timeTaken = Math.round(performance.now() - started);
    this.logs.iisRequest(
      site.id,
      {
        at,
        serverIp: this.ipAddress,
        method: req.method ?? '-',
        uriStem: url.pathname,
        uriQuery: url.search.slice(1),
        port,
        clientIp: req.socket.remoteAddress ?? '-',
        userAgent: req.headers['user-agent'],
        status: answer.status,
        subStatus: answer.subStatus ?? 0,
        win32Status: answer.win32Status ?? 0,
        timeTaken,
      },
      this.headerDue.delete(site.id),
    );
    const own = req.headers[ownRequestHeader];
    if (typeof own === 'string') this.ownRequests.get(own)?.(timeTaken);
  }

  private send(res: ServerResponse, head: boolean, answer: Answer): void {
    const headers: Record<string, string> = { Server: `Microsoft-IIS/${iisVersionFor(this.spec.osFamily)}`, 'X-Powered-By': 'ASP.NET', ...answer.headers };
    if (answer.type) headers['Content-Type'] = answer.type;
    if (answer.file) {
      res.writeHead(answer.status, headers);
      if (head) return void res.end();
      createReadStream(answer.file).on('error', () => res.destroy()).pipe(res);
      return;
    }
    const body = Buffer.from(answer.body ?? '', 'utf8');
    res.writeHead(answer.status, { ...headers, 'Content-Length': String(body.length) });
    res.end(head ? undefined : body);
  }

  /** What IIS's static file handler answers; never a file outside the site's folder. */
  private async answer(site: IisSite, req: IncomingMessage, url: URL): Promise<Answer> {
    if (this.hwcHost && url.pathname === warmUpPath) return { status: 200, type: 'text/plain', body: '' };
    if (req.method !== 'GET' && req.method !== 'HEAD') return { status: 405, type: 'text/html', body: page('405 - HTTP verb used to access this page is not allowed.'), headers: { Allow: 'GET, HEAD' } };
    let segments: string[];
    try {
      segments = url.pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
    } catch {
      return { status: 400, type: 'text/html', body: page('400 - Bad Request.') };
    }
    // `..` cannot survive URL parsing, but an encoded one (%2e%2e) or a backslash could mean it after decoding.
    if (segments.some((s) => s === '..' || s === '.' || /[\\/\0]/.test(s))) return notFound();
    const atRoot = segments.length === 0;
    if (!site.folder) return atRoot ? this.instancePage(site) : notFound();
    const root = await realpath(site.folder).catch(() => null);
    if (!root) return atRoot ? this.instancePage(site) : notFound();
    const target = await realpath(join(root, ...segments)).catch(() => null);
    if (!target || !inside(root, target)) return notFound();
    const info = await stat(target);
    if (info.isDirectory()) {
      if (!url.pathname.endsWith('/')) return { status: 301, headers: { Location: `${url.pathname}/${url.search}` }, type: 'text/html', body: page('Document moved.') };
      const names = await readdir(target);
      for (const wanted of defaultDocuments) {
        const name = names.find((n) => n.toLowerCase() === wanted);
        if (!name) continue;
        const file = await realpath(join(target, name)).catch(() => null);
        if (file && inside(root, file) && (await stat(file)).isFile()) return { status: 200, type: contentType(file), file };
      }
      // IIS forbids listing a folder (403.14); a site root with no default document gets a page naming the instance.
      return atRoot ? this.instancePage(site) : { status: 403, subStatus: 14, type: 'text/html', body: page('403 - Forbidden: directory listing is denied.') };
    }
    if (!info.isFile()) return notFound();
    return { status: 200, type: contentType(target), file: target };
  }

  private instancePage(site: IisSite): Answer {
    const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
    return {
      status: 200,
      type: 'text/html',
      body: `<!doctype html><title>${esc(this.spec.instanceName)}</title><h1>${esc(this.spec.instanceName)}</h1><p>Site ${esc(site.name)} (${esc(site.physicalPath)}) of role ${esc(this.spec.roleName)} in ${esc(this.spec.deploymentId)}. The site has no default document, so Fabric Lab answers with this page.</p>`,
    };
  }

  // ---- What the fabric sees -------------------------------------------------------------------------------

  endpoints(): InstanceEndpointView[] {
    return (this.spec.inputEndpoints ?? []).map((e) => {
      const listener = this.listeners.find((l) => l.name === e.name);
      const site = this.sites.find((s) => s.endpointNames.includes(e.name));
      const servedBy = !site ? null : (this.hwcHost ?? this.workers.get(site.appPool) ?? null);
      return { name: e.name, protocol: e.protocol, publicPort: e.port, address: listener ? `${this.ipAddress}:${listener.port}` : null, servedBy: servedBy ? { ...servedBy } : null };
    });
  }

  private report(): void {
    this.changed(this.endpoints());
  }
}

function inside(root: string, file: string): boolean {
  const rel = relative(root, file);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function contentType(file: string): string {
  return contentTypes[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

function page(message: string): string {
  return `<!doctype html><title>IIS</title><h2>${message}</h2>`;
}

function notFound(): Answer {
  return { status: 404, subStatus: 0, win32Status: 2, type: 'text/html', body: page('404 - File or directory not found.') };
}

/** http.sys's own answer when the application pool behind a URL is not running. */
const serviceUnavailable =
  '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">\r\n<HTML><HEAD><TITLE>Service Unavailable</TITLE>\r\n<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n<BODY><h2>Service Unavailable</h2>\r\n<hr><p>HTTP Error 503. The service is unavailable.</p>\r\n</BODY></HTML>\r\n';
