import { describe, expect, it } from 'vitest';
import { assertTransition, canTransition, instanceStatuses, instanceTransitions, InvalidTransitionError, powerStateOf } from '../../src-main/common/instance-status';

describe('instance status transitions', () => {
  it('allow the deployment workflow from CreatingVM to ReadyRole and the way down to StoppedVM', () => {
    const up = ['RoleStateUnknown', 'CreatingVM', 'StartingVM', 'CreatingRole', 'StartingRole', 'BusyRole', 'ReadyRole'] as const;
    const down = ['ReadyRole', 'StoppingRole', 'StoppingVM', 'StoppedVM'] as const;
    for (const path of [up, down]) {
      for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!), `${path[i - 1]} -> ${path[i]}`).toBe(true);
    }
  });

  it('reject skipping steps, going back up, and leaving StoppedVM for a role state', () => {
    for (const [from, to] of [
      ['CreatingVM', 'ReadyRole'],
      ['StartingVM', 'BusyRole'],
      ['ReadyRole', 'CreatingVM'],
      ['StoppedVM', 'ReadyRole'],
      ['StoppingVM', 'StartingRole'],
      ['DeletingVM', 'StoppingRole'],
    ] as const) {
      expect(canTransition(from, to), `${from} -> ${to}`).toBe(false);
      expect(() => assertTransition('Web_IN_0', from, to)).toThrow(InvalidTransitionError);
    }
  });

  it('name the instance and both statuses when a transition is refused', () => {
    expect(() => assertTransition('d1/WorkerRole1_IN_0', 'CreatingVM', 'ReadyRole')).toThrow('Instance d1/WorkerRole1_IN_0 cannot go from CreatingVM to ReadyRole');
  });

  it('cover every status in the table, and only known statuses', () => {
    expect(Object.keys(instanceTransitions).sort()).toEqual([...instanceStatuses].sort());
    for (const targets of Object.values(instanceTransitions)) for (const t of targets) expect(instanceStatuses).toContain(t);
  });

  it('derive PowerState as the Service Management API shows it', () => {
    expect(powerStateOf('CreatingVM')).toBe('Starting');
    expect(powerStateOf('ReadyRole')).toBe('Started');
    expect(powerStateOf('StoppingVM')).toBe('Stopping');
    expect(powerStateOf('StoppedVM')).toBe('Stopped');
  });
});
