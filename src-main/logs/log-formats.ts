// The line shapes of the logs on an Azure-classic instance (fact sheet, "Logs on an instance"), as pure
// functions of (emulated time, ids, level, message), and a parser for each one, which the viewer's level
// filter and jump-to-time use. Timestamps are UTC. IIS request logs and the event channel live in
// iis-log-format.ts and windows-azure-events.ts; parseLogLine() dispatches to all of them.
import { fromUtc, pad, utcParts, clock, type UtcParts } from './log-time';
import { parseIisLine } from './iis-log-format';
import { parseEventLine } from './windows-azure-events';
import type { ParsedLine, Severity } from './parsed-line';

export type { ParsedLine, Severity } from './parsed-line';

/** Which shape a file's lines have; a log viewer picks the parser by the file, not by sniffing. */
export type LogFormat = 'app-agent' | 'bootstrapper' | 'host-process' | 'iis' | 'events' | 'fabric';

/** Levels WaAppAgent.log and AppAgentRuntime.log print. */
export type AppAgentLevel = 'INFO' | 'WARN' | 'ERROR' | 'HEART' | 'VERB';
/** Levels of the runtime's own trace format (WaHostBootstrapper and the host processes). */
export type RuntimeLevel = 'INFO' | 'WARN' | 'ERROR' | 'VERB';

const severityOf: Record<string, Severity> = {
  HEART: 'heartbeat',
  VERB: 'verbose',
  INFO: 'info',
  WARN: 'warning',
  ERROR: 'error',
};

/** Multi-line text (a stack trace) would break the one-line-per-record rule that paging and parsing rely on. */
function oneLine(message: string): string {
  return message.includes('\n') || message.includes('\r') ? message.replace(/\r?\n|\r/g, ' | ') : message;
}

// ---- WaAppAgent.log, AppAgentRuntime.log -------------------------------------------------------------
// `[00000006] [11/14/2019 05:52:13.44] [INFO]  WindowsAzureGuestAgent starting. Version 2.7.41491.949`
// `[00000020] [11/14/2019 06:02:33.43] [HEART] WindowsAzureGuestAgent Heartbeat.`
// Padding rule, read off the two examples: the bracketed level is left-aligned in an 8-character column
// (`[INFO]` + 2 spaces, `[HEART]` + 1), i.e. the level is padded to 5 characters plus one separating
// space, so messages line up. Time has hundredths of a second, truncated (05:52:13.449 prints .44).

export function appAgentLine(at: number, threadId: number, level: AppAgentLevel, message: string): string {
  const ms = Math.floor(at) % 1000;
  const hundredths = Math.floor((ms < 0 ? ms + 1000 : ms) / 10);
  return `[${pad(threadId, 8)}] [${appAgentSecond(at)}.${hundredths < 10 ? '0' : ''}${hundredths}] ${`[${level}]`.padEnd(8)}${oneLine(message)}`;
}

/** `00`..`99`, so time fields are not padded one by one. */
const twoDigits = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : `${i}`));
const dayMs = 86_400_000;

/**
 * `MM/DD/YYYY HH:MM:SS` and `YYYY/MM/DD, HH:MM:SS` of an instant. The date is remembered for the last day
 * asked and the time of day is plain arithmetic: a host worker stamps hundreds of thousands of lines a
 * second at 1000x, and taking a Date apart and padding its fields for each was a large part of a line's cost.
 */
function secondStamp(date: (p: UtcParts) => string, separator: string): (at: number) => string {
  let day = NaN;
  let text = '';
  return (at) => {
    if (!Number.isFinite(at)) utcParts(at); // throws the RangeError every format gives
    const ms = Math.floor(at);
    const d = Math.floor(ms / dayMs);
    if (d !== day) {
      text = date(utcParts(ms)) + separator;
      day = d;
    }
    const second = Math.floor((ms - d * dayMs) / 1000);
    return `${text}${twoDigits[Math.floor(second / 3600)]}:${twoDigits[Math.floor(second / 60) % 60]}:${twoDigits[second % 60]}`;
  };
}

const appAgentSecond = secondStamp((p) => `${pad(p.month, 2)}/${pad(p.day, 2)}/${pad(p.year, 4)}`, ' ');
const runtimeSecond = secondStamp((p) => `${pad(p.year, 4)}/${pad(p.month, 2)}/${pad(p.day, 2)}`, ', ');

const appAgentPattern = /^\[(\d{8,})\] \[(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})\.(\d{2})\] \[([A-Z]+)\](.*)$/;

/**
 * The message after a level padded to `width` characters plus one space: exactly that padding is
 * removed, so a message that itself starts with spaces survives the round trip.
 */
function afterPadding(label: string, rest: string, width: number): string | null {
  const spaces = Math.max(1, width + 1 - label.length);
  return rest.startsWith(' '.repeat(spaces)) ? rest.slice(spaces) : null;
}

export function parseAppAgentLine(line: string): ParsedLine | null {
  const m = appAgentPattern.exec(line);
  if (!m) return null;
  const [, , mo, d, y, h, mi, s, cc, label, rest] = m as unknown as string[];
  const at = fromUtc(+y!, +mo!, +d!, +h!, +mi!, +s!, +cc! * 10);
  const message = afterPadding(`[${label!}]`, rest!, 7);
  if (Number.isNaN(at) || message === null) return null;
  return { at, level: severityOf[label!] ?? 'info', label: label!, message: message! };
}

// ---- WaHostBootstrapper.log, and the host processes' trace ----------------------------------------------
// `[00003604:00002604, 2018/08/13, 03:08:22.405, WARN ] Executing Startup Task type=0 rolemodule=(null) cmd="E:\approot\.\startup.cmd"`
// process id : thread id (8 digits each), YYYY/MM/DD, HH:MM:SS.mmm, the level padded to 5 characters.

function runtimeHeader(at: number, processId: number, threadId: number, level: RuntimeLevel): string {
  const second = runtimeSecond(at);
  const ms = Math.floor(at) % 1000;
  return `[${pad(processId, 8)}:${pad(threadId, 8)}, ${second}.${pad(ms < 0 ? ms + 1000 : ms, 3)}, ${level.padEnd(5)}]`;
}

export function bootstrapperLine(at: number, processId: number, threadId: number, level: RuntimeLevel, message: string): string {
  return `${runtimeHeader(at, processId, threadId, level)} ${oneLine(message)}`;
}

const runtimePattern = /\[(\d{8,}):(\d{8,}), (\d{4})\/(\d{2})\/(\d{2}), (\d{2}):(\d{2}):(\d{2})\.(\d{3}), ([A-Z]+) *\] ?(.*)$/;

function parseRuntime(text: string): ParsedLine | null {
  const m = runtimePattern.exec(text);
  if (!m || m.index !== 0) return null;
  const [, , , y, mo, d, h, mi, s, ms, label, message] = m as unknown as string[];
  const at = fromUtc(+y!, +mo!, +d!, +h!, +mi!, +s!, +ms!);
  if (Number.isNaN(at)) return null;
  return { at, level: severityOf[label!] ?? 'info', label: label!, message: message! };
}

export function parseBootstrapperLine(line: string): ParsedLine | null {
  return parseRuntime(line);
}

// ---- WaWorkerHost.log, WaWebHost.log, WaIISHost.log, IISConfigurator.log --------------------------------
// The host processes write through a .NET TraceSource, so each line carries the listener's prefix
// `<Source> <TraceEventType>: <id> : ` before the runtime header:
// `WaIISHost Information: 0 : [00003384:00000001, 2014/11/04, 20:26:50.437, INFO ] Role entrypoint . CALLING   OnStart():`
// Role code's console output goes to the same file, each line prefixed with the process image name as the
// old emulator's instance windows showed it (`[WaWorkerHost.exe] message`), under a full header so that
// jump-to-time and the level filter work on it too (stdout is INFO, stderr ERROR).

export type HostProcess = 'WaWorkerHost' | 'WaWebHost' | 'WaIISHost' | 'IISConfigurator';

const traceEventType: Record<RuntimeLevel, string> = { INFO: 'Information', WARN: 'Warning', ERROR: 'Error', VERB: 'Verbose' };

export function hostProcessLine(
  at: number,
  process: HostProcess,
  processId: number,
  threadId: number,
  level: RuntimeLevel,
  message: string,
): string {
  return `${process} ${traceEventType[level]}: 0 : ${bootstrapperLine(at, processId, threadId, level, message)}`;
}

/** `[WaWorkerHost.exe] message`: one line of role code's console output as the emulator's windows showed it. */
export function consoleMessage(process: HostProcess, text: string): string {
  return `[${process}.exe] ${oneLine(text)}`;
}

/** Console output of role code, one log line per line of text (a stack trace keeps its shape). */
export function consoleLines(
  at: number,
  process: HostProcess,
  processId: number,
  threadId: number,
  stream: 'stdout' | 'stderr',
  text: string,
): string[] {
  const level: RuntimeLevel = stream === 'stderr' ? 'ERROR' : 'INFO';
  return text
    .replace(/\r?\n$/, '')
    .split(/\r?\n|\r/)
    .map((part) => hostProcessLine(at, process, processId, threadId, level, consoleMessage(process, part)));
}

const tracePrefix = /^(\w+) (Information|Warning|Error|Verbose|Critical): \d+ : /;

export function parseHostProcessLine(line: string): ParsedLine | null {
  const prefix = tracePrefix.exec(line);
  return parseRuntime(prefix ? line.slice(prefix[0].length) : line);
}

// ---- Fabric components (front end, fabric controller, host agent) -----------------------------------------
// Their real logs are not public; Fabric Lab uses an ISO-8601 time so a request id can be followed across
// files sorted by time: `2019-11-14T05:52:13.440Z INFO  [req 3f2a...] message`.

export function fabricLine(at: number, level: RuntimeLevel, message: string): string {
  if (!Number.isFinite(at)) utcParts(at); // throws the same RangeError as the other formats
  return `${new Date(Math.floor(at)).toISOString()} ${level.padEnd(5)} ${oneLine(message)}`;
}

const fabricPattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z ([A-Z]+)(.*)$/;

export function parseFabricLine(line: string): ParsedLine | null {
  const m = fabricPattern.exec(line);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, ms, label, rest] = m as unknown as string[];
  const at = fromUtc(+y!, +mo!, +d!, +h!, +mi!, +s!, +ms!);
  const message = afterPadding(label!, rest!, 5);
  if (Number.isNaN(at) || message === null) return null;
  return { at, level: severityOf[label!] ?? 'info', label: label!, message: message! };
}

const parsers: Record<LogFormat, (line: string) => ParsedLine | null> = {
  'app-agent': parseAppAgentLine,
  bootstrapper: parseBootstrapperLine,
  'host-process': parseHostProcessLine,
  iis: parseIisLine,
  events: parseEventLine,
  fabric: parseFabricLine,
};

/**
 * A line of a file in the given format, or null for a line that is not a record (an IIS `#` header, a
 * foreign line); the viewer shows such lines with the record before them.
 */
export function parseLogLine(format: LogFormat, line: string): ParsedLine | null {
  return parsers[format](line);
}
