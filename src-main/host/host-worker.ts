// Entry of a host worker thread: this thread is the host OS, and its host agent is the only thing the
// fabric controller talks to.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { EmulatedClock } from '../common/emulated-clock';
import { EmulatedTimers } from '../common/emulated-timers';
import { withHostHeartbeat, type FromHost, type ToHost } from '../common/host-protocol';
import { seededRandom } from '../common/seeded-random';
import { turnBatch } from '../logs/append-batch';
import { reportChildProcessesTo } from './child-processes';
import { HostAgent } from './host-agent';
import type { HostContext } from './host-context';
import { logDescriptors } from '../logs/log-writer';

if (!parentPort) throw new Error('host-worker must run as a worker thread');
const controller = parentPort;
/** This turn's messages to the controller, posted together at its end. */
let outbox: FromHost[] = [];
// A hung host says nothing, whatever its role processes still report.
const send = (message: FromHost) => {
  if (hung) return;
  if (outbox.length === 0) queueMicrotask(post);
  if (message.type === 'host-heartbeat') outbox = withHostHeartbeat(outbox, message);
  else outbox.push(message);
};

/**
 * One postMessage per turn: at 1000x a host has heartbeats and statuses to report at every wake, and each
 * message costs the main thread a dispatch; 64 hosts' worth of single messages drowned it. This turn's log
 * lines reach their files first, so a host killed after reporting a status has that status's lines on disk
 * (logs/append-batch.ts).
 */
function post(): void {
  const messages = outbox;
  outbox = [];
  if (hung || messages.length === 0) return;
  turnBatch.flush();
  controller.postMessage(messages);
}

// Not through send(): even a hung host's processes must be ended when its thread goes.
reportChildProcessesTo((pid, running) => controller.postMessage({ type: 'child-process', pid, running } satisfies FromHost));

let agent: HostAgent | null = null;
let timers: EmulatedTimers | null = null;
/** Shared by every component on this host; reseed and set-timings change it in place. */
let context: HostContext | null = null;
/** A hung host OS: nothing runs any more; only the fabric controller's restart (a new worker) ends it. */
let hung = false;

/**
 * Real ms between two wake-ups of this host's timers (emulated-timers.ts): at 1000x, 10 ms is 10 emulated
 * seconds of heartbeats, Run lines and probes handled in one turn and written with one write per file,
 * and still well inside one push of the event hub (100 ms).
 */
const hostWakeSpacingMs = 10;

function hashSeed(seed: number, hostId: string): number {
  let h = seed ^ 0x9e3779b9;
  for (let i = 0; i < hostId.length; i++) h = Math.imul(h ^ hostId.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

controller.on('message', (message: ToHost) => {
  if (hung && message.type !== 'shutdown') return;
  try {
    // A command is handled at one emulated instant, so what it stamps and what it schedules agree.
    if (timers) timers.atOnce(() => handle(message));
    else handle(message);
  } catch (error) {
    send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
});

function handle(message: ToHost): void {
  switch (message.type) {
    case 'init': {
      timers = new EmulatedTimers(new EmulatedClock(message.clock), { wakeSpacingMs: hostWakeSpacingMs });
      const random = seededRandom(hashSeed(message.seed, message.hostId));
      const sessionDir = message.sessionDir ?? mkdtempSync(join(tmpdir(), 'fabric-lab-host-session-'));
      if (message.maxOpenLogs !== undefined) logDescriptors.limit = message.maxOpenLogs;
      context = { hostId: message.hostId, timers, random, timings: message.timings, sessionDir, dipPrefix: message.dipPrefix ?? null, ...(message.dipAddress ? { dipAddress: message.dipAddress } : {}) };
      agent = new HostAgent(context, send);
      agent.start();
      send({ type: 'ready', hostId: message.hostId });
      break;
    }
    case 'clock-changed':
      timers?.clockChanged();
      break;
    case 'reseed':
      if (context) context.random = seededRandom(hashSeed(message.seed, context.hostId));
      break;
    case 'set-timings':
      if (context) context.timings = message.timings;
      break;
    case 'start-instance':
      agent?.startInstance(message.spec, message.requestId);
      break;
    case 'stop-instance':
      agent?.stopInstance(message.instanceId, message.then, message.requestId);
      break;
    case 'upgrade-instance':
      agent?.upgradeInstance(message.spec, message.requestId);
      break;
    case 'resume-instance':
      agent?.resumeInstance(message.instanceId, message.requestId);
      break;
    case 'fault':
      agent?.applyFault(message.instanceId, message.fault);
      break;
    case 'update-configuration':
      agent?.updateConfiguration(message.instanceId, message.settings, message.version, message.requestId);
      break;
    case 'topology':
      agent?.updateTopology(message.instanceId, message.roles, message.changedRoles);
      break;
    case 'hang-host':
      hung = true;
      timers?.clear();
      break;
    case 'shutdown':
      agent?.shutdown();
      post();
      controller.close();
      break;
  }
}
