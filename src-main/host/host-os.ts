// The host OS of a host worker thread (host-worker.ts runs it): its host agent is the only thing the fabric
// controller talks to.
import { mkdtempSync } from 'node:fs';
import { getPriority, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { EmulatedClock } from '../common/emulated-clock';
import { EmulatedTimers } from '../common/emulated-timers';
import { withHostHeartbeat, type FromHost, type ToHost } from '../common/host-protocol';
import { seededRandom } from '../common/seeded-random';
import { turnBatch } from '../logs/append-batch';
import { reportChildProcessesTo } from './child-processes';
import { HostAgent } from './host-agent';
import type { HostContext } from './host-context';
import { logDescriptors } from '../logs/log-writer';
import { nextRecord, RingWriter, type HostRingData } from '../common/message-ring';
import { HeartbeatRegister } from '../common/heartbeat-register';
import type { CodeCacheUse } from '../common/host-os-script';

if (!parentPort) throw new Error('the host OS must run in a worker thread');
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
  if (hung || outbox.length === 0) return;
  turnBatch.flush();
  if (!ring || portOnly) {
    controller.postMessage(outbox);
    outbox = [];
    return;
  }
  let from = 0;
  let wrote = false;
  while (from < outbox.length) {
    // The waiting messages as records that fit the ring, in order: an outbox that grew while the ring was full is
    // written in pieces, never sent round the ring by the port (later records could overtake it there).
    const { to, record } = nextRecord(outbox, from, (bytes) => ring.fits(bytes), (text) => utf8.encode(text));
    if (!ring.fits(record.length)) {
      // One message larger than the whole ring (not seen in practice): once the ring has been read, this host
      // speaks by its port from now on, so nothing written later can overtake it.
      if (!ring.empty) break;
      portOnly = true;
      controller.postMessage(outbox.slice(from));
      from = outbox.length;
      break;
    }
    // The fabric has not caught up: the rest waits here, in order, for the next try.
    if (!ring.write(record)) break;
    wrote = true;
    from = to;
  }
  outbox = outbox.slice(from);
  if (wrote && Atomics.exchange(ringControl!, 0, 0) === 1) controller.postMessage('ring');
  if (outbox.length > 0) setTimeout(post, 1);
}

/**
 * A host worker started by HostProxy (the fabric's, or a host node's) writes its messages into a ring that process
 * drains (common/message-ring.ts, fabric/host-rings.ts); one started without a ring posts them.
 */
const rings = workerData as Partial<HostRingData> | null;
const ring = rings?.ring ? new RingWriter(rings.ring) : null;
const ringControl = rings?.control ?? null;
const register = rings?.heartbeat ? new HeartbeatRegister(rings.heartbeat) : null;
const utf8 = new TextEncoder();
/** Set once a message too large for the ring went by the port: the rest follows it there, in order. */
let portOnly = false;

// Not through send(): even a hung host's processes must be ended when its thread goes.
reportChildProcessesTo((pid, running) => controller.postMessage({ type: 'child-process', pid, running } satisfies FromHost));

/** How V8 took the fabric's code cache for this script (host-worker.ts says, before any message comes). */
let codeCache: CodeCacheUse = 'none';
/** V8's cache of this script as it has run so far, when the fabric asked this host to leave it. */
let cacheAfterStart: (() => Uint8Array) | null = null;
export function bootedWith(use: CodeCacheUse, makeCache: (() => Uint8Array) | null = null): void {
  codeCache = use;
  cacheAfterStart = makeCache;
}

/** The cache of the host OS as its start ran it, for the fabric to keep for every later host (fabric/host-code-cache.ts). */
function leaveCodeCache(): void {
  const make = cacheAfterStart;
  cacheAfterStart = null;
  if (!make) return;
  try {
    const data = make();
    // By the port, as child processes are reported: the fabric's own end of this host takes it, no controller hears it.
    controller.postMessage({ type: 'code-cache', data } satisfies FromHost);
  } catch (error) {
    send({ type: 'error', message: `its code cache could not be made: ${error instanceof Error ? error.message : String(error)}` });
  }
}

let agent: HostAgent | null = null;
let timers: EmulatedTimers | null = null;
/** Shared by every component on this host; reseed and set-timings change it in place. */
let context: HostContext | null = null;
/** A hung host OS: nothing runs any more; only the fabric controller's restart (a new worker) ends it. */
let hung = false;

/**
 * Real ms between two wake-ups of this host's timers (emulated-timers.ts): one emulated second, within 10 real ms and
 * one real second (so at most 100 wake-ups a real second at high scales, one at 1x and slower). At 1000x, 10 ms is 10 emulated
 * seconds of heartbeats, Run lines and probes handled in one turn and written with one write per file. At 1x a host of
 * 32 guests has some 18 timers a real second at random phases, and waking for each cost the machine 0.4 ms of CPU a
 * wake-up: 313 such hosts kept both cores busy (docs/PERFORMANCE.md, "Host wake-ups at low scales"). A command from
 * the controller is still handled when it comes; only what the host's own timers start waits, up to a real second at
 * 1x, as the guests' heartbeats already reach the UI (host-heartbeat.ts).
 */
const hostWakeSpacingMs = (keptScale: number): number => Math.min(1000, Math.max(10, 1000 / keptScale));

/**
 * How much nicer than the process a host worker runs on Linux: the fabric's main thread (the controller, the API,
 * the UI's server) comes first when the machine is short of CPU. With 313 host threads catching up on their timers,
 * the main thread got its share among ~317 busy threads and lagged seconds at 1x (docs/PERFORMANCE.md). Modest, so
 * that other load on the machine does not starve a host past the controller's silence floor.
 */
const hostNice = 5;

/**
 * Linux keeps a nice value per thread, and `setPriority(0)` sets the calling thread's (a new thread starts with
 * its creator's, the main thread's); elsewhere it would lower the whole process, the main thread with it, so it is
 * left alone there.
 */
function yieldToTheFabric(): void {
  if (process.platform !== 'linux') return;
  try {
    setPriority(0, Math.min(19, getPriority(0) + hostNice));
  } catch {
    // Not allowed here (a sandbox): the host runs at the process's priority, as before.
  }
}
yieldToTheFabric();

function hashSeed(seed: number, hostId: string): number {
  let h = seed ^ 0x9e3779b9;
  for (let i = 0; i < hostId.length; i++) h = Math.imul(h ^ hostId.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

controller.on('message', (message: ToHost) => {
  if (hung && message.type !== 'shutdown') return;
  try {
    // A command is handled at one emulated instant, so what it stamps and what it schedules agree.
    // What was due before the command came happened before it (the wake-ups are spaced: emulated-timers.ts).
    timers?.catchUp();
    if (timers) timers.atOnce(() => handle(message));
    else handle(message);
  } catch (error) {
    send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
});

function handle(message: ToHost): void {
  switch (message.type) {
    case 'init': {
      timers = new EmulatedTimers(new EmulatedClock(message.clock), { wakeSpacingMs: hostWakeSpacingMs, ...(register ? { onBehind: (ms: number) => register.noteBehind(ms) } : {}) });
      const random = seededRandom(hashSeed(message.seed, message.hostId));
      const sessionDir = message.sessionDir ?? mkdtempSync(join(tmpdir(), 'fabric-lab-host-session-'));
      if (message.maxOpenLogs !== undefined) logDescriptors.limit = message.maxOpenLogs;
      context = { hostId: message.hostId, timers, random, timings: message.timings, sessionDir, dipPrefix: message.dipPrefix ?? null, silenceFloorMs: message.silenceFloorMs ?? 0, ...(message.dipAddress ? { dipAddress: message.dipAddress } : {}) };
      agent = new HostAgent(context, send, register);
      agent.start(codeCache);
      send({ type: 'ready', hostId: message.hostId, codeCache });
      // Once the start has run (so its functions are compiled), not before the fabric has heard `ready`.
      if (cacheAfterStart) setImmediate(leaveCodeCache);
      break;
    }
    case 'clock-changed':
      timers?.clockChanged();
      agent?.clockChanged();
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
    case 'flush':
      send({ type: 'flush', id: message.id });
      break;
    case 'hang-host':
      hung = true;
      timers?.clear();
      break;
    case 'shutdown':
      agent?.shutdown();
      post();
      // A ring still full at the end: the last words go by the port (the fabric reads the ring first when the thread ends).
      if (outbox.length > 0 && !hung) controller.postMessage(outbox);
      controller.close();
      break;
  }
}
