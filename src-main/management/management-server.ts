// The Service Management API over HTTPS on loopback: the front end's public face, as RDFE's was. Threat model:
// anything on this machine can connect, so every request must carry a credential of the subscription it names
// (a management certificate over mutual TLS, or that subscription's bearer token); the certificate is asked
// for but not required by TLS, so a missing or wrong one gets Azure's 403 rather than a broken handshake.
// Then x-ms-version is checked, the body is read within a limit, and one route handles it. Every answer
// carries x-ms-request-id; every call is written to FrontEnd.log; nothing a client sends can stop the server.
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ServiceManagement } from '../fabric/service-management';
import { newRequestId } from '../fabric/service-management';
import { sameSecret, thumbprintOf, type ManagementCredentials, type ManagementSubscription } from './management-credentials';
import { FabricErrors } from '../common/fabric-errors';
import { managementErrors, toManagementError, type ManagementError } from './management-errors';
import { routeRequest, type FabricLabExtensions, type ManagementAnswer, type ManagementRequest } from './management-routes';
import { xmlDocument } from './management-xml';

/**
 * The versions of the API: those Microsoft's "Service Management Versioning" page listed (2009-10-01 to 2014) and
 * those its classic clients send (azure-asm-* packages: 2013-07-01, 2016-03-01, 2016-07-01, 2017-01-01, ...).
 */
export const managementApiVersions = [
  '2009-10-01', '2010-04-01', '2010-10-28', '2011-02-25', '2011-06-01', '2011-08-01', '2011-10-01', '2012-03-01',
  '2012-08-01', '2012-12-01', '2013-03-01', '2013-06-01', '2013-07-01', '2013-08-01', '2013-10-01', '2013-11-01',
  '2014-02-01', '2014-04-01', '2014-05-01', '2014-06-01', '2014-07-01', '2014-10-01', '2015-02-01', '2015-04-01',
  '2015-10-01', '2015-12-01', '2016-03-01', '2016-06-01', '2016-07-01', '2016-11-01', '2017-01-01',
] as const;
const knownVersions = new Set<string>(managementApiVersions);

/** Request bodies are small XML documents; a package travels by URL, not in the body. */
export const maxBodyBytes = 16 * 1024 * 1024;

export interface ManagementServerOptions {
  management: ServiceManagement;
  credentials: ManagementCredentials;
  /** Fabric Lab's own operations (session export); absent: not offered. */
  extensions?: FabricLabExtensions;
  /** 0 or absent: a free port. Always 127.0.0.1. */
  port?: number;
  /** Problems of the server itself (TLS handshakes that fail), for the shell's log. */
  log?: (line: string) => void;
}

export interface ManagementServer {
  /** https://127.0.0.1:<port>, the ServiceManagementUrl of the publish settings. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startManagementServer(options: ManagementServerOptions): Promise<ManagementServer> {
  const { management, credentials, log = () => {} } = options;
  for (const subscription of credentials.subscriptions) management.addSubscription({ id: subscription.id, name: subscription.name });
  const subscriptions = new Map(credentials.subscriptions.map((s) => [s.id, s]));

  const server: Server = createServer(
    { key: credentials.server.keyPem, cert: credentials.server.certificatePem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' },
    (req, res) => {
      void handle(req, res);
    },
  );
  server.on('tlsClientError', (error) => log(`Service Management API: a TLS handshake failed: ${error.message}`));
  server.on('clientError', (error, socket) => {
    log(`Service Management API: a malformed request: ${error.message}`);
    socket.destroy();
  });

  let baseUrl = 'https://127.0.0.1';

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    let subscriptionId = '';
    try {
      const segments = url.pathname.split('/').filter((s) => s !== '').map(decodeSegment);
      subscriptionId = segments[0] ?? '';
      authenticate(req, subscriptions.get(subscriptionId));
      const version = req.headers['x-ms-version'];
      if (typeof version !== 'string' || version === '') throw managementErrors.missingVersion();
      if (!knownVersions.has(version)) throw managementErrors.unknownVersion(version);
      const body = await readBody(req);
      const request: ManagementRequest = { method, segments: segments.slice(1), query: url.searchParams, body, subscriptionId, requestId, version, baseUrl };
      const answer = await routeRequest(management, request, options.extensions);
      management.logRequest('INFO', `Service Management API: ${method} ${url.pathname}${url.search} -> ${answer.status}`, answer.requestId ?? requestId);
      management.recordCall(answer.requestId ?? requestId, method, callPath(url), answer.status, null);
      if (answer.file) sendFile(res, requestId, answer.file, log);
      else send(res, answer.status, answer.requestId ?? requestId, answer.body, answer.headers);
    } catch (thrown) {
      const error = toManagementError(thrown);
      if (error.status >= 500) log(`Service Management API: ${method} ${url.pathname}: ${error.message}`);
      // Refusals before the subscription is known are logged too: a support engineer looks for them first.
      management.logRequest(error.status >= 500 ? 'ERROR' : 'WARN', `Service Management API: ${method} ${url.pathname}${url.search} -> ${error.status} ${error.code}: ${error.message}`, requestId);
      management.recordCall(requestId, method, callPath(url), error.status, `${error.code}: ${error.message}`);
      sendError(res, error, requestId);
    }
  }

  function authenticate(req: IncomingMessage, subscription: ManagementSubscription | undefined): void {
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
      if (!subscription) throw managementErrors.forbidden();
      if (!token || !sameSecret(token, subscription.token)) throw managementErrors.invalidToken();
      return;
    }
    const peer = (req.socket as TLSSocket).getPeerCertificate?.();
    const presented = peer && peer.raw ? thumbprintOf(peer.raw) : undefined;
    if (!subscription || !presented || presented !== subscription.thumbprint) throw managementErrors.forbidden();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `https://127.0.0.1:${port}`;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close').catch(() => {});
    },
  };
}

/** What the operations list names a call by: its path after the subscription, with the query. */
function callPath(url: URL): string {
  const afterSubscription = url.pathname.replace(/^\/[^/]*/, '');
  return `${afterSubscription || '/'}${url.search}`;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw FabricErrors.managementRequestInvalid(`The URI segment "${segment}" is not validly encoded.`);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > maxBodyBytes) throw managementErrors.tooLarge(maxBodyBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > maxBodyBytes) throw managementErrors.tooLarge(maxBodyBytes);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, requestId: string, body: string | undefined, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'x-ms-request-id': requestId,
    'Cache-Control': 'no-cache',
    ...(body !== undefined ? { 'Content-Type': 'application/xml; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) } : { 'Content-Length': '0' }),
    ...headers,
  });
  res.end(body);
}

function sendFile(res: ServerResponse, requestId: string, file: NonNullable<ManagementAnswer['file']>, log: (line: string) => void): void {
  res.writeHead(200, {
    'x-ms-request-id': requestId,
    'Content-Type': file.contentType,
    'Content-Length': String(file.bytes),
    'Content-Disposition': `attachment; filename="${file.fileName.replace(/[^\w.-]/g, '_')}"`,
  });
  createReadStream(file.path)
    .on('error', (error) => {
      log(`Service Management API: could not stream ${file.path}: ${error.message}`);
      res.destroy(error);
    })
    .pipe(res);
}

function sendError(res: ServerResponse, error: ManagementError, requestId: string): void {
  send(res, error.status, requestId, xmlDocument('Error', { Code: error.code, Message: error.message }), error.headers);
}
