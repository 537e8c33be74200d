// A fabric bigger than one process: a real nats-server on loopback, the fabric accepting host nodes through
// it, and `fabric-lab host-node` processes whose host workers join its pool. Skipped, with the reason
// printed, where no nats-server can be found.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import yauzl from 'yauzl';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HostView, InstanceView } from '../../src-main/common/fabric-api';
import { Fabric } from '../../src-main/fabric/fabric';
import { fabricLogFile } from '../../src-main/logs/instance-paths';
import { hostWorkerUrl } from '../support/built';
import { get, StatusHistory, waitFor } from '../support/fabric-helpers';
import { HostNodeProcess } from '../support/host-node-process';
import { natsMissing, startNatsServer, type NatsServer } from '../support/nats-server';

const token = 'join-token-for-the-host-node-tests';
let nats: NatsServer | null = null;
let fabric: Fabric | null = null;
const nodes: HostNodeProcess[] = [];
const work = mkdtempSync(join(tmpdir(), 'fabric-lab-host-nodes-test-'));
const tokenFile = join(work, 'join.token');
writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });

beforeAll(async () => {
  if (!natsMissing) nats = await startNatsServer();
});
afterAll(async () => {
  await nats?.stop();
});
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
  await fabric?.close();
  fabric = null;
});

async function startFabric(localCores = 4, seed = 17): Promise<Fabric> {
  fabric = await Fabric.start({
    hostWorkerUrl,
    timeScale: 200,
    seed,
    batchIntervalMs: 20,
    pools: [{ name: 'Pool A', region: 'Local', hosts: 1, spareHosts: 0, coresPerHost: localCores, faultDomains: 2 }],
    nats: { url: nats!.url, user: nats!.user, password: nats!.password, joinToken: token },
  });
  return fabric;
}

function startNode(name: string, pool: string, extra: string[] = [], env: Record<string, string> = {}): HostNodeProcess {
  const node = new HostNodeProcess(['--nats', nats!.url, '--nats-user', nats!.user, '--pool', pool, '--name', name, '--join-token-file', tokenFile, ...extra], {
    FABRIC_LAB_NATS_PASSWORD: nats!.password,
    ...env,
  });
  nodes.push(node);
  return node;
}

async function hosts(api: Fabric): Promise<HostView[]> {
  return (await api.getSnapshot()).hosts;
}

async function readyInstances(api: Fabric, deploymentId: string, count: number, timeoutMs = 60_000): Promise<InstanceView[]> {
  return waitFor(
    `${count} ReadyRole instances`,
    async () => {
      const mine = (await api.getSnapshot()).instances.filter((i) => i.deploymentId === deploymentId);
      return mine.length === count && mine.every((i) => i.status === 'ReadyRole') && mine;
    },
    timeoutMs,
  );
}

/** The names in a zip. */
function zipNames(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      const names: string[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        names.push(entry.fileName);
        zip.readEntry();
      });
      zip.on('end', () => resolve(names));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

function controllerLog(api: Fabric): string {
  return readFileSync(fabricLogFile(api.sessionDir, { kind: 'fabric-controller', pool: 'pool-1' }), 'utf8');
}

describe.skipIf(natsMissing !== null)('host nodes through NATS', () => {
  it('spreads a deployment over local hosts and two host-node processes, and heals a killed node\'s instances', async () => {
    const api = await startFabric();
    const a = startNode('node-a', 'Local:2x2');
    const b = startNode('node-b', 'Local:2x2', ['--session', join(work, 'node-b-session')]);
    await Promise.all([a.says(/joined pool-1 with 2 host/), b.says(/joined pool-1 with 2 host/)]);
    const up = await waitFor('five Healthy hosts', async () => {
      const all = await hosts(api);
      return all.length === 5 && all.every((h) => h.health === 'Healthy') && all;
    });
    expect(up.filter((h) => h.node === 'node-a').map((h) => h.id)).toEqual(['pool-1-node-a-01', 'pool-1-node-a-02']);
    expect(up.filter((h) => h.node === undefined)).toHaveLength(1);
    // Every host agent, local or on a node, reports its thread's heap (about once a real second).
    const heaps = await waitFor('every host agent\'s heap', async () => {
      const all = await hosts(api);
      return all.every((h) => h.agentHeapUsed !== undefined) && all.map((h) => h.agentHeapUsed!);
    });
    for (const heap of heaps) expect(heap).toBeGreaterThan(2 ** 20);
    expect((await api.getSnapshot()).pools[0]!.hostIds).toHaveLength(5);

    const { deploymentId } = await api.deploy({ sample: 'hello-worker' });
    await readyInstances(api, deploymentId, 2);
    await api.changeInstanceCount({ deploymentId, roleName: 'WorkerRole1', count: 6 });
    const ready = await readyInstances(api, deploymentId, 6);
    const nodeOf = new Map(up.map((h) => [h.id, h.node ?? 'local']));
    const where = ready.map((i) => nodeOf.get(i.hostId));
    expect(where).toContain('local');
    expect(where.some((w) => w === 'node-a' || w === 'node-b')).toBe(true);

    // An instance's logs stay on the node that runs it, and the fabric reads them over NATS.
    const remote = ready.find((i) => nodeOf.get(i.hostId) !== 'local')!;
    const files = await api.listLogs({ instanceId: remote.id });
    const appAgent = files.find((f) => f.process === 'WaAppAgent' && f.current)!;
    expect(appAgent.file).toMatch(new RegExp(`^nodes/${nodeOf.get(remote.hostId)}/instances/`));
    const page = await api.readLog({ file: appAgent.file, fromLine: 0, count: 5 });
    expect(page.lines.length).toBeGreaterThan(0);
    expect(await api.readLog({ file: appAgent.file, fromLine: 0, count: page.lines.length, as: 'text' })).toMatchObject({ file: appAgent.file, text: page.lines.join('\n'), count: page.lines.length });
    await expect(api.readLog({ file: `nodes/${nodeOf.get(remote.hostId)}/../../etc/passwd`, fromLine: 0, count: 5 })).rejects.toThrow(/not a log file of this session/);
    await expect(api.readLog({ file: 'nodes/no-such-node/instances/x/y.log', fromLine: 0, count: 5 })).rejects.toThrow(/There is no host node "no-such-node"/);

    // The session export holds the whole fabric: the nodes' instance logs too, under nodes/<node>/.
    const exported = await api.exportSession({ path: join(work, 'spread-session.zip') });
    const names = await zipNames(exported.path);
    expect(names).toContain(`nodes/${nodeOf.get(remote.hostId)}/${appAgent.file.split('/').slice(2).join('/')}`);
    expect(names.some((n) => n.startsWith('instances/'))).toBe(true);
    expect(names.some((n) => n.endsWith('.token'))).toBe(false);

    // Kill the node with the most instances: its hosts fall silent, the restart fails, and service healing
    // re-creates its instances on the hosts that are left.
    const count = (n: string) => where.filter((w) => w === n).length;
    const victim = count('node-a') >= count('node-b') ? a : b;
    const victimName = victim === a ? 'node-a' : 'node-b';
    const moved = ready.filter((i) => nodeOf.get(i.hostId) === victimName).map((i) => i.id);
    expect(moved.length).toBeGreaterThan(0);
    victim.kill('SIGKILL');
    const healed = await waitFor(
      'the killed node\'s instances Ready elsewhere',
      async () => {
        const snap = await api.getSnapshot();
        const mine = snap.instances.filter((i) => i.deploymentId === deploymentId);
        const victimHosts = snap.hosts.filter((h) => h.node === victimName);
        return (
          mine.length === 6 &&
          mine.every((i) => i.status === 'ReadyRole' && nodeOf.get(i.hostId) !== victimName) &&
          victimHosts.every((h) => h.health === 'Unhealthy') &&
          snap
        );
      },
      90_000,
    );
    expect(healed.hosts.find((h) => h.node === victimName)!.healthDetails).toMatch(/restarted it, but/);
    expect(controllerLog(api)).toMatch(new RegExp(`pool-1-${victimName}-0\\d failed: No heartbeat`));
  }, 180_000);

  it('takes a node back after it restarts: its hosts rejoin empty, and its earlier logs are reachable again', async () => {
    const api = await startFabric(8);
    const session = join(work, 'comeback-session');
    let b = startNode('node-c', 'Local:1x2', ['--session', session]);
    await b.says(/joined pool-1/);
    await waitFor('node-c Healthy', async () => (await hosts(api)).find((h) => h.node === 'node-c')?.health === 'Healthy');
    const { deploymentId } = await api.deploy({ sample: 'hello-worker' });
    await api.changeInstanceCount({ deploymentId, roleName: 'WorkerRole1', count: 4 });
    const ready = await readyInstances(api, deploymentId, 4);
    // Fault domains: the local host is FD 0, node-c's FD 1, so placement puts half the role on node-c.
    const onNode = ready.find((i) => i.hostId === 'pool-1-node-c-01');
    expect(onNode).toBeDefined();
    b.kill('SIGKILL');
    await waitFor('node-c Unhealthy', async () => (await hosts(api)).find((h) => h.node === 'node-c')?.health === 'Unhealthy', 90_000);
    b = startNode('node-c', 'Local:1x2', ['--session', session]);
    await b.says(/joined pool-1/);
    const back = await waitFor('node-c Healthy again, empty', async () => {
      const h = (await hosts(api)).find((x) => x.node === 'node-c');
      return h?.health === 'Healthy' && h;
    }, 60_000);
    expect(back.usedCores).toBe(0);
    expect(controllerLog(api)).toMatch(/Host node node-c came back/);
    // Healed elsewhere, its earlier VM's logs are still on node-c's disk, and listed beside the new ones.
    await readyInstances(api, deploymentId, 4);
    const files = await api.listLogs({ instanceId: onNode!.id });
    expect(files.some((f) => f.file.startsWith('nodes/node-c/instances/'))).toBe(true);
    expect(files.some((f) => f.file.startsWith('instances/'))).toBe(true);
  }, 180_000);

  it('heals a paused node like a failed host, and takes it back empty when it runs again', async () => {
    const api = await startFabric(4);
    const node = startNode('node-p', 'Local:1x2');
    await node.says(/joined pool-1/);
    await waitFor('node-p Healthy', async () => (await hosts(api)).find((h) => h.node === 'node-p')?.health === 'Healthy');
    const { deploymentId } = await api.deploy({ sample: 'hello-worker' });
    const ready = await readyInstances(api, deploymentId, 2);
    // One instance per fault domain: the local host is FD 0, node-p's host FD 1.
    expect(ready.map((i) => i.hostId).sort()).toEqual(['pool-1-host-01', 'pool-1-node-p-01']);
    node.kill('SIGSTOP');
    await waitFor('node-p Unhealthy and both instances Ready on the local host', async () => {
      const snap = await api.getSnapshot();
      return snap.hosts.find((h) => h.node === 'node-p')?.health === 'Unhealthy' && snap.instances.filter((i) => i.deploymentId === deploymentId).every((i) => i.status === 'ReadyRole' && i.hostId === 'pool-1-host-01');
    }, 90_000);
    node.kill('SIGCONT');
    await node.says(/asks this node to join again/);
    const back = await waitFor('node-p Healthy again, empty', async () => {
      const h = (await hosts(api)).find((x) => x.node === 'node-p');
      return h?.health === 'Healthy' && h;
    }, 60_000);
    expect(back.usedCores).toBe(0);
    const log = controllerLog(api);
    expect(log).toMatch(/Host node node-p has been silent/);
    expect(log).toMatch(/Host node node-p came back/);
  }, 180_000);

  it('rides out a NATS server restart: the node reconnects, joins again, and its hosts and instances come back', async () => {
    const api = await startFabric(2);
    const node = startNode('node-r', 'Local:1x2');
    await node.says(/joined pool-1/);
    await waitFor('node-r Healthy', async () => (await hosts(api)).find((h) => h.node === 'node-r')?.health === 'Healthy');
    const { deploymentId } = await api.deploy({ sample: 'hello-worker' });
    await readyInstances(api, deploymentId, 2);
    await nats!.stop();
    // Long enough that the fabric notices: the node's host is silent, and its restart cannot reach it.
    await waitFor('node-r no longer Healthy', async () => (await hosts(api)).find((h) => h.node === 'node-r')?.health !== 'Healthy', 60_000);
    await nats!.restart();
    await node.says(/reconnected to the NATS server/);
    await waitFor('node-r Healthy again', async () => (await hosts(api)).find((h) => h.node === 'node-r')?.health === 'Healthy', 90_000);
    // Two instances, one core each, on two 2-core hosts: wherever healing put them, both are Ready again.
    await readyInstances(api, deploymentId, 2, 90_000);
    expect(controllerLog(api)).toMatch(/pool-1-node-r-01 failed: No heartbeat/);
  }, 180_000);

  it('keeps a node on the fabric\'s clock: paused, its hosts stop; scaled, they follow', async () => {
    const api = await startFabric(2);
    const node = startNode('node-t', 'Local:1x2');
    await node.says(/joined pool-1/);
    const remote = async () => (await hosts(api)).find((h) => h.node === 'node-t');
    await waitFor('node-t heartbeating', async () => (await remote())?.lastHeartbeat);
    await api.setClock({ paused: true });
    const pausedAt = api.clock.now();
    await new Promise((r) => setTimeout(r, 1_500));
    // Paused: no timer fires on the node, so no heartbeat is stamped after the pause, but for one already under way
    // when the pause reached the node (at 1000x, each real millisecond of delivery is an emulated second). A node
    // that kept running would be 1,500 emulated seconds on.
    expect((await remote())!.lastHeartbeat!).toBeLessThanOrEqual(pausedAt + 5_000);
    await api.setClock({ paused: false, scale: 1000 });
    const resumedAt = api.clock.now();
    await waitFor('a heartbeat stamped after the resume', async () => ((await remote())?.lastHeartbeat ?? 0) > resumedAt);
    // Two real seconds at 1000x: a node still at 200x would be 1,600 emulated seconds behind. Stamped on the
    // node's copy of the clock, its heartbeats stay far closer than that to the fabric's now; the bound leaves room
    // for a busy machine, where 400 emulated seconds are only 0.4 real seconds of delivery delay.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(Math.abs(api.clock.now() - (await remote())!.lastHeartbeat!)).toBeLessThan(400_000);
    expect((await remote())!.health).toBe('Healthy');
  }, 60_000);

  it('refuses a node with a wrong NATS password or a wrong join token, and logs the refusal', async () => {
    const api = await startFabric();
    const badPassword = startNode('rogue-1', 'Local:1x2', [], { FABRIC_LAB_NATS_PASSWORD: 'wrong' });
    expect(await badPassword.exited).toBe(1);
    expect(badPassword.output).toMatch(/cannot connect to the NATS server nats:\/\/127\.0\.0\.1:\d+: .*Authorization Violation/);

    const wrongToken = join(work, 'wrong.token');
    writeFileSync(wrongToken, 'a-token-of-another-fabric\n', { mode: 0o600 });
    const rogue = startNode('rogue-2', 'Local:1x2', ['--join-token-file', wrongToken]);
    expect(await rogue.exited).toBe(1);
    expect(rogue.output).toMatch(/the fabric refused this node: wrong join token/);
    expect(controllerLog(api)).toMatch(/Host node rogue-2 refused: wrong join token/);

    const elsewhere = startNode('far-away', 'Mars:1x2');
    expect(await elsewhere.exited).toBe(1);
    expect(elsewhere.output).toMatch(/no machine pool is in region "Mars"; this fabric's regions: Local/);
    expect((await hosts(api)).every((h) => h.node === undefined)).toBe(true);
  }, 60_000);

  it('keeps running through garbage on its subjects: malformed joins and reports are refused or dropped, and logged', async () => {
    const api = await startFabric();
    const client = await connect({ servers: `127.0.0.1:${nats!.port}`, user: nats!.user, pass: nats!.password });
    try {
      const notJson = await client.request('fabric-lab.join.x', 'not json', { timeout: 5_000 });
      expect(notJson.json()).toEqual({ accepted: false, reason: 'The join request is not JSON.' });
      const malformed = await client.request('fabric-lab.join.x', JSON.stringify({ protocol: 2, node: '../x', hosts: 1e9 }), { timeout: 5_000 });
      expect(malformed.json<{ reason: string }>().reason).toMatch(/malformed: node: a node name holds letters/);
      // A node of protocol 1 asks on the shared join subject: it is told why, rather than waiting for an answer for ever.
      const old = await client.request('fabric-lab.join', JSON.stringify({ protocol: 1, node: 'old', incarnation: 'old-incarnation', token, region: 'Local', hosts: 1, cores: 2 }), { timeout: 5_000 });
      expect(old.json<{ reason: string }>().reason).toMatch(/asked on fabric-lab\.join, where nodes of host-node protocol 1 ask; this fabric speaks 2/);
      // A report from a node that never joined, and one that is not JSON: dropped and logged once each.
      client.publish('fabric-lab.from.ghost', JSON.stringify({ incarnation: 'ghost-incarnation', hosts: [{ hostId: 'pool-1-host-01', worker: 1, messages: [{ type: 'ready', hostId: 'pool-1-host-01' }] }], exited: [] }));
      client.publish('fabric-lab.from.ghost', '{');
      await client.flush();
      await waitFor('the refusals in the controller log', async () => /Host node "ghost" sent messages, but it never joined; ignored/.test(controllerLog(api)) && /not JSON/.test(controllerLog(api)));
    } finally {
      await client.close();
    }
    // The local host was not touched by a report that named it.
    const [local] = await hosts(api);
    expect(local!.health).toBe('Healthy');
    const { deploymentId } = await api.deploy({ sample: 'hello-worker' });
    const [instance] = await readyInstances(api, deploymentId, 2);

    // A node (here by hand) that reports an instance's endpoints anywhere but at its own address (its --dip-address,
    // else 127.0.0.1): the load balancer would send the public's connections there, so the report is dropped and logged.
    const hand = await connect({ servers: `127.0.0.1:${nats!.port}`, user: nats!.user, pass: nats!.password });
    try {
      const control = hand.subscribe('fabric-lab.node.hand.control');
      const joined = await hand.request('fabric-lab.join.hand', JSON.stringify({ protocol: 2, node: 'hand', incarnation: 'hand-incarnation', token, region: 'Local', hosts: 1, cores: 2 }), { timeout: 5_000 });
      expect(joined.json()).toMatchObject({ accepted: true, hostIds: ['pool-1-hand-01'] });
      let worker = 0;
      for await (const msg of control) {
        worker = msg.json<{ type: string; worker?: number }[]>().find((c) => c.type === 'boot-host')?.worker ?? 0;
        if (worker) break;
      }
      const report = (endpoint: string, ipAddress: string) => JSON.stringify({
        incarnation: 'hand-incarnation',
        hosts: [{ hostId: 'pool-1-hand-01', worker, messages: [{ type: 'instance-endpoints', instanceId: instance!.id, endpoints: [{ name: 'HttpIn', protocol: 'http', publicPort: 80, address: endpoint, servedBy: null }], ipAddress }] }],
        exited: [],
      });
      // A host heartbeat with a heap figure no thread has: that message alone is dropped, and logged.
      hand.publish('fabric-lab.from.hand', JSON.stringify({ incarnation: 'hand-incarnation', hosts: [{ hostId: 'pool-1-hand-01', worker, messages: [{ type: 'host-heartbeat', at: 1, guests: [], heapUsed: -5 }] }], exited: [] }));
      hand.publish('fabric-lab.from.hand', report('10.1.2.3:80', '127.0.0.1'));
      hand.publish('fabric-lab.from.hand', report('127.0.0.1:8080', '169.254.169.254'));
      await hand.flush();
      await waitFor('the dropped endpoints in the controller log', async () =>
        controllerLog(api).includes(`Host node hand: pool-1-hand-01 reported ${instance!.id} at 10.1.2.3:80, not at the node's address 127.0.0.1; dropped.`) &&
        controllerLog(api).includes(`reported ${instance!.id} at 169.254.169.254, not at the node's address 127.0.0.1; dropped.`) &&
        /Host node hand: a message from pool-1-hand-01 was dropped: .*heapUsed/.test(controllerLog(api)),
      );
    } finally {
      await hand.close();
    }
    expect((await api.getSnapshot()).instances.find((i) => i.id === instance!.id)!.endpoints).toEqual(instance!.endpoints);
  }, 60_000);

  it('re-seeds a node\'s hosts as it re-seeds its own: the same seed and actions replay the same jitter on a node host', async () => {
    /** Start a fabric with `seed` (then set `reseed` while running), join a node, deploy; the node host's instance's timings. */
    const run = async (seed: number, reseed?: number): Promise<[string, number][]> => {
      const api = await startFabric(1, seed);
      const history = new StatusHistory(api);
      const node = startNode('seeded', 'Local:1x2');
      await node.says(/joined pool-1/);
      await waitFor('the node host Healthy', async () => (await hosts(api)).find((h) => h.node === 'seeded')?.health === 'Healthy');
      if (reseed !== undefined) expect((await api.setClock({ seed: reseed })).seed).toBe(reseed);
      const { deploymentId } = await api.deploy({ sample: 'hello-worker' });
      const ready = await readyInstances(api, deploymentId, 2);
      const onNode = ready.find((i) => i.hostId === 'pool-1-seeded-01')!;
      expect(onNode).toBeDefined();
      await history.reach(onNode.id, 'ReadyRole');
      const mine = history.changes.filter((c) => c.instanceId === onNode.id);
      const created = mine.find((c) => c.to === 'CreatingVM')!.at;
      const times = mine.filter((c) => c.at >= created).map((c): [string, number] => [c.to, c.at - created]);
      await node.stop();
      nodes.splice(nodes.indexOf(node), 1);
      await api.close();
      fabric = null;
      return times;
    };
    const original = await run(4242);
    const replay = await run(1, 4242);
    expect(replay.map(([s]) => s)).toEqual(original.map(([s]) => s));
    replay.forEach(([, at], i) => expect(Math.abs(at - original[i]![1])).toBeLessThan(0.01));
    // Another seed, other timings: the node host follows the seed it was given.
    const other = await run(1, 4243);
    expect(Math.abs(other.at(-1)![1] - original.at(-1)![1])).toBeGreaterThan(1);
  }, 120_000);

  it('reaches a node\'s instances at the address it gives (--dip-address): load-balancer traffic through the VIP is served there', async () => {
    const api = await startFabric(1);
    const node = startNode('far', 'Local:2x4', ['--dip-address', '127.77.0.1']);
    await node.says(/joined pool-1/);
    await waitFor('the node hosts Healthy', async () => (await hosts(api)).filter((h) => h.node === 'far' && h.health === 'Healthy').length === 2);
    const { deploymentId } = await api.deploy({ sample: 'web-and-worker' });
    const ready = await readyInstances(api, deploymentId, 4);
    // The local host holds one core: at least one web instance runs on the node, listening on its address.
    const remote = ready.filter((i) => i.hostId.startsWith('pool-1-far-') && i.roleName === 'WebFrontEnd');
    expect(remote.length).toBeGreaterThan(0);
    for (const i of remote) expect(i.ipAddress).toBe('127.77.0.1');
    const web = ready.filter((i) => i.roleName === 'WebFrontEnd');
    const deployment = (await api.getSnapshot()).deployments.find((d) => d.id === deploymentId)!;
    const endpoint = deployment.inputEndpoints.find((e) => e.roleName === 'WebFrontEnd' && e.port !== null)!;
    for (let n = 0; n < 12; n++) expect(await get(`http://${endpoint.vip}:${endpoint.port}/`)).toBeTruthy();
    const traffic = await waitFor('every web instance served some', async () => {
      const view = (await api.getTraffic()).endpoints.find((e) => e.deploymentId === deploymentId && e.roleName === 'WebFrontEnd')!;
      return view.instances.filter((i) => i.counters.requests > 0).length === web.length && view;
    });
    expect(traffic.instances.find((i) => remote.some((r) => r.name === i.instanceName))?.counters.requests ?? 0).toBeGreaterThan(0);
    // A --dip-address that is not an IPv4 address is refused before the node starts.
    const bad = startNode('bad-dip', 'Local:1x2', ['--dip-address', 'far.example']);
    expect(await bad.exited).toBe(2);
    expect(bad.output).toMatch(/--dip-address must be an IPv4 address of this machine, got "far.example"/);
    const wildcard = startNode('wildcard-dip', 'Local:1x2', ['--dip-address', '0.0.0.0']);
    expect(await wildcard.exited).toBe(2);
    expect(wildcard.output).toMatch(/--dip-address must be one address of this machine .*not "0\.0\.0\.0"/);
    // An address this machine does not have (a documentation address): refused before the node joins, saying why.
    const own = new Set(Object.values(networkInterfaces()).flat().map((a) => a?.address));
    const notHere = ['203.0.113.254', '198.51.100.254', '192.0.2.254'].find((a) => !own.has(a))!;
    const absent = startNode('absent-dip', 'Local:1x2', ['--dip-address', notHere]);
    expect(await absent.exited).toBe(1);
    expect(absent.output).toContain(`--dip-address ${notHere}: nothing can listen on it here (EADDRNOTAVAIL)`);
    expect((await hosts(api)).some((h) => h.node === 'absent-dip')).toBe(false);
  }, 120_000);
});
