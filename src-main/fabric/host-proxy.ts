// The fabric's handle on one host: the worker thread that is the host OS, and the messages to and from
// its host agent.
import { Worker } from 'node:worker_threads';
import type { FromHost, ToHost } from '../common/host-protocol';
import type { HostLink } from './host-link';

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

/** A host whose OS is a worker thread of this process. */
export class HostProxy implements HostLink {
  private readonly worker: Worker;
  private exited = false;
  /** Cut off from the controller: messages are dropped both ways, as on a failed network link. */
  private partitioned = false;
  /** This host's guest processes that are running: the host's death ends them. */
  private readonly processes = new Set<number>();

  constructor(
    readonly hostId: string,
    workerUrl: URL,
    private readonly onMessage: (message: FromHost) => void,
    private readonly onExit: (reason: string) => void,
  ) {
    this.worker = new Worker(workerUrl, { name: hostId, resourceLimits: { maxYoungGenerationSizeMb: hostYoungGenerationMb } });
    // The host agent posts each turn's messages together, as an array (host-worker.ts).
    this.worker.on('message', (posted: FromHost | FromHost[]) => {
      for (const message of Array.isArray(posted) ? posted : [posted]) {
        if (message.type === 'child-process') this.trackProcess(message.pid, message.running);
        else if (!this.partitioned) this.onMessage(message);
      }
    });
    this.worker.on('error', (error) => this.onMessage({ type: 'error', message: error.message }));
    this.worker.on('exit', (code) => {
      this.exited = true;
      // The host OS is gone, and every process of its guests with it.
      for (const pid of this.processes) endProcess(pid);
      this.processes.clear();
      this.onExit(`host worker exited with code ${code}`);
    });
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
