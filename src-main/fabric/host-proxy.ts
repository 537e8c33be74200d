// The fabric's handle on one host: the worker thread that is the host OS, and the messages to and from
// its host agent.
import { Worker } from 'node:worker_threads';
import type { FromHost, ToHost } from '../common/host-protocol';

export class HostProxy {
  private readonly worker: Worker;
  private exited = false;
  /** Cut off from the controller: messages are dropped both ways, as on a failed network link. */
  private partitioned = false;

  constructor(
    readonly hostId: string,
    workerUrl: URL,
    private readonly onMessage: (message: FromHost) => void,
    private readonly onExit: (reason: string) => void,
  ) {
    this.worker = new Worker(workerUrl, { name: hostId });
    this.worker.on('message', (message: FromHost) => {
      if (!this.partitioned) this.onMessage(message);
    });
    this.worker.on('error', (error) => this.onMessage({ type: 'error', message: error.message }));
    this.worker.on('exit', (code) => {
      this.exited = true;
      this.onExit(`host worker exited with code ${code}`);
    });
  }

  send(message: ToHost): void {
    if (!this.exited && !this.partitioned) this.worker.postMessage(message);
  }

  partition(): void {
    this.partitioned = true;
  }

  /** Power the host off at once: the worker thread ends, with every guest VM in it. */
  terminate(): void {
    if (!this.exited) void this.worker.terminate();
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
