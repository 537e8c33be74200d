// The command line of `npm run serve`, parsed without side effects so it can be tested on its own.
import { parseArgs } from 'node:util';
import { maxTimeScale, minTimeScale } from '../common/emulated-clock';

export interface ServeOptions {
  port?: number;
  timeScale?: number;
  seed?: number;
}

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
  --help          show this help`;

export function parseServeArgs(argv: readonly string[]): ServeCommand {
  let values: { port?: string; 'time-scale'?: string; seed?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        'time-scale': { type: 'string' },
        seed: { type: 'string' },
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
  if (values['time-scale'] !== undefined) {
    const text = values['time-scale'];
    const scale = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
    if (!(scale >= minTimeScale && scale <= maxTimeScale)) {
      throw new ServeArgsError(`--time-scale must be a number from ${minTimeScale} to ${maxTimeScale}, got "${text}"`);
    }
    options.timeScale = scale;
  }
  if (values.seed !== undefined) options.seed = integerIn('--seed', values.seed, 0, 2 ** 32 - 1);
  return { kind: 'run', options };
}

function integerIn(option: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) throw new ServeArgsError(`${option} must be an integer from ${min} to ${max}, got "${text}"`);
  return value;
}
