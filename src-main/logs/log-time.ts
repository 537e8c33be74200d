// Timestamps as the real logs print them. Every log writes emulated time (ms since the epoch) in UTC, so a
// session reads the same on every machine whatever its time zone.

/** The UTC fields of an emulated instant. */
export interface UtcParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

export function utcParts(at: number): UtcParts {
  if (!Number.isFinite(at)) throw new RangeError(`A log timestamp must be a finite number of ms, not ${at}`);
  const d = new Date(Math.floor(at));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
  };
}

/** Zero-padded decimal; ids and time fields in these logs are decimal (Windows pids are multiples of 4: 3604, 2604). */
export function pad(value: number, width: number): string {
  return String(Math.trunc(value)).padStart(width, '0');
}

/** Milliseconds since the epoch of UTC fields read back from a line; NaN when the fields are not a real date. */
export function fromUtc(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number {
  const at = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const back = new Date(at);
  // Date.UTC rolls 02/30 over into March; a line with such a date is not one we wrote.
  if (back.getUTCDate() !== day || back.getUTCMonth() !== month - 1 || hour > 23 || minute > 59 || second > 59) return NaN;
  return at;
}

/** `HH:MM:SS` */
export function clock(p: UtcParts): string {
  return `${pad(p.hour, 2)}:${pad(p.minute, 2)}:${pad(p.second, 2)}`;
}
