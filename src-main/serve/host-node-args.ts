// `fabric-lab host-node --nats URL --pool "REGION:HOSTSxCORES" [--name NODE]`: the command line of a host
// node (serve/host-node.ts). Parsed without side effects, so it can be tested on its own.
import { isIPv4 } from 'node:net';
import { hostname } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { defaultSubjectPrefix, natsPasswordVariable, natsServerAuthorization, nodeNamePattern } from '../common/host-node-protocol';
import type { NatsSettings } from '../fabric/nats-connection';
import { defaultHostCodeCacheDir } from '../fabric/host-code-cache';
import type { CliIo } from './cli-io';
import { HostNode } from './host-node';
import { defineNatsOptions, joinTokenEnv, natsPasswordEnv, natsSettings, readJoinToken, type NatsFlags } from './nats-args';
import { maxCoresPerHost, maxHosts } from './pool-spec';

export interface HostNodeArgs {
  nats: NatsSettings;
  region: string;
  hosts: number;
  cores: number;
  name: string;
  joinTokenFile?: string;
  session?: string;
  dipAddress?: string;
}

interface HostNodeFlags extends NatsFlags {
  pool?: string;
  name?: string;
  session?: string;
  dipAddress?: string;
}

const nodePoolPattern = /^([A-Za-z0-9][A-Za-z0-9 ._-]{0,59}):(\d+)x(\d+)$/;

/** `REGION:HOSTSxCORES`: a node brings hosts into the fabric's pool of that region (spares stay the fabric's business). */
export function parseNodePool(text: string): { region: string; hosts: number; cores: number } {
  const match = nodePoolPattern.exec(text.trim());
  if (!match) throw new Error(`--pool must be REGION:HOSTSxCORES, e.g. "Local:4x8" (4 hosts of 8 cores in the pool of region Local), got "${text}"`);
  const hosts = Number(match[2]);
  const cores = Number(match[3]);
  if (!(hosts >= 1 && hosts <= maxHosts)) throw new Error(`--pool "${text}": hosts must be from 1 to ${maxHosts}`);
  if (!(cores >= 1 && cores <= maxCoresPerHost)) throw new Error(`--pool "${text}": cores per host must be from 1 to ${maxCoresPerHost}`);
  return { region: match[1]!.trim(), hosts, cores };
}

/** This machine's name, as a node name can hold it. */
export function defaultNodeName(): string {
  const name = hostname().replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 40);
  return nodeNamePattern.test(name) ? name : 'node';
}

/** The node's arguments from commander's flags; throws an Error that names the flag. */
export function hostNodeArgs(flags: HostNodeFlags): HostNodeArgs {
  const nats = natsSettings(flags);
  if (!nats) throw new Error('--nats URL is required: the NATS server the fabric accepts host nodes through');
  if (!flags.pool) throw new Error('--pool "REGION:HOSTSxCORES" is required');
  const name = flags.name ?? defaultNodeName();
  if (!nodeNamePattern.test(name)) throw new Error(`--name "${name}": a node name holds letters, digits, "-" and "_" (at most 40) and starts with a letter or digit`);
  const args: HostNodeArgs = { nats, ...parseNodePool(flags.pool), name };
  if (flags.joinTokenFile !== undefined) args.joinTokenFile = flags.joinTokenFile;
  if (flags.session !== undefined) args.session = flags.session;
  if (flags.dipAddress !== undefined) {
    if (!isIPv4(flags.dipAddress)) throw new Error(`--dip-address must be an IPv4 address of this machine, got "${flags.dipAddress}"`);
    // Not a wildcard, broadcast or multicast address: instances listen on it, and the load balancer connects to it.
    const first = Number(flags.dipAddress.split('.')[0]);
    if (flags.dipAddress === '0.0.0.0' || flags.dipAddress === '255.255.255.255' || (first >= 224 && first <= 239)) {
      throw new Error(`--dip-address must be one address of this machine that the fabric's machine can reach, not "${flags.dipAddress}" (a wildcard, broadcast or multicast address)`);
    }
    args.dipAddress = flags.dipAddress;
  }
  return args;
}

export function addHostNodeCommand(program: Command, io: CliIo, setStatus: (code: number) => void, codes: { usage: number; failed: number }): void {
  const check = (parse: (text: string) => string) => (text: string): string => {
    try {
      return parse(text);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
  const command = defineNatsOptions(program.command('host-node'), check, 'node')
    .description("run host workers here that join a fabric's machine pool through NATS (one worker thread per host)")
    .option('--pool <SPEC>', 'REGION:HOSTSxCORES: how many hosts of how many cores, in the pool of which region', check((t) => t))
    .option('--name <NODE>', 'this node\'s name in the fabric (letters, digits, "-", "_"; default: the machine\'s name)', check((t) => t))
    .option('--session <DIR>', "the folder this node's instances write their logs under (default: a new one in the temp folder)", check((t) => t))
    .option('--dip-address <IP>', "the address of this machine its instances listen on, which the fabric's load balancer reaches (default 127.0.0.1: a node on the fabric's machine)", check((t) => t))
    .addHelpText('after', `\nThe join token comes from --join-token-file or ${joinTokenEnv}.\nExit status: 2 the command line is wrong, 1 the fabric refused the node or the NATS server could not be reached; otherwise it runs until Ctrl+C.`);
  command.action(async (flags: HostNodeFlags) => {
    let args: HostNodeArgs;
    let joinToken: string | null;
    try {
      args = hostNodeArgs(flags);
      joinToken = await readJoinToken(args.joinTokenFile);
      if (joinToken === null) throw new Error(`no join token: give --join-token-file FILE or set ${joinTokenEnv}`);
    } catch (error) {
      io.err(`fabric-lab host-node: ${(error as Error).message}`);
      setStatus(codes.usage);
      return;
    }
    const node = new HostNode({ ...args.nats, name: args.name, region: args.region, hosts: args.hosts, cores: args.cores, joinToken, hostWorkerUrl: new URL('./host-worker.cjs', import.meta.url), hostCodeCacheDir: defaultHostCodeCacheDir(), sessionDir: args.session, ...(args.dipAddress ? { dipAddress: args.dipAddress } : {}), say: (line) => io.out(`host-node ${args.name}: ${line}`) });
    try {
      await node.start();
    } catch (error) {
      io.err(`fabric-lab host-node ${args.name}: ${(error as Error).message}`);
      await node.close();
      setStatus(codes.failed);
      return;
    }
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        io.out(`host-node ${args.name}: stopping (${signal}).`);
        void node.close().then(resolve);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  });
}

/**
 * `fabric-lab nats-config --node NAME ...`: the nats-server authorization block that gives the fabric and each
 * node its own user, a node allowed only its own subjects (common/host-node-protocol.ts), with new passwords; and
 * how to start each side with its password.
 */
export function addNatsConfigCommand(program: Command, io: CliIo, setStatus: (code: number) => void, codes: { usage: number }): void {
  program
    .command('nats-config')
    .description("print a nats-server authorization block: a user for the fabric and one per host node, each node allowed only its own subjects")
    .option('--node <NAME>', 'a host node (repeatable)', (name: string, previous: string[] = []) => [...previous, name])
    .option('--fabric-user <USER>', "the fabric's NATS user", 'fabric')
    .option('--passwords-from-environment', "write no password: nats-server reads each user's from its environment (FABRIC_LAB_NATS_PASSWORD_<USER>), so the file holds no secret")
    .action((flags: { node?: string[]; fabricUser: string; passwordsFromEnvironment?: boolean }) => {
      const nodes = flags.node ?? [];
      const bad = [...nodes, flags.fabricUser].find((n) => !nodeNamePattern.test(n));
      const variables = [...nodes, flags.fabricUser].map(natsPasswordVariable);
      const problem = nodes.length === 0 ? 'give at least one --node NAME' : bad !== undefined ? `"${bad}" is not a node name: letters, digits, "-" and "_" (at most 40), starting with a letter or digit` : new Set([...nodes, flags.fabricUser]).size !== nodes.length + 1 ? 'each --node (and the fabric user) must be named once' : flags.passwordsFromEnvironment && new Set(variables).size !== variables.length ? `two users would share one password variable (${variables.find((v, i) => variables.indexOf(v) !== i)}): "-" and "_" read the same there, rename one` : null;
      if (problem) {
        io.err(`fabric-lab nats-config: ${problem}`);
        setStatus(codes.usage);
        return;
      }
      if (flags.passwordsFromEnvironment) {
        io.out(`# nats-server authorization for Fabric Lab (subjects under "${defaultSubjectPrefix}"): put it in the server's configuration,`);
        io.out(`# and start nats-server with each user's password in its environment: ${[flags.fabricUser, ...nodes].map(natsPasswordVariable).join(', ')}.`);
        io.out(`# Start the fabric with --nats-user ${flags.fabricUser} and ${natsPasswordEnv} set to its password,`);
        for (const node of nodes) io.out(`# host node ${node} with --name ${node} --nats-user ${node} and ${natsPasswordEnv} set to ${natsPasswordVariable(node)}'s value`);
        io.out(natsServerAuthorization(defaultSubjectPrefix, flags.fabricUser, nodes, 'environment'));
        return;
      }
      const passwords = Object.fromEntries([flags.fabricUser, ...nodes].map((name) => [name, randomBytes(18).toString('base64url')]));
      io.out(`# nats-server authorization for Fabric Lab (subjects under "${defaultSubjectPrefix}"): put it in the server's configuration.`);
      io.out(`# Start the fabric with --nats-user ${flags.fabricUser} and ${natsPasswordEnv}=${passwords[flags.fabricUser]},`);
      for (const node of nodes) io.out(`# host node ${node} with --name ${node} --nats-user ${node} and ${natsPasswordEnv}=${passwords[node]}`);
      io.out(natsServerAuthorization(defaultSubjectPrefix, flags.fabricUser, nodes, passwords));
    });
}
