// The faults a user can inject, each once: what it is aimed at (an instance or a host), the arguments it
// takes (the schema every transport checks), and what an instance's host agent is told. The fabric's
// registry (fabric/fault-registry.ts) adds, per kind, the check and the effect on the controller's side;
// the host agent applies the instance faults it is sent (host/host-agent.ts `applyFault`).
import { z } from 'zod';
import type { FaultRequest } from './fabric-api';
import type { InstanceFault } from './host-protocol';

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

export type FaultKind = FaultRequest['kind'];

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

// Compile-time checks: the schema's kinds are FabricApi's, no more and no fewer.
type SchemaKind = z.infer<typeof faultRequestSchema>['kind'];
export const faultSchemaComplete: [Exclude<FaultKind, SchemaKind>, Exclude<SchemaKind, FaultKind>] extends [never, never] ? true : never = true;
