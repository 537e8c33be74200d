// What crosses NATS between the fabric and a host node (serve/host-node.ts): the node's join, the host
// protocol of host-protocol.ts wrapped per host, the clock, and log requests. Each side validates what it
// receives with these schemas before acting on it: a node is another process, maybe another machine, and a
// NATS subject anyone with the server's credentials can publish on.
//
// Subjects, under a prefix (default `fabric-lab`). Every subject a node publishes or subscribes to names it, so
// that a NATS server can give each node a user allowed only its own (natsServerAuthorization below):
//   <p>.join.<node>          request/reply, node -> fabric: JoinRequest (its node is the subject's), answered JoinReply
//   <p>.join                 where protocol 1 nodes asked to join: answered with a refusal naming the versions
//   <p>.clock                request/reply, node -> fabric: the clock now (the node times the round trip)
//   <p>.node.<node>.control  fabric -> node: NodeControl batches (boot/stop a host, host messages, clock, rejoin)
//   <p>.node.<node>.logs     request/reply, fabric -> node: NodeLogRequest (instance logs stay on the node)
//   <p>.from.<node>          node -> fabric: NodeReport (each host's messages of one turn, hosts that ended)
//   _INBOX.<p>.<node>.>      the replies to a node's own requests (its connection's inbox prefix)
import { z } from 'zod';
import { codeCacheUses } from './host-os-script';
import { instanceStatuses } from './instance-status';

export const nodeProtocolVersion = 2;
export const defaultSubjectPrefix = 'fabric-lab';

/** Where a node's instances listen without --dip-address: its own loopback, which only the fabric's machine shares. */
export const nodeLoopbackAddress = '127.0.0.1';

/** A node name is a NATS subject token and part of its hosts' ids: letters, digits, '-' and '_'. */
export const nodeNamePattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/;

export const subjects = (prefix: string) => ({
  join: (node: string) => `${prefix}.join.${node}`,
  joinAny: `${prefix}.join.*`,
  /** Where nodes of host-node protocol 1 asked to join: answered with a refusal that names the versions. */
  legacyJoin: `${prefix}.join`,
  /** Where the replies to a node's requests (join, clock) come: only that node may subscribe there. */
  nodeInbox: (node: string) => `_INBOX.${prefix}.${node}`,
  clock: `${prefix}.clock`,
  control: (node: string) => `${prefix}.node.${node}.control`,
  logs: (node: string) => `${prefix}.node.${node}.logs`,
  from: (node: string) => `${prefix}.from.${node}`,
  fromAny: `${prefix}.from.*`,
});

const id = z.string().min(1).max(200);
const time = z.number().finite();

export const joinRequestSchema = z.strictObject({
  protocol: z.number().int(),
  node: z.string().regex(nodeNamePattern, 'a node name holds letters, digits, "-" and "_" (at most 40) and starts with a letter or digit'),
  /** Different each time the node process starts: messages of an earlier process are stale. */
  incarnation: z.string().min(8).max(64),
  token: z.string().max(512),
  region: z.string().min(1).max(60),
  hosts: z.number().int().min(1).max(256),
  cores: z.number().int().min(1).max(64),
  /** Its --dip-address: the one address its instances listen on, and the only one the fabric takes their endpoints at (absent: 127.0.0.1). */
  dipAddress: z.ipv4().optional(),
});
export type JoinRequest = z.infer<typeof joinRequestSchema>;

export const clockReadingSchema = z.strictObject({ now: time, scale: z.number().positive(), paused: z.boolean() });
export type NodeClockReading = z.infer<typeof clockReadingSchema>;

export const joinReplySchema = z.union([
  z.strictObject({ accepted: z.literal(true), poolId: id, hostIds: z.array(id).max(256), clock: clockReadingSchema, seed: z.number().int() }),
  z.strictObject({ accepted: z.literal(false), reason: z.string().max(2000) }),
]);
export type JoinReply = z.infer<typeof joinReplySchema>;

/** The fabric's side of `init` (host-protocol.ts) without the clock's buffer: the node gives its own. */
const hostInit = z.strictObject({ seed: z.number().int(), timings: z.record(z.string(), z.number()), silenceFloorMs: z.number().nonnegative().max(86_400_000).optional() });

/** A host message as the node forwards it; the worker itself checks the rest, and answers `error` when wrong. */
const toHost = z.looseObject({ type: z.string().max(40) });

/** `worker`: which power-on of the host (1, 2, ...): each restart boots a new worker, and the old one's words are stale. */
export const nodeControlSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('boot-host'), hostId: id, worker: z.number().int().positive(), init: hostInit }),
  z.strictObject({ type: z.literal('stop-host'), hostId: id, worker: z.number().int().positive(), graceful: z.boolean() }),
  z.strictObject({ type: z.literal('to-host'), hostId: id, worker: z.number().int().positive(), message: toHost }),
  z.strictObject({ type: z.literal('clock'), clock: clockReadingSchema }),
  /** The fabric does not know this process (it restarted, or replaced it): drop every host and join again. */
  z.strictObject({ type: z.literal('rejoin'), incarnation: z.string().max(64), reason: z.string().max(2000) }),
]);
export type NodeControl = z.infer<typeof nodeControlSchema>;
export const nodeControlBatchSchema = z.array(nodeControlSchema).min(1).max(10_000);

const guestHeartbeat = z.strictObject({ instanceId: id, at: time, count: z.number().int().nonnegative() });
const endpoint = z.strictObject({
  name: id,
  protocol: z.enum(['http', 'https', 'tcp', 'udp']),
  publicPort: z.number().int(),
  address: z.string().max(100).nullable(),
  servedBy: z.strictObject({ process: z.enum(['WaWebHost', 'w3wp']), pid: z.number().int(), since: time }).nullable(),
});

/** FromHost (host-protocol.ts) as a remote host may send it; `child-process` stays on the node, which ends them itself. */
export const remoteFromHostSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready'), hostId: id, codeCache: z.enum(codeCacheUses).optional() }),
  z.strictObject({ type: z.literal('host-heartbeat'), at: time, guests: z.array(guestHeartbeat).max(10_000), heapUsed: z.number().int().min(0).max(2 ** 40).optional() }),
  z.strictObject({
    type: z.literal('instance-status'),
    instanceId: id,
    status: z.enum(instanceStatuses),
    details: z.string().max(10_000),
    at: time,
    restarts: z.number().int().nonnegative(),
    requestId: id.optional(),
  }),
  z.strictObject({
    type: z.literal('instance-endpoints'),
    instanceId: id,
    endpoints: z.array(endpoint).max(100),
    ipAddress: z.string().max(64).nullable().optional(),
    roleEndpoints: z.record(z.string().max(100), z.strictObject({ protocol: z.string().max(10), port: z.number().int().min(0).max(65535), address: z.string().max(64).optional() })).optional(),
  }),
  z.strictObject({ type: z.literal('configuration-applied'), instanceId: id, version: z.number().int(), recycled: z.boolean(), requestId: id.optional() }),
  z.strictObject({ type: z.literal('error'), message: z.string().max(10_000) }),
]);

export const nodeReportSchema = z.strictObject({
  incarnation: z.string().min(8).max(64),
  hosts: z.array(z.strictObject({ hostId: id, worker: z.number().int().positive(), messages: z.array(z.unknown()).max(100_000) })).max(256),
  /** Host workers that ended on the node (a crash, or the fabric's stop). */
  exited: z.array(z.strictObject({ hostId: id, worker: z.number().int().positive(), reason: z.string().max(2000) })).max(256),
});
export type NodeReport = z.infer<typeof nodeReportSchema>;

/** Log requests the fabric makes of a node: file ids are relative to the node's session folder (instances/..., fabric/...). */
export const nodeLogRequestSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('list-instance'), deploymentId: id, instanceName: id }),
  z.strictObject({ op: z.literal('list-host'), hostId: id }),
  z.strictObject({ op: z.literal('read'), file: z.string().min(1).max(1000), fromLine: z.number().int(), count: z.number().int(), as: z.enum(['lines', 'text']).optional() }),
  /** Every file of the node's session folder, for an export. */
  z.strictObject({ op: z.literal('walk') }),
  /** Raw bytes of one file, for an export: at most `length` from `offset`. */
  z.strictObject({ op: z.literal('read-bytes'), file: z.string().min(1).max(1000), offset: z.number().int().nonnegative(), length: z.number().int().positive().max(512 * 1024) }),
]);
export type NodeLogRequest = z.infer<typeof nodeLogRequestSchema>;

/** A node's answer: the result, or an error with the fabric's error code. */
export type NodeLogReply = { result: unknown } | { error: { code: string; message: string } };

/** Short words for a zod failure, for the log line that says why a message was dropped. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`)
    .join('; ');
}

/** The variable nats-server reads a user's password from (`password: $FABRIC_LAB_NATS_PASSWORD_RACK_2` for rack-2). */
export function natsPasswordVariable(user: string): string {
  return `FABRIC_LAB_NATS_PASSWORD_${user.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * A nats-server `authorization` block that gives the fabric and each node a user of its own, a node allowed only
 * its own subjects: it can join only as itself, report only as itself, and read only its own control messages
 * and replies. `passwords` by user name ('fabric' and each node), or 'environment': each password is then a
 * variable nats-server reads from its environment (natsPasswordVariable), so the file holds no secret.
 */
export function natsServerAuthorization(prefix: string, fabricUser: string, nodes: string[], passwords: Record<string, string> | 'environment'): string {
  const s = subjects(prefix);
  const list = (items: string[]) => `[${items.map((i) => JSON.stringify(i)).join(', ')}]`;
  const user = (name: string, publish: string[], subscribe: string[]) =>
    `    { user: ${JSON.stringify(name)}, password: ${passwords === 'environment' ? `$${natsPasswordVariable(name)}` : JSON.stringify(passwords[name] ?? '')}, permissions: { publish: { allow: ${list(publish)} }, subscribe: { allow: ${list(subscribe)} }, allow_responses: true } }`;
  return [
    'authorization {',
    '  users = [',
    [
      user(fabricUser, [s.control('*'), s.logs('*')], [s.joinAny, s.legacyJoin, s.clock, s.fromAny, '_INBOX.>']),
      ...nodes.map((node) => user(node, [s.join(node), s.clock, s.from(node)], [`${s.control(node)}`, `${s.logs(node)}`, `${s.nodeInbox(node)}.>`])),
    ].join(',\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}
