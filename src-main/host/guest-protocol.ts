// Messages between a guest VM and its host agent. They cross the VM's own channel, the emulated VMBus
// (vm-bus.ts): a guest that stops sending heartbeats is silent on this channel and nowhere else.
import type { RoleTopology } from '../common/host-protocol';
import type { InstanceStatus } from '../common/instance-status';

export type FromGuest =
  /** `beats`: how many heartbeats this stands for (1 when sent; more once merged while waiting for delivery). */
  | { type: 'heartbeat'; at: number; beats: number }
  | { type: 'status'; status: InstanceStatus; details: string; at: number }
  | { type: 'stopped' }
  /** The guest took a new configuration: live, or by recycling the role when its code cancelled Changing. */
  | { type: 'configuration-applied'; version: number; recycled: boolean; requestId?: string };

export type ToGuest =
  | { type: 'stop' }
  /** Seed step 4: the host agent asks; a guest working towards its goal state answers with a heartbeat stamped `at`. */
  | { type: 'heartbeat-request'; at: number }
  /** A new configuration: its setting values, and `changed`, the settings whose value changed. */
  | { type: 'configuration'; version: number; settings: Record<string, string>; changed: string[]; requestId?: string }
  /** The deployment's topology (RoleEnvironment.Roles), and the roles whose instances changed. */
  | { type: 'topology'; roles: RoleTopology[]; changedRoles: string[] };

/** Heartbeats the host agent has not taken yet become one: the latest time, and how many beats it stands for. */
export function mergeHeartbeats(queued: FromGuest, next: FromGuest): FromGuest | null {
  return queued.type === 'heartbeat' && next.type === 'heartbeat' ? { type: 'heartbeat', at: next.at, beats: queued.beats + next.beats } : null;
}
