// `fabric-lab host-node`: a process, on this machine or another, whose host workers join a fabric's machine
// pool through a NATS server. Each host is a worker thread running the same host-worker.cjs as the fabric's
// own hosts (one per host, as always), driven by the same host protocol (common/host-protocol.ts) carried
// over NATS (common/host-node-protocol.ts) instead of postMessage. The node keeps its own copy of the
// fabric's clock in a SharedArrayBuffer its workers read, set from the fabric's readings; its instances
// write their logs into the node's own session folder, which the fabric reads over NATS request/reply.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PermissionViolationError, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { EmulatedClock } from '../common/emulated-clock';
import { FabricError, FabricErrors } from '../common/fabric-errors';
import {
  clockReadingSchema,
  defaultSubjectPrefix,
  describeIssues,
  joinReplySchema,
  nodeControlBatchSchema,
  nodeLogRequestSchema,
  nodeProtocolVersion,
  subjects,
  type JoinRequest,
  type NodeClockReading,
  type NodeControl,
  type NodeLogReply,
  type NodeLogRequest,
  type NodeReport,
} from '../common/host-node-protocol';
import { withHostHeartbeat, type FromHost, type ToHost } from '../common/host-protocol';
import type { PhaseTimings } from '../common/timings';
import { HostCode } from '../fabric/host-code-cache';
import { HostProxy } from '../fabric/host-proxy';
import { connectNats, natsServerName, type NatsSettings } from '../fabric/nats-connection';
import { walkSession } from '../logs/session-archive';
import { listComponentLogs, listInstanceLogs, readSessionPage, readSessionText, resolveSessionFile } from '../logs/session-files';
import { logDescriptorShare } from '../fabric/descriptor-share';

export interface HostNodeOptions extends NatsSettings {
  name: string;
  region: string;
  hosts: number;
  cores: number;
  joinToken: string;
  /** The built host worker (out/main/host-worker.cjs). */
  hostWorkerUrl: URL;
  /** Where this node's instances write their logs (default: a new fabric-lab-node-<name>-... in the temp folder). */
  sessionDir?: string;
  subjectPrefix?: string;
  /** The address this machine's instances listen on, which the fabric's load balancer reaches (default 127.0.0.1: the fabric's machine only). */
  dipAddress?: string;
  /** Where V8's cache of the host OS's code is kept between launches (fabric/host-code-cache.ts); default: not kept. */
  hostCodeCacheDir?: string;
  /** Where the node says what it does (the console by default). */
  say?: (line: string) => void;
}

/** The fabric refused this node: a wrong token, a region it has no pool in... Retrying will not help. */
export class NodeRefusedError extends Error {
  override name = 'NodeRefusedError';
}

interface RunningHost {
  worker: number;
  proxy: HostProxy;
}

/** Real ms between join attempts while no fabric answers on the NATS server. */
const joinRetryMs = 1_000;
/** Real ms between the node's own beats: a report, empty if need be, so the fabric knows the process is there. */
export const nodeBeatMs = 1_000;

export class HostNode {
  readonly sessionDir: string;
  private incarnation = randomUUID();
  /** The fabric's clock as this node follows it; its workers read this buffer. */
  readonly clock = new EmulatedClock(undefined, { startAt: Date.now(), scale: 1 });
  private connection: NatsConnection | null = null;
  private readonly subjects: ReturnType<typeof subjects>;
  private readonly running = new Map<string, RunningHost>();
  /** The host ids the fabric gave this node when it joined. */
  private hostIds = new Set<string>();
  private joined = false;
  /** Controls that arrived before the join's answer (the fabric boots hosts as it accepts the node). */
  private early: NodeControl[] = [];
  private seed = 0;
  /** Half the join's round trip: how far behind the fabric's clock a reading arrives. */
  private latencyMs = 0;
  private report: NodeReport = { incarnation: '', hosts: [], exited: [] };
  private reportQueued = false;
  private closed = false;
  /** Why the node stopped on its own, if it did. */
  private failure: Error | null = null;
  private joining: Promise<void> | null = null;
  private beat = false;
  private beatTimer: NodeJS.Timeout | null = null;
  /** NATS messages and bytes out (the bench's messages/s per node). */
  readonly counters = { published: 0, received: 0, bytesOut: 0 };
  private readonly say: (line: string) => void;
  private readonly hostCode: HostCode;

  constructor(private readonly options: HostNodeOptions) {
    this.subjects = subjects(options.subjectPrefix ?? defaultSubjectPrefix);
    this.say = options.say ?? ((line) => console.log(`host-node ${options.name}: ${line}`));
    this.hostCode = new HostCode(options.hostWorkerUrl, options.hostCodeCacheDir, (level, message) => this.say(level === 'WARN' ? `warning: ${message}` : message));
    if (options.sessionDir) mkdirSync(options.sessionDir, { recursive: true });
    this.sessionDir = options.sessionDir ?? mkdtempSync(join(tmpdir(), `fabric-lab-node-${options.name}-`));
  }

  /** Connect and join; resolves once the fabric accepted the node, throws NodeRefusedError if it refused. */
  async start(): Promise<void> {
    // Checked before joining: an address this machine does not have would fail every instance's start instead.
    if (this.options.dipAddress) await canListenOn(this.options.dipAddress);
    const connection = await connectNats(this.options, `fabric-lab host-node ${this.options.name}`, this.subjects.nodeInbox(this.options.name));
    this.connection = connection;
    connection.subscribe(this.subjects.control(this.options.name), {
      callback: (error, msg) => {
        if (!error) this.guard(() => this.control(msg));
      },
    });
    connection.subscribe(this.subjects.logs(this.options.name), {
      callback: (error, msg) => {
        if (!error) void this.logs(msg);
      },
    });
    void this.watchConnection(connection);
    await this.join();
    // Stopped while joining (the NATS server refused this node one of its subjects): say why to whoever started it.
    if (this.failure) throw this.failure;
    this.beatTimer = setInterval(() => {
      this.beat = true;
      this.queue();
    }, nodeBeatMs);
  }

  get hosts(): string[] {
    return [...this.hostIds];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.beatTimer) clearInterval(this.beatTimer);
    await Promise.all([...this.running.values()].map((h) => h.proxy.shutdown(1_000)));
    this.running.clear();
    this.flush();
    const connection = this.connection;
    this.connection = null;
    try {
      await connection?.drain();
    } catch {
      // The server is gone: nothing left to send.
    }
  }

  private guard(act: () => void): void {
    try {
      act();
    } catch (error) {
      this.say(`a message from the fabric could not be handled: ${(error as Error).message}`);
    }
  }

  /** Join (or join again): one at a time; retried while no fabric answers, never after a refusal. */
  private join(): Promise<void> {
    this.joining ??= this.tryJoin().finally(() => (this.joining = null));
    return this.joining;
  }

  private async tryJoin(): Promise<void> {
    let waited = false;
    for (;;) {
      if (this.closed) return;
      const connection = this.connection;
      if (!connection) return;
      const request: JoinRequest = {
        protocol: nodeProtocolVersion,
        node: this.options.name,
        incarnation: this.incarnation,
        token: this.options.joinToken,
        region: this.options.region,
        hosts: this.options.hosts,
        cores: this.options.cores,
        ...(this.options.dipAddress ? { dipAddress: this.options.dipAddress } : {}),
      };
      const sentAt = performance.now();
      let raw: unknown;
      try {
        raw = (await connection.request(this.subjects.join(this.options.name), JSON.stringify(request), { timeout: 5_000 })).json();
      } catch (error) {
        if (this.closed) return;
        // The server refuses this user the node's own subjects: another node's user (or a wrong --name). Waiting will not help.
        if (/permission/i.test(`${(error as Error).message} ${String((error as { cause?: unknown }).cause ?? '')}`)) {
          throw new NodeRefusedError(`the NATS server does not let this user join as ${this.options.name} (${(error as Error).message}); each node joins with its own NATS user, named as its --name`);
        }
        if (!waited) this.say(`no fabric answers on ${natsServerName(this.options)} yet (${(error as Error).message}); trying again every second.`);
        waited = true;
        await new Promise((resolve) => setTimeout(resolve, joinRetryMs));
        continue;
      }
      const reply = joinReplySchema.safeParse(raw);
      if (!reply.success) throw new NodeRefusedError(`the fabric's answer to the join is malformed: ${describeIssues(reply.error)}`);
      if (!reply.data.accepted) throw new NodeRefusedError(`the fabric refused this node: ${reply.data.reason}`);
      this.latencyMs = (performance.now() - sentAt) / 2;
      this.follow(reply.data.clock);
      this.seed = reply.data.seed;
      this.hostIds = new Set(reply.data.hostIds);
      this.joined = true;
      this.say(`joined ${reply.data.poolId} with ${reply.data.hostIds.length} host(s): ${reply.data.hostIds.join(', ')}; logs in ${this.sessionDir}`);
      const early = this.early;
      this.early = [];
      for (const message of early) this.guard(() => this.apply(message));
      return;
    }
  }

  /** After a NATS outage the fabric may have missed us or we it: join again with the same process, which keeps running hosts. */
  private async watchConnection(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      // Its user may not use one of this node's subjects (its control or logs, its reports): nothing would work, so
      // say which and stop. A refused join is the join's own refusal (tryJoin).
      if (status.type === 'error' && status.error instanceof PermissionViolationError && status.error.subject !== this.subjects.join(this.options.name)) {
        this.fail(new NodeRefusedError(`the NATS server refuses this node's ${status.error.operation} on ${status.error.subject}: its NATS user must be allowed this node's subjects (fabric-lab nats-config --node ${this.options.name})`));
      }
      if (status.type === 'disconnect') this.say(`lost the NATS server ${natsServerName(this.options)}; reconnecting.`);
      if (status.type === 'reconnect' && this.joined && !this.closed) {
        this.say('reconnected to the NATS server; joining the fabric again.');
        this.join().catch((error: unknown) => this.fail(error));
      }
    }
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    this.failure = error as Error;
    this.say(`${(error as Error).message}; stopping.`);
    void this.close().then(() => {
      process.exitCode = 1;
    });
  }

  private control(msg: Msg): void {
    this.counters.received++;
    const parsed = nodeControlBatchSchema.safeParse(msg.json());
    if (!parsed.success) {
      this.say(`a malformed message from the fabric was dropped: ${describeIssues(parsed.error)}`);
      return;
    }
    for (const message of parsed.data) {
      if (!this.joined && message.type !== 'rejoin') this.early.push(message);
      else this.guard(() => this.apply(message));
    }
  }

  private apply(message: NodeControl): void {
    switch (message.type) {
      case 'boot-host':
        return this.boot(message.hostId, message.worker, message.init);
      case 'stop-host': {
        const host = this.running.get(message.hostId);
        if (!host || host.worker !== message.worker) return;
        this.running.delete(message.hostId);
        if (message.graceful) void host.proxy.shutdown(1_000);
        else void host.proxy.terminate();
        return;
      }
      case 'to-host': {
        const host = this.running.get(message.hostId);
        if (host && host.worker === message.worker) host.proxy.send(message.message as unknown as ToHost);
        return;
      }
      case 'clock':
        this.follow(message.clock);
        for (const host of this.running.values()) host.proxy.send({ type: 'clock-changed' });
        return;
      case 'rejoin':
        if (message.incarnation !== this.incarnation) return;
        this.say(`the fabric asks this node to join again (${message.reason}); dropping every host.`);
        this.dropAll();
        this.incarnation = randomUUID();
        this.joined = false;
        this.join().catch((error: unknown) => this.fail(error));
        return;
    }
  }

  private dropAll(): void {
    for (const host of this.running.values()) void host.proxy.terminate();
    this.running.clear();
    this.report = { incarnation: this.incarnation, hosts: [], exited: [] };
  }

  /** The fabric's clock reading, moved on by the time it spent on the way. */
  private follow(reading: NodeClockReading): void {
    const checked = clockReadingSchema.parse(reading);
    const ahead = checked.paused ? 0 : this.latencyMs * checked.scale;
    this.clock.follow({ now: checked.now + ahead, scale: checked.scale, paused: checked.paused });
  }

  private boot(hostId: string, worker: number, init: { seed: number; timings: Record<string, number>; silenceFloorMs?: number | undefined }): void {
    if (!this.hostIds.has(hostId)) {
      this.say(`the fabric asked to boot ${hostId.slice(0, 80)}, which is not one of this node's hosts; ignored.`);
      return;
    }
    // A power cycle: the old worker goes first, with every guest on it.
    void this.running.get(hostId)?.proxy.terminate();
    // Only the current worker of a host speaks for it: one the fabric stopped, or that a rejoin dropped, may still exit late.
    const current = () => this.running.get(hostId)?.proxy === proxy;
    const proxy: HostProxy = new HostProxy(
      hostId,
      this.options.hostWorkerUrl,
      (message) => current() && this.fromHost(hostId, worker, message),
      (reason) => {
        if (!current()) return;
        this.running.delete(hostId);
        this.queue().exited.push({ hostId, worker, reason });
      },
      { hostCode: this.hostCode },
    );
    this.running.set(hostId, { worker, proxy });
    this.seed = init.seed;
    proxy.send({ type: 'init', hostId, clock: this.clock.buffer, seed: init.seed, timings: init.timings as unknown as PhaseTimings, sessionDir: this.sessionDir, maxOpenLogs: logDescriptorShare(this.options.hosts), ...(init.silenceFloorMs !== undefined ? { silenceFloorMs: init.silenceFloorMs } : {}), ...(this.options.dipAddress ? { dipAddress: this.options.dipAddress } : {}) });
  }

  private fromHost(hostId: string, worker: number, message: FromHost): void {
    const report = this.queue();
    let entry = report.hosts.find((h) => h.hostId === hostId && h.worker === worker);
    if (!entry) {
      entry = { hostId, worker, messages: [] };
      report.hosts.push(entry);
    }
    // As in the worker: of one turn's host heartbeats one goes, carrying what the earlier ones reported.
    if (message.type === 'host-heartbeat') entry.messages = withHostHeartbeat(entry.messages as FromHost[], message);
    else entry.messages.push(message);
  }

  /** This turn's report, sent as one NATS message once the turn's worker messages are in. */
  private queue(): NodeReport {
    if (!this.reportQueued) {
      this.reportQueued = true;
      setImmediate(() => this.flush());
    }
    return this.report;
  }

  private flush(): void {
    this.reportQueued = false;
    const report = { ...this.report, incarnation: this.incarnation };
    this.report = { incarnation: this.incarnation, hosts: [], exited: [] };
    const connection = this.connection;
    const beat = this.beat;
    this.beat = false;
    if (!connection || connection.isClosed() || !this.joined || (report.hosts.length === 0 && report.exited.length === 0 && !beat)) return;
    const data = JSON.stringify(report);
    this.counters.published++;
    this.counters.bytesOut += data.length;
    connection.publish(this.subjects.from(this.options.name), data);
  }

  private async logs(msg: Msg): Promise<void> {
    let reply: NodeLogReply;
    try {
      const parsed = nodeLogRequestSchema.safeParse(msg.json());
      if (!parsed.success) throw FabricErrors.badNodeLogRequest(describeIssues(parsed.error));
      reply = { result: await this.answerLogs(parsed.data) };
    } catch (error) {
      reply = { error: { code: error instanceof FabricError ? error.code : 'Internal', message: (error as Error).message } };
    }
    msg.respond(JSON.stringify(reply));
  }

  private async answerLogs(request: NodeLogRequest): Promise<unknown> {
    switch (request.op) {
      case 'list-instance':
        return listInstanceLogs(this.sessionDir, request.deploymentId, request.instanceName);
      case 'list-host':
        if (!this.hostIds.has(request.hostId)) throw FabricErrors.notHostOfNode(request.hostId);
        return listComponentLogs(this.sessionDir, { kind: 'host-agent', hostId: request.hostId });
      case 'read':
        return (request.as === 'text' ? readSessionText : readSessionPage)(this.sessionDir, request.file, request.fromLine, request.count);
      case 'walk':
        return (await walkSession(this.sessionDir, [])).filter((e) => e.name.startsWith('instances/') || e.name.startsWith('fabric/')).map((e) => ({ file: e.name, size: e.size }));
      case 'read-bytes': {
        const file = await resolveSessionFile(this.sessionDir, request.file);
        const handle = await open(file, 'r');
        try {
          const buffer = Buffer.alloc(request.length);
          const { bytesRead } = await handle.read(buffer, 0, request.length, request.offset);
          return buffer.subarray(0, bytesRead).toString('base64');
        } finally {
          await handle.close();
        }
      }
    }
  }
}

/** Whether an instance could listen on `address` here; throws NodeRefusedError saying why not. */
async function canListenOn(address: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new NodeRefusedError(`--dip-address ${address}: nothing can listen on it here (${error.code ?? error.message}); give an address of this machine that the fabric's machine can reach`)),
    );
    server.listen(0, address, () => server.close(() => resolve()));
  });
}
