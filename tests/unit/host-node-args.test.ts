// The host-node and `serve --nats` command lines, NATS connection options, join tokens and the node protocol's
// schemas: good values pass, bad ones are refused with words that name what is wrong.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { joinRequestSchema, nodeControlBatchSchema, nodeReportSchema, remoteFromHostSchema } from '../../src-main/common/host-node-protocol';
import { natsOptions } from '../../src-main/fabric/nats-connection';
import { main, type CliIo } from '../../src-main/serve/cli';
import { hostNodeArgs, parseNodePool } from '../../src-main/serve/host-node-args';
import { natsSettings, readJoinToken, sessionJoinToken } from '../../src-main/serve/nats-args';
import { parseServeArgs, ServeArgsError } from '../../src-main/serve/serve-args';
import { natsMissing, natsServerPath } from '../support/nats-server';

const dir = mkdtempSync(join(tmpdir(), 'fabric-lab-host-node-args-'));

function io(): CliIo & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (s) => lines.push(s), err: (s) => lines.push(s) };
}

describe('fabric-lab host-node arguments', () => {
  it('reads the pool, the name and the NATS settings', () => {
    expect(parseNodePool('West Europe:4x8')).toEqual({ region: 'West Europe', hosts: 4, cores: 8 });
    expect(hostNodeArgs({ nats: 'nats://127.0.0.1:4222', pool: 'Local:2x4', name: 'rack-7' }, )).toEqual({ nats: { url: 'nats://127.0.0.1:4222' }, region: 'Local', hosts: 2, cores: 4, name: 'rack-7' });
  });

  it.each([
    ['Local:4x8+1', /--pool must be REGION:HOSTSxCORES/],
    ['Local:0x8', /hosts must be from 1 to 256/],
    ['Local:2x65', /cores per host must be from 1 to 64/],
    [':2x4', /--pool must be/],
  ])('refuses --pool %s', (pool, message) => {
    expect(() => parseNodePool(pool)).toThrow(message);
  });

  it('refuses a missing --nats or --pool, and a name that is not a subject token', () => {
    expect(() => hostNodeArgs({ pool: 'Local:1x2' })).toThrow(/--nats URL is required/);
    expect(() => hostNodeArgs({ nats: 'nats://127.0.0.1:1' })).toThrow(/--pool "REGION:HOSTSxCORES" is required/);
    expect(() => hostNodeArgs({ nats: 'nats://127.0.0.1:1', pool: 'Local:1x2', name: 'a.b' })).toThrow(/--name "a.b": a node name holds letters/);
    expect(() => natsSettings({ natsCa: '/x' })).toThrow(/--nats-ca needs --nats/);
  });

  it('takes one IPv4 --dip-address, not a wildcard, broadcast or multicast one, and says it in the join', () => {
    const base = { nats: 'nats://127.0.0.1:1', pool: 'Local:1x2', name: 'n1' };
    expect(hostNodeArgs({ ...base, dipAddress: '10.0.0.5' }).dipAddress).toBe('10.0.0.5');
    for (const bad of ['0.0.0.0', '255.255.255.255', '224.0.0.1', '239.1.2.3']) {
      expect(() => hostNodeArgs({ ...base, dipAddress: bad }), bad).toThrow(/--dip-address must be one address of this machine .*a wildcard, broadcast or multicast address/);
    }
    const join = { protocol: 2, node: 'n1', incarnation: 'incarnation-1', token: 't', region: 'Local', hosts: 1, cores: 2 };
    expect(joinRequestSchema.safeParse({ ...join, dipAddress: '10.0.0.5' }).success).toBe(true);
    expect(joinRequestSchema.safeParse({ ...join, dipAddress: 'far.example' }).success).toBe(false);
  });

  it('exits 2 with one line when the command line is wrong or no join token is given', async () => {
    const bad = io();
    expect(await main(['host-node', '--nats', 'http://x', '--pool', 'Local:1x2'], bad)).toBe(2);
    expect(bad.lines.join('\n')).toMatch(/--nats must be nats:\/\/HOST:PORT or tls:\/\/HOST:PORT/);
    const noToken = io();
    const saved = process.env.FABRIC_LAB_JOIN_TOKEN;
    delete process.env.FABRIC_LAB_JOIN_TOKEN;
    try {
      expect(await main(['host-node', '--nats', 'nats://127.0.0.1:1', '--pool', 'Local:1x2', '--name', 'n1'], noToken)).toBe(2);
    } finally {
      if (saved !== undefined) process.env.FABRIC_LAB_JOIN_TOKEN = saved;
    }
    expect(noToken.lines.join('\n')).toMatch(/no join token: give --join-token-file FILE or set FABRIC_LAB_JOIN_TOKEN/);
  });
});

describe('serve --nats', () => {
  it('takes the NATS server, its credentials and the join token file', () => {
    expect(parseServeArgs(['--nats', 'tls://nats.example:4443', '--nats-user', 'fabric', '--nats-ca', '/etc/ca.pem', '--join-token-file', '/run/token'])).toEqual({
      kind: 'run',
      options: { nats: { url: 'tls://nats.example:4443', user: 'fabric', tlsCaFile: '/etc/ca.pem' }, joinTokenFile: '/run/token' },
    });
  });

  it('refuses a NATS option without --nats, and a URL that is not NATS', () => {
    expect(() => parseServeArgs(['--join-token-file', '/run/token'])).toThrow(new ServeArgsError('--join-token-file needs --nats'));
    expect(() => parseServeArgs(['--nats', 'http://127.0.0.1:4222'])).toThrow(/--nats must be nats:\/\/HOST:PORT or tls:\/\/HOST:PORT/);
  });
});

describe('NATS connection options', () => {
  it('takes the credentials from the URL, and TLS from tls://', () => {
    expect(natsOptions({ url: 'nats://fabric:s%40cret@127.0.0.1:4333' }, 'n')).toMatchObject({ servers: '127.0.0.1:4333', user: 'fabric', pass: 's@cret' });
    expect(natsOptions({ url: 'tls://127.0.0.1', tlsCaFile: '/ca.pem' }, 'n')).toMatchObject({ servers: '127.0.0.1:4222', tls: { caFile: '/ca.pem' } });
    expect(natsOptions({ url: 'nats://127.0.0.1:1' }, 'n').tls).toBeUndefined();
  });

  it('refuses a bad URL, a CA for a plain URL, and a file that holds no nkey seed', () => {
    expect(() => natsOptions({ url: 'not a url' }, 'n')).toThrow(/is not a NATS URL/);
    expect(() => natsOptions({ url: 'http://127.0.0.1' }, 'n')).toThrow(/the scheme must be nats:\/\/ or tls:\/\//);
    expect(() => natsOptions({ url: 'nats://127.0.0.1', tlsCaFile: '/ca.pem' }, 'n')).toThrow(/not a tls:\/\/ URL/);
    const notSeed = join(dir, 'not-a-seed');
    writeFileSync(notSeed, 'hello\n');
    expect(() => natsOptions({ url: 'nats://127.0.0.1', nkeySeedFile: notSeed }, 'n')).toThrow(/does not hold a user nkey seed/);
    expect(() => natsOptions({ url: 'nats://127.0.0.1', nkeySeedFile: join(dir, 'missing') }, 'n')).toThrow(/cannot read the nkey seed file/);
    expect(() => natsOptions({ url: 'nats://u:p@127.0.0.1', nkeySeedFile: notSeed }, 'n')).toThrow(/either a NATS user and password or an nkey seed/);
  });
});

describe('join tokens', () => {
  it('reads a token file or the environment, and refuses a short one', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'a-long-enough-join-token\nignored\n');
    expect(await readJoinToken(file, {})).toBe('a-long-enough-join-token');
    expect(await readJoinToken(undefined, { FABRIC_LAB_JOIN_TOKEN: 'another-long-join-token' })).toBe('another-long-join-token');
    expect(await readJoinToken(undefined, {})).toBeNull();
    writeFileSync(file, 'short\n');
    await expect(readJoinToken(file, {})).rejects.toThrow(/at least 16 characters/);
    await expect(readJoinToken(join(dir, 'missing'), {})).rejects.toThrow(/cannot read the join token file/);
  });

  it('keeps a generated token in the session folder, readable only by its owner, and the same one next time', async () => {
    const first = await sessionJoinToken(dir);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    expect((await sessionJoinToken(dir)).token).toBe(first.token);
  });
});

describe('host-node protocol schemas', () => {
  it('refuses a join with a bad name, too many hosts or no incarnation', () => {
    expect(joinRequestSchema.safeParse({ protocol: 1, node: 'a', incarnation: '12345678', token: 't', region: 'Local', hosts: 1, cores: 1 }).success).toBe(true);
    expect(joinRequestSchema.safeParse({ protocol: 1, node: 'a.b', incarnation: '12345678', token: 't', region: 'Local', hosts: 1, cores: 1 }).success).toBe(false);
    expect(joinRequestSchema.safeParse({ protocol: 1, node: 'a', incarnation: '12345678', token: 't', region: 'Local', hosts: 257, cores: 1 }).success).toBe(false);
    expect(joinRequestSchema.safeParse({ protocol: 1, node: 'a', token: 't', region: 'Local', hosts: 1, cores: 1 }).success).toBe(false);
  });

  it('lets through only host messages the controller knows, with a real instance status', () => {
    expect(remoteFromHostSchema.safeParse({ type: 'instance-status', instanceId: 'd/i', status: 'ReadyRole', details: '', at: 1, restarts: 0 }).success).toBe(true);
    expect(remoteFromHostSchema.safeParse({ type: 'instance-status', instanceId: 'd/i', status: 'Exploded', details: '', at: 1, restarts: 0 }).success).toBe(false);
    // A node ends its own guests' processes: the fabric has no business with their pids.
    expect(remoteFromHostSchema.safeParse({ type: 'child-process', pid: 1, running: true }).success).toBe(false);
    // A node's host says how its V8 took the code cache, in its words only.
    expect(remoteFromHostSchema.safeParse({ type: 'ready', hostId: 'h', codeCache: 'accepted' }).success).toBe(true);
    expect(remoteFromHostSchema.safeParse({ type: 'ready', hostId: 'h', codeCache: 'maybe' }).success).toBe(false);
    expect(nodeReportSchema.safeParse({ incarnation: 'x', hosts: [], exited: [] }).success).toBe(false);
    expect(nodeControlBatchSchema.safeParse([]).success).toBe(false);
    expect(nodeControlBatchSchema.safeParse([{ type: 'boot-host', hostId: 'h', worker: 0, init: { seed: 1, timings: {} } }]).success).toBe(false);
  });
});

describe('fabric-lab nats-config', () => {
  it('with --passwords-from-environment writes no password: nats-server reads each from its environment', async () => {
    const out = io();
    expect(await main(['nats-config', '--node', 'rack-2', '--node', 'rack-3', '--passwords-from-environment'], out)).toBe(0);
    const text = out.lines.join('\n');
    expect(text).toContain('{ user: "fabric", password: $FABRIC_LAB_NATS_PASSWORD_FABRIC, permissions:');
    expect(text).toContain('{ user: "rack-2", password: $FABRIC_LAB_NATS_PASSWORD_RACK_2, permissions:');
    expect(text).not.toMatch(/password: "/);
    const clash = io();
    expect(await main(['nats-config', '--node', 'rack-2', '--node', 'rack_2', '--passwords-from-environment'], clash)).toBe(2);
    expect(clash.lines.join('\n')).toMatch(/two users would share one password variable \(FABRIC_LAB_NATS_PASSWORD_RACK_2\)/);
    // The real nats-server takes it, with the passwords in its environment, and refuses it without them.
    if (!natsServerPath) return console.warn(`nats-server check skipped: ${natsMissing}`);
    const conf = join(dir, 'nats-env.conf');
    writeFileSync(conf, `listen: "127.0.0.1:4222"\n${text}\n`);
    const env = { ...process.env, FABRIC_LAB_NATS_PASSWORD_FABRIC: 'a', FABRIC_LAB_NATS_PASSWORD_RACK_2: 'b', FABRIC_LAB_NATS_PASSWORD_RACK_3: 'c' };
    expect(spawnSync(natsServerPath, ['-t', '-c', conf], { env, encoding: 'utf8' }).status).toBe(0);
    const without = spawnSync(natsServerPath, ['-t', '-c', conf], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect(without.status).not.toBe(0);
    expect(without.stderr + without.stdout).toMatch(/FABRIC_LAB_NATS_PASSWORD_FABRIC/);
  });

  it('prints a user for the fabric and one per node, each node allowed only its own subjects, with new passwords', async () => {
    const out = io();
    expect(await main(['nats-config', '--node', 'rack-2', '--node', 'rack-3'], out)).toBe(0);
    const text = out.lines.join('\n');
    const rack2 = text.split('\n').find((l) => l.includes('user: "rack-2"'))!;
    expect(rack2).toContain('publish: { allow: ["fabric-lab.join.rack-2", "fabric-lab.clock", "fabric-lab.from.rack-2"] }');
    expect(rack2).toContain('subscribe: { allow: ["fabric-lab.node.rack-2.control", "fabric-lab.node.rack-2.logs", "_INBOX.fabric-lab.rack-2.>"] }');
    expect(rack2).not.toContain('rack-3');
    const fabricLine = text.split('\n').find((l) => l.includes('user: "fabric"'))!;
    expect(fabricLine).toContain('publish: { allow: ["fabric-lab.node.*.control", "fabric-lab.node.*.logs"] }');
    // Each user its own password, said once in the instructions and once in the block.
    const passwords = [...text.matchAll(/password: "([^"]+)"/g)].map((m) => m[1]!);
    expect(new Set(passwords).size).toBe(3);
    for (const p of passwords) expect(text).toContain(`FABRIC_LAB_NATS_PASSWORD=${p}`);
  });

  it.each([
    [[], /give at least one --node NAME/],
    [['--node', 'rack 2'], /"rack 2" is not a node name/],
    [['--node', 'a', '--node', 'a'], /each --node \(and the fabric user\) must be named once/],
    [['--node', 'fabric'], /each --node \(and the fabric user\) must be named once/],
  ])('refuses %j with exit 2', async (args, message) => {
    const out = io();
    expect(await main(['nats-config', ...args], out)).toBe(2);
    expect(out.lines.join('\n')).toMatch(message);
  });
});
