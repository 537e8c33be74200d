// One log line's level, read off its header, and the one-character codes of the level index a log writer
// keeps beside each log (logs/level-index.ts). Pure, so the host workers that write the index, the fabric
// that serves it and the viewer that filters by it all read a line the same way.
import type { LogFileFormat } from './log-api';

export type LogSeverity = 'heartbeat' | 'verbose' | 'info' | 'warning' | 'error';

/** A level as it is kept in a level index: one ASCII character per line. */
export const severityCode: Readonly<Record<LogSeverity, string>> = { heartbeat: 'h', verbose: 'v', info: 'i', warning: 'w', error: 'e' };
/** A line that is not a record of its format (a stack trace's continuation, an IIS `#` header): it takes the level of the record before it. */
export const noSeverityCode = '.';

const byCode: Readonly<Record<string, LogSeverity>> = { h: 'heartbeat', v: 'verbose', i: 'info', w: 'warning', e: 'error' };

export function severityOfCode(code: string): LogSeverity | null {
  return byCode[code] ?? null;
}

const byLabel: Readonly<Record<string, LogSeverity>> = {
  HEART: 'heartbeat',
  VERB: 'verbose',
  INFO: 'info',
  WARN: 'warning',
  ERROR: 'error',
  Information: 'info',
  Warning: 'warning',
  Error: 'error',
};

// The headers' level fields only (src-renderer/lib/log-lines.ts reads the time from the same headers).
const appAgent = /^\[\d{8,}\] \[\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}\.\d{2}\] \[([A-Z]+)\]/;
const runtime = /\[\d{8,}:\d{8,}, \d{4}\/\d{2}\/\d{2}, \d{2}:\d{2}:\d{2}\.\d{3}, ([A-Z]+) *\]/;
const fabric = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z ([A-Z]+)/;
const iis = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} (?:\S+ ){8}(\d{3}) /; // sc-status is the 9th field after the time
const eventLevel = /"level":"(\w+)"/;

/** The level a line's header gives; null for a line that is not a record of the format. */
export function lineSeverity(format: LogFileFormat, line: string): LogSeverity | null {
  let m: RegExpExecArray | null;
  switch (format) {
    case 'app-agent':
      m = appAgent.exec(line);
      return m ? (byLabel[m[1]!] ?? 'info') : null;
    case 'bootstrapper':
    case 'host-process':
      m = runtime.exec(line);
      return m && m.index < 80 ? (byLabel[m[1]!] ?? 'info') : null;
    case 'fabric':
      m = fabric.exec(line);
      return m ? (byLabel[m[1]!] ?? 'info') : null;
    case 'iis': {
      m = iis.exec(line);
      if (!m) return null;
      const status = Number(m[1]);
      return status >= 500 ? 'error' : status >= 400 ? 'warning' : 'info';
    }
    case 'events':
      m = eventLevel.exec(line);
      return m ? (byLabel[m[1]!] ?? 'info') : null;
    default:
      return null;
  }
}

/** The index code of a line. */
export function lineSeverityCode(format: LogFileFormat, line: string): string {
  const severity = lineSeverity(format, line);
  return severity ? severityCode[severity] : noSeverityCode;
}
