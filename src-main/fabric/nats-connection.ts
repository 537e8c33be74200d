// One NATS connection as the fabric and a host node open it: the server URL (nats:// or tls://, with an
// optional user:password in it), NATS credentials (user/password or an nkey seed), TLS when the URL asks for
// it (tls://) and a CA file to trust; reconnecting for ever, because a NATS server that restarts is one of
// the failures the fabric heals from.
import { readFileSync } from 'node:fs';
import { connect, nkeyAuthenticator, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';

export interface NatsSettings {
  /** nats://host:port or tls://host:port; user:password@ in it is taken as the credentials. */
  url: string;
  user?: string;
  password?: string;
  /** A file holding an nkey seed (SU...), instead of a user and password. */
  nkeySeedFile?: string;
  /** A PEM file of the CA that signed the server's certificate (tls:// URLs). */
  tlsCaFile?: string;
}

/** A bad URL or credential file, said in words a user can act on. */
export class NatsSettingsError extends Error {
  override name = 'NatsSettingsError';
}

/** The connection options for `settings`; parsed apart from connecting so it can be tested on its own. */
export function natsOptions(settings: NatsSettings, name: string): NodeConnectionOptions {
  let url: URL;
  try {
    url = new URL(settings.url);
  } catch {
    throw new NatsSettingsError(`"${settings.url}" is not a NATS URL: give nats://HOST:PORT or tls://HOST:PORT`);
  }
  if (url.protocol !== 'nats:' && url.protocol !== 'tls:') {
    throw new NatsSettingsError(`"${settings.url}": the scheme must be nats:// or tls://, got ${url.protocol}//`);
  }
  if (!url.hostname) throw new NatsSettingsError(`"${settings.url}" names no server`);
  const options: NodeConnectionOptions = {
    servers: `${url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname}:${url.port || '4222'}`,
    name,
    // A NATS server restart is a failure to ride out, not a reason to stop: keep trying, every second.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
    pingInterval: 10_000,
  };
  const user = settings.user ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = settings.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  if (settings.nkeySeedFile) {
    if (user) throw new NatsSettingsError('give either a NATS user and password or an nkey seed, not both');
    let seed: string;
    try {
      seed = readFileSync(settings.nkeySeedFile, 'utf8').trim();
    } catch (error) {
      throw new NatsSettingsError(`cannot read the nkey seed file ${settings.nkeySeedFile}: ${(error as Error).message}`);
    }
    if (!/^SU[A-Z2-7]{50,}$/.test(seed)) throw new NatsSettingsError(`${settings.nkeySeedFile} does not hold a user nkey seed (SU...)`);
    options.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
  } else if (user) {
    options.user = user;
    options.pass = password ?? '';
  }
  if (url.protocol === 'tls:') options.tls = settings.tlsCaFile ? { caFile: settings.tlsCaFile } : {};
  else if (settings.tlsCaFile) throw new NatsSettingsError(`a TLS CA file was given but "${settings.url}" is not a tls:// URL`);
  return options;
}

/** Where the URL points, without its credentials: for logs and messages. */
export function natsServerName(settings: NatsSettings): string {
  try {
    const url = new URL(settings.url);
    return `${url.protocol}//${url.host}`;
  } catch {
    return '(bad URL)';
  }
}

export async function connectNats(settings: NatsSettings, name: string, inboxPrefix?: string): Promise<NatsConnection> {
  const options = natsOptions(settings, name);
  // A node's replies come under its own inbox prefix, the one its NATS user may subscribe to.
  if (inboxPrefix) options.inboxPrefix = inboxPrefix;
  try {
    return await connect(options);
  } catch (error) {
    throw new NatsSettingsError(`cannot connect to the NATS server ${natsServerName(settings)}: ${(error as Error).message}`);
  }
}
