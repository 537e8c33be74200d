// Entry of a host worker thread: this thread is the host OS, and its host agent is the only thing the
// fabric controller talks to.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { EmulatedClock } from '../common/emulated-clock';
import { EmulatedTimers } from '../common/emulated-timers';
import type { FromHost, ToHost } from '../common/host-protocol';
import { seededRandom } from '../common/seeded-random';
import { HostAgent } from './host-agent';

if (!parentPort) throw new Error('host-worker must run as a worker thread');
const controller = parentPort;
const send = (message: FromHost) => controller.postMessage(message);

let agent: HostAgent | null = null;
let timers: EmulatedTimers | null = null;

function hashSeed(seed: number, hostId: string): number {
  let h = seed ^ 0x9e3779b9;
  for (let i = 0; i < hostId.length; i++) h = Math.imul(h ^ hostId.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

controller.on('message', (message: ToHost) => {
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
      timers = new EmulatedTimers(new EmulatedClock(message.clock));
      const random = seededRandom(hashSeed(message.seed, message.hostId));
      const sessionDir = message.sessionDir ?? mkdtempSync(join(tmpdir(), 'fabric-lab-host-session-'));
      agent = new HostAgent({ hostId: message.hostId, timers, random, timings: message.timings, sessionDir }, send);
      agent.start();
      send({ type: 'ready', hostId: message.hostId });
      break;
    }
    case 'clock-changed':
      timers?.clockChanged();
      break;
    case 'start-instance':
      agent?.startInstance(message.spec, message.requestId);
      break;
    case 'stop-instance':
      agent?.stopInstance(message.instanceId, message.then, message.requestId);
      break;
    case 'resume-instance':
      agent?.resumeInstance(message.instanceId, message.requestId);
      break;
    case 'fault':
      agent?.applyFault(message.instanceId, message.fault);
      break;
    case 'shutdown':
      agent?.shutdown();
      controller.close();
      break;
  }
}
