import { describe, expect, it } from 'vitest';
import type { ToHost } from '../../src-main/common/host-protocol';
import type { PoolInstance } from '../../src-main/fabric/instance-lifecycle';
import { DeploymentTopologies, topologyOf } from '../../src-main/fabric/role-topology';

/** A controller record with what the topology reads. */
function instance(name: string, options: { listed?: boolean; address?: string; code?: boolean; state?: PoolInstance['lifecycle']['state'] } = {}): PoolInstance {
  const roleName = name.slice(0, name.indexOf('_'));
  return {
    view: { id: `d/${name}`, name, deploymentId: 'd', roleName, hostId: 'h1', upgradeDomain: Number(name.at(-1)), faultDomain: 0 },
    spec: { roleName, ...(options.code === false ? {} : { roleEntryModule: '/approot/RoleEntryPoint.mjs' }) },
    lifecycle: { state: options.state ?? 'Running' },
    listed: options.listed ?? true,
    ...(options.address ? { roleEndpoints: { Gossip: { protocol: 'tcp', port: 9000, address: options.address } } } : { roleEndpoints: { Gossip: { protocol: 'tcp', port: 9000 } } }),
  } as unknown as PoolInstance;
}

/** An instance of deployment d that is listed and runs role code: its changes are looked at. */
const peer = instance('Peer_IN_0');

describe('role topology', () => {
  it('lists every role, and the bound instances of a role with an internal endpoint in instance order', () => {
    const roles = topologyOf([instance('Peer_IN_1', { address: '127.2.0.1' }), instance('Peer_IN_0', { address: '127.1.0.1' }), instance('Peer_IN_2'), instance('Solo_IN_0', { listed: false, address: '127.3.0.1' })]);
    expect(roles).toEqual([
      {
        name: 'Peer',
        instances: [
          { id: 'Peer_IN_0', updateDomain: 0, faultDomain: 0, endpoints: { Gossip: { protocol: 'tcp', port: 9000, address: '127.1.0.1' } } },
          { id: 'Peer_IN_1', updateDomain: 1, faultDomain: 0, endpoints: { Gossip: { protocol: 'tcp', port: 9000, address: '127.2.0.1' } } },
        ],
      },
      { name: 'Solo', instances: [] },
    ]);
  });

  it('sends a deployment running role code its topology once per turn, naming the roles that changed (not to the instance that moved), and nothing when none did', async () => {
    let instances = [instance('Peer_IN_0', { address: '127.1.0.1' }), instance('Solo_IN_0', { listed: false })];
    const sent: ToHost[] = [];
    const topologies = new DeploymentTopologies(() => instances, (_host, message) => sent.push(message));
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    topologies.changed(peer);
    topologies.changed(peer);
    await turn();
    // The first topology is the deployment's as it comes up: quiet, no role named.
    expect(sent.map((m) => m.type === 'topology' && [m.instanceId, m.changedRoles])).toEqual([
      ['d/Peer_IN_0', []],
      ['d/Solo_IN_0', []],
    ]);
    sent.length = 0;
    topologies.changed(peer);
    await turn();
    expect(sent).toEqual([]);
    instances = [...instances, instance('Peer_IN_1', { address: '127.2.0.1' })];
    topologies.changed(peer);
    await turn();
    // Every instance had bound: a new one is a topology change, except to itself (its own arrival).
    expect(sent.map((m) => m.type === 'topology' && [m.instanceId, m.changedRoles])).toEqual([
      ['d/Peer_IN_0', ['Peer']],
      ['d/Solo_IN_0', ['Peer']],
      ['d/Peer_IN_1', []],
    ]);
    // Moved by healing to another DIP: the others hear it, the moved one takes it quietly.
    sent.length = 0;
    instances = [instances[0]!, instances[1]!, instance('Peer_IN_1', { address: '127.9.0.1' })];
    topologies.changed(peer);
    await turn();
    expect(sent.map((m) => m.type === 'topology' && [m.instanceId, m.changedRoles])).toEqual([
      ['d/Peer_IN_0', ['Peer']],
      ['d/Solo_IN_0', ['Peer']],
      ['d/Peer_IN_1', []],
    ]);
    // Built-in code reads no RoleEnvironment: a deployment of it is sent nothing.
    sent.length = 0;
    instances = [];
    topologies.changed(peer);
    await turn();
    instances = [instance('Peer_IN_0', { address: '127.1.0.1', code: false })];
    topologies.changed(peer);
    await turn();
    expect(sent).toEqual([]);
  });

  it('raises nothing when a suspended deployment is Run and its instances bind, and raises for one added after', async () => {
    let instances = [instance('Peer_IN_0', { state: 'Placed' }), instance('Peer_IN_1', { state: 'Placed' })];
    const sent: ToHost[] = [];
    const topologies = new DeploymentTopologies(() => instances, (_host, message) => sent.push(message));
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    topologies.changed(peer);
    await turn();
    // Suspended: no role code runs, nothing is sent.
    expect(sent).toEqual([]);
    instances = [instance('Peer_IN_0', { address: '127.1.0.1' }), instance('Peer_IN_1')];
    topologies.changed(peer);
    await turn();
    instances = [instances[0]!, instance('Peer_IN_1', { address: '127.2.0.1' }), instance('Peer_IN_2', { address: '127.3.0.1' })];
    topologies.changed(peer);
    await turn();
    expect(sent.map((m) => m.type === 'topology' && [m.instanceId, m.changedRoles])).toEqual([
      ['d/Peer_IN_0', []],
      ['d/Peer_IN_1', []],
      // Peer_IN_1 binding is quiet, Peer_IN_2 (not there when the deployment was first seen) is a change.
      ['d/Peer_IN_0', ['Peer']],
      ['d/Peer_IN_1', ['Peer']],
      ['d/Peer_IN_2', []],
    ]);
  });

  it('raises nothing while the listed instances of a deployment first bind, however many turns that takes', async () => {
    let instances = [instance('Peer_IN_0', { address: '127.1.0.1' }), instance('Peer_IN_1')];
    const sent: ToHost[] = [];
    const topologies = new DeploymentTopologies(() => instances, (_host, message) => sent.push(message));
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    topologies.changed(peer);
    await turn();
    instances = [instances[0]!, instance('Peer_IN_1', { address: '127.2.0.1' })];
    topologies.changed(peer);
    await turn();
    // Peer_IN_1 bound after Peer_IN_0's code had started: Roles fills in, quietly.
    expect(sent.map((m) => m.type === 'topology' && [m.instanceId, m.changedRoles, m.roles[0]!.instances.length])).toEqual([
      ['d/Peer_IN_0', [], 1],
      ['d/Peer_IN_1', [], 1],
      ['d/Peer_IN_0', [], 2],
      ['d/Peer_IN_1', [], 2],
    ]);
    // From now on a change is raised.
    sent.length = 0;
    instances = [instances[0]!];
    topologies.changed(peer);
    await turn();
    expect(sent.map((m) => m.type === 'topology' && [m.instanceId, m.changedRoles])).toEqual([['d/Peer_IN_0', ['Peer']]]);
  });

  it('does not look at a deployment of built-in code: an unlisted instance without role code changes nothing', async () => {
    let looked = 0;
    const topologies = new DeploymentTopologies(() => (looked++, [peer]), () => undefined);
    topologies.changed(instance('Web_IN_0', { listed: false, code: false }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(looked).toBe(0);
    topologies.changed(peer);
    await new Promise((resolve) => setImmediate(resolve));
    expect(looked).toBe(1);
  });
});
