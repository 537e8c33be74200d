// Trust between the fabric and its host nodes over a NATS server that asks for TLS: the fabric on a user and
// password, a node on an nkey, both trusting the server's CA; a node that does not trust the server's
// certificate, or talks plain NATS to it, is refused before it reaches the fabric.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fabric } from '../../src-main/fabric/fabric';
import { hostWorkerUrl } from '../support/built';
import { waitFor } from '../support/fabric-helpers';
import { HostNodeProcess } from '../support/host-node-process';
import { natsMissing, startNatsServer, type NatsServer } from '../support/nats-server';

const work = mkdtempSync(join(tmpdir(), 'fabric-lab-host-nodes-tls-'));
const cert = join(work, 'cert.pem');
const key = join(work, 'key.pem');
const openssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
const skip = natsMissing ?? (openssl.status === 0 ? null : 'openssl could not make a test certificate');
if (skip && !natsMissing) console.warn(`host-node TLS tests skipped: ${skip}`);

const user = nkeys.createUser();
const seedFile = join(work, 'node.nk');
writeFileSync(seedFile, `${new TextDecoder().decode(user.getSeed())}\n`, { mode: 0o600 });
const tokenFile = join(work, 'join.token');
writeFileSync(tokenFile, 'join-token-for-the-tls-tests\n', { mode: 0o600 });

let nats: NatsServer | null = null;
let fabric: Fabric | null = null;
const nodes: HostNodeProcess[] = [];

beforeAll(async () => {
  if (skip) return;
  nats = await startNatsServer(
    (port) => `listen: "127.0.0.1:${port}"
tls { cert_file: "${cert}", key_file: "${key}" }
authorization { users = [ { user: "fabric", password: "nats-test-password" }, { nkey: "${user.getPublicKey()}" } ] }
`,
  );
});
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await fabric?.close();
  await nats?.stop();
});

function node(name: string, args: string[]): HostNodeProcess {
  const n = new HostNodeProcess(['--pool', 'Local:1x2', '--name', name, '--join-token-file', tokenFile, ...args]);
  nodes.push(n);
  return n;
}

describe.skipIf(skip !== null)('host nodes over TLS with an nkey', () => {
  it('joins a node over tls:// with an nkey, and refuses one that does not trust the server or speaks plain NATS', async () => {
    const url = `tls://127.0.0.1:${nats!.port}`;
    fabric = await Fabric.start({
      hostWorkerUrl,
      timeScale: 200,
      pools: [{ name: 'Pool A', region: 'Local', hosts: 1, spareHosts: 0, coresPerHost: 2, faultDomains: 2 }],
      nats: { url, user: 'fabric', password: 'nats-test-password', tlsCaFile: cert, joinToken: 'join-token-for-the-tls-tests' },
    });
    const good = node('tls-node', ['--nats', url, '--nats-nkey-file', seedFile, '--nats-ca', cert]);
    await good.says(/joined pool-1/);
    await waitFor('tls-node Healthy', async () => (await fabric!.getSnapshot()).hosts.find((h) => h.node === 'tls-node')?.health === 'Healthy');

    const untrusting = node('no-ca', ['--nats', url, '--nats-nkey-file', seedFile]);
    expect(await untrusting.exited).toBe(1);
    expect(untrusting.output).toMatch(/cannot connect to the NATS server tls:\/\/127\.0\.0\.1:\d+: .*(self[- ]signed|certificate)/i);

    const plain = node('plain', ['--nats', `nats://127.0.0.1:${nats!.port}`, '--nats-nkey-file', seedFile]);
    expect(await plain.exited).toBe(1);
    expect(plain.output).toMatch(/cannot connect to the NATS server nats:\/\/127\.0\.0\.1:\d+/);
    expect((await fabric.getSnapshot()).hosts.filter((h) => h.node !== undefined).map((h) => h.node)).toEqual(['tls-node']);
  }, 90_000);
});
