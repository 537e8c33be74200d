// The fabric's side of host nodes: processes, on this machine or others, whose worker threads are hosts of a
// machine pool, reached through a NATS server (serve/host-node.ts is the node). A node joins with the
// fabric's join token; its hosts enter the pool of its region and boot when the controller powers them on,
// exactly as local hosts do, behind the same HostLink. The controller never learns where a host runs.
//
// Trust: the NATS server checks the node's NATS credentials; this class checks the join token (compared in
// constant time), the protocol version, and that every later message comes from the process that joined
// (its incarnation) and speaks only for its own hosts and their current workers. Anything else is refused or
// dropped and written to the pool's FabricController.log. Every payload is parsed with a schema
// (common/host-node-protocol.ts): one bad message from a node is logged and skipped, never thrown.
import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PermissionViolationError, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { EmulatedClock } from '../common/emulated-clock';
import { FabricErrors } from '../common/fabric-errors';
import type { FromHost, ToHost } from '../common/host-protocol';
import {
  defaultSubjectPrefix,
  describeIssues,
  joinRequestSchema,
  nodeLoopbackAddress,
  nodeProtocolVersion,
  nodeReportSchema,
  remoteFromHostSchema,
  subjects,
  type JoinReply,
  type NodeControl,
  type NodeLogReply,
  type NodeLogRequest,
} from '../common/host-node-protocol';
import type { PhaseTimings } from '../common/timings';
import type { LogFileInfo, LogPageRequest, LogPageView, LogTextView } from '../common/log-api';
import type { ComponentLog } from '../logs/component-log';
import type { FabricController } from './fabric-controller';
import type { HostLink } from './host-link';
import { connectNats, natsServerName, type NatsSettings } from './nats-connection';

export interface HostNodesOptions extends NatsSettings {
  /** The fabric join token every node must present. */
  joinToken: string;
  subjectPrefix?: string;
}

interface HostNodesContext {
  controllers: readonly FabricController[];
  /** Real ms a host must be silent beyond its emulated timeout (FabricOptions.hostSilenceFloorMs); a node gets at least as long. */
  silenceFloorMs: number;
  clock: EmulatedClock;
  seed: () => number;
  timings: PhaseTimings;
  /** FabricController.log of a pool, where node joins and refusals are written. */
  log: (poolId: string) => ComponentLog;
}

/** A node's file ids in the fabric's API: `nodes/<node>/<its own id>`. */
export const nodeFilePrefix = 'nodes/';

/** How long a log request to a node may take before the fabric answers without it. */
const logRequestTimeoutMs = 5_000;
/**
 * Real ms of silence after which a node counts as gone (killed, paused, cut off; it beats every second,
 * serve/host-node.ts). Its hosts fail by their own silence, as any host does; what this decides is that a node
 * heard again afterwards has come back, and joins again empty.
 */
const nodeLostAfterMs = 5_000;

/** What crossed NATS with one node: messages and bytes each way. */
export interface NodeTraffic {
  node: string;
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
}

interface NodeState {
  name: string;
  incarnation: string;
  poolId: string;
  hosts: number;
  cores: number;
  /** Where its instances listen (its --dip-address, else its loopback): the only address the fabric takes their endpoints at. */
  dipAddress: string;
  /** The current link of each of the node's hosts that is powered on. */
  links: Map<string, RemoteHostLink>;
  outbox: NodeControl[];
  /** performance.now() of its last report. */
  heardAt: number;
  traffic: NodeTraffic;
  /** Silent for longer than nodeLostAfterMs: heard again, it is asked to join again. */
  lost: boolean;
}

/** A host whose OS is a worker thread on a host node; `worker` counts its power-ons, so a restarted host's old words are stale. */
class RemoteHostLink implements HostLink {
  private exited = false;
  private partitioned = false;
  /** The node has said something for this worker since it was (re)booted by the node's current process. */
  heard = false;

  constructor(
    readonly hostId: string,
    readonly worker: number,
    readonly node: NodeState,
    private readonly nodes: HostNodes,
    readonly onMessage: (message: FromHost) => void,
    private readonly onExit: (reason: string) => void,
  ) {}

  send(message: ToHost): void {
    if (this.exited || this.partitioned) return;
    if (message.type === 'init') this.boot(message.seed, message.timings, message.silenceFloorMs);
    // The node's own clock follows the fabric's (HostNodes.clockChanged) and tells its workers.
    else if (message.type === 'clock-changed') return;
    else this.nodes.control(this.node, { type: 'to-host', hostId: this.hostId, worker: this.worker, message });
  }

  boot(seed: number, timings: PhaseTimings, silenceFloorMs?: number): void {
    this.heard = false;
    this.nodes.control(this.node, { type: 'boot-host', hostId: this.hostId, worker: this.worker, init: { seed, timings: { ...timings }, ...(silenceFloorMs !== undefined ? { silenceFloorMs } : {}) } });
  }

  partition(): void {
    this.partitioned = true;
  }

  terminate(): Promise<void> {
    this.stop(false, 'powered off by the fabric controller');
    return Promise.resolve();
  }

  get alive(): boolean {
    return !this.exited;
  }

  async shutdown(): Promise<void> {
    this.stop(true, 'shut down');
  }

  /** The node said the worker ended, or the fabric stopped it. */
  ended(reason: string): void {
    if (this.exited) return;
    this.exited = true;
    this.nodes.forget(this);
    this.onExit(reason);
  }

  private stop(graceful: boolean, reason: string): void {
    if (this.exited) return;
    this.nodes.control(this.node, { type: 'stop-host', hostId: this.hostId, worker: this.worker, graceful });
    this.ended(reason);
  }
}

export class HostNodes {
  private connection: NatsConnection | null = null;
  private readonly subscriptions: Subscription[] = [];
  private readonly nodes = new Map<string, NodeState>();
  private readonly subjects: ReturnType<typeof subjects>;
  private readonly tokenDigest: Buffer;
  private workers = 0;
  /** (node, incarnation) pairs already logged as stale, so a stale node is logged once, not per message. */
  private readonly staleLogged = new Set<string>();
  private flushQueued = false;
  private lostTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: HostNodesOptions,
    private readonly context: HostNodesContext,
  ) {
    if (options.joinToken.length < 16) throw FabricErrors.joinTokenTooShort(16);
    this.tokenDigest = digest(options.joinToken);
    this.subjects = subjects(options.subjectPrefix ?? defaultSubjectPrefix);
  }

  get server(): string {
    return natsServerName(this.options);
  }

  async start(): Promise<void> {
    const connection = await connectNats(this.options, 'fabric-lab fabric');
    this.connection = connection;
    const on = (what: string, handle: (msg: Msg) => void) => ({
      callback: (error: Error | null, msg: Msg): void => {
        if (!error) this.guard(what, () => handle(msg));
      },
    });
    this.subscriptions.push(
      connection.subscribe(this.subjects.joinAny, on('join', (msg) => this.join(msg))),
      connection.subscribe(this.subjects.legacyJoin, on('join', (msg) => this.join(msg))),
      connection.subscribe(this.subjects.clock, on('clock', (msg) => void msg.respond(JSON.stringify(this.clockReading())))),
      connection.subscribe(this.subjects.fromAny, on('report', (msg) => this.report(msg))),
    );
    void this.watchConnection(connection);
    await connection.flush();
    this.lostTimer = setInterval(() => this.watchNodes(), 1_000);
    this.lostTimer.unref();
  }

  /** The NATS server refusing the fabric's own user a subject (a subscription, a publish): written where a user looks. */
  private async watchConnection(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (status.type === 'error' && status.error instanceof PermissionViolationError) {
        this.context.log(this.context.controllers[0]!.pool.id).write('ERROR', `Host nodes: the NATS server refuses the fabric's ${status.error.operation} on ${status.error.subject}; no node can join or be heard until the fabric's NATS user is allowed the subjects fabric-lab nats-config gives it.`);
      }
    }
  }

  private watchNodes(): void {
    const now = performance.now();
    for (const node of this.nodes.values()) {
      if (node.lost || now - node.heardAt < Math.max(nodeLostAfterMs, this.context.silenceFloorMs)) continue;
      node.lost = true;
      this.context.log(node.poolId).write('WARN', `Host node ${node.name} has been silent for ${Math.round((now - node.heardAt) / 1000)} s (its process killed or paused, or its network cut); its hosts fail by their own silence. Heard again, it joins again empty.`);
    }
  }

  /** The clock changed (scale, pause): every node sets its own clock, and its workers re-arm. */
  clockChanged(): void {
    for (const node of this.nodes.values()) this.control(node, { type: 'clock', clock: this.clockReading() });
  }

  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  /** Messages and bytes through NATS per node, since it first joined (the bench's messages/s per node). */
  traffic(): NodeTraffic[] {
    return [...this.nodes.values()].map((n) => ({ ...n.traffic }));
  }

  /** Queue a message for a node; a node's messages of one turn go as one NATS message. */
  control(node: NodeState, message: NodeControl): void {
    node.outbox.push(message);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  forget(link: RemoteHostLink): void {
    if (link.node.links.get(link.hostId) === link) link.node.links.delete(link.hostId);
  }

  /** An instance's log files on every node that ran it (an instance healed elsewhere has files on both). */
  async listInstanceLogs(deploymentId: string, instanceName: string): Promise<LogFileInfo[]> {
    const lists = await Promise.all(
      [...this.nodes.keys()].map(async (node) => {
        const files = (await this.askNode(node, { op: 'list-instance', deploymentId, instanceName }).catch(() => null)) as LogFileInfo[] | null;
        return (files ?? []).map((f) => ({ ...f, file: `${nodeFilePrefix}${node}/${f.file}` }));
      }),
    );
    return lists.flat();
  }

  /** The host agent's log of a node's host, or null when the host is not a node's. */
  async listHostLogs(hostId: string): Promise<LogFileInfo[] | null> {
    const node = [...this.nodes.values()].find((n) => hostId.startsWith(`${n.poolId}-${n.name}-`));
    if (!node) return null;
    const files = (await this.askNode(node.name, { op: 'list-host', hostId })) as LogFileInfo[] | null;
    return (files ?? []).map((f) => ({ ...f, file: `${nodeFilePrefix}${node.name}/${f.file}` }));
  }

  /** A page of a node's file; `file` is `nodes/<node>/<file>`. */
  async readLog({ file: id, fromLine, count, as }: LogPageRequest): Promise<LogPageView | LogTextView> {
    const rest = id.slice(nodeFilePrefix.length);
    const slash = rest.indexOf('/');
    const node = slash > 0 ? rest.slice(0, slash) : '';
    if (!this.nodes.has(node)) throw FabricErrors.hostNodeNotFound(node, id);
    const page = (await this.askNode(node, { op: 'read', file: rest.slice(slash + 1), fromLine, count, ...(as ? { as } : {}) })) as LogPageView | LogTextView;
    return { ...page, file: id };
  }

  /**
   * Copy every node's session files into `<sessionDir>/nodes/<node>/` before an export, so the archive holds
   * the whole fabric's session. A node that does not answer is left out, and the manifest says so.
   */
  async mirrorInto(sessionDir: string): Promise<{ node: string; files: number; error?: string }[]> {
    return Promise.all(
      [...this.nodes.keys()].map(async (node) => {
        try {
          const files = (await this.askNode(node, { op: 'walk' })) as { file: string; size: number }[];
          for (const { file, size } of files) await this.copyFile(node, file, size, join(sessionDir, 'nodes', node, ...file.split('/')));
          return { node, files: files.length };
        } catch (error) {
          return { node, files: 0, error: (error as Error).message };
        }
      }),
    );
  }

  async close(): Promise<void> {
    const connection = this.connection;
    if (this.lostTimer) clearInterval(this.lostTimer);
    if (!connection) return;
    // The nodes outlive this fabric: they drop their hosts and wait to join the next one.
    for (const node of this.nodes.values()) this.control(node, { type: 'rejoin', incarnation: node.incarnation, reason: 'The fabric shut down.' });
    this.flush();
    this.connection = null;
    for (const sub of this.subscriptions) sub.unsubscribe();
    try {
      await connection.drain();
    } catch {
      // Already closed (the server went away): nothing left to send.
    }
  }

  private async copyFile(node: string, file: string, size: number, target: string): Promise<void> {
    await mkdir(dirname(target), { recursive: true });
    const out = await open(target, 'w');
    try {
      const chunk = 512 * 1024;
      for (let offset = 0; offset < size; offset += chunk) {
        const base64 = (await this.askNode(node, { op: 'read-bytes', file, offset, length: Math.min(chunk, size - offset) })) as string;
        const bytes = Buffer.from(base64, 'base64');
        if (bytes.length === 0) break;
        await out.write(bytes);
      }
    } finally {
      await out.close();
    }
  }

  private async askNode(node: string, request: NodeLogRequest): Promise<unknown> {
    const connection = this.connection;
    if (!connection) throw FabricErrors.natsNotConnected();
    let reply: NodeLogReply;
    try {
      const msg = await connection.request(this.subjects.logs(node), JSON.stringify(request), { timeout: logRequestTimeoutMs });
      reply = msg.json<NodeLogReply>();
    } catch (error) {
      throw FabricErrors.hostNodeSilent(node, (error as Error).message);
    }
    if (reply && typeof reply === 'object' && 'error' in reply) {
      throw FabricErrors.fromHostNode(node, String(reply.error.code), String(reply.error.message));
    }
    return (reply as { result: unknown }).result;
  }

  private flush(): void {
    this.flushQueued = false;
    const connection = this.connection;
    for (const node of this.nodes.values()) {
      if (node.outbox.length === 0) continue;
      const batch = node.outbox;
      node.outbox = [];
      if (!connection || connection.isClosed()) continue;
      const data = JSON.stringify(batch);
      node.traffic.messagesOut++;
      node.traffic.bytesOut += data.length;
      connection.publish(this.subjects.control(node.name), data);
    }
  }

  /** The rate emulated time runs at is the kept scale (common/emulated-clock.ts): that is what a node's workers must follow. */
  private clockReading(): { now: number; scale: number; paused: boolean } {
    const { now, keptScale, paused } = this.context.clock.read();
    return { now, scale: keptScale, paused };
  }

  private guard(what: string, act: () => void): void {
    try {
      act();
    } catch (error) {
      this.context.log(this.context.controllers[0]!.pool.id).write('ERROR', `Host nodes: a ${what} message could not be handled: ${(error as Error).message}`);
    }
  }

  private join(msg: Msg): void {
    const answer = (reply: JoinReply): void => void msg.respond(JSON.stringify(reply));
    const firstPool = this.context.controllers[0]!.pool.id;
    let raw: unknown;
    try {
      raw = msg.json();
    } catch {
      this.context.log(firstPool).write('WARN', 'Host node refused: its join request is not JSON.');
      return answer({ accepted: false, reason: 'The join request is not JSON.' });
    }
    const parsed = joinRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const reason = `The join request is malformed: ${describeIssues(parsed.error)}.`;
      this.context.log(firstPool).write('WARN', `Host node refused: ${reason}`);
      return answer({ accepted: false, reason });
    }
    const request = parsed.data;
    const subjectNode = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
    const controller = this.context.controllers.find((c) => c.pool.region.toLowerCase() === request.region.toLowerCase());
    const log = this.context.log(controller?.pool.id ?? firstPool);
    const refuse = (reason: string) => {
      log.write('WARN', `Host node ${request.node} refused: ${reason}`);
      answer({ accepted: false, reason });
    };
    if (!timingSafeEqual(digest(request.token), this.tokenDigest)) return refuse('wrong join token (a rogue node, or one started for another fabric).');
    if (msg.subject === this.subjects.legacyJoin) return refuse(`it asked on ${msg.subject}, where nodes of host-node protocol 1 ask; this fabric speaks ${nodeProtocolVersion} (run the same Fabric Lab version on both).`);
    // The subject says who sent it (a NATS server can allow each node only its own): a node joins only as itself.
    if (subjectNode !== request.node) return refuse(`it asked to join as ${request.node} on ${subjectNode}'s subject.`);
    if (request.protocol !== nodeProtocolVersion) return refuse(`it speaks host-node protocol ${request.protocol}; this fabric speaks ${nodeProtocolVersion} (run the same Fabric Lab version on both).`);
    if (!controller) return refuse(`no machine pool is in region "${request.region}"; this fabric's regions: ${this.context.controllers.map((c) => c.pool.region).join(', ')}.`);
    const known = this.nodes.get(request.node);
    if (known && (known.hosts !== request.hosts || known.cores !== request.cores || known.poolId !== controller.pool.id)) {
      return refuse(`a node named ${request.node} joined before with ${known.hosts} host(s) of ${known.cores} cores in ${known.poolId}; start it with the same --pool, or give it another --name.`);
    }
    const node: NodeState = known ?? { name: request.node, incarnation: request.incarnation, poolId: controller.pool.id, hosts: request.hosts, cores: request.cores, dipAddress: nodeLoopbackAddress, links: new Map(), outbox: [], heardAt: 0, lost: false, traffic: { node: request.node, messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0 } };
    node.heardAt = performance.now();
    node.lost = false;
    node.dipAddress = request.dipAddress ?? nodeLoopbackAddress;
    const comeback = known !== undefined && known.incarnation !== request.incarnation;
    node.incarnation = request.incarnation;
    this.nodes.set(node.name, node);
    const hostIds = controller.addNodeHosts(node.name, request.hosts, request.cores, (hostId, onMessage, onExit) => this.link(node, hostId, onMessage, onExit), comeback);
    // A node that lost the fabric for a while (a NATS restart) may have missed a boot: send those again.
    for (const link of node.links.values()) if (!link.heard) link.boot(this.context.seed(), this.context.timings);
    answer({ accepted: true, poolId: controller.pool.id, hostIds, clock: this.clockReading(), seed: this.context.seed() });
  }

  private link(node: NodeState, hostId: string, onMessage: (message: FromHost) => void, onExit: (reason: string) => void): HostLink {
    node.links.get(hostId)?.ended('replaced by a new power-on');
    const link = new RemoteHostLink(hostId, ++this.workers, node, this, onMessage, onExit);
    node.links.set(hostId, link);
    return link;
  }

  private report(msg: Msg): void {
    const name = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
    const node = this.nodes.get(name);
    if (node) {
      node.traffic.messagesIn++;
      node.traffic.bytesIn += msg.data.length;
    }
    let raw: unknown;
    try {
      raw = msg.json();
    } catch {
      return this.stale(name, '(not JSON)', 'a message that is not JSON');
    }
    const parsed = nodeReportSchema.safeParse(raw);
    if (!parsed.success) return this.stale(name, '(malformed)', `a malformed report (${describeIssues(parsed.error)})`);
    const report = parsed.data;
    if (!node || node.incarnation !== report.incarnation) {
      this.stale(name, report.incarnation, node ? 'messages from an earlier process of this node' : 'messages, but it never joined');
      // The process the fabric does not know is told to join again (or, if rogue, ignores it).
      if (node || /^[A-Za-z0-9_-]+$/.test(name)) {
        const connection = this.connection;
        connection?.publish(this.subjects.control(name), JSON.stringify([{ type: 'rejoin', incarnation: report.incarnation, reason: 'The fabric does not know this node process; join again.' }]));
      }
      return;
    }
    if (node.lost) {
      // Back from silence (a paused process, a cut link): what it still runs is stale, so it starts again empty.
      node.lost = false;
      node.heardAt = performance.now();
      this.context.log(node.poolId).write('WARN', `Host node ${node.name} is heard again after its silence; asking it to join again empty.`);
      this.control(node, { type: 'rejoin', incarnation: node.incarnation, reason: 'The fabric lost this node for a while; its hosts are restarted or repaired.' });
      return;
    }
    node.heardAt = performance.now();
    for (const entry of report.hosts) {
      const link = node.links.get(entry.hostId);
      // A restarted or powered-off host's old worker: what it still says is stale.
      if (!link || link.worker !== entry.worker) continue;
      link.heard = true;
      for (const message of entry.messages) {
        const checked = remoteFromHostSchema.safeParse(message);
        if (!checked.success) {
          this.context.log(node.poolId).write('WARN', `Host node ${node.name}: a message from ${entry.hostId} was dropped: ${describeIssues(checked.error)}.`);
          continue;
        }
        const data = checked.data;
        const elsewhere = data.type === 'instance-endpoints' ? addressElsewhere(data, node.dipAddress) : null;
        if (elsewhere !== null && data.type === 'instance-endpoints') {
          // The load balancer would send the public's connections there: a node's instances are only at its own address.
          this.context.log(node.poolId).write('WARN', `Host node ${node.name}: ${entry.hostId} reported ${data.instanceId.slice(0, 200)} at ${elsewhere.slice(0, 100)}, not at the node's address ${node.dipAddress}; dropped.`);
          continue;
        }
        link.onMessage(data as FromHost);
      }
    }
    for (const entry of report.exited) {
      const link = node.links.get(entry.hostId);
      if (link && link.worker === entry.worker) link.ended(`host worker on node ${node.name} ended: ${entry.reason}`);
    }
  }

  private stale(name: string, incarnation: string, what: string): void {
    const key = `${name}/${incarnation}`;
    if (this.staleLogged.has(key)) return;
    if (this.staleLogged.size > 1_000) this.staleLogged.clear();
    this.staleLogged.add(key);
    const node = this.nodes.get(name);
    this.context.log(node?.poolId ?? this.context.controllers[0]!.pool.id).write('WARN', `Host node "${name.slice(0, 40)}" sent ${what}; ignored.`);
  }
}

/** The first address an instance-endpoints report gives that is not `address` (the node's), or null when all are. */
function addressElsewhere(
  message: { endpoints: { address: string | null }[]; ipAddress?: string | null | undefined; roleEndpoints?: Record<string, { address?: string | undefined }> | undefined },
  address: string,
): string | null {
  if (message.ipAddress && message.ipAddress !== address) return message.ipAddress;
  for (const e of message.endpoints) if (e.address !== null && e.address.slice(0, e.address.lastIndexOf(':')) !== address) return e.address;
  for (const e of Object.values(message.roleEndpoints ?? {})) if (e.address !== undefined && e.address !== address) return e.address;
  return null;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
