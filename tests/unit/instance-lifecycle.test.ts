import { describe, expect, it } from 'vitest';
import {
  assertMove,
  canMove,
  goalIsStarted,
  hasVm,
  holdsCores,
  InvalidLifecycleError,
  lifecycleTransitions,
  type InstanceLifecycle,
  type LifecycleState,
} from '../../src-main/fabric/instance-lifecycle';
import { InstanceWaiters } from '../../src-main/fabric/instance-waiters';

const states = Object.keys(lifecycleTransitions) as LifecycleState[];

describe('instance lifecycle', () => {
  it('allows the paths the controller takes: place, run, suspend, resume, delete; a lost host, restarted or marked bad', () => {
    const paths: LifecycleState[][] = [
      ['Placed', 'Running', 'Stopping', 'Stopped', 'Running', 'Stopping', 'Removed'],
      ['Placed', 'Running', 'HostRestarting', 'Running'],
      ['Placed', 'Running', 'HostRestarting', 'Orphaned', 'Running'],
      ['Placed', 'Running', 'Orphaned', 'Orphaned', 'Placed', 'Running'],
      ['Placed', 'Running', 'Stopping', 'Stopped', 'Placed', 'Orphaned', 'Removed'],
      ['Placed', 'Running', 'Stopping', 'Stopping', 'Removed'],
      ['Placed', 'Running', 'HostRestarting', 'Placed', 'Removed'],
    ];
    for (const path of paths) {
      for (let i = 1; i < path.length; i++) expect(canMove(path[i - 1]!, path[i]!), `${path[i - 1]} -> ${path[i]}`).toBe(true);
    }
  });

  it('refuses moves that would lose track of a VM or its cores, and nothing leaves Removed', () => {
    for (const [from, to] of [
      ['Running', 'Running'],
      ['Running', 'Removed'],
      ['Running', 'Stopped'],
      ['Running', 'Placed'],
      ['Placed', 'Stopping'],
      ['Placed', 'HostRestarting'],
      ['Orphaned', 'Stopping'],
      ['Orphaned', 'HostRestarting'],
      ['Stopped', 'Stopping'],
      ['Stopped', 'Stopped'],
    ] as const) {
      expect(canMove(from, to), `${from} -> ${to}`).toBe(false);
      expect(() => assertMove('d1/Web_IN_0', from, to)).toThrow(InvalidLifecycleError);
    }
    for (const to of states) expect(canMove('Removed', to), `Removed -> ${to}`).toBe(false);
  });

  it('names the instance and both states when a move is refused', () => {
    expect(() => assertMove('d1/WorkerRole1_IN_0', 'Orphaned', 'Stopping')).toThrow('The fabric controller cannot move instance d1/WorkerRole1_IN_0 from Orphaned to Stopping');
  });

  it('lists only known states as targets', () => {
    for (const from of states) for (const to of lifecycleTransitions[from]) expect(states).toContain(to);
  });

  it('says which states hold cores, have a VM, and drive the instance toward Started', () => {
    const all: InstanceLifecycle[] = [
      { state: 'Placed' },
      { state: 'Running' },
      { state: 'Stopping', then: 'delete' },
      { state: 'Stopped' },
      { state: 'HostRestarting' },
      { state: 'Orphaned', then: 'start' },
      { state: 'Orphaned', then: 'keep' },
      { state: 'Removed' },
    ];
    const row = (l: InstanceLifecycle) => [holdsCores(l), hasVm(l), goalIsStarted(l)];
    expect(all.map(row)).toEqual([
      [true, false, false],
      [true, true, true],
      [true, true, false],
      [true, true, false],
      [true, false, true],
      [false, false, true],
      [false, false, false],
      [false, false, false],
    ]);
  });
});

describe('instance waiters', () => {
  it('resolve a wait when the instance reaches a target, and only then', async () => {
    const waiters = new InstanceWaiters();
    let done = false;
    const ready = waiters.status('a', ['ReadyRole']).then(() => (done = true));
    waiters.statusChanged('a', 'BusyRole', 'A', '');
    await Promise.resolve();
    expect(done).toBe(false);
    waiters.statusChanged('a', 'ReadyRole', 'A', '');
    await ready;
    expect(done).toBe(true);
  });

  it('reject a wait for Ready when the start fails, saying why, and a wait for anything but StoppedVM when the instance is removed', async () => {
    const waiters = new InstanceWaiters();
    const ready = waiters.status('a', ['ReadyRole', 'FailedStartingRole']);
    waiters.statusChanged('a', 'FailedStartingRole', 'WorkerRole1_IN_0', 'startup task exited 1');
    await expect(ready).rejects.toThrow('WorkerRole1_IN_0 is FailedStartingRole: startup task exited 1');
    const stopped = waiters.status('b', ['StoppedVM']);
    const running = waiters.status('b', ['ReadyRole']);
    waiters.removed('b', 'B_IN_0');
    await expect(stopped).resolves.toBeUndefined();
    await expect(running).rejects.toThrow('Instance B_IN_0 was removed.');
  });

  it('settle a configuration wait when taken live, after Ready when recycled, and when the VM is lost; ignore unknown versions', async () => {
    const waiters = new InstanceWaiters();
    const live = waiters.configuration('a', 2);
    waiters.configurationApplied('a', 7, false);
    waiters.configurationApplied('nope', 2, false);
    waiters.configurationApplied('a', 2, false);
    await expect(live).resolves.toBeUndefined();
    let recycledDone = false;
    const recycled = waiters.configuration('a', 3).then(() => (recycledDone = true));
    waiters.configurationApplied('a', 3, true);
    await Promise.resolve();
    expect(recycledDone).toBe(false);
    waiters.statusChanged('a', 'ReadyRole', 'A', '');
    await recycled;
    const lost = waiters.configuration('a', 4);
    waiters.vmLost('a');
    await expect(lost).resolves.toBeUndefined();
  });
});
