// IIS request logs in W3C extended format, as IIS 8.5 (Guest OS family 4, Windows Server 2012 R2) writes
// them under ...DiagnosticStore\LogFiles\W3SVC1: a `#` header block when the file is started (and again
// whenever the site restarts), then one space-separated line per request, UTC, empty fields as `-`.
import type { ParsedLine, Severity } from './parsed-line';
import { clock, fromUtc, pad, utcParts } from './log-time';

export const iisFields = [
  'date', 'time', 's-ip', 'cs-method', 'cs-uri-stem', 'cs-uri-query', 's-port', 'cs-username', 'c-ip',
  'cs(User-Agent)', 'sc-status', 'sc-substatus', 'sc-win32-status', 'time-taken',
] as const;

export interface IisRequest {
  at: number;
  serverIp: string;
  method: string;
  uriStem: string;
  /** Without the `?`; undefined or '' prints `-`. */
  uriQuery?: string;
  port: number;
  username?: string;
  clientIp: string;
  userAgent?: string;
  status: number;
  subStatus?: number;
  win32Status?: number;
  /** Milliseconds. */
  timeTaken: number;
}

function w3cDate(at: number): string {
  const p = utcParts(at);
  return `${pad(p.year, 4)}-${pad(p.month, 2)}-${pad(p.day, 2)} ${clock(p)}`;
}

/** The header block IIS writes at the top of a new file (`#Date` is when the file was started). */
export function iisLogHeader(at: number, iisVersion = '10.0'): string[] {
  return [
    `#Software: Microsoft Internet Information Services ${iisVersion}`,
    '#Version: 1.0',
    `#Date: ${w3cDate(at)}`,
    `#Fields: ${iisFields.join(' ')}`,
  ];
}

/** W3C fields cannot hold spaces: IIS writes a space in the user agent as `+`, and an empty field as `-`. */
function field(value: string | number | undefined): string {
  if (value === undefined || value === '') return '-';
  return String(value).replace(/[\s]/g, '+');
}

export function iisRequestLine(r: IisRequest): string {
  return [
    w3cDate(r.at),
    field(r.serverIp),
    field(r.method),
    field(r.uriStem),
    field(r.uriQuery),
    field(r.port),
    field(r.username),
    field(r.clientIp),
    field(r.userAgent),
    field(r.status),
    field(r.subStatus ?? 0),
    field(r.win32Status ?? 0),
    field(r.timeTaken),
  ].join(' ');
}

const unset = (value: string): string | undefined => (value === '-' ? undefined : value);

/** A request line read back (the user agent keeps its `+`); null for header lines and anything else. */
export function parseIisRequest(line: string): IisRequest | null {
  if (line.startsWith('#')) return null;
  const f = line.split(' ');
  if (f.length !== iisFields.length) return null;
  const [date, time, sIp, method, stem, query, port, user, cIp, agent, status, sub, win32, taken] = f as [string, ...string[]];
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const t = /^(\d{2}):(\d{2}):(\d{2})$/.exec(time ?? '');
  if (!d || !t) return null;
  const at = fromUtc(+d[1]!, +d[2]!, +d[3]!, +t[1]!, +t[2]!, +t[3]!, 0);
  const numbers = [port, status, sub, win32, taken].map((n) => (n !== undefined && /^\d+$/.test(n) ? +n : NaN));
  if (Number.isNaN(at) || numbers.some(Number.isNaN)) return null;
  return {
    at,
    serverIp: sIp!,
    method: method!,
    uriStem: stem!,
    uriQuery: unset(query!),
    port: numbers[0]!,
    username: unset(user!),
    clientIp: cIp!,
    userAgent: unset(agent!),
    status: numbers[1]!,
    subStatus: numbers[2]!,
    win32Status: numbers[3]!,
    timeTaken: numbers[4]!,
  };
}

function severityOfStatus(status: number): Severity {
  if (status >= 500) return 'error';
  if (status >= 400) return 'warning';
  return 'info';
}

/** For the viewer: the level is the HTTP status class (5xx error, 4xx warning); the message is the request. */
export function parseIisLine(line: string): ParsedLine | null {
  const r = parseIisRequest(line);
  if (!r) return null;
  const query = r.uriQuery ? `?${r.uriQuery}` : '';
  return {
    at: r.at,
    level: severityOfStatus(r.status),
    label: String(r.status),
    message: `${r.method} ${r.uriStem}${query} ${r.status}.${r.subStatus ?? 0} ${r.timeTaken}ms from ${r.clientIp}`,
  };
}
