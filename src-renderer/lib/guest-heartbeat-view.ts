// Most instance updates at speed are only a guest heartbeat heard (its time and count). The store keeps the
// instance's object for those, so the map, the tree and the table (keyed on the object) see nothing change,
// and hands the heartbeat to the one view that shows it (the instance's panel) through a map of its own.
import type { InstanceView } from '../../src-main/common/fabric-api';

export type GuestHeartbeat = Pick<InstanceView, 'lastGuestHeartbeat' | 'guestHeartbeats'>;

/** True when `next` differs from `current` in nothing but its guest heartbeat (fields compared by value). */
export function onlyHeartbeatChanged(current: InstanceView, next: InstanceView): boolean {
  const keys = Object.keys(next) as (keyof InstanceView)[];
  if (keys.length !== Object.keys(current).length) return false;
  for (const key of keys) {
    if (key === 'lastGuestHeartbeat' || key === 'guestHeartbeats') continue;
    const a = current[key];
    const b = next[key];
    if (a === b) continue;
    // Arrays (rotation, faults, endpoints) arrive as new objects in every update: compare what they hold.
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || JSON.stringify(a) !== JSON.stringify(b)) return false;
  }
  return true;
}
