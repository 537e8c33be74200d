// Browser mode's transport: the built renderer over HTTP (sirv) and FabricApi over one WebSocket (/fabric),
// on loopback only. Anything on this machine (other users' processes, any web page the user opens) can reach
// 127.0.0.1, so every request must carry the token (new per launch, or kept by a --session), name a loopback
// Host (DNS rebinding) and, when it has one, a loopback Origin (cross-site pages). A client holding the token
// drives the fabric through the command dispatcher, but never names a path on this machine: exports go to the
// session's exports folder and are downloaded from /exports/<id>.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, readdirSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { basename, join, relative, resolve, sep } from 'node:path';
import sirv from 'sirv';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { commandMessage, dispatchCommand, issueList, type CommandGuards } from '../common/command-dispatcher';
import { toErrorInfo, type FabricApi, type FabricEventBatch } from '../common/fabric-api';
import { FabricErrors } from '../common/fabric-errors';
import type { ExportRequest } from '../common/log-api';

export interface BrowserServerOptions {
  api: FabricApi;
  /** The built renderer (out/renderer), index.html at its root. */
  rendererDir: string;
  /** 0 or absent: a free port. */
  port?: number;
  /** Absent: a random one per launch. */
  token?: string;
  log?: (line: string) => void;
}

export interface BrowserServer {
  /** The page to open, token included. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export const tokenCookie = 'fabric-lab-token';
export const fabricSocketPath = '/fabric';
/** The page's icon in the built renderer (copied from resources/renderer/ by the build). */
const faviconPath = '/favicon.svg';
/** The largest message: an openPackage upload of up to 48 MiB of files, base64-encoded. */
export const maxMessageBytes = 66 * 1024 * 1024;
/** A client this far behind on pushed events is dropped rather than buffered without bound; it reconnects and re-snapshots. */
const maxBufferedBytes = 16 * 1024 * 1024;

/** Over the bridge, exportSession writes only into the session's exports folder, whatever the client asks. */
const browserGuards: CommandGuards = {
  exportSession: (request: ExportRequest): ExportRequest => {
    if (request.path !== undefined) {
      throw FabricErrors.exportPathInBrowserMode();
    }
    return {};
  },
};

export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const { api, log = () => {} } = options;
  const token = options.token ?? randomBytes(24).toString('base64url');
  // The token travels in a URL and a cookie, so it must be safe in both, and long enough not to be guessed.
  if (!/^[A-Za-z0-9_-]{16,}$/.test(token)) throw new Error('The browser-mode token must be at least 16 base64url characters.');
  const expected = Buffer.from(token);
  const root = await realpath(resolve(options.rendererDir));
  const staticFiles = staticFileServer(root);
  let port = 0; // known once listening; every check below runs after that

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
  const securityHeaders = () => ({
    'Content-Security-Policy':
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
      `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}; object-src 'none'; base-uri 'none'; form-action 'none'; ` +
      // Only a header can forbid framing: browsers ignore frame-ancestors in a <meta> tag (and say so in the console).
      "frame-ancestors 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  });

  const tokenMatches = (candidate: string | undefined): boolean => {
    if (candidate === undefined) return false;
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  /** The outcome of the checks every request and upgrade goes through, in order: Host, Origin, token. */
  const admit = (req: IncomingMessage, url: URL | null): { status: 200 | 401 | 403; queryToken: boolean } => {
    if (!allowedHosts().has((req.headers.host ?? '').toLowerCase())) return { status: 403, queryToken: false };
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return { status: 403, queryToken: false };
    const queryToken = tokenMatches(url?.searchParams.get('token') ?? undefined);
    if (queryToken || tokenMatches(cookieValue(req.headers.cookie, tokenCookie))) return { status: 200, queryToken };
    return { status: 401, queryToken: false };
  };

  const sendText = (res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void => {
    res.writeHead(status, { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8', ...extra });
    res.end(text);
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req.url);
    const { status, queryToken } = admit(req, url);
    if (status === 403) return sendText(res, 403, 'Forbidden: this server only answers pages served from itself on loopback.\n');
    if (status === 401) return sendText(res, 401, 'A token is required: open the URL printed by `npm run serve`.\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method not allowed.\n', { Allow: 'GET, HEAD' });
    // The page's own asset requests carry no query, so a valid ?token= is turned into a cookie for them.
    const cookie: Record<string, string> = queryToken
      ? { 'Set-Cookie': `${tokenCookie}=${token}; HttpOnly; SameSite=Strict; Path=/` }
      : {};
    // A finished session export, by the id exportSession answered: the browser downloads it.
    const exportId = url ? /^\/exports\/([0-9a-f-]{36})$/.exec(url.pathname)?.[1] : undefined;
    if (exportId) {
      const found = (await api.getExportStatus()).exports.find((e) => e.id === exportId);
      const size = found ? await stat(found.path).then((s) => s.size, () => null) : null;
      if (!found || size === null) return sendText(res, 404, 'No such export (exports are kept while the session runs).\n', cookie);
      res.writeHead(200, {
        ...securityHeaders(),
        ...cookie,
        'Content-Type': 'application/zip',
        'Content-Length': String(size),
        'Content-Disposition': `attachment; filename="${basename(found.path).replace(/[^A-Za-z0-9._()-]/g, '_')}"`,
      });
      if (req.method === 'HEAD') return void res.end();
      createReadStream(found.path).on('error', () => res.destroy()).pipe(res);
      return;
    }
    // The renderer's files; the security headers and the cookie set here are kept on sirv's answer.
    for (const [name, value] of Object.entries({ ...securityHeaders(), ...cookie })) res.setHeader(name, value);
    if (!url || staticFiles.refuses(url.pathname)) return sendText(res, 404, 'Not found.\n', cookie);
    // Browsers ask for /favicon.ico on their own: answer the page's icon rather than a 404.
    if (url.pathname === '/favicon.ico') req.url = faviconPath;
    staticFiles.serve(req, res, () => sendText(res, 404, 'Not found.\n', cookie));
  };

  const server = createServer((req, res) => {
    onRequest(req, res).catch((error: unknown) => {
      log(`browser server: ${req.method} ${req.url} failed: ${toErrorInfo(error).message}`);
      if (!res.headersSent) sendText(res, 500, 'Internal error.\n');
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes });
  const subscriptions = new Map<WebSocket, () => void>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = requestUrl(req.url);
    // Browsers always send Origin on a WebSocket handshake; only non-browser clients (CLI, tests) omit
    // it, and they are admitted by the token alone, which admit() still requires.
    const { status } = admit(req, url);
    if (status === 403) return refuseUpgrade(socket, 403, 'Forbidden');
    if (status === 401) return refuseUpgrade(socket, 401, 'Unauthorized');
    if (url?.pathname !== fabricSocketPath) return refuseUpgrade(socket, 404, 'Not Found');
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  const onConnection = (ws: WebSocket): void => {
    const send = (message: unknown): void => {
      if (ws.readyState !== ws.OPEN) return; // answers to calls still running when the client left
      try {
        ws.send(JSON.stringify(message));
      } catch (error) {
        log(`browser server: could not send a reply: ${toErrorInfo(error).message}`);
      }
    };
    let disposeEvents: (() => void) | null = api.onEvents((batch: FabricEventBatch) => {
      if (ws.bufferedAmount > maxBufferedBytes) {
        log('browser server: dropping a client that is too far behind on events');
        ws.close(1013, 'too far behind on events');
        return;
      }
      send({ type: 'events', batch });
    });
    const unsubscribe = (): void => {
      disposeEvents?.();
      disposeEvents = null;
      subscriptions.delete(ws);
    };
    subscriptions.set(ws, unsubscribe);
    ws.on('close', unsubscribe);
    ws.on('error', (error) => log(`browser server: WebSocket error: ${error.message}`));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      void answer(api, data, isBinary).then(send);
    });
  };

  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening'); // rejects on 'error', e.g. EADDRINUSE
  port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close() {
      closing ??= new Promise<void>((resolveClose) => {
        for (const [ws, unsubscribe] of [...subscriptions]) {
          unsubscribe();
          ws.terminate();
        }
        wss.close();
        server.close(() => resolveClose());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** One incoming frame to its reply: the command dispatcher's answer, or BadRequest for a malformed frame. */
async function answer(api: FabricApi, data: RawData, isBinary: boolean): Promise<unknown> {
  let id: number | null = null;
  try {
    if (isBinary) throw FabricErrors.binaryMessage();
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawText(data));
    } catch {
      throw FabricErrors.messageNotJson();
    }
    id = readableId(parsed);
    const message = commandMessage.safeParse(parsed);
    if (!message.success) throw FabricErrors.badCommandMessage(issueList(message.error, 'message'));
    return { id, ...(await dispatchCommand(api, message.data.method, message.data.args, browserGuards)) };
  } catch (error) {
    return { id, error: toErrorInfo(error) };
  }
}

/** The id to answer a bad message with, when one could be read from it. */
function readableId(parsed: unknown): number | null {
  if (typeof parsed !== 'object' || parsed === null || !('id' in parsed)) return null;
  const { id } = parsed;
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : null;
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** The request target on a fixed origin; null when it cannot be parsed. */
function requestUrl(target: string | undefined): URL | null {
  if (!target?.startsWith('/')) return null;
  try {
    return new URL(`http://127.0.0.1${target}`);
  } catch {
    return null;
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The built renderer's files, served by sirv from the list it takes when the server starts (so no path outside
 * that list, `..` or encoded, can name a file). That list follows symbolic links, so links are refused here.
 */
function staticFileServer(root: string): { serve: ReturnType<typeof sirv>; refuses(pathname: string): boolean } {
  const links = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isSymbolicLink())
    .map((entry) => `/${relative(root, join(entry.parentPath, entry.name)).split(sep).join('/')}`);
  const serve = sirv(root, { dev: false, etag: false, dotfiles: false, extensions: ['html'] });
  return {
    serve,
    refuses(pathname: string): boolean {
      let decoded: string;
      try {
        decoded = decodeURI(pathname);
      } catch {
        return true;
      }
      return links.some((link) => decoded === link || decoded.startsWith(`${link}/`));
    },
  };
}

function refuseUpgrade(socket: Duplex, status: 401 | 403 | 404, reason: string): void {
  const body = `${reason}\n`;
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
