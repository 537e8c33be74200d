// Messages between a guest VM and its host agent. They cross a MessageChannel, the emulated VMBus:
// a guest that stops sending heartbeats is silent on this channel and nowhere else.
import type { InstanceStatus } from '../common/instance-status';

export type FromGuest =
  | { type: 'heartbeat'; at: number }
  | { type: 'status'; status: InstanceStatus; details: string; at: number }
  | { type: 'stopped' };

export type ToGuest = { type: 'stop' };
