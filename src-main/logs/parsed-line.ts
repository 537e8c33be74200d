// What every log format's parser answers, in its own module so the formats (log-formats.ts, iis-log-format.ts,
// windows-azure-events.ts) share it without importing one another.

/** One severity scale for every format, so the viewer can filter mixed files the same way. */
export type Severity = 'heartbeat' | 'verbose' | 'info' | 'warning' | 'error';

export interface ParsedLine {
  /** Emulated ms since the epoch (UTC), at the precision the format prints. */
  at: number;
  level: Severity;
  /** The level as the line spells it (HEART, WARN, Information, 500...). */
  label: string;
  message: string;
}
