// The fabric in a thread of its own, seen from the shell's thread: the same FabricApi, each command a message to
// the fabric's thread (fabric-worker.ts) and its answer back, event batches forwarded as they are pushed.
// The shells' main thread (Electron's windows and IPC, browser mode's HTTP and WebSocket) then does no fabric
// work: the controllers' per-status work, the logs and the event records run beside the host workers instead of
// between the window's messages (docs/PERFORMANCE.md, "The fabric in its own thread"). The CLI's one-shot `run`
// keeps the fabric on its own main thread: it has no window to keep answering.
import { Worker } from 'node:worker_threads';
import { EmulatedClock } from '../common/emulated-clock';
import { commandsOver, type FabricApi, type FabricCommandName, type FabricEventBatch } from '../common/fabric-api';
import { FabricError, FabricErrors } from '../common/fabric-errors';
import type { CommandAnswer } from '../common/command-dispatcher';
import type { FabricOptions } from '../fabric/fabric';

/** Where the Service Management API is served from the fabric's thread. */
export interface ManagementFaceOptions {
  folder: string;
  port?: number;
}

export interface FabricThreadOptions extends FabricOptions {
  /** Serve the Service Management API from the fabric's thread (its server calls the fabric in place); absent: not served. */
  management?: ManagementFaceOptions;
  /** The fabric thread's entry; by default fabric-worker.js beside the host worker (out/main/). */
  workerUrl?: URL;
  /** The fabric's thread ended without being closed (a bug that escaped its last-resort handlers, or its heap); by default said on stderr. */
  onEnded?: (reason: string) => void;
  /** Real ms a close may take before the fabric's thread powers its hosts off at once (default 45 s; 0: at once); the thread is ended 15 s after that at the latest. */
  closeBoundMs?: number;
}

/** What the fabric's thread is given at its start: the options with their URLs as text (a URL does not cross a thread). */
export type FabricThreadStart = Omit<FabricThreadOptions, 'hostWorkerUrl' | 'loadBalancerWorkerUrl' | 'workerUrl' | 'onEnded' | 'closeBoundMs'> & {
  hostWorkerUrl: string;
  closeBoundMs: number;
  loadBalancerWorkerUrl?: string;
};

/** The Service Management API as the fabric's thread started it: its URL, or why it did not start. */
export type ManagementStart = { url: string } | { error: string };

/** Event-loop delay of the fabric's thread over a window (the bench's figure, and what a support engineer asks first). */
export interface ThreadLag {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export type ToFabricThread =
  | { type: 'call'; id: number; method: FabricCommandName; args: unknown }
  | { type: 'report'; source: string; message: string }
  | { type: 'lag'; id: number; windowMs: number }
  | { type: 'close' };

export type FromFabricThread =
  | { type: 'started'; sessionDir: string; clock: SharedArrayBuffer; threadId: number | null; management: ManagementStart | null }
  | { type: 'start-failed'; message: string }
  | { type: 'answer'; id: number; answer: CommandAnswer }
  | { type: 'lag'; id: number; lag: ThreadLag }
  | { type: 'events'; batch: FabricEventBatch }
  /** `hostsPoweredOff`: host threads ended at once because the close ran past its bound (fabric-worker.ts). */
  | { type: 'closed'; hostsPoweredOff?: number };

export interface FabricThread extends FabricApi {
  readonly sessionDir: string;
  /** A view of the fabric's clock (it lives in shared memory): read() here costs no message. */
  readonly clock: EmulatedClock;
  /** The fabric thread's id in the OS (Linux: /proc/self/task/<id>), for per-thread CPU; null elsewhere. */
  readonly threadId: number | null;
  readonly management: ManagementStart | null;
  /** An error caught at the shell's boundary: ERROR in FrontEnd.log and a fabric-error record (Fabric.reportError). */
  reportError(source: string, message: string): void;
  /** The fabric thread's event-loop delay over `windowMs` real ms. */
  measureLag(windowMs: number): Promise<ThreadLag>;
  close(): Promise<void>;
}

/** Real ms a close may take before the fabric's thread powers its hosts off at once (fabric-worker.ts). */
const defaultCloseBoundMs = 45_000;
/** Real ms close() waits after that bound for the fabric's thread to say it closed, before it ends the thread anyway. */
const closeGraceMs = 15_000;

/** Start the fabric in its own thread and wait until every host agent is up (Fabric.start's promise, across the thread). */
export async function startFabricThread(options: FabricThreadOptions): Promise<FabricThread> {
  const { hostWorkerUrl, loadBalancerWorkerUrl, workerUrl, onEnded, closeBoundMs = defaultCloseBoundMs, ...rest } = options;
  const start: FabricThreadStart = { ...rest, closeBoundMs, hostWorkerUrl: hostWorkerUrl.href, ...(loadBalancerWorkerUrl ? { loadBalancerWorkerUrl: loadBalancerWorkerUrl.href } : {}) };
  const worker = new Worker(workerUrl ?? new URL('./fabric-worker.js', hostWorkerUrl), { workerData: start, name: 'fabric' });
  const listeners = new Set<(batch: FabricEventBatch) => void>();
  const pending = new Map<number, { resolve: (value: never) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let running = false;
  let ended: string | null = null;
  let closing: Promise<void> | null = null;
  let closed = () => {};

  const started = new Promise<Extract<FromFabricThread, { type: 'started' }>>((resolve, reject) => {
    worker.on('message', (message: FromFabricThread) => {
      switch (message.type) {
        case 'started':
          running = true;
          return resolve(message);
        case 'start-failed':
          return reject(new Error(message.message));
        case 'events':
          for (const listener of listeners) {
            try {
              listener(message.batch);
            } catch (error) {
              // One listener's bug must not keep the batch from the others (the window, the bench).
              console.error(`Fabric Lab: an event listener failed: ${error instanceof Error ? error.message : String(error)}`);
            }
          }
          return;
        case 'answer':
        case 'lag': {
          const call = pending.get(message.id);
          if (!call) return;
          pending.delete(message.id);
          if (message.type === 'lag') return call.resolve(message.lag as never);
          if ('error' in message.answer) call.reject(FabricError.fromInfo(message.answer.error));
          else call.resolve(message.answer.result as never);
          return;
        }
        case 'closed':
          if (message.hostsPoweredOff) console.error(`Fabric Lab: the fabric did not close within ${closeBoundMs / 1000} s; its ${message.hostsPoweredOff} host threads were powered off at once.`);
          return closed();
      }
    });
    // An error escaping the thread's last-resort handlers ends it (error, then exit); a start that fails says so.
    worker.on('error', (error) => (ended ??= `its thread failed: ${error.message}`));
    worker.on('exit', (code) => {
      ended ??= `its thread exited with code ${code}`;
      reject(new Error(`The fabric did not start: ${ended}`));
      for (const call of pending.values()) call.reject(FabricErrors.fabricThreadEnded(ended));
      pending.clear();
      closed();
      if (running && !closing) (onEnded ?? ((reason) => console.error(`Fabric Lab: the fabric stopped: ${reason}`)))(ended);
    });
  });
  const first = await started.catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });

  const ask = <T>(message: (id: number) => ToFabricThread): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (closing) return reject(FabricErrors.fabricShutDown());
      if (ended !== null) return reject(FabricErrors.fabricThreadEnded(ended));
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: never) => void, reject });
      try {
        worker.postMessage(message(id));
      } catch (error) {
        // An argument that cannot cross a thread (the dispatchers pass parsed JSON, so a caller's bug): refused, not kept.
        pending.delete(id);
        reject(FabricErrors.badArgument(String((message(id) as { method?: string }).method ?? 'call'), error instanceof Error ? error.message : String(error)));
      }
    });
  return {
    ...commandsOver((method, args) => ask((id) => ({ type: 'call', id, method, args }))),
    sessionDir: first.sessionDir,
    clock: new EmulatedClock(first.clock),
    threadId: first.threadId,
    management: first.management,
    onEvents(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    reportError(source, message) {
      if (ended === null && !closing) worker.postMessage({ type: 'report', source, message } satisfies ToFabricThread);
    },
    measureLag: (windowMs) => ask((id) => ({ type: 'lag', id, windowMs })),
    close() {
      closing ??= (async () => {
        if (ended === null) {
          const done = new Promise<void>((resolve) => (closed = resolve));
          worker.postMessage({ type: 'close' } satisfies ToFabricThread);
          // A fabric thread that does not say it closed, even after powering its hosts off, is ended, said on stderr.
          const bound = setTimeout(() => (console.error(`Fabric Lab: the fabric did not close within ${(closeBoundMs + closeGraceMs) / 1000} s; its thread is ended.`), closed()), closeBoundMs + closeGraceMs);
          await done;
          clearTimeout(bound);
        }
        await worker.terminate();
      })();
      return closing;
    },
  };
}
