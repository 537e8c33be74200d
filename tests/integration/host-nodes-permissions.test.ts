// Per-node NATS users (issue 17): a real nats-server with the authorization `fabric-lab nats-config` writes gives
// the fabric and each node a user of its own, a node allowed only its own subjects. A node joins and runs with its
// own user; with another node's user it cannot join under that other's name (the server refuses the publish), a
// client publishing as another node is refused by the server, and the fabric, and the node it impersonated, go on.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSubjectPrefix, natsServerAuthorization } from '../../src-main/common/host-node-protocol';
import { Fabric } from '../../src-main/fabric/fabric';
import { fabricLogFile } from '../../src-main/logs/instance-paths';
import { hostWorkerUrl } from '../support/built';
import { waitFor } from '../support/fabric-helpers';
import { HostNodeProcess } from '../support/host-node-process';
import { natsMissing, startNatsServer, type NatsServer } from '../support/nats-server';

const work = mkdtempSync(join(tmpdir(), 'fabric-lab-host-nodes-permissions-'));
const token = 'join-token-for-the-permission-tests';
const tokenFile = join(work, 'join.token');
writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
const passwords = { fabric: 'fabric-password', 'rack-2': 'rack-2-password', 'rack-3': 'rack-3-password', 'rack-4': 'rack-4-password' };
/** A user set up wrongly: it may join and report as rack-4, but not hear rack-4's control or log requests. */
const withoutItsControl = `    { user: "rack-4", password: "rack-4-password", permissions: { publish: { allow: ["${defaultSubjectPrefix}.join.rack-4", "${defaultSubjectPrefix}.clock", "${defaultSubjectPrefix}.from.rack-4"] }, subscribe: { allow: ["_INBOX.${defaultSubjectPrefix}.rack-4.>"] }, allow_responses: true } }`;

let nats: NatsServer | null = null;
let fabric: Fabric | null = null;
const nodes: HostNodeProcess[] = [];
if (natsMissing) console.warn(`host-node permission tests skipped: ${natsMissing}`);

beforeAll(async () => {
  if (natsMissing) return;
  const authorization = natsServerAuthorization(defaultSubjectPrefix, 'fabric', ['rack-2', 'rack-3'], passwords).replace('\n  ]\n', `,\n${withoutItsControl}\n  ]\n`);
  nats = await startNatsServer((port) => `listen: "127.0.0.1:${port}"\n${authorization}`);
});
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await fabric?.close();
  await nats?.stop();
});

function node(name: string, user: keyof typeof passwords): HostNodeProcess {
  const n = new HostNodeProcess(['--nats', nats!.url, '--nats-user', user, '--pool', 'Local:1x2', '--name', name, '--join-token-file', tokenFile], { FABRIC_LAB_NATS_PASSWORD: passwords[user] });
  nodes.push(n);
  return n;
}

describe.skipIf(natsMissing !== null)('host nodes with a NATS user each', () => {
  it('lets a node use only its own subjects: it joins as itself, and the server refuses anything it sends as another', async () => {
    fabric = await Fabric.start({
      hostWorkerUrl,
      timeScale: 200,
      seed: 3,
      batchIntervalMs: 20,
      pools: [{ name: 'Pool A', region: 'Local', hosts: 1, spareHosts: 0, coresPerHost: 2, faultDomains: 2 }],
      nats: { url: nats!.url, user: 'fabric', password: passwords.fabric, joinToken: token },
    });
    const rack2 = node('rack-2', 'rack-2');
    await rack2.says(/joined pool-1/);
    const nodeHost = async () => (await fabric!.getSnapshot()).hosts.find((h) => h.node === 'rack-2');
    await waitFor('rack-2 Healthy', async () => (await nodeHost())?.health === 'Healthy');

    // rack-3's user cannot join under rack-2's name: the server refuses it rack-2's subjects. Which refusal reaches
    // the node first is the server's race: the publish on the join subject, or the subscription to rack-2's control.
    const impostor = node('rack-2', 'rack-3');
    expect(await impostor.exited).toBe(1);
    expect(impostor.output).toMatch(
      /the NATS server (does not let this user join as rack-2 \(.*[Pp]ermissions? [Vv]iolation|refuses this node's subscription on fabric-lab\.node\.rack-2\.)/,
    );

    // A client with rack-3's user that publishes rack-2's report is refused by the server; the fabric never sees it.
    const errors: string[] = [];
    const rogue = await connect({ servers: `127.0.0.1:${nats!.port}`, user: 'rack-3', pass: passwords['rack-3'] });
    const watching = (async () => {
      for await (const s of rogue.status()) if (s.type === 'error') errors.push(String((s as { error?: unknown }).error ?? JSON.stringify(s)));
    })();
    rogue.publish(`${defaultSubjectPrefix}.from.rack-2`, JSON.stringify({ incarnation: 'forged-incarnation', hosts: [], exited: [] }));
    // Nor may it hear rack-2's control (which host to boot, each host's messages) or its log requests.
    rogue.subscribe(`${defaultSubjectPrefix}.node.rack-2.control`);
    rogue.subscribe(`${defaultSubjectPrefix}.node.rack-2.logs`);
    await rogue.flush().catch(() => undefined);
    await waitFor('the permission violations', async () => errors.filter((e) => /[Pp]ermissions? [Vv]iolation/.test(e)).length >= 3);
    expect(errors.join('\n')).toMatch(/[Pp]ublish to "fabric-lab\.from\.rack-2"/);
    expect(errors.join('\n')).toMatch(/[Ss]ubscription to "fabric-lab\.node\.rack-2\.control"/);
    expect(errors.join('\n')).toMatch(/[Ss]ubscription to "fabric-lab\.node\.rack-2\.logs"/);
    await rogue.close();
    await watching;
    // rack-2 still serves: its host is Healthy, and a deployment reaches Ready on it.
    const { deploymentId } = await fabric.deploy({ sample: 'hello-worker' });
    await waitFor('both instances Ready, one on rack-2', async () => {
      const s = await fabric!.getSnapshot();
      const mine = s.instances.filter((i) => i.deploymentId === deploymentId);
      return mine.length === 2 && mine.every((i) => i.status === 'ReadyRole') && mine.some((i) => i.hostId === s.hosts.find((h) => h.node === 'rack-2')?.id);
    }, 60_000);
    expect((await nodeHost())?.health).toBe('Healthy');

    // A node whose user may join but not hear its own control: the server refuses the subscription, and the node
    // says so and stops, rather than joining hosts it would never boot.
    const deaf = node('rack-4', 'rack-4');
    expect(await deaf.exited).toBe(1);
    expect(deaf.output).toMatch(/the NATS server refuses this node's subscription on fabric-lab\.node\.rack-4\.(control|logs): its NATS user must be allowed this node's subjects/);

    // A fabric whose NATS user is not the fabric's (here rack-3's): the server refuses its subscriptions, and its
    // FabricController.log says so, where a user looks when no node joins.
    const misconfigured = await Fabric.start({
      hostWorkerUrl,
      timeScale: 200,
      pools: [{ name: 'Pool A', region: 'Local', hosts: 1, spareHosts: 0, coresPerHost: 2, faultDomains: 2 }],
      nats: { url: nats!.url, user: 'rack-3', password: passwords['rack-3'], joinToken: token },
    });
    try {
      const log = () => readFileSync(fabricLogFile(misconfigured.sessionDir, { kind: 'fabric-controller', pool: 'pool-1' }), 'utf8');
      await waitFor('the refusal in FabricController.log', async () => /the NATS server refuses the fabric's subscription on fabric-lab\.join\.\*/.test(log()));
    } finally {
      await misconfigured.close();
    }
  }, 120_000);
});
