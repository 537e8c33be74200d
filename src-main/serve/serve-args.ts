// The command line of `npm run serve` and `fabric-lab serve`: one commander definition for both (the CLI's
// parser), parsed without side effects so it can be tested on its own.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { maxTimeScale, minTimeScale } from '../common/emulated-clock';
import { parsePhaseOverride, type PhaseTimings } from '../common/timings';
import type { PoolConfig } from '../fabric/pool-hosts';
import type { NatsSettings } from '../fabric/nats-connection';
import { defineNatsOptions, natsSettings, type NatsFlags } from './nats-args';
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
  /** Run the clock at the asked scale even when the machine cannot keep it (--exact-pace; default: keep pace). */
  exactPace?: boolean;
  /** Accept host nodes through this NATS server (--nats and its credentials). */
  nats?: NatsSettings;
  /** The file holding the join token host nodes must present (else FABRIC_LAB_JOIN_TOKEN, else one kept in the session). */
  joinTokenFile?: string;
  /** The Service Management API's port (0: any free port). */
  managementPort?: number;
  /** Scheduled platform updates: every this many emulated hours (--platform-updates). */
  platformUpdateEveryHours?: number;
}

export { maxCoresPerHost, maxHosts } from './pool-spec';
export const maxQuota = 100_000;

export type ServeCommand = { kind: 'run'; options: ServeOptions } | { kind: 'help' };

/** A bad command line; the message is one line that names the option. */
export class ServeArgsError extends Error {
  override name = 'ServeArgsError';
}

/** The flags a serve command line gives, as commander collects them. */
interface ServeFlags extends NatsFlags {
  port?: number;
  managementPort?: number;
  timeScale?: number;
  seed?: number;
  hosts?: number;
  cores?: number;
  quota?: number;
  session?: string;
  phase?: Partial<PhaseTimings>;
  pool?: string[];
  exactPace?: boolean;
  platformUpdates?: number;
}

/**
 * Declare serve's options on `command`. A bad value throws commander's InvalidArgumentError; its own one-line
 * message (which names the option) is also kept in `refusal`, since commander prefixes it with its own words.
 */
function defineServeOptions(command: Command, refusal: { message: string | null }): Command {
  const check = <T>(parse: (text: string, previous: T) => T) => (text: string, previous: T): T => {
    try {
      return parse(text, previous);
    } catch (error) {
      refusal.message = (error as Error).message;
      throw new InvalidArgumentError(refusal.message);
    }
  };
  return defineNatsOptions(command, (parse) => check<string>((t) => parse(t)), 'fabric')
    .description('Runs the fabric headless and serves its UI to a browser on http://127.0.0.1 (loopback only).')
    .option('--port <N>', 'port to listen on, 0..65535 (default 0: any free port)', check((t) => integerIn('--port', t, 0, 65535)))
    .option(
      '--management-port <N>',
      "the Service Management API's HTTPS port on 127.0.0.1 (default 0: any free port); its credentials live in DIR/management with --session, else in the user data folder",
      check((t) => integerIn('--management-port', t, 0, 65535)),
    )
    .option('--time-scale <N>', `emulated seconds per real second, ${minTimeScale}..${maxTimeScale} (default 10)`, check((t) => timeScale(t)))
    .option('--seed <N>', "seed for the fabric's jitter, 0..4294967295, to replay a session (default random)", check((t) => integerIn('--seed', t, 0, 2 ** 32 - 1)))
    .option('--hosts <N>', `hosts powered on in the machine pool, 1..${maxHosts} (default 4, plus 1 spare)`, check((t) => integerIn('--hosts', t, 1, maxHosts)))
    .option('--cores <N>', `cores per host, 1..${maxCoresPerHost} (default 8)`, check((t) => integerIn('--cores', t, 1, maxCoresPerHost)))
    .option('--pool <SPEC>', `a machine pool in a region, instead of --hosts/--cores (repeatable, one pool each): ${poolSpecUsage}`, check<string[] | undefined>((t, previous) => [...(previous ?? []), t]))
    .option('--quota <N>', `the subscription's core quota, 1..${maxQuota} (default 20)`, check((t) => integerIn('--quota', t, 1, maxQuota)))
    .option(
      '--session <DIR>',
      'the session folder every log is written under (created if missing; default: a new fabric-lab-session-<timestamp> in the temp folder); ' +
        "it keeps the page's token, so a page left open works after a restart of the same session",
      check((t) => sessionFolder(t)),
    )
    .option('--phase <NAME=MS>', 'override one phase duration for this session, in emulated ms (repeatable), e.g. --phase createVm=10000 --phase bootGuest=20000', check(phaseOverride))
    .option('--platform-updates <HOURS>', 'planned maintenance by itself: a platform update of every Running deployment each HOURS emulated hours, 0.1..8760', check((t) => hoursIn('--platform-updates', t)))
    .option('--exact-pace', 'run the clock at the asked time scale even when the machine cannot keep it (default: the clock slows to a scale the machine keeps, and shows both)');
}

/** Serve's options from what commander collected; throws ServeArgsError for flags that cannot go together. */
function serveOptions(flags: ServeFlags): ServeOptions {
  const options: ServeOptions = {};
  if (flags.port !== undefined) options.port = flags.port;
  if (flags.managementPort !== undefined) options.managementPort = flags.managementPort;
  if (flags.timeScale !== undefined) options.timeScale = flags.timeScale;
  if (flags.seed !== undefined) options.seed = flags.seed;
  if (flags.hosts !== undefined) options.hosts = flags.hosts;
  if (flags.cores !== undefined) options.cores = flags.cores;
  if (flags.quota !== undefined) options.quota = flags.quota;
  if (flags.session !== undefined) options.session = flags.session;
  if (flags.phase !== undefined) options.timings = flags.phase;
  if (flags.exactPace) options.exactPace = true;
  if (flags.platformUpdates !== undefined) options.platformUpdateEveryHours = flags.platformUpdates;
  try {
    const nats = natsSettings(flags);
    if (nats) options.nats = nats;
  } catch (error) {
    throw new ServeArgsError((error as Error).message);
  }
  if (flags.joinTokenFile !== undefined) options.joinTokenFile = flags.joinTokenFile;
  if (flags.pool !== undefined) {
    if (options.hosts !== undefined || options.cores !== undefined) throw new ServeArgsError('--pool cannot be combined with --hosts or --cores (give each pool its size)');
    try {
      options.pools = parsePoolSpecs(flags.pool);
    } catch (error) {
      throw new ServeArgsError(`--pool: ${(error as Error).message}`);
    }
  }
  return options;
}

/** `fabric-lab serve [options]`: the same options; `run` starts browser mode (the CLI passes it, so parsing stays pure). */
export function addServeCommand(program: Command, run: (options: ServeOptions) => Promise<void>): void {
  const command: Command = defineServeOptions(program.command('serve'), { message: null });
  command.addHelpText('after', '\nExit status: 2 the command line is wrong; otherwise it serves until Ctrl+C.');
  command.action(async (flags: ServeFlags) => {
    let options: ServeOptions;
    try {
      options = serveOptions(flags);
    } catch (error) {
      // A rule between flags: a command-line error like any other (exit 2).
      command.error(`error: ${(error as Error).message}`, { exitCode: 2, code: 'fabric-lab.serveArgs' });
    }
    await run(options);
  });
}

/** `npm run serve`'s own parser, over the same definition. */
function standaloneServeCommand(refusal: { message: string | null }): Command {
  return defineServeOptions(new Command('npm run serve --'), refusal)
    .exitOverride()
    .allowExcessArguments(true)
    .configureOutput({ writeOut: () => {}, writeErr: () => {} });
}

export const serveUsage = standaloneServeCommand({ message: null }).helpInformation().trimEnd();

export function parseServeArgs(argv: readonly string[]): ServeCommand {
  const refusal: { message: string | null } = { message: null };
  const command = standaloneServeCommand(refusal);
  try {
    command.parse([...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') return { kind: 'help' };
    const message = error.code === 'commander.invalidArgument' && refusal.message !== null ? refusal.message : error.message.replace(/^error:\s*/, '');
    throw new ServeArgsError(message.split('\n')[0]!.replace(/\.$/, ''));
  }
  if (command.args.length > 0) throw new ServeArgsError(`serve takes no arguments, got "${command.args[0]}"`);
  return { kind: 'run', options: serveOptions(command.opts<ServeFlags>()) };
}

function integerIn(option: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) throw new ServeArgsError(`${option} must be an integer from ${min} to ${max}, got "${text}"`);
  return value;
}

function hoursIn(option: string, text: string): number {
  const hours = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(hours >= 0.1 && hours <= 8760)) throw new ServeArgsError(`${option} must be a number of emulated hours from 0.1 to 8760, got "${text}"`);
  return hours;
}

function timeScale(text: string): number {
  const scale = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(scale >= minTimeScale && scale <= maxTimeScale)) throw new ServeArgsError(`--time-scale must be a number from ${minTimeScale} to ${maxTimeScale}, got "${text}"`);
  return scale;
}

function sessionFolder(text: string): string {
  if (text.trim() === '' || text.includes('\0')) throw new ServeArgsError('--session needs a folder path');
  return text;
}

function phaseOverride(text: string, previous: Partial<PhaseTimings> | undefined): Partial<PhaseTimings> {
  try {
    const [phase, ms] = parsePhaseOverride(text);
    return { ...previous, [phase]: ms };
  } catch (error) {
    throw new ServeArgsError(`--phase: ${(error as Error).message}`);
  }
}
