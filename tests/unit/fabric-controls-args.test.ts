// The fabric controls' input rules, without workers: phase timings and seed as the API checks them,
// machine pools from the command line (serve and `fabric-lab run`), and rotation per input endpoint.
import { describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../src-main/common/command-dispatcher';
import type { InstanceView } from '../../src-main/common/fabric-api';
import { FabricError } from '../../src-main/common/fabric-api';
import { checkPhase, checkPhaseOverrides, defaultTimings, phaseNames } from '../../src-main/common/timings';
import { rotationOf } from '../../src-main/fabric/load-balancer-rotation';
import { main, type CliIo } from '../../src-main/serve/cli';
import { parsePoolSpec, parsePoolSpecs } from '../../src-main/serve/pool-spec';
import { parseServeArgs, ServeArgsError } from '../../src-main/serve/serve-args';

function refused(method: Parameters<typeof parseCommandArgs>[0], args: unknown): string {
  try {
    parseCommandArgs(method, args);
  } catch (error) {
    expect(error).toBeInstanceOf(FabricError);
    expect((error as FabricError).code).toBe('BadRequest');
    return (error as FabricError).message;
  }
  throw new Error(`${method} accepted ${JSON.stringify(args)}`);
}

describe('phase timings', () => {
  it('accepts every phase in its range', () => {
    expect(checkPhaseOverrides({ createVm: 10_000, jitter: 0, failedStartsBeforeFailedStartingRole: 5, hostHeartbeat: 100 })).toEqual({
      createVm: 10_000,
      jitter: 0,
      failedStartsBeforeFailedStartingRole: 5,
      hostHeartbeat: 100,
    });
    expect(phaseNames).toContain('guestHeartbeatTimeout');
  });

  it.each([
    ['warpDrive', 1, /unknown phase "warpDrive"; phases: copyPackage, createVm, bootGuest/],
    ['toString', 1, /unknown phase "toString"/],
    ['createVm', -1, /phase createVm needs a number from 0 to 86400000 \(emulated ms\), got "-1"/],
    ['createVm', 86_400_001, /phase createVm needs a number from 0 to 86400000/],
    ['hostHeartbeat', 0, /phase hostHeartbeat needs a number from 100 to 3600000/],
    ['guestHeartbeatMin', 10, /phase guestHeartbeatMin needs a number from 100/],
    ['failedStartsBeforeFailedStartingRole', 2.5, /needs a whole number from 1 to 100 \(failed starts\), got "2.5"/],
    ['jitter', 1.5, /phase jitter needs a number from 0 to 1, got "1.5"/],
  ])('refuses %s=%s naming the phase', (phase, value, message) => {
    expect(() => checkPhase(phase, value)).toThrow(message);
  });

  it('keeps the guest heartbeat interval bounds in order, against the session values', () => {
    expect(() => checkPhaseOverrides({ guestHeartbeatMin: 4_000 })).toThrow(/guestHeartbeatMin \(4000\) must not exceed guestHeartbeatMax \(3000\)/);
    expect(checkPhaseOverrides({ guestHeartbeatMin: 4_000 }, { ...defaultTimings, guestHeartbeatMax: 5_000 })).toEqual({ guestHeartbeatMin: 4_000 });
  });

  it('setTimings payloads: phases checked by name and range, nothing else allowed', () => {
    expect(parseCommandArgs('setTimings', { phases: { createVm: 1_000 } })).toEqual({ phases: { createVm: 1_000 } });
    expect(refused('setTimings', { phases: { createVm: -5 } })).toMatch(/Bad argument to setTimings: phases\.createVm: phase createVm needs a number from 0/);
    expect(refused('setTimings', { phases: { bootOS: 5 } })).toMatch(/phases\.bootOS: unknown phase "bootOS"/);
    expect(refused('setTimings', { phases: { createVm: '5' } })).toMatch(/phases\.createVm/);
    expect(refused('setTimings', { phases: { createVm: Number.NaN } })).toMatch(/phases\.createVm/);
    expect(refused('setTimings', { createVm: 5 })).toMatch(/setTimings/);
    expect(refused('setTimings', undefined)).toMatch(/setTimings/);
  });
});

describe('seed and host repair payloads', () => {
  it('setClock takes a whole seed from 0 to 2^32-1, alone or with scale', () => {
    expect(parseCommandArgs('setClock', { seed: 42 })).toEqual({ seed: 42 });
    expect(parseCommandArgs('setClock', { seed: 4_294_967_295, scale: 10 })).toEqual({ seed: 4_294_967_295, scale: 10 });
    expect(refused('setClock', { seed: -1 })).toMatch(/seed/);
    expect(refused('setClock', { seed: 1.5 })).toMatch(/seed: the seed is a whole number from 0 to 4294967295/);
    expect(refused('setClock', { seed: 2 ** 32 })).toMatch(/seed/);
    expect(refused('setClock', { seed: '7' })).toMatch(/seed/);
    expect(refused('setClock', {})).toMatch(/give scale, paused, seed or several/);
  });

  it('injectFault takes hang-host aimed at a host', () => {
    expect(parseCommandArgs('injectFault', { kind: 'hang-host', hostId: 'pool-1-host-01' })).toEqual({ kind: 'hang-host', hostId: 'pool-1-host-01' });
    expect(refused('injectFault', { kind: 'hang-host' })).toMatch(/hostId/);
    expect(refused('injectFault', { kind: 'hang-host', instanceId: 'x' })).toMatch(/injectFault/);
  });

  it('repairHost needs a host id', () => {
    expect(parseCommandArgs('repairHost', { hostId: 'pool-1-host-01' })).toEqual({ hostId: 'pool-1-host-01' });
    expect(refused('repairHost', {})).toMatch(/hostId/);
    expect(refused('repairHost', { hostId: '' })).toMatch(/hostId/);
    expect(refused('repairHost', { hostId: 'h', force: true })).toMatch(/force/);
  });
});

describe('machine pools from the command line', () => {
  it('reads REGION:HOSTSxCORES with an optional +SPARES, naming pools A, B, ...', () => {
    expect(parsePoolSpec('West Europe:4x8', 0)).toEqual({ name: 'Pool A', region: 'West Europe', hosts: 4, spareHosts: 1, coresPerHost: 8, faultDomains: 2 });
    expect(parsePoolSpec(' East US:2x16+0 ', 1)).toEqual({ name: 'Pool B', region: 'East US', hosts: 2, spareHosts: 0, coresPerHost: 16, faultDomains: 2 });
  });

  it.each([
    ['West Europe', /is not REGION:HOSTSxCORES/],
    ['West Europe:4', /is not REGION:HOSTSxCORES/],
    [':4x8', /is not REGION:HOSTSxCORES/],
    ['West Europe:0x8', /hosts must be from 1 to 256, got 0/],
    ['West Europe:4x65', /cores per host must be from 1 to 64, got 65/],
    ['West Europe:4x8+300', /spare hosts must be from 0 to 256/],
    ['-bad:1x1', /region "-bad" must start with a letter or digit/],
    ['West Europe:-4x8', /is not REGION/],
  ])('refuses %j', (spec, message) => {
    expect(() => parsePoolSpec(spec, 0)).toThrow(message);
  });

  it('bounds the pools and hosts in all', () => {
    expect(() => parsePoolSpecs(['A:200x1', 'B:60x1'])).toThrow(/the pools hold 262 hosts \(spares included\); at most 256/);
    expect(() => parsePoolSpecs(Array.from({ length: 17 }, () => 'A:1x1'))).toThrow(/at most 16 pools/);
  });

  it('serve: --pool is repeatable and replaces the default pool', () => {
    expect(parseServeArgs(['--pool', 'West Europe:4x8', '--pool=East US:2x4+0'])).toEqual({
      kind: 'run',
      options: {
        pools: [
          { name: 'Pool A', region: 'West Europe', hosts: 4, spareHosts: 1, coresPerHost: 8, faultDomains: 2 },
          { name: 'Pool B', region: 'East US', hosts: 2, spareHosts: 0, coresPerHost: 4, faultDomains: 2 },
        ],
      },
    });
  });

  it.each([
    [['--pool', 'West Europe'], /^--pool: "West Europe" is not REGION:HOSTSxCORES/],
    [['--pool', 'West Europe:4x99'], /^--pool: .*cores per host must be from 1 to 64/],
    [['--pool', 'West Europe:4x8', '--hosts', '3'], /^--pool cannot be combined with --hosts or --cores/],
    [['--pool'], /--pool/],
  ])('serve refuses %j with one line naming --pool', (argv, message) => {
    expect(() => parseServeArgs(argv)).toThrow(ServeArgsError);
    expect(() => parseServeArgs(argv)).toThrow(message);
  });

  it('fabric-lab run: a bad --pool is a command-line error (exit 2) naming the flag, before any fabric starts', async () => {
    const err: string[] = [];
    const io: CliIo = { out: () => {}, err: (t) => err.push(t) };
    const code = await main(['run', 'x.csdef', 'x.cscfg', '--pool', 'West Europe:4x8', '--pool', 'Nowhere:0x8'], io);
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/option '--pool <spec>' argument 'Nowhere:0x8' is invalid\. "Nowhere:0x8": hosts must be from 1 to 256, got 0/);
  });

  it('fabric-lab run: a --region no pool serves is a command-line error (exit 2) naming the regions', async () => {
    const err: string[] = [];
    const io: CliIo = { out: () => {}, err: (t) => err.push(t) };
    const code = await main(['run', 'x.csdef', 'x.cscfg', '--pool', 'West Europe:1x8', '--pool', 'East US:1x8', '--region', 'Mars'], io);
    expect(code).toBe(2);
    expect(err.join('\n')).toBe('fabric-lab: --region "Mars" is served by no pool; regions: West Europe, East US.');
  });
});

describe('rotation per input endpoint', () => {
  const at = (status: InstanceView['status']) => ({ status }) as InstanceView;
  const endpoints = [
    { name: 'HttpIn', ignoreRoleInstanceStatus: false },
    { name: 'Probe', ignoreRoleInstanceStatus: true },
  ];
  it('keeps a Busy instance in rotation only for the endpoint that ignores role status', () => {
    expect(rotationOf(at('ReadyRole'), 2, endpoints)).toEqual(['HttpIn', 'Probe']);
    expect(rotationOf(at('BusyRole'), 2, endpoints)).toEqual(['Probe']);
    expect(rotationOf(at('StartingRole'), 2, endpoints)).toEqual([]);
    expect(rotationOf(at('BusyRole'), 1, endpoints)).toEqual(['HttpIn', 'Probe']);
    expect(rotationOf(at('StoppedVM'), 1, endpoints)).toEqual([]);
    expect(rotationOf(at('ReadyRole'), 2, [])).toEqual([]);
  });
});
