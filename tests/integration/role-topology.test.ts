// RoleEnvironment.Roles for role code (issues 11 and 13), with real host workers at 1000x: in a deployment where
// role Peer has an internal endpoint, role code lists every Peer instance with its endpoint at that instance's
// DIP (a role without one lists no instances, as in Azure); scaling Peer out raises RoleEnvironment.Changing with
// a topology change in the instances that stay, then Changed with the new Roles; code that cancels it recycles.
// Peers call each other on the internal endpoint at the DIP:port RoleEnvironment lists. Bringing the deployment up,
// and a new instance's own arrival, raise nothing; service healing moving a peer to another DIP is a change.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceView } from '../../src-main/common/fabric-api';
import { Fabric } from '../../src-main/fabric/fabric';
import { hostWorkerUrl } from '../support/built';
import { StatusHistory, waitFor } from '../support/fabric-helpers';

let fabric: Fabric;
let history: StatusHistory;
let root = '';
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fabric-lab-topology-'));
  fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 23, batchIntervalMs: 10, sessionDir: join(root, 'session') });
  history = new StatusHistory(fabric);
});
afterAll(async () => {
  await fabric?.close();
  rmSync(root, { recursive: true, force: true });
});

const ns = 'http://schemas.microsoft.com/ServiceHosting/2008/10/';
/** Each role's code prints RoleEnvironment.Roles: role[instance@address:port ...] (Gossip, the internal endpoint). */
const show = `const show = (env) => Object.values(env.roles).map((r) => r.name + '[' + r.instances.map((i) => i.id + '@' + i.instanceEndpoints.Gossip.ipEndpoint.address + ':' + i.instanceEndpoints.Gossip.ipEndpoint.port).join(' ') + ']').join(' ');`;
// Peer listens on its internal endpoint and, in Run, calls each other peer there once (saying what it heard).
const peerCode = `import { connect, createServer } from 'node:net';
${show}
export function onStart(env) {
  const me = env.currentRoleInstance;
  createServer((s) => s.end('hello from ' + me.id)).listen(me.instanceEndpoints.Gossip.ipEndpoint.port, me.instanceEndpoints.Gossip.ipEndpoint.address);
  console.log('roles ' + show(env));
  env.on('changing', (e) => console.log('changing ' + e.changes.map((c) => c.type + ':' + c.roleName).join(',')));
  env.on('changed', () => console.log('changed ' + show(env)));
  return true;
}
export function run(env) {
  const heard = new Set();
  setInterval(() => {
    for (const peer of env.roles.Peer.instances) {
      if (peer.id === env.currentRoleInstance.id || heard.has(peer.id)) continue;
      heard.add(peer.id);
      const at = peer.instanceEndpoints.Gossip.ipEndpoint;
      const socket = connect(at.port, at.address);
      let text = '';
      socket.on('data', (d) => (text += d));
      socket.on('end', () => console.log('heard ' + text + ' at ' + at.address + ':' + at.port));
      socket.on('error', (e) => { heard.delete(peer.id); console.log('could not reach ' + peer.id + ': ' + e.message); });
    }
  }, 100);
  return new Promise(() => {});
}
`;
// Solo has no internal endpoint: it sees Peer's instances but lists none of its own, and it cancels every change.
const soloCode = `${show}
export function onStart(env) {
  console.log('roles ' + show(env));
  env.on('changing', (e) => e.cancel());
  return true;
}
export function run() { return new Promise(() => {}); }
`;

async function deploy(slot: 'production' | 'staging' = 'production'): Promise<string> {
  const csx = join(root, 'Mesh.csx');
  for (const [role, code] of [['Peer', peerCode], ['Solo', soloCode]] as const) {
    mkdirSync(join(csx, 'roles', role, 'approot'), { recursive: true });
    writeFileSync(join(csx, 'roles', role, 'approot', 'RoleEntryPoint.mjs'), code);
  }
  writeFileSync(
    join(csx, 'ServiceDefinition.csdef'),
    `<ServiceDefinition name="Mesh" xmlns="${ns}ServiceDefinition"><WorkerRole name="Peer" vmsize="Small"><Endpoints><InternalEndpoint name="Gossip" protocol="tcp" port="9000" /></Endpoints></WorkerRole><WorkerRole name="Solo" vmsize="Small" /></ServiceDefinition>`,
  );
  const cscfg = join(root, 'ServiceConfiguration.cscfg');
  writeFileSync(cscfg, `<?xml version="1.0" encoding="utf-8"?>\n<ServiceConfiguration serviceName="Mesh" xmlns="${ns}ServiceConfiguration"><Role name="Peer"><Instances count="2" /></Role><Role name="Solo"><Instances count="1" /></Role></ServiceConfiguration>`);
  const pkg = await fabric.packages.openFromDisk(csx, cscfg);
  expect(pkg.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return (await fabric.deploy({ packageId: pkg.packageId, slot })).deploymentId;
}

async function lines(instanceId: string, process: string): Promise<string[]> {
  const files = await fabric.listLogs({ instanceId }).catch(() => []);
  const all: string[] = [];
  for (const f of files.filter((f) => f.process === process)) all.push(...(await fabric.readLog({ file: f.file, fromLine: 0, count: Math.max(1, Math.min(f.lines, 10_000)) })).lines);
  return all;
}

const instances = async (deploymentId: string): Promise<InstanceView[]> => (await fabric.getSnapshot()).instances.filter((i) => i.deploymentId === deploymentId);

describe('RoleEnvironment.Roles', () => {
  it('lists the instances of a role with an internal endpoint at their DIPs, and raises a topology change when the role scales', { timeout: 120_000 }, async () => {
    const deploymentId = await deploy();
    const up = await waitFor('every instance Ready with its DIP', async () => {
      const all = await instances(deploymentId);
      // Solo has no endpoint: no listener, so no DIP shown.
      return all.length === 3 && all.every((i) => i.status === 'ReadyRole' && (i.roleName === 'Solo' || i.ipAddress)) && all;
    }, 60_000);
    const dip = (name: string) => up.find((i) => i.name === name)!.ipAddress!;
    const bothPeers = new RegExp(`Peer\\[Peer_IN_0@${dip('Peer_IN_0').replace(/\./g, '\\.')}:\\d+ Peer_IN_1@${dip('Peer_IN_1').replace(/\./g, '\\.')}:\\d+\\] Solo\\[\\]`);
    // Peer_IN_0's code lists both peers at their DIPs (at OnStart, or after the other bound, in a Changed).
    await waitFor("Peer_IN_0 lists both peers", async () => (await lines(`${deploymentId}/Peer_IN_0`, 'WaWorkerHost')).some((l) => bothPeers.test(l)));
    // Peers reach each other at DIP:port on the internal endpoint, where role code listens.
    const heard = await waitFor('Peer_IN_0 hears Peer_IN_1 on Gossip', async () => (await lines(`${deploymentId}/Peer_IN_0`, 'WaWorkerHost')).find((l) => l.includes('heard hello from Peer_IN_1')));
    expect(heard).toContain(`at ${dip('Peer_IN_1')}:`);
    // Solo sees Peer's instances too; it lists none of its own (no internal endpoint).
    await waitFor('Solo lists the peers', async () => {
      const solo = await lines(`${deploymentId}/Solo_IN_0`, 'WaWorkerHost');
      return solo.some((l) => l.includes('roles Peer[') && l.includes(' Solo[]'));
    });
    // Bringing the deployment up is no topology change (as in Azure, where the addresses are known from allocation):
    // Roles filled in quietly, so no Changing was raised and Solo, which cancels every change, never recycled.
    expect((await lines(`${deploymentId}/Peer_IN_0`, 'WaWorkerHost')).some((l) => l.includes('changing '))).toBe(false);
    expect(history.firstInto(`${deploymentId}/Solo_IN_0`, 'RestartingRole')).toBeUndefined();

    const since = fabric.clock.now();
    const scaled = await fabric.changeInstanceCount({ deploymentId, roleName: 'Peer', count: 3 });
    await waitFor('the scale-out ended', async () => (await fabric.getSnapshot()).operations.find((o) => o.requestId === scaled.requestId && o.status === 'Succeeded'), 60_000);
    const third = await waitFor('Peer_IN_2 with its DIP', async () => (await instances(deploymentId)).find((i) => i.name === 'Peer_IN_2' && i.ipAddress));
    // Peer_IN_0 stays: Changing with a topology change for Peer, then Changed with the three peers.
    const peer0 = await waitFor('the topology change in Peer_IN_0', async () => {
      const log = await lines(`${deploymentId}/Peer_IN_0`, 'WaWorkerHost');
      return log.some((l) => l.includes(`Peer_IN_2@${third.ipAddress!}:`) && l.includes('changed ')) && log;
    });
    expect(peer0.some((l) => l.includes('changing topology:Peer'))).toBe(true);
    expect(peer0.some((l) => /Raising RoleEnvironment\.Changing for a topology change \(Peer: 3 instance\(s\)\)/.test(l))).toBe(true);
    // Solo's code cancels: its role recycles to take the new topology.
    const recycled = await history.reach(`${deploymentId}/Solo_IN_0`, 'RestartingRole', since);
    expect(recycled.details).toContain('cancelled RoleEnvironment.Changing for a topology change (Peer)');
    await waitFor('Solo Ready again', async () => (await instances(deploymentId)).find((i) => i.name === 'Solo_IN_0')?.status === 'ReadyRole');
    expect((await lines(`${deploymentId}/Peer_IN_0`, 'AppAgentRuntime')).some((l) => l.includes('Topology change for role(s) Peer (3 instance(s)): the role is told.'))).toBe(true);
    // Peer_IN_2's own arrival is no change to it: it lists the three peers with no Changing.
    const peer2 = await waitFor('Peer_IN_2 lists the three peers', async () => {
      const log = await lines(`${deploymentId}/Peer_IN_2`, 'WaWorkerHost');
      return (await instances(deploymentId)).find((i) => i.name === 'Peer_IN_2')?.status === 'ReadyRole' && log.some((l) => l.includes('heard hello from Peer_IN_1')) && log;
    });
    expect(peer2.some((l) => l.includes('changing '))).toBe(false);
    // And scaling in: Peer_IN_0 hears that Peer_IN_2 went.
    const shrunk = await fabric.changeInstanceCount({ deploymentId, roleName: 'Peer', count: 2 });
    await waitFor('the scale-in ended', async () => (await fabric.getSnapshot()).operations.find((o) => o.requestId === shrunk.requestId && o.status === 'Succeeded'), 60_000);
    await waitFor('Peer_IN_0 hears Peer_IN_2 went', async () => bothPeers.test((await lines(`${deploymentId}/Peer_IN_0`, 'WaWorkerHost')).filter((l) => l.includes('changed Peer[')).at(-1) ?? ''));
  });

  it('raises a topology change when service healing moves an instance to another DIP', { timeout: 120_000 }, async () => {
    const deploymentId = await deploy('staging');
    const up = await waitFor('every instance Ready with its DIP', async () => {
      const all = await instances(deploymentId);
      return all.length === 3 && all.every((i) => i.status === 'ReadyRole' && (i.roleName === 'Solo' || i.ipAddress)) && all;
    }, 60_000);
    const [peer0, peer1] = ['Peer_IN_0', 'Peer_IN_1'].map((name) => up.find((i) => i.name === name)!);
    // The peers are in different fault domains, so on different hosts: losing Peer_IN_1's host leaves Peer_IN_0 running.
    expect(peer0!.hostId).not.toBe(peer1!.hostId);
    const since = fabric.clock.now();
    await fabric.injectFault({ kind: 'kill-host', hostId: peer1!.hostId });
    const moved = await waitFor('Peer_IN_1 Ready on another host', async () => {
      const now = (await instances(deploymentId)).find((i) => i.name === 'Peer_IN_1');
      return now?.status === 'ReadyRole' && now.hostId !== peer1!.hostId && now.ipAddress !== null && history.firstInto(peer1!.id, 'ReadyRole', since) ? now : undefined;
    }, 60_000);
    expect(moved.ipAddress).not.toBe(peer1!.ipAddress);
    // Peer_IN_0 stayed: Changing with a topology change for Peer, then Changed listing Peer_IN_1 at its new DIP.
    const log = await waitFor('Peer_IN_0 hears Peer_IN_1 moved', async () => {
      const all = await lines(peer0!.id, 'WaWorkerHost');
      return all.some((l) => l.includes('changed ') && l.includes(`Peer_IN_1@${moved.ipAddress!}:`)) && all;
    });
    expect(log.some((l) => l.includes('changing topology:Peer'))).toBe(true);
  });
});
