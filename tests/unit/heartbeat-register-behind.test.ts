// The heartbeat register's third cell (common/heartbeat-register.ts): a host notes how far behind its timers ran,
// the register keeps the most until the fabric takes it, and a take starts again from zero.
import { describe, expect, it } from 'vitest';
import { HeartbeatRegister, heartbeatRegisterBuffer } from '../../src-main/common/heartbeat-register';

describe('a heartbeat register’s behind cell', () => {
  it('keeps the most noted since the last take, to the microsecond, beside the heartbeat it does not touch', () => {
    const buffer = heartbeatRegisterBuffer();
    const host = new HeartbeatRegister(buffer);
    const fabric = new HeartbeatRegister(buffer);
    expect(fabric.takeBehind()).toBe(0);
    host.write(1_700_000_000_000.25, 5 * 2 ** 20);
    host.noteBehind(12.5);
    host.noteBehind(340.001);
    host.noteBehind(3);
    expect(fabric.takeBehind()).toBe(340.001);
    expect(fabric.takeBehind()).toBe(0);
    host.noteBehind(0.4);
    expect(fabric.takeBehind()).toBe(0.4);
    expect(fabric.read()).toEqual({ at: 1_700_000_000_000.25, heapUsed: 5 * 2 ** 20 });
  });
});
