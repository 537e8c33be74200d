// Seed step 4, "the host sends heartbeats to the guest": a guest agent answers the host agent's heartbeat
// requests, stamped with the instant it was asked, and sends none on its own; a frozen guest answers nothing.
// It works from its own copy of the goal state: a configuration reaches it by message.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatedClock } from '../../src-main/common/emulated-clock';
import { EmulatedTimers } from '../../src-main/common/emulated-timers';
import type { InstanceSpec } from '../../src-main/common/host-protocol';
import { seededRandom } from '../../src-main/common/seeded-random';
import { defaultTimings } from '../../src-main/common/timings';
import { GuestAgent } from '../../src-main/host/guest-agent';
import type { FromGuest, ToGuest } from '../../src-main/host/guest-protocol';
import { mergeHeartbeats } from '../../src-main/host/guest-protocol';
import { InstanceLogs } from '../../src-main/host/instance-logs';
import { noRoleFaults } from '../../src-main/host/role-faults';
import { vmBus } from '../../src-main/host/vm-bus';
import { workerRoleSpec } from '../support/instance-spec';

const spec: InstanceSpec = { ...workerRoleSpec, roleEnvironment: { ...workerRoleSpec.roleEnvironment, settings: { Greeting: 'hello' } } };

let session = '';
afterEach(() => rmSync(session, { recursive: true, force: true }));

function guest(): { agent: GuestAgent; heard: FromGuest[]; ask: (message: ToGuest) => void; copy: InstanceSpec } {
  session = mkdtempSync(join(tmpdir(), 'guest-heartbeat-'));
  // A paused clock: the guest's own steps (configuring, starting the role) never come due in this test.
  const clock = new EmulatedClock(undefined, { startAt: Date.UTC(2026, 0, 1), scale: 1 });
  clock.set({ paused: true });
  const context = { hostId: 'host-1', timers: new EmulatedTimers(clock), random: seededRandom(1), timings: defaultTimings, sessionDir: session, dipPrefix: null, silenceFloorMs: 0 };
  const bus = vmBus<FromGuest, ToGuest>(mergeHeartbeats);
  const heard: FromGuest[] = [];
  bus.host.on('message', (m) => heard.push(m));
  const copy = structuredClone(spec);
  const agent = new GuestAgent(context, copy, noRoleFaults(), bus.guest, new InstanceLogs(session, spec, () => clock.now()), null);
  agent.start();
  return { agent, heard, ask: (m) => bus.host.postMessage(m), copy };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('guest heartbeats, driven by the host agent', () => {
  it('answers each request at the instant it was asked, and sends none unasked', async () => {
    const { heard, ask } = guest();
    await settle();
    expect(heard.filter((m) => m.type === 'heartbeat')).toEqual([]);
    const at = Date.UTC(2026, 0, 1);
    ask({ type: 'heartbeat-request', at });
    await settle();
    expect(heard.filter((m) => m.type === 'heartbeat')).toEqual([{ type: 'heartbeat', at, beats: 1 }]);
  });

  it('a frozen guest answers nothing', async () => {
    const { agent, heard, ask } = guest();
    agent.freeze();
    ask({ type: 'heartbeat-request', at: Date.UTC(2026, 0, 1) });
    await settle();
    expect(heard.filter((m) => m.type === 'heartbeat')).toEqual([]);
  });

  it('takes a new configuration from the message into its own copy of the goal state', async () => {
    const { ask, copy } = guest();
    ask({ type: 'configuration', version: 2, settings: { Greeting: 'bonjour' }, changed: ['Greeting'] });
    await settle();
    expect(copy.roleEnvironment.settings).toEqual({ Greeting: 'bonjour' });
    expect(copy.configurationVersion).toBe(2);
    expect(spec.roleEnvironment.settings).toEqual({ Greeting: 'hello' });
  });
});
