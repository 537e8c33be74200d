// The fault registry: every kind of the contract has one handler aimed at the right target; each refuses
// what its target cannot take, with the reason, and says which faults are in force afterwards.
import { describe, expect, it } from 'vitest';
import type { InstanceView } from '../../src-main/common/fabric-api';
import { FabricError } from '../../src-main/common/fabric-errors';
import { faultKinds, faultRequestSchema, faultTargets, instanceFaultMessage, isHostFault, type InstanceFaultRequest } from '../../src-main/common/fault-kinds';
import { faultHandler, registerFault, type InstanceFaultHandler, type InstanceFaultTarget } from '../../src-main/fabric/fault-registry';
import type { Host } from '../../src-main/fabric/pool-hosts';
import type { StartupTask } from '../../src-main/common/service-model';

const simpleTask = { commandLine: 'setup.cmd', executionContext: 'limited', taskType: 'simple' } as unknown as StartupTask;

function target(status: InstanceView['status'], more: Partial<InstanceFaultTarget> = {}): InstanceFaultTarget {
  const view = { id: 'd1/W_IN_0', name: 'W_IN_0', roleName: 'W', status, faults: [] } as unknown as InstanceView;
  return { view, startupTasks: [simpleTask], stopping: false, orphaned: false, ...more };
}

const instanceHandler = (kind: InstanceFaultRequest['kind']) => faultHandler(kind) as InstanceFaultHandler;

function refusal(run: () => void): FabricError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FabricError);
    return error as FabricError;
  }
  throw new Error('expected a refusal');
}

describe('fault registry', () => {
  it('has one handler per kind of the contract, aimed at the kind’s target', () => {
    expect(faultKinds).toEqual(['crash-role', 'fail-startup-task', 'hang-guest', 'clear', 'kill-host', 'disconnect-host', 'hang-host']);
    for (const kind of faultKinds) expect(faultHandler(kind).target, kind).toBe(faultTargets[kind]);
  });

  it('refuses a kind registered twice or aimed at the wrong target', () => {
    expect(() => registerFault('clear', { target: 'instance', check: () => {}, inForce: (c) => new Set(c) })).toThrow('registered twice');
    expect(() => faultHandler('nope' as never)).toThrow('No handler is registered for fault kind "nope"');
  });

  it('refuses instance faults to instances that are stopping, stopped or waiting for a host, whatever the kind', () => {
    for (const kind of ['crash-role', 'fail-startup-task', 'hang-guest', 'clear'] as const) {
      const fault = { kind, instanceId: 'd1/W_IN_0' } as InstanceFaultRequest;
      expect(refusal(() => instanceHandler(kind).check(target('StoppingRole', { stopping: true }), fault))).toMatchObject({ code: 'Conflict', message: 'Instance W_IN_0 is being stopped (StoppingRole); faults go to running instances.' });
      expect(refusal(() => instanceHandler(kind).check(target('RoleStateUnknown', { orphaned: true }), fault)).message).toContain('waiting for a host (service healing)');
      expect(refusal(() => instanceHandler(kind).check(target('StoppedVM'), fault)).message).toContain('is stopped; faults go to running instances');
    }
  });

  it('refuses what the instance’s state cannot take: a hang before boot, a one-off crash with no host process, a startup task it does not have', () => {
    expect(refusal(() => instanceHandler('hang-guest').check(target('CreatingVM'), { kind: 'hang-guest', instanceId: 'x' }))).toMatchObject({ code: 'Conflict', message: expect.stringContaining('has not booted yet') });
    expect(() => instanceHandler('hang-guest').check(target('CreatingRole'), { kind: 'hang-guest', instanceId: 'x' })).not.toThrow();
    expect(refusal(() => instanceHandler('crash-role').check(target('StartingRole'), { kind: 'crash-role', instanceId: 'x' })).message).toContain('Make the crash persistent');
    expect(() => instanceHandler('crash-role').check(target('StartingRole'), { kind: 'crash-role', instanceId: 'x', persistent: true })).not.toThrow();
    expect(() => instanceHandler('crash-role').check(target('ReadyRole'), { kind: 'crash-role', instanceId: 'x' })).not.toThrow();
    expect(refusal(() => instanceHandler('fail-startup-task').check(target('ReadyRole', { startupTasks: [] }), { kind: 'fail-startup-task', instanceId: 'x' }))).toMatchObject({
      code: 'BadRequest',
      message: 'Role W has no simple startup task to fail.',
    });
  });

  it('says which faults are in force after each: a one-off crash leaves none, clear removes the persistent ones but not a hung guest', () => {
    const after = (fault: InstanceFaultRequest, current: InstanceView['faults'] = []) => [...instanceHandler(fault.kind).inForce(new Set(current), fault)];
    expect(after({ kind: 'crash-role', instanceId: 'x' })).toEqual([]);
    expect(after({ kind: 'crash-role', instanceId: 'x', persistent: true })).toEqual(['crash-role']);
    expect(after({ kind: 'fail-startup-task', instanceId: 'x' }, ['crash-role'])).toEqual(['crash-role', 'fail-startup-task']);
    expect(after({ kind: 'hang-guest', instanceId: 'x' }, ['hang-guest'])).toEqual(['hang-guest']);
    expect(after({ kind: 'clear', instanceId: 'x' }, ['crash-role', 'hang-guest', 'fail-startup-task'])).toEqual(['hang-guest']);
    expect(instanceFaultMessage({ kind: 'crash-role', instanceId: 'x' })).toEqual({ kind: 'crash-role', persistent: false });
    expect(instanceFaultMessage({ kind: 'clear', instanceId: 'x' })).toEqual({ kind: 'clear' });
  });

  it('breaks a host as each kind says: dead hardware, a cut link, a hung OS', async () => {
    const calls: string[] = [];
    const host = () => ({ fault: null, proxy: { terminate: () => calls.push('terminate'), partition: () => calls.push('partition'), send: (m: { type: string }) => calls.push(m.type) } }) as unknown as Host;
    const killed = host();
    const cut = host();
    const hung = host();
    for (const [kind, h] of [['kill-host', killed], ['disconnect-host', cut], ['hang-host', hung]] as const) {
      const handler = faultHandler(kind);
      if (handler.target !== 'host') throw new Error(kind);
      await handler.apply(h);
    }
    expect([killed.fault, cut.fault, hung.fault]).toEqual(['dead', 'cut-off', null]);
    expect(calls).toEqual(['terminate', 'partition', 'hang-host']);
  });

  it('checks each kind’s own arguments, refusing unknown kinds and arguments of another target', () => {
    expect(faultRequestSchema.safeParse({ kind: 'kill-host', hostId: 'pool-1-host-01' }).success).toBe(true);
    expect(faultRequestSchema.safeParse({ kind: 'crash-role', instanceId: 'd/W_IN_0', persistent: true }).success).toBe(true);
    for (const bad of [
      { kind: 'melt-host', hostId: 'h' },
      { kind: 'kill-host', instanceId: 'd/W_IN_0' },
      { kind: 'hang-guest', instanceId: 'd/W_IN_0', persistent: true },
      { kind: 'clear', instanceId: '' },
      { kind: 'crash-role', instanceId: 'x', persistent: 'yes' },
      { hostId: 'h' },
      null,
    ]) {
      expect(faultRequestSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    expect(isHostFault({ kind: 'hang-host', hostId: 'h' })).toBe(true);
    expect(isHostFault({ kind: 'hang-guest', instanceId: 'x' })).toBe(false);
  });
});
