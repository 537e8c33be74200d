// Level and time of one log line, read off the line's header for each format the session writes (the
// formats are defined in src-main/logs/log-formats.ts; the renderer may only import common/, so the
// headers are matched again here, loosely: enough to filter by level and jump to a time).
import type { LogFileFormat } from '../../src-main/common/log-api';

export type Severity = 'heartbeat' | 'verbose' | 'info' | 'warning' | 'error';
export const severities: readonly Severity[] = ['heartbeat', 'verbose', 'info', 'warning', 'error'];

const byLabel: Record<string, Severity> = {
  HEART: 'heartbeat',
  VERB: 'verbose',
  INFO: 'info',
  WARN: 'warning',
  ERROR: 'error',
  Information: 'info',
  Warning: 'warning',
  Error: 'error',
};

const appAgent = /^\[\d{8,}\] \[(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})\.(\d{2})\] \[([A-Z]+)\]/;
const runtime = /\[\d{8,}:\d{8,}, (\d{4})\/(\d{2})\/(\d{2}), (\d{2}):(\d{2}):(\d{2})\.(\d{3}), ([A-Z]+) *\]/;
const fabric = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z ([A-Z]+)/;
const iis = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) (?:\S+ ){8}(\d{3}) /; // sc-status is the 9th field after the time
const eventAt = /"at":(\d+(?:\.\d+)?)/;
const eventLevel = /"level":"(\w+)"/;

export interface LineHeader {
  at: number | null;
  level: Severity | null;
}

const utc = (y: string, mo: string, d: string, h: string, mi: string, s: string, frac: string) =>
  Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, frac.length === 2 ? +frac * 10 : +frac);

/** Null fields for a line that is not a record (a continuation, an IIS header, an XML file's line). */
export function lineHeader(format: LogFileFormat, line: string): LineHeader {
  let m: RegExpExecArray | null;
  switch (format) {
    case 'app-agent':
      m = appAgent.exec(line);
      return m ? { at: utc(m[3]!, m[1]!, m[2]!, m[4]!, m[5]!, m[6]!, m[7]!), level: byLabel[m[8]!] ?? 'info' } : none;
    case 'bootstrapper':
    case 'host-process':
      m = runtime.exec(line);
      return m && m.index < 80 ? { at: utc(m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]!, m[7]!), level: byLabel[m[8]!] ?? 'info' } : none;
    case 'fabric':
      m = fabric.exec(line);
      return m ? { at: utc(m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]!, m[7]!), level: byLabel[m[8]!] ?? 'info' } : none;
    case 'iis': {
      m = iis.exec(line);
      if (!m) return none;
      const status = Number(m[7]);
      return { at: utc(m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]!, '000'), level: status >= 500 ? 'error' : status >= 400 ? 'warning' : 'info' };
    }
    case 'events': {
      const at = eventAt.exec(line);
      const level = eventLevel.exec(line);
      return { at: at ? Number(at[1]) : null, level: level ? (byLabel[level[1]!] ?? 'info') : null };
    }
    default:
      return none;
  }
}

const none: LineHeader = { at: null, level: null };

/** `2019-11-14 06:02:33.440` (UTC, the emulated clock as the logs print it). */
export function formatEmulated(at: number): string {
  return new Date(at).toISOString().replace('T', ' ').replace('Z', '');
}
