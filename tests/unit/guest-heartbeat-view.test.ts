// The store keeps an instance's object when an update changes only its guest heartbeat (guest-heartbeat-view.ts).
import { describe, expect, it } from 'vitest';
import type { InstanceView } from '../../src-main/common/fabric-api';
import { onlyHeartbeatChanged } from '../../src-renderer/lib/guest-heartbeat-view';

const instance: InstanceView = {
  id: 'deployment1(1)/WebRole1_IN_0',
  name: 'WebRole1_IN_0',
  deploymentId: 'deployment1(1)',
  roleName: 'WebRole1',
  hostId: 'host-1',
  status: 'ReadyRole',
  stateDetails: '',
  powerState: 'Started',
  upgradeDomain: 0,
  faultDomain: 0,
  vmSize: 'Small',
  ipAddress: '127.20.0.4',
  statusSince: 1000,
  lastGuestHeartbeat: 5000,
  guestHeartbeats: 3,
  inRotation: true,
  rotation: ['Endpoint1'],
  restarts: 0,
  faults: [],
  endpoints: [{ name: 'Endpoint1', protocol: 'http', publicPort: 80, address: '127.20.0.4:80', servedBy: null }],
};
/** As an update arrives: a structured copy, every array a new object. */
const update = (change: Partial<InstanceView>): InstanceView => ({ ...structuredClone(instance), ...change });

describe('onlyHeartbeatChanged', () => {
  it('is true for a copy with a later heartbeat, its arrays new objects with the same contents', () => {
    expect(onlyHeartbeatChanged(instance, update({ lastGuestHeartbeat: 7500, guestHeartbeats: 4 }))).toBe(true);
  });

  it('is false when anything a list or panel shows changed, nested values included', () => {
    expect(onlyHeartbeatChanged(instance, update({ status: 'BusyRole', guestHeartbeats: 4 }))).toBe(false);
    expect(onlyHeartbeatChanged(instance, update({ inRotation: false }))).toBe(false);
    expect(onlyHeartbeatChanged(instance, update({ rotation: [] }))).toBe(false);
    expect(onlyHeartbeatChanged(instance, update({ faults: ['hang-guest'] }))).toBe(false);
    expect(onlyHeartbeatChanged(instance, update({ endpoints: [{ ...instance.endpoints[0]!, servedBy: { process: 'w3wp', pid: 42, since: 9000 } }] }))).toBe(false);
    expect(onlyHeartbeatChanged(instance, update({ ipAddress: null }))).toBe(false);
  });

  it('is false when the update has a field more or fewer (a view from another version of the fabric)', () => {
    const { restarts: _restarts, ...fewer } = update({});
    expect(onlyHeartbeatChanged(instance, fewer as InstanceView)).toBe(false);
    expect(onlyHeartbeatChanged(instance, { ...update({}), extra: 1 } as InstanceView)).toBe(false);
  });
});
