// The fabric's handle on one host: the worker thread that is the host OS, and the messages to and from
// its host agent.
import { Worker } from 'node:worker_threads';
import type { FromHost, ToHost } from '../common/host-protocol';
import { HeartbeatRegister, heartbeatRegisterBuffer, type HeartbeatReading } from '../common/heartbeat-register';
import { RingReader, ringBuffer, type HostRingData } from '../common/message-ring';
import type { HostOsScript } from '../common/host-os-script';
import { HostCode } from './host-code-cache';
import type { HostLink } from './host-link';
import { hostRings, type DrainedRing } from './host-rings';

/** Processes of every host's guests still running (host/child-processes.ts), ended if the fabric's process exits. */
const guestProcesses = new Set<number>();
let exitHookInstalled = false;

function endProcess(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
  guestProcesses.delete(pid);
}

/**
 * V8 grows a thread's young generation with its allocation rate (to 48 MiB on 64-bit) and is slow to give it back:
 * 64 busy host workers at 100x held ~2 GiB more after an hour than at its start. Capped at 4 MiB, a host worker's
 * short-lived garbage (heartbeats, log lines) costs a few more scavenges, no measurable CPU (docs/PERFORMANCE.md).
 */
export const hostYoungGenerationMb = 4;

/**
 * V8 lets a thread's old generation grow to up to 4x what survived its last full collection when the thread may grow
 * to gigabytes, and scales that factor down to 1.3x as the thread's limit nears 256 MiB (its MaxGrowingFactor). At
 * 512 MiB (1.4x), 70 times a 32-instance host's live heap, the 64 workers' heaps in the hour-long soak swing about half as
 * far and its RSS stayed within 10%; only the host workers are held to it, not the fabric's main thread (docs/PERFORMANCE.md,
 * "Memory over the soak"). A host that outgrows it ends as a failed host, and the fabric hears why.
 */
export const hostOldGenerationMb = 512;

/** Bytes of each host's message ring: a 32-instance host's turn is a few KiB; a drain every 20 ms leaves it nearly empty. */
export const hostRingBytes = 256 * 1024;
const utf8 = new TextDecoder();

/** A host whose OS is a worker thread of this process. */
export class HostProxy implements HostLink, DrainedRing {
  private readonly worker: Worker;
  private readonly ring: RingReader;
  /** The host agent's heartbeats, read where it writes them; null: they come as messages. */
  private readonly register: HeartbeatRegister | null;
  private readonly hostCode: HostCode;
  private exited = false;
  /** Cut off from the controller: messages are dropped both ways, as on a failed network link. */
  private partitioned = false;
  /** This host's guest processes that are running: the host's death ends them. */
  private readonly processes = new Set<number>();
  /** `flush` requests waiting for their answer, by id. */
  private readonly flushes = new Map<number, () => void>();
  private lastFlushId = 0;

  constructor(
    readonly hostId: string,
    workerUrl: URL,
    private readonly onMessage: (message: FromHost) => void,
    private readonly onExit: (reason: string) => void,
    /**
     * `heartbeatRegister`: a host of the fabric's own process reads its host agent's heartbeats from shared memory
     * (heartbeat-register.ts). `hostCode`: the host OS's code and its cache (default: compiled here, none kept).
     */
    options: { heartbeatRegister?: boolean; hostCode?: HostCode } = {},
  ) {
    const buffer = ringBuffer(hostRingBytes);
    this.ring = new RingReader(buffer);
    const heartbeat = options.heartbeatRegister ? heartbeatRegisterBuffer() : undefined;
    this.register = heartbeat ? new HeartbeatRegister(heartbeat) : null;
    // The host's code compiled once for all hosts (host-code-cache.ts); the ring and register are this host's own.
    this.hostCode = options.hostCode ?? new HostCode(workerUrl, null);
    const hostOs = this.hostCode.forHost();
    const workerData: HostRingData & { hostOs?: HostOsScript } = { ring: buffer, control: hostRings.control, ...(heartbeat ? { heartbeat } : {}), ...(hostOs ? { hostOs } : {}) };
    this.worker = new Worker(workerUrl, { name: hostId, workerData, resourceLimits: { maxYoungGenerationSizeMb: hostYoungGenerationMb, maxOldGenerationSizeMb: hostOldGenerationMb } });
    hostRings.add(this);
    // A turn's messages come together, as an array, through the ring (drained by hostRings), or through the port
    // (child processes, and a record too large for the ring); 'ring' is a host waking the drain loop.
    this.worker.on('message', (posted: 'ring' | FromHost | FromHost[]) => {
      if (posted === 'ring') return hostRings.wake();
      // A host posts only with its ring read to the end (or at its shutdown, after its last records): what the ring
      // holds came first.
      this.drain();
      this.take(posted);
    });
    this.worker.on('error', (error) => this.onMessage({ type: 'error', message: error.message }));
    this.worker.on('exit', (code) => {
      // What the host wrote before it ended is still the fabric's to hear.
      this.drain();
      hostRings.delete(this);
      this.exited = true;
      for (const done of [...this.flushes.values()]) done();
      // The host OS is gone, and every process of its guests with it.
      for (const pid of this.processes) endProcess(pid);
      this.processes.clear();
      this.onExit(`host worker exited with code ${code}`);
    });
  }

  /** The records in this host's ring, handled in order; true if there were any. */
  drain(): boolean {
    let found = false;
    for (;;) {
      let posted: unknown;
      try {
        const record = this.ring.read();
        posted = record && JSON.parse(utf8.decode(record));
      } catch (error) {
        // A record that does not parse is lost alone; the ring reads on.
        this.onMessage({ type: 'error', message: `A message from the host could not be read: ${error instanceof Error ? error.message : String(error)}` });
        return true;
      }
      if (posted === undefined) return found;
      found = true;
      this.take(posted as FromHost | FromHost[]);
    }
  }

  private take(posted: FromHost | FromHost[]): void {
    for (const message of Array.isArray(posted) ? posted : [posted]) {
      if (message.type === 'child-process') this.trackProcess(message.pid, message.running);
      else if (message.type === 'code-cache') this.hostCode.keep(message.data);
      else if (message.type === 'flush') this.flushes.get(message.id)?.();
      else if (!this.partitioned) this.onMessage(message);
    }
  }

  private trackProcess(pid: number, running: boolean): void {
    if (!running) {
      this.processes.delete(pid);
      guestProcesses.delete(pid);
      return;
    }
    this.processes.add(pid);
    guestProcesses.add(pid);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', () => guestProcesses.forEach(endProcess));
    }
  }

  send(message: ToHost): void {
    if (!this.exited && !this.partitioned) this.worker.postMessage(message);
  }

  partition(): void {
    this.partitioned = true;
  }

  /** The host agent's latest heartbeat as written in its register; null before the first, or with the host cut off or gone. */
  heartbeat(): HeartbeatReading | null {
    return this.liveRegister()?.read() ?? null;
  }

  /** The most real ms the host's timers ran behind since the last call (0 without a register, or once it is gone). */
  behind(): number {
    return this.liveRegister()?.takeBehind() ?? 0;
  }

  /** The register while the host can still write it: not once it is cut off or gone. */
  private liveRegister(): HeartbeatRegister | null {
    return this.partitioned || this.exited ? null : this.register;
  }

  /** The host answers in order, through the ring: once its answer is taken, so is everything it wrote before. */
  flush(boundMs: number): Promise<void> {
    if (this.exited || this.partitioned) return Promise.resolve();
    const id = ++this.lastFlushId;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.flushes.delete(id);
        resolve();
      };
      const timer = setTimeout(done, boundMs);
      this.flushes.set(id, done);
      this.send({ type: 'flush', id });
    });
  }

  /** Power the host off at once: the worker thread ends, with every guest VM in it. */
  async terminate(): Promise<void> {
    if (!this.exited) await this.worker.terminate();
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** Ask the host agent to shut down, and terminate the thread if it does not within `graceMs`. */
  async shutdown(graceMs = 1000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.send({ type: 'shutdown' });
    const timer = setTimeout(() => void this.worker.terminate(), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
