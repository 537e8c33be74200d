// The command line of `npm run serve`: good values reach browser mode, bad ones are one line naming the option.
import { describe, expect, it } from 'vitest';
import { main, type CliIo } from '../../src-main/serve/cli';
import { parseServeArgs, ServeArgsError } from '../../src-main/serve/serve-args';

describe('npm run serve arguments', () => {
  it('runs with defaults when given nothing', () => {
    expect(parseServeArgs([])).toEqual({ kind: 'run', options: {} });
  });

  it('reads port, time scale and seed, in either --name value or --name=value form', () => {
    expect(parseServeArgs(['--port', '8080', '--time-scale=2.5', '--seed', '42'])).toEqual({
      kind: 'run',
      options: { port: 8080, timeScale: 2.5, seed: 42 },
    });
    expect(parseServeArgs(['--port=0', '--time-scale', '1000', '--seed=4294967295'])).toEqual({
      kind: 'run',
      options: { port: 0, timeScale: 1000, seed: 4294967295 },
    });
    expect(parseServeArgs(['--time-scale', '0.1'])).toEqual({ kind: 'run', options: { timeScale: 0.1 } });
  });

  it('reads the pool size and core quota, for deployments of thousands of instances', () => {
    expect(parseServeArgs(['--hosts', '64', '--cores=32', '--quota', '2048'])).toEqual({
      kind: 'run',
      options: { hosts: 64, cores: 32, quota: 2048 },
    });
  });

  it('keeps pace by default, and runs the asked scale exactly with --exact-pace (which takes no value)', () => {
    expect(parseServeArgs(['--time-scale', '100'])).toEqual({ kind: 'run', options: { timeScale: 100 } });
    expect(parseServeArgs(['--time-scale', '100', '--exact-pace'])).toEqual({ kind: 'run', options: { timeScale: 100, exactPace: true } });
    expect(() => parseServeArgs(['--exact-pace=yes'])).toThrow(ServeArgsError);
  });

  it('schedules platform updates every --platform-updates emulated hours, within 0.1 to 8760', () => {
    expect(parseServeArgs(['--platform-updates', '2.5'])).toEqual({ kind: 'run', options: { platformUpdateEveryHours: 2.5 } });
    for (const bad of ['0', '0.05', '9000', 'weekly', '-1']) {
      expect(() => parseServeArgs(['--platform-updates', bad])).toThrow(`--platform-updates must be a number of emulated hours from 0.1 to 8760, got "${bad}"`);
    }
  });

  it('overrides phase durations for the session with --phase, repeatable', () => {
    expect(parseServeArgs(['--phase', 'createVm=10000', '--phase=bootGuest=2500', '--phase', 'jitter=0'])).toEqual({
      kind: 'run',
      options: { timings: { createVm: 10_000, bootGuest: 2_500, jitter: 0 } },
    });
  });

  it.each([
    [['--phase', 'createVM=10'], /--phase: unknown phase "createVM"; phases: copyPackage, createVm, bootGuest/],
    [['--phase', 'createVm=-5'], /--phase: phase createVm needs a number from 0 to 86400000 \(emulated ms\), got "-5"/],
    [['--phase', 'createVm'], /got ""/],
    [['--phase', 'jitter=2'], /from 0 to 1, got "2"/],
  ])('refuses a bad phase override %j with one line naming it', (argv, message) => {
    expect(() => parseServeArgs(argv)).toThrow(ServeArgsError);
    expect(() => parseServeArgs(argv)).toThrow(message);
  });

  it('reads the Service Management API\'s port', () => {
    expect(parseServeArgs(['--management-port', '4443'])).toEqual({ kind: 'run', options: { managementPort: 4443 } });
  });

  it('asks for help with --help', () => {
    expect(parseServeArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseServeArgs(['--port', '1', '--help'])).toEqual({ kind: 'help' });
  });

  const rejected: [string[], RegExp][] = [
    [['--port', 'http'], /--port/],
    [['--port', '80.5'], /--port/],
    [['--port', '65536'], /--port/],
    [['--port=-1'], /--port/],
    [['--port', '-1'], /--port/],
    [['--port', ''], /--port/],
    [['--port'], /--port/],
    [['--management-port', '70000'], /--management-port/],
    [['--management-port', 'https'], /--management-port/],
    [['--time-scale', '0.05'], /--time-scale/],
    [['--time-scale', '1001'], /--time-scale/],
    [['--time-scale', 'fast'], /--time-scale/],
    [['--time-scale', '1e3'], /--time-scale/],
    [['--seed', '-3'], /--seed/],
    [['--seed', '1.5'], /--seed/],
    [['--seed', '4294967296'], /--seed/],
    [['--hosts', '0'], /--hosts/],
    [['--hosts', '257'], /--hosts/],
    [['--cores', '65'], /--cores/],
    [['--cores', 'many'], /--cores/],
    [['--quota', '0'], /--quota/],
    [['--quota', '100001'], /--quota/],
    [['--verbose'], /--verbose/],
    [['--help=yes'], /--help/],
    [['8080'], /8080/],
  ];
  it.each(rejected)('rejects %j with one line naming the option', (argv, option) => {
    let error: unknown;
    try {
      parseServeArgs(argv);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ServeArgsError);
    const { message } = error as ServeArgsError;
    expect(message).toMatch(option);
    expect(message).not.toContain('\n');
  });

  it('is the same parser as `fabric-lab serve`: a bad flag is exit 2 naming the option, before any fabric starts', async () => {
    const err: string[] = [];
    const out: string[] = [];
    const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t) };
    expect(await main(['serve', '--port', 'http'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/--port must be an integer from 0 to 65535, got "http"/);
    expect(await main(['serve', '--pool', 'West Europe:4x8', '--hosts', '3'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/--pool cannot be combined with --hosts or --cores/);
    expect(await main(['serve', '--help'], io)).toBe(0);
    expect(out.join('\n')).toMatch(/--session <DIR>[\s\S]*--phase <NAME=MS>/);
    expect(out.join('\n')).toMatch(/--management-port <N>/);
    expect(out.join('\n')).toMatch(/--management-port <N>/);
  });
});
