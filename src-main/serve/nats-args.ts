// The NATS options `serve` and `host-node` share, and where their secrets come from. Secrets never sit on the
// command line (any user of the machine can read it in `ps`): the NATS password comes from the URL or
// FABRIC_LAB_NATS_PASSWORD, the join token from a file (--join-token-file) or FABRIC_LAB_JOIN_TOKEN.
import { randomBytes } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { NatsSettings } from '../fabric/nats-connection';
import type { HostNodesOptions } from '../fabric/nats-host-nodes';
import { joinTokenFile } from '../logs/session-archive';

export interface NatsFlags {
  nats?: string;
  natsUser?: string;
  natsNkeyFile?: string;
  natsCa?: string;
  joinTokenFile?: string;
}

export const joinTokenEnv = 'FABRIC_LAB_JOIN_TOKEN';
export const natsPasswordEnv = 'FABRIC_LAB_NATS_PASSWORD';
export const minJoinTokenLength = 16;

export function defineNatsOptions(command: Command, check: (parse: (text: string) => string) => (text: string, previous: string) => string, role: 'fabric' | 'node'): Command {
  const url = check((t) => {
    if (!/^(nats|tls):\/\/[^\s/]+(:\d+)?\/?$/.test(t)) throw new Error(`--nats must be nats://HOST:PORT or tls://HOST:PORT (user:password@ allowed), got "${t}"`);
    return t;
  });
  const file = (flag: string) => check((t) => {
    if (t.trim() === '' || t.includes('\0')) throw new Error(`${flag} needs a file path`);
    return t;
  });
  return command
    .option(
      '--nats <URL>',
      role === 'fabric'
        ? 'also accept host nodes from other processes or machines through this NATS server (nats:// or tls://)'
        : 'the NATS server the fabric accepts host nodes through (nats:// or tls://)',
      url,
    )
    .option('--nats-user <USER>', `NATS user (the password comes from the URL or ${natsPasswordEnv})`, check((t) => t))
    .option('--nats-nkey-file <FILE>', 'a file holding the NATS user nkey seed (SU...), instead of a user and password', file('--nats-nkey-file'))
    .option('--nats-ca <FILE>', 'PEM file of the CA that signed the NATS server certificate (tls:// URLs)', file('--nats-ca'))
    .option(
      '--join-token-file <FILE>',
      role === 'fabric'
        ? `the join token host nodes must present (or ${joinTokenEnv}; default: a new one kept in the session folder's ${joinTokenFile})`
        : `a file holding the fabric's join token (or set ${joinTokenEnv})`,
      file('--join-token-file'),
    );
}

/** NATS settings from the flags, or undefined without --nats; a NATS flag without --nats is an error. */
export function natsSettings(flags: NatsFlags, env: NodeJS.ProcessEnv = process.env): NatsSettings | undefined {
  if (!flags.nats) {
    const stray = (['natsUser', 'natsNkeyFile', 'natsCa', 'joinTokenFile'] as const).find((k) => flags[k] !== undefined);
    if (stray) throw new Error(`--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --nats`);
    return undefined;
  }
  const settings: NatsSettings = { url: flags.nats };
  if (flags.natsUser !== undefined) settings.user = flags.natsUser;
  if (env[natsPasswordEnv] !== undefined) settings.password = env[natsPasswordEnv];
  if (flags.natsNkeyFile !== undefined) settings.nkeySeedFile = flags.natsNkeyFile;
  if (flags.natsCa !== undefined) settings.tlsCaFile = flags.natsCa;
  return settings;
}

/** The join token: the file's first line, or the environment's; null when neither is given. */
export async function readJoinToken(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  let token: string | undefined;
  if (file !== undefined) {
    try {
      token = (await readFile(file, 'utf8')).split('\n')[0]!.trim();
    } catch (error) {
      throw new Error(`cannot read the join token file ${file}: ${(error as Error).message}`);
    }
  } else token = env[joinTokenEnv]?.trim();
  if (token === undefined) return null;
  if (token.length < minJoinTokenLength) throw new Error(`the join token must be at least ${minJoinTokenLength} characters (${file ?? joinTokenEnv} holds ${token.length})`);
  return token;
}

/** A fabric's join token kept in its session folder (mode 0600), made on first use; an unsafe or bad file is replaced. */
export async function sessionJoinToken(sessionDir: string): Promise<{ token: string; file: string }> {
  const file = join(sessionDir, joinTokenFile);
  const kept = await stat(file).then(
    async (s) => (s.isFile() && (s.mode & 0o077) === 0 ? (await readFile(file, 'utf8')).trim() : null),
    () => null,
  );
  if (kept !== null && /^[A-Za-z0-9_-]{32,}$/.test(kept)) return { token: kept, file };
  const token = randomBytes(24).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return { token, file };
}

/**
 * The fabric's side of host nodes: the NATS settings with the join token nodes must present (from the file or
 * the environment, else one kept in the session folder, made by `sessionDir`), and a sentence saying where it is.
 */
export async function fabricHostNodes(nats: NatsSettings, joinTokenFile: string | undefined, sessionDir: () => string): Promise<{ options: HostNodesOptions; note: string }> {
  const given = await readJoinToken(joinTokenFile);
  if (given !== null) return { options: { ...nats, joinToken: given }, note: `nodes present the join token from ${joinTokenFile ?? joinTokenEnv}` };
  const kept = await sessionJoinToken(sessionDir());
  return { options: { ...nats, joinToken: kept.token }, note: `the join token is in ${kept.file}; give it to each node with --join-token-file or ${joinTokenEnv}` };
}
