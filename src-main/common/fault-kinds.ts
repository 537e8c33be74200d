// The faults a user can inject, each once: what it is aimed at (an instance or a host), the arguments it
// takes (the schema every transport checks), and what an instance's host agent is told. The fabric's
// registry (fabric/fault-registry.ts) adds, per kind, the check and the effect on the controller's side;
// the host agent applies the instance faults it is sent (host/host-agent.ts `applyFault`).
// Imports nothing but zod: api-schema.ts and host-protocol.ts build on it.
import { z } from 'zod';

const id = z.string().min(1).max(100);

/** Each kind's arguments, in the order the UI and the docs list them. */
const faultArgs = [
  /** The role's host process dies now; `persistent`: it dies again at every start until cleared. */
  z.strictObject({ kind: z.literal('crash-role'), instanceId: id, persistent: z.boolean().optional() }),
  /** The role's first simple startup task exits 1 from now on (the role recycles to run it) until cleared. */
  z.strictObject({ kind: z.literal('fail-startup-task'), instanceId: id }),
  /** The guest OS freezes: no heartbeats, no progress, until the host agent restarts it. */
  z.strictObject({ kind: z.literal('hang-guest'), instanceId: id }),
  /** Remove the persistent faults of an instance. */
  z.strictObject({ kind: z.literal('clear'), instanceId: id }),
  /** Terminate the host's worker thread: the host OS and every guest on it are gone at once. */
  z.strictObject({ kind: z.literal('kill-host'), hostId: id }),
  /** Cut the host off from its fabric controller: no messages either way. */
  z.strictObject({ kind: z.literal('disconnect-host'), hostId: id }),
  /** Freeze the host OS (host agent and guests stop); unlike kill and disconnect, the controller's restart cures it. */
  z.strictObject({ kind: z.literal('hang-host'), hostId: id }),
] as const;

/** The schema of injectFault's argument: one of the kinds, with its own arguments and no others. */
export const faultRequestSchema = z.discriminatedUnion('kind', faultArgs);

/** A fault request as injectFault takes it (FabricApi's FaultRequest is the same type, inferred in api-schema.ts). */
type FaultRequest = z.infer<typeof faultRequestSchema>;

export type FaultKind = FaultRequest['kind'];

/** A fault as the host agent applies it to one guest (host-protocol.ts's `fault` message). */
export type InstanceFault =
  | { kind: 'crash-role'; persistent: boolean }
  | { kind: 'fail-startup-task' }
  | { kind: 'hang-guest' }
  | { kind: 'clear' };

/** Every kind and what it is aimed at. */
export const faultTargets: Readonly<Record<FaultKind, 'instance' | 'host'>> = {
  'crash-role': 'instance',
  'fail-startup-task': 'instance',
  'hang-guest': 'instance',
  clear: 'instance',
  'kill-host': 'host',
  'disconnect-host': 'host',
  'hang-host': 'host',
};

export const faultKinds = Object.keys(faultTargets) as FaultKind[];

export type InstanceFaultRequest = Extract<FaultRequest, { instanceId: string }>;
export type HostFaultRequest = Extract<FaultRequest, { hostId: string }>;

export function isHostFault(fault: FaultRequest): fault is HostFaultRequest {
  return faultTargets[fault.kind] === 'host';
}

/** What the instance's host agent is told (a crash is one-off unless made persistent). */
export function instanceFaultMessage(fault: InstanceFaultRequest): InstanceFault {
  return fault.kind === 'crash-role' ? { kind: fault.kind, persistent: fault.persistent ?? false } : { kind: fault.kind };
}

// Compile-time check: every instance fault kind has a host message of its own kind.
type MessageKind = InstanceFault['kind'];
export const faultMessagesComplete: [Exclude<InstanceFaultRequest['kind'], MessageKind>, Exclude<MessageKind, InstanceFaultRequest['kind']>] extends [never, never] ? true : never = true;
