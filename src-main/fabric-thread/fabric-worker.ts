// Entry of the fabric's own thread (out/main/fabric-worker.js): the one Fabric, its host workers (threads of this
// thread), and the Service Management API's server, which calls the fabric in place. The shell's thread reaches it
// through fabric-thread.ts; every command crosses the command dispatcher here too, so a message that is not a
// command gets an answer, not an exception, and an error that escapes every handler is reported, not fatal.
import { readlinkSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { dispatchCommand } from '../common/command-dispatcher';
import { startManagementFace, type ManagementFace } from '../management/management-face';
import { Fabric } from '../fabric/fabric';
import type { FabricThreadStart, FromFabricThread, ManagementStart, ToFabricThread } from './fabric-thread';
import { installLastResortHandlers } from '../fabric/last-resort';

if (!parentPort) throw new Error('fabric-worker must run as a worker thread');
const shell = parentPort;
const send = (message: FromFabricThread): void => shell.postMessage(message);
const options = workerData as FabricThreadStart;
const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

let fabric: Fabric | null = null;
let management: ManagementFace | null = null;

async function start(): Promise<void> {
  const { hostWorkerUrl, loadBalancerWorkerUrl, management: managementOptions, closeBoundMs: _bound, ...rest } = options;
  const started = (fabric = await Fabric.start({ ...rest, hostWorkerUrl: new URL(hostWorkerUrl), ...(loadBalancerWorkerUrl ? { loadBalancerWorkerUrl: new URL(loadBalancerWorkerUrl) } : {}) }));
  installLastResortHandlers((message) => started.reportError('Process', message));
  started.onEvents((batch) => send({ type: 'events', batch }));
  let face: ManagementStart | null = null;
  if (managementOptions) {
    // The app is useful without it: the shell decides whether its failure stops the start.
    face = await startManagementFace(started, { ...managementOptions, log: (line) => console.error(line) }).then(
      (m) => ((management = m), { url: m.server.url }),
      (error: unknown) => ({ error: describe(error) }),
    );
  }
  send({ type: 'started', sessionDir: started.sessionDir, clock: started.clock.buffer, threadId: linuxThreadId(), management: face });
}

async function handle(message: ToFabricThread): Promise<void> {
  if (!fabric) return; // nothing is sent before 'started'
  switch (message.type) {
    case 'call': {
      const answer = await dispatchCommand(fabric, message.method, message.args, {}, (command, error) =>
        // The shell reports it (FrontEnd.log); its stack is only here.
        console.error(`Fabric Lab: ${command} failed:`, error instanceof Error ? error.stack : error),
      );
      return send({ type: 'answer', id: message.id, answer });
    }
    case 'report':
      return fabric.reportError(String(message.source), String(message.message));
    case 'lag': {
      const histogram = monitorEventLoopDelay({ resolution: 1 });
      histogram.enable();
      await new Promise((resolve) => setTimeout(resolve, Math.max(100, Math.min(60_000, Number(message.windowMs) || 0))));
      histogram.disable();
      return send({ type: 'lag', id: message.id, lag: { p50Ms: histogram.percentile(50) / 1e6, p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6 } });
    }
    case 'close': {
      const open = fabric;
      const closing = (async () => {
        // The API stops taking calls first; its failing to close must not keep the fabric open.
        await management?.close().catch((error: unknown) => console.error(`Fabric Lab: the Service Management API did not close cleanly: ${describe(error)}`));
        await open.close();
      })();
      // What the close came to: 'closed', or the error it failed with (handled below, never left unhandled).
      const outcome = closing.then(() => 'closed' as const, (error: unknown) => ({ error }));
      // A bound of 0: the hosts are powered off at once, beside the close.
      let bound: ReturnType<typeof setTimeout> | undefined;
      const first = options.closeBoundMs <= 0 ? 'late' : await Promise.race([outcome, new Promise<'late'>((resolve) => (bound = setTimeout(() => resolve('late'), options.closeBoundMs)))]);
      clearTimeout(bound);
      if (first === 'closed') return send({ type: 'closed' });
      if (first !== 'late') throw first.error;
      void outcome.then((end) => end !== 'closed' && console.error(`Fabric Lab: the fabric's close failed after its bound: ${describe(end.error)}`));
      // Ending this thread now would end its host threads one after another, each waited for (PoolHosts.powerOffAll).
      return send({ type: 'closed', hostsPoweredOff: await open.powerOffHosts() });
    }
    default:
      fabric.reportError('FabricThread', `A message of unknown type ${JSON.stringify((message as { type?: unknown }).type)} was ignored.`);
  }
}

shell.on('message', (message: ToFabricThread) => {
  handle(message).catch((error: unknown) => {
    fabric?.reportError('FabricThread', `${String(message?.type)}: ${describe(error)}`);
    if (message?.type === 'close') send({ type: 'closed' });
  });
});

start().catch((error: unknown) => send({ type: 'start-failed', message: describe(error) }));

/** This thread's id in the OS (/proc/thread-self -> /proc/<pid>/task/<tid>), for the bench's per-thread CPU; null off Linux. */
function linuxThreadId(): number | null {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop()) || null;
  } catch {
    return null;
  }
}
