// Browser mode's server, driven as a browser and as an attacker would: with and without the token, from a
// foreign page, through a rebound DNS name, and with malformed messages on the socket.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { FabricApi, FabricEventBatch, SampleInfo } from '../../src-main/common/fabric-api';
import type { ExportInfo } from '../../src-main/common/log-api';
import { FabricError } from '../../src-main/common/fabric-api';
import { maxMessageBytes, startBrowserServer, type BrowserServer } from '../../src-main/serve/browser-server';

const samples: SampleInfo[] = [{ id: 'hello', title: 'Hello', summary: 'One web role.', readme: '# Hello', valid: true, teaching: false }];

/** Exports the fake fabric reports (the download route serves them by id). */
const fakeExports: ExportInfo[] = [];
/** What exportSession was asked for, as the fabric received it. */
const exportRequests: unknown[] = [];

/** A FabricApi with no workers: canned answers, and events pushed by hand. */
function fakeFabric() {
  const listeners = new Set<(batch: FabricEventBatch) => void>();
  const api: FabricApi = {
    getSnapshot: async () => {
      throw new Error('not used');
    },
    listSamples: async () => samples,
    getSamplePackage: async () => {
      throw new Error('not used');
    },
    openPackage: async () => {
      throw new Error('not used');
    },
    deploy: async (request) => ({ requestId: 'req-1', deploymentId: `deployment1(${request.sample})` }),
    deleteDeployment: async ({ deploymentId }) => {
      throw new FabricError('NotFound', `No deployment ${deploymentId}`);
    },
    setClock: async () => ({ now: 0, scale: 1, keptScale: 1, paused: false, seed: 1 }),
    getTraffic: async () => ({ at: 0, endpoints: [], runs: [] }),
    startTraffic: async () => {
      throw new Error('not used');
    },
    stopTraffic: async () => {
      throw new Error('not used');
    },
    getTimings: async () => {
      throw new Error('not used');
    },
    setTimings: async () => {
      throw new Error('not used');
    },
    repairHost: async () => {},
    injectFault: async () => {},
    updateDeploymentStatus: async () => {
      throw new Error('not used');
    },
    changeInstanceCount: async () => {
      throw new Error('not used');
    },
    upgradeDeployment: async () => {
      throw new Error('not used');
    },
    walkUpgradeDomain: async () => {
      throw new Error('not used');
    },
    swapDeployment: async () => {
      throw new Error('not used');
    },
    platformUpdate: async () => {
      throw new Error('not used');
    },
    setPlatformUpdateSchedule: async () => {
      throw new Error('not used');
    },
    rollbackUpgrade: async () => {
      throw new Error('not used');
    },
    rebootInstance: async () => {
      throw new Error('not used');
    },
    rebuildInstance: async () => {
      throw new Error('not used');
    },
    reimageInstance: async () => {
      throw new Error('not used');
    },
    updateConfiguration: async () => {
      throw new Error('not used');
    },
    sendInstanceRequest: async () => {
      throw new Error('not used');
    },
    getManagementConnection: async () => null,
    listLogs: async () => [],
    readLog: async () => {
      throw new FabricError('NotFound', 'no log');
    },
    readLogLevels: async () => {
      throw new FabricError('NotFound', 'no log');
    },
    queryEvents: async () => ({ events: [], total: 0, next: null }),
    exportSession: async (request) => {
      exportRequests.push(request);
      return { id: 'e-1', requestId: 'r', path: '/s/exports/x.zip', files: 1, bytes: 1, scheduled: false, startedAt: 0, endedAt: 0 };
    },
    getExportStatus: async () => ({ sessionDir: '/s', exportsDir: '/s/exports', schedule: null, nextRun: null, progress: null, exports: fakeExports }),
    setExportSchedule: async () => {
      throw new Error('not used');
    },
    onEvents(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const emit = (batch: FabricEventBatch) => listeners.forEach((listener) => listener(batch));
  return { api, listeners, emit };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request to the server's loopback address, every header under the test's control. */
function httpGet(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A WebSocket client that queues what it receives, so a test can wait for the next message. */
async function connect(port: number, query: string, options: { origin?: string; headers?: Record<string, string> } = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/fabric${query}`, options);
  const inbox: unknown[] = [];
  const waiters: ((message: unknown) => void)[] = [];
  ws.on('message', (data) => {
    const message: unknown = JSON.parse(String(data));
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else inbox.push(message);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = () => (inbox.length ? Promise.resolve(inbox.shift()) : new Promise<unknown>((resolve) => waiters.push(resolve)));
  const send = (payload: unknown) => {
    ws.send(typeof payload === 'string' ? payload : JSON.stringify(payload));
    return next();
  };
  return { ws, next, send };
}

/** The status a refused WebSocket handshake was answered with. */
function refusedUpgrade(
  port: number,
  query: string,
  options: { origin?: string; headers?: Record<string, string> } = {},
  path = '/fabric',
): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}${query}`, options);
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => reject(new Error('the upgrade was accepted')));
    ws.on('error', () => {});
  });
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

let tempDir: string;
let rendererDir: string;
let fake: ReturnType<typeof fakeFabric>;
let server: BrowserServer;

beforeAll(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'fabric-lab-browser-server-'));
  rendererDir = join(tempDir, 'renderer');
  await mkdir(rendererDir);
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>Fabric Lab</title><script type="module" src="/a.js"></script>');
  await writeFile(join(rendererDir, 'a.js'), 'console.log("app");');
  await writeFile(join(rendererDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(join(tempDir, 'secret.txt'), 'SECRET CONTENTS');
  await symlink(join(tempDir, 'secret.txt'), join(rendererDir, 'link.js'));
  fake = fakeFabric();
  server = await startBrowserServer({ api: fake.api, rendererDir });
});

afterAll(async () => {
  await server?.close();
  await rm(tempDir, { recursive: true, force: true });
});

describe('browser server: pages and assets', () => {
  it('prints a loopback URL carrying the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('serves the page for a valid ?token= and sets the token cookie', async () => {
    const reply = await httpGet(server.port, `/?token=${server.token}`);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/html/);
    expect(reply.body).toContain('<title>Fabric Lab</title>');
    expect(reply.headers['set-cookie']).toEqual([`fabric-lab-token=${server.token}; HttpOnly; SameSite=Strict; Path=/`]);
    expect(reply.headers['content-security-policy']).toContain(`connect-src 'self' ws://127.0.0.1:${server.port}`);
    // Framing can only be forbidden by a header: browsers ignore frame-ancestors in the page's meta tag.
    expect(reply.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers['referrer-policy']).toBe('no-referrer');
    expect(reply.headers['cache-control']).toBe('no-store');
  });

  it('serves an asset to a request that carries only the cookie', async () => {
    const reply = await httpGet(server.port, '/a.js', { Cookie: `other=1; fabric-lab-token=${server.token}` });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/javascript/);
    expect(reply.body).toBe('console.log("app");');
  });

  it("answers /favicon.ico with the page's icon instead of a 404", async () => {
    const reply = await httpGet(server.port, '/favicon.ico', { Cookie: `fabric-lab-token=${server.token}` });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('image/svg+xml');
    expect(reply.body).toContain('<svg');
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers 401 without a token or with a wrong one, and tells where to find it', async () => {
    const none = await httpGet(server.port, '/');
    expect(none.status).toBe(401);
    expect(none.body).toMatch(/token is required.*npm run serve/);
    expect((await httpGet(server.port, '/?token=wrong')).status).toBe(401);
    expect((await httpGet(server.port, `/?token=${server.token}x`)).status).toBe(401);
    expect((await httpGet(server.port, '/a.js', { Cookie: 'fabric-lab-token=wrong' })).status).toBe(401);
  });

  it('answers 403 to a request from a foreign page, even with the token', async () => {
    const reply = await httpGet(server.port, `/?token=${server.token}`, { Origin: 'http://evil.example' });
    expect(reply.status).toBe(403);
    expect(reply.body).not.toContain('Fabric Lab');
    const sameOrigin = await httpGet(server.port, `/a.js?token=${server.token}`, { Origin: `http://localhost:${server.port}` });
    expect(sameOrigin.status).toBe(200);
  });

  it('answers 403 to a non-loopback Host header (DNS rebinding)', async () => {
    const reply = await httpGet(server.port, `/?token=${server.token}`, { Host: `evil.example:${server.port}` });
    expect(reply.status).toBe(403);
    expect((await httpGet(server.port, `/?token=${server.token}`, { Host: `localhost:${server.port}` })).status).toBe(200);
  });

  it('never serves a file outside the renderer folder', async () => {
    const auth = { Cookie: `fabric-lab-token=${server.token}` };
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%2E%2E%2Fsecret.txt', '/a.js%00.html', '/link.js', '/nope.js']) {
      const reply = await httpGet(server.port, path, auth);
      expect(reply.status, path).toBe(404);
      expect(reply.body, path).not.toContain('SECRET');
    }
  });

  it('answers 405 to anything but GET and HEAD', async () => {
    const auth = { Cookie: `fabric-lab-token=${server.token}` };
    const post = await httpGet(server.port, '/', auth, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const head = await httpGet(server.port, '/a.js', auth, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });
});

describe('browser server: the /fabric WebSocket', () => {
  it('refuses an upgrade without a token or with a wrong one (401)', async () => {
    expect(await refusedUpgrade(server.port, '')).toBe(401);
    expect(await refusedUpgrade(server.port, '?token=wrong')).toBe(401);
  });

  it('refuses an upgrade on any path but /fabric (404)', async () => {
    expect(await refusedUpgrade(server.port, `?token=${server.token}`, {}, '/other')).toBe(404);
  });

  it('refuses an upgrade from a foreign page (403) and a rebound Host (403)', async () => {
    expect(await refusedUpgrade(server.port, `?token=${server.token}`, { origin: 'http://evil.example' })).toBe(403);
    const rebound = { headers: { Host: `evil.example:${server.port}` } };
    expect(await refusedUpgrade(server.port, `?token=${server.token}`, rebound)).toBe(403);
  });

  it('accepts the page itself: loopback Origin and the cookie', async () => {
    const client = await connect(server.port, '', {
      origin: `http://127.0.0.1:${server.port}`,
      headers: { Cookie: `fabric-lab-token=${server.token}` },
    });
    expect(await client.send({ id: 1, method: 'listSamples' })).toEqual({ id: 1, result: samples });
    client.ws.close();
  });

  it('answers a valid call with the fabric result', async () => {
    const client = await connect(server.port, `?token=${server.token}`);
    expect(await client.send({ id: 7, method: 'deploy', args: { sample: 'hello' } })).toEqual({
      id: 7,
      result: { requestId: 'req-1', deploymentId: 'deployment1(hello)' },
    });
    client.ws.close();
  });

  it('answers malformed messages with BadRequest and keeps the connection working', async () => {
    const client = await connect(server.port, `?token=${server.token}`);
    const badRequest = (id: number | null) => ({ id, error: { code: 'BadRequest', message: expect.any(String) } });
    expect(await client.send('{not json')).toEqual(badRequest(null));
    expect(await client.send({ id: 2, method: 'formatDisk' })).toEqual(badRequest(2));
    expect(await client.send({ id: 3, method: 'deploy', args: { sample: 5 } })).toEqual(badRequest(3));
    expect(await client.send({ id: 4, method: 'deploy', args: { sample: 'hello', extra: true } })).toEqual(badRequest(4));
    expect(await client.send({ id: 5, method: 'listSamples', extra: true })).toEqual(badRequest(5));
    expect(await client.send({ id: -1, method: 'listSamples' })).toEqual(badRequest(null));
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await client.next()).toEqual(badRequest(null));
    expect(await client.send({ id: 6, method: 'listSamples' })).toEqual({ id: 6, result: samples });
    client.ws.close();
  });

  it('names the bad field in a BadRequest', async () => {
    const client = await connect(server.port, `?token=${server.token}`);
    const reply = (await client.send({ id: 1, method: 'deploy', args: { sample: 5 } })) as { error: { message: string } };
    expect(reply.error.message).toMatch(/deploy.*sample/);
    client.ws.close();
  });

  it("passes on the fabric's own error code", async () => {
    const client = await connect(server.port, `?token=${server.token}`);
    expect(await client.send({ id: 9, method: 'deleteDeployment', args: { deploymentId: 'deployment9(x)' } })).toEqual({
      id: 9,
      error: { code: 'NotFound', message: 'No deployment deployment9(x)' },
    });
    client.ws.close();
  });

  it("writes exports only to the session's exports folder: a path from the client is refused before the fabric", async () => {
    const client = await connect(server.port, `?token=${server.token}`);
    const refused = (await client.send({ id: 1, method: 'exportSession', args: { path: '/home/user/.bashrc' } })) as { error: { code: string; message: string } };
    expect(refused.error.code).toBe('BadRequest');
    expect(refused.error.message).toMatch(/exports folder/);
    expect(exportRequests).toEqual([]);
    expect(await client.send({ id: 2, method: 'exportSession', args: { saveAs: true } })).toMatchObject({ id: 2, result: { id: 'e-1' } });
    expect(exportRequests).toEqual([{}]);
    client.ws.close();
  });

  it('closes a connection that sends more than the largest upload in one message (1009)', async () => {
    const client = await connect(server.port, `?token=${server.token}`);
    const closed = new Promise<number>((resolve) => client.ws.once('close', (code) => resolve(code)));
    client.ws.send('x'.repeat(maxMessageBytes + 1));
    expect(await closed).toBe(1009);
  });

  it('pushes event batches and unsubscribes when the client goes away', async () => {
    await until(() => fake.listeners.size === 0); // the earlier tests' clients have gone
    const client = await connect(server.port, `?token=${server.token}`);
    expect(fake.listeners.size).toBe(1);
    const batch: FabricEventBatch = { seq: 3, events: [{ type: 'deployment-removed', id: 'deployment1(hello)' }], records: [] };
    fake.emit(batch);
    expect(await client.next()).toEqual({ type: 'events', batch });
    client.ws.close();
    await until(() => fake.listeners.size === 0);
  });
});

describe('browser server: start and close', () => {
  it('fails to start on a port that is taken, instead of serving elsewhere', async () => {
    await expect(startBrowserServer({ api: fakeFabric().api, rendererDir, port: server.port })).rejects.toThrow(/EADDRINUSE/);
  });


  it('disposes every event subscription and stops listening', async () => {
    const own = fakeFabric();
    const closing = await startBrowserServer({ api: own.api, rendererDir, token: 'a-fixed-token-for-this-test' });
    const client = await connect(closing.port, '?token=a-fixed-token-for-this-test');
    const clientClosed = new Promise<void>((resolve) => client.ws.once('close', () => resolve()));
    expect(own.listeners.size).toBe(1);
    await closing.close();
    expect(own.listeners.size).toBe(0);
    await clientClosed;
    await expect(httpGet(closing.port, '/?token=a-fixed-token-for-this-test')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('browser server: session export download', () => {
  it('serves a finished export by id as an attachment, only with the token', async () => {
    const zip = join(tempDir, 'fabric-lab-session-x.zip');
    await writeFile(zip, 'PK-not-really-a-zip');
    const id = '11111111-2222-3333-4444-555555555555';
    fakeExports.push({ id, requestId: 'r', path: zip, files: 1, bytes: 19, scheduled: false, startedAt: 0, endedAt: 0 });
    expect((await httpGet(server.port, `/exports/${id}`)).status).toBe(401);
    expect((await httpGet(server.port, `/exports/${id}`, { Origin: 'http://evil.example', Cookie: `fabric-lab-token=${server.token}` })).status).toBe(403);
    const reply = await httpGet(server.port, `/exports/${id}`, { Cookie: `fabric-lab-token=${server.token}` });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/zip');
    expect(reply.headers['content-disposition']).toBe('attachment; filename="fabric-lab-session-x.zip"');
    expect(reply.body).toBe('PK-not-really-a-zip');
    expect((await httpGet(server.port, `/exports/${id.replace('1', '9')}?token=${server.token}`)).status).toBe(404);
    expect((await httpGet(server.port, `/exports/..%2f..%2fsecret.txt?token=${server.token}`)).status).toBe(404);
  });
});
