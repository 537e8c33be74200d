// One instance's IIS on its own (no fabric): real listeners on 127.0.0.1, what a site serves and refuses,
// 503 with no site running, a W3C header block each time a site starts logging, and which process serves.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InstanceEndpointView, InstanceView } from '../../src-main/common/fabric-api';
import type { InstanceSpec } from '../../src-main/common/host-protocol';
import { requestTarget } from '../../src-main/fabric/instance-request';
import { iisSitesOf } from '../../src-main/host/iis-configurator';
import { InstanceLogs } from '../../src-main/host/instance-logs';
import { InstanceWebServer } from '../../src-main/host/instance-web-server';
import type { IisSite } from '../../src-main/host/role-stack';
import { parseIisRequest } from '../../src-main/logs/iis-log-format';
import { iisLogPath, vmPathToFile } from '../../src-main/logs/instance-paths';

const spec: InstanceSpec = {
  instanceId: 'deployment1(1)/WebRole1_IN_0',
  instanceName: 'WebRole1_IN_0',
  deploymentId: 'deployment1(1)',
  roleName: 'WebRole1',
  roleType: 'WebRole',
  vmSize: 'Small',
  upgradeDomain: 0,
  faultDomain: 0,
  startupTasks: [],
  roleEnvironment: { settings: {}, localResources: {}, endpoints: {} },
  inputEndpoints: [
    { name: 'HttpIn', protocol: 'http', port: 80 },
    { name: 'Raw', protocol: 'tcp', port: 9000 },
  ],
  sites: [{ name: 'Web', endpointNames: ['HttpIn'] }],
};

let dir = '';
let logs: InstanceLogs;
let web: InstanceWebServer;
let reports: InstanceEndpointView[][];
const at = Date.UTC(2019, 10, 4, 6, 0, 0);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fabric-lab-iis-'));
  mkdirSync(join(dir, 'site', 'docs'), { recursive: true });
  writeFileSync(join(dir, 'site', 'index.html'), '<h1>home</h1>');
  writeFileSync(join(dir, 'site', 'docs', 'a.txt'), 'A');
  writeFileSync(join(dir, 'secret.txt'), 'outside the site');
  symlinkSync(join(dir, 'secret.txt'), join(dir, 'site', 'link.txt'));
  logs = new InstanceLogs(join(dir, 'session'), spec, () => at);
  reports = [];
  web = new InstanceWebServer(spec, logs, () => at, (endpoints) => reports.push(endpoints));
  await web.open();
});
afterEach(() => {
  web.close();
  logs.close();
  rmSync(dir, { recursive: true, force: true });
});

function site(folder: string | null): IisSite {
  return { id: 1, name: 'WebRole1_IN_0_Web', appPool: 'WebRole1_IN_0_Web', physicalPath: 'E:\\sitesroot\\0', folder, endpointNames: ['HttpIn'] };
}

function get(path: string, method = 'GET'): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: web.portOf('HttpIn')!, path, method }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const w3c = () => readFileSync(vmPathToFile(logs.root, iisLogPath(spec.deploymentId, spec.roleName, at, 1)), 'utf8').split('\n').filter((l) => l !== '');

describe("an instance's IIS", () => {
  it('listens on loopback for http endpoints only, and reports the addresses', () => {
    const last = reports.at(-1)!;
    expect(last.map((e) => [e.name, e.address === null])).toEqual([
      ['HttpIn', false],
      ['Raw', true],
    ]);
    expect(last[0]!.address).toBe(`127.0.0.1:${web.portOf('HttpIn')}`);
  });

  it('answers 503 while no site runs, and writes no W3C line for it', async () => {
    const answer = await get('/');
    expect(answer.status).toBe(503);
    expect(answer.headers.server).toBe('Microsoft-HTTPAPI/2.0');
  });

  it('serves files and default documents, and refuses what IIS refuses', async () => {
    web.addSite(site(join(dir, 'site')));
    expect((await get('/')).body).toBe('<h1>home</h1>');
    expect(await get('/docs/a.txt')).toMatchObject({ status: 200, body: 'A' });
    expect((await get('/docs')).status).toBe(301);
    expect((await get('/docs/')).status).toBe(403); // no default document, no listing
    expect((await get('/nope.html')).status).toBe(404);
    expect((await get('/link.txt')).status).toBe(404); // a link leading out of the site
    expect((await get('/%2e%2e/secret.txt')).status).toBe(404);
    expect((await get('/..%2fsecret.txt')).status).toBe(404);
    expect((await get('/%E0%A4%A')).status).toBe(400);
    expect((await get('/', 'POST')).status).toBe(405);
    const head = await get('/index.html', 'HEAD');
    expect(head).toMatchObject({ status: 200, body: '' });
    const lines = w3c();
    expect(lines.filter((l) => l.startsWith('#Fields'))).toHaveLength(1);
    expect(lines.map(parseIisRequest).filter((r) => r !== null).map((r) => `${r.method} ${r.uriStem} ${r.status}.${r.subStatus}`)).toEqual([
      'GET / 200.0',
      'GET /docs/a.txt 200.0',
      'GET /docs 301.0',
      'GET /docs/ 403.14',
      'GET /nope.html 404.0',
      'GET /link.txt 404.0',
      'GET /secret.txt 404.0', // %2e%2e is resolved like .. while the URL is read: it stays inside the site
      'GET /..%2fsecret.txt 404.0',
      'GET /%E0%A4%A 400.0',
      'POST / 405.0',
      'HEAD /index.html 200.0',
    ]);
  });

  it('answers a page naming the instance when the site has no content', async () => {
    web.addSite(site(null));
    const answer = await get('/');
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('<h1>WebRole1_IN_0</h1>');
    expect((await get('/other.html')).status).toBe(404);
  });

  it('starts w3wp on the first request only, and a new one (with a new header block) after the pools are recreated', async () => {
    web.addSite(site(join(dir, 'site')));
    expect(reports.at(-1)![0]!.servedBy).toBeNull();
    await get('/');
    const first = reports.at(-1)![0]!.servedBy!;
    expect(first.process).toBe('w3wp');
    await get('/');
    expect(reports.at(-1)![0]!.servedBy).toEqual(first);
    expect(web.deleteAppPools()).toEqual(['WebRole1_IN_0_Web']);
    expect(reports.at(-1)![0]!.servedBy).toBeNull();
    expect((await get('/')).status).toBe(503);
    web.addSite(site(join(dir, 'site')));
    await get('/');
    expect(reports.at(-1)![0]!.servedBy!.pid).not.toBe(first.pid);
    expect(w3c().filter((l) => l.startsWith('#Fields'))).toHaveLength(2);
  });

  it('HWC: WaWebHost serves approot and answers the warm-up request', async () => {
    const hwcSpec = { ...spec, sites: undefined, roleDirectory: join(dir, 'site') };
    const [hwcSite] = iisSitesOf(hwcSpec);
    expect(hwcSite).toMatchObject({ id: 1, physicalPath: 'E:\\approot', endpointNames: ['HttpIn'] });
    web.hostHwcSite(hwcSite!, 4242);
    expect(reports.at(-1)![0]!.servedBy).toMatchObject({ process: 'WaWebHost', pid: 4242 });
    expect(await web.request('HttpIn', '/do.rd_runtime_init')).toMatchObject({ status: 200 });
    web.stopSites();
    expect((await get('/')).status).toBe(503);
  });

  it('accepts connections but never answers while the guest is frozen', async () => {
    web.addSite(site(join(dir, 'site')));
    web.freeze();
    const outcome = await new Promise<string>((resolve) => {
      const req = request({ host: '127.0.0.1', port: web.portOf('HttpIn')!, path: '/' }, (res) => resolve(`answered ${res.statusCode}`));
      req.setTimeout(300, () => {
        req.destroy();
        resolve('no answer');
      });
      req.on('error', () => {});
      req.end();
    });
    expect(outcome).toBe('no answer');
  });

  it('refuses connections once the VM is off', async () => {
    const port = web.portOf('HttpIn')!;
    web.close();
    expect(reports.at(-1)!.every((e) => e.address === null)).toBe(true);
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/' }, () => resolve(new Error('answered')));
      req.on('error', resolve);
      req.end();
    });
    expect(error.code).toBe('ECONNREFUSED');
  });
});

describe('where sendInstanceRequest goes', () => {
  const view = (endpoints: InstanceEndpointView[]) => ({ id: 'd/WebRole1_IN_0', name: 'WebRole1_IN_0', status: 'ReadyRole', endpoints }) as InstanceView;
  const http: InstanceEndpointView = { name: 'HttpIn', protocol: 'http', publicPort: 80, address: '127.0.0.1:5000', servedBy: null };
  const tcp: InstanceEndpointView = { name: 'Raw', protocol: 'tcp', publicPort: 9000, address: null, servedBy: null };

  it('picks the first http endpoint and the path', () => {
    expect(requestTarget(view([tcp, http]), { instanceId: 'd/WebRole1_IN_0', path: '/a?b=1' })).toEqual({ url: 'http://127.0.0.1:5000/a?b=1', host: '127.0.0.1', port: 5000, path: '/a?b=1' });
  });

  it.each([
    [undefined, {}, 'NotFound', /no instance/],
    [[http], { endpointName: 'Nope' }, 'NotFound', /no input endpoint "Nope" \(its endpoints: HttpIn \(http\)\)/],
    [[http, tcp], { endpointName: 'Raw' }, 'BadRequest', /Raw of WebRole1_IN_0 is tcp/],
    [[tcp], {}, 'BadRequest', /no http input endpoint/],
    [[{ ...http, address: null }], {}, 'Conflict', /nothing listens/],
    [[http], { path: 'http://x/' }, 'BadRequest', /not a path/],
    [[http], { path: 'a.html' }, 'BadRequest', /not a path/],
  ] as const)('refuses %j %j with %s', (endpoints, request, code, message) => {
    try {
      requestTarget(endpoints ? view([...endpoints]) : undefined, { instanceId: 'd/WebRole1_IN_0', ...request });
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code });
      expect((e as Error).message).toMatch(message);
    }
  });
});
