// The "Windows Azure" event log channel (D:\Windows\System32\Winevt\Logs on a VM). A real channel is a
// binary .evtx file; Fabric Lab keeps the same records as JSON lines, one record per line, so they can be
// appended as they happen, paged like any other log and read by any tool.
import type { ParsedLine, Severity } from './parsed-line';

export type EventLevel = 'Information' | 'Warning' | 'Error';

export interface WindowsAzureEvent {
  /** Emulated ms since the epoch. */
  at: number;
  eventId: number;
  level: EventLevel;
  /** The process that raised it, as Event Viewer shows the source. */
  source: string;
  message: string;
  /** Role instance name, e.g. WorkerRole1_IN_0. */
  instance: string;
}

/** Ids seen on real instances (fact sheet). roleCrashed is Fabric Lab's choice: the sheet names no id for crashes. */
export const WindowsAzureEventIds = {
  guestAgentInitialised: 20001,
  startupTaskStarted: 10001,
  startupTaskFinished: 10002,
  iisConfiguratorStarted: 10003,
  iisConfiguratorFinished: 10004,
  roleCrashed: 1000,
} as const;

type Common = Pick<WindowsAzureEvent, 'at' | 'instance'>;

export function guestAgentInitialised(e: Common & { version: string }): WindowsAzureEvent {
  return { ...pick(e), eventId: WindowsAzureEventIds.guestAgentInitialised, level: 'Information', source: 'WindowsAzureGuestAgent', message: `Windows Azure Guest Agent initialised. Version ${e.version}` };
}

export function startupTaskStarted(e: Common & { taskType: string; commandLine: string }): WindowsAzureEvent {
  return {
    ...pick(e),
    eventId: WindowsAzureEventIds.startupTaskStarted,
    level: 'Information',
    source: 'WaHostBootstrapper',
    message: `Startup task started: type=${e.taskType} cmd="${e.commandLine}"`,
  };
}

export function startupTaskFinished(e: Common & { taskType: string; commandLine: string; exitCode: number }): WindowsAzureEvent {
  return {
    ...pick(e),
    eventId: WindowsAzureEventIds.startupTaskFinished,
    level: e.exitCode === 0 ? 'Information' : 'Error',
    source: 'WaHostBootstrapper',
    message: `Startup task finished: type=${e.taskType} cmd="${e.commandLine}" exit code ${e.exitCode}`,
  };
}

export function iisConfiguratorEvent(e: Common & { phase: 'started' | 'finished'; message: string }): WindowsAzureEvent {
  return {
    ...pick(e),
    eventId: e.phase === 'started' ? WindowsAzureEventIds.iisConfiguratorStarted : WindowsAzureEventIds.iisConfiguratorFinished,
    level: 'Information',
    source: 'IISConfigurator',
    message: e.message,
  };
}

/** A host process died: the record carries the exception with its stack, as Event Viewer shows it. */
export function roleCrashed(e: Common & { process: string; exception: string }): WindowsAzureEvent {
  return {
    ...pick(e),
    eventId: WindowsAzureEventIds.roleCrashed,
    level: 'Error',
    source: e.process,
    message: `Role process ${e.process} terminated with an unhandled exception:\n${e.exception}`,
  };
}

function pick(e: Common): Common {
  return { at: e.at, instance: e.instance };
}

/** One JSON line; JSON escapes newlines, so a stack trace stays on one line of the file. */
export function eventLine(record: WindowsAzureEvent): string {
  const { at, eventId, level, source, message, instance } = record;
  return JSON.stringify({ at, eventId, level, source, message, instance });
}

const levels: readonly string[] = ['Information', 'Warning', 'Error'];

export function parseEventRecord(line: string): WindowsAzureEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Record<string, unknown>;
  const ok =
    typeof r.at === 'number' &&
    Number.isFinite(r.at) &&
    Number.isInteger(r.eventId) &&
    typeof r.level === 'string' &&
    levels.includes(r.level) &&
    typeof r.source === 'string' &&
    typeof r.message === 'string' &&
    typeof r.instance === 'string';
  if (!ok) return null;
  return { at: r.at as number, eventId: r.eventId as number, level: r.level as EventLevel, source: r.source as string, message: r.message as string, instance: r.instance as string };
}

const severity: Record<EventLevel, Severity> = { Information: 'info', Warning: 'warning', Error: 'error' };

export function parseEventLine(line: string): ParsedLine | null {
  const r = parseEventRecord(line);
  if (!r) return null;
  return { at: r.at, level: severity[r.level], label: r.level, message: `${r.eventId} ${r.source}: ${r.message}` };
}
