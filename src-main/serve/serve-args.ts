// The command line of `npm run serve`, parsed without side effects so it can be tested on its own.
import { parseArgs } from 'node:util';
import { maxTimeScale, minTimeScale } from '../common/emulated-clock';
import { parsePhaseOverride, type PhaseTimings } from '../common/timings';
import type { PoolConfig } from '../fabric/pool-hosts';
import { maxCoresPerHost, maxHosts, parsePoolSpecs, poolSpecUsage } from './pool-spec';

export interface ServeOptions {
  port?: number;
  timeScale?: number;
  seed?: number;
  /** Hosts powered on in the machine pool (one worker thread each). */
  hosts?: number;
  /** Cores per host. */
  cores?: number;
  /** The subscription's core quota; raise it to deploy thousands of instances. */
  quota?: number;
  /** The session folder for every log (default: a new fabric-lab-session-<timestamp> in the temp folder). */
  session?: string;
  /** Phase durations overridden for this session (emulated ms). */
  timings?: Partial<PhaseTimings>;
  /** Machine pools, each in its region (--pool); instead of the one default pool sized by hosts and cores. */
  pools?: PoolConfig[];
  /** The Service Management API's port (0: any free port). */
  managementPort?: number;
}

export { maxCoresPerHost, maxHosts } from './pool-spec';
export const maxQuota = 100_000;

export type ServeCommand = { kind: 'run'; options: ServeOptions } | { kind: 'help' };

/** A bad command line; the message is one line that names the option. */
export class ServeArgsError extends Error {
  override name = 'ServeArgsError';
}

export const serveUsage = `Usage: npm run serve -- [options]

Runs the fabric headless and serves its UI to a browser on http://127.0.0.1 (loopback only).

Options:
  --port N        port to listen on, 0..65535 (default 0: any free port)
  --time-scale N  emulated seconds per real second, ${minTimeScale}..${maxTimeScale} (default 10)
  --seed N        seed for the fabric's jitter, 0..4294967295, to replay a session (default random)
  --hosts N       hosts powered on in the machine pool, 1..${maxHosts} (default 4, plus 1 spare)
  --cores N       cores per host, 1..${maxCoresPerHost} (default 8)
  --pool SPEC     a machine pool in a region, instead of --hosts/--cores (repeatable, one pool each):
                  ${poolSpecUsage}
  --quota N       the subscription's core quota, 1..${maxQuota} (default 20)
  --session DIR   the session folder every log is written under (created if missing;
                  default: a new fabric-lab-session-<timestamp> in the temp folder)
  --management-port N
                  the Service Management API's HTTPS port on 127.0.0.1 (default 0: any free port);
                  its credentials live in DIR/management with --session, else in the user data folder
  --phase NAME=MS override one phase duration for this session, in emulated ms (repeatable),
                  e.g. --phase createVm=10000 --phase bootGuest=20000
  --help          show this help`;

export function parseServeArgs(argv: readonly string[]): ServeCommand {
  let values: { port?: string; 'management-port'?: string; 'time-scale'?: string; seed?: string; hosts?: string; cores?: string; quota?: string; session?: string; phase?: string[]; pool?: string[]; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        'management-port': { type: 'string' },
        'time-scale': { type: 'string' },
        seed: { type: 'string' },
        hosts: { type: 'string' },
        cores: { type: 'string' },
        quota: { type: 'string' },
        session: { type: 'string' },
        phase: { type: 'string', multiple: true },
        pool: { type: 'string', multiple: true },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    // Node's messages name the option but go on with advice that does not fit one line; keep the first sentence.
    const message = error instanceof Error ? error.message : String(error);
    throw new ServeArgsError(message.split(/\.\s/)[0]!.replace(/\.$/, ''));
  }
  if (values.help) return { kind: 'help' };

  const options: ServeOptions = {};
  if (values.port !== undefined) options.port = integerIn('--port', values.port, 0, 65535);
  if (values['management-port'] !== undefined) options.managementPort = integerIn('--management-port', values['management-port'], 0, 65535);
  if (values['time-scale'] !== undefined) {
    const text = values['time-scale'];
    const scale = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
    if (!(scale >= minTimeScale && scale <= maxTimeScale)) {
      throw new ServeArgsError(`--time-scale must be a number from ${minTimeScale} to ${maxTimeScale}, got "${text}"`);
    }
    options.timeScale = scale;
  }
  if (values.seed !== undefined) options.seed = integerIn('--seed', values.seed, 0, 2 ** 32 - 1);
  if (values.hosts !== undefined) options.hosts = integerIn('--hosts', values.hosts, 1, maxHosts);
  if (values.cores !== undefined) options.cores = integerIn('--cores', values.cores, 1, maxCoresPerHost);
  if (values.quota !== undefined) options.quota = integerIn('--quota', values.quota, 1, maxQuota);
  if (values.session !== undefined) {
    if (values.session.trim() === '' || values.session.includes('\0')) throw new ServeArgsError('--session needs a folder path');
    options.session = values.session;
  }
  for (const text of values.phase ?? []) {
    try {
      const [phase, ms] = parsePhaseOverride(text);
      options.timings = { ...options.timings, [phase]: ms };
    } catch (error) {
      throw new ServeArgsError(`--phase: ${(error as Error).message}`);
    }
  }
  if (values.pool !== undefined) {
    if (options.hosts !== undefined || options.cores !== undefined) throw new ServeArgsError('--pool cannot be combined with --hosts or --cores (give each pool its size)');
    try {
      options.pools = parsePoolSpecs(values.pool);
    } catch (error) {
      throw new ServeArgsError(`--pool: ${(error as Error).message}`);
    }
  }
  return { kind: 'run', options };
}

function integerIn(option: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) throw new ServeArgsError(`${option} must be an integer from ${min} to ${max}, got "${text}"`);
  return value;
}
