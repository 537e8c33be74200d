// Messages between the log viewer and its filter/search worker (log-filter.worker.ts).
import type { LogFileFormat } from '../../src-main/common/log-api';
import type { Severity } from './log-lines';

/** A new filter/search over a file: replaces any job before it. */
export interface ScanJob {
  type: 'job';
  id: number;
  format: LogFileFormat;
  /** Levels shown; null: all (lines without a level of their own take the previous record's). */
  levels: Severity[] | null;
  /** Shown lines must contain this text (case-insensitive); empty: no text filter. */
  filterText: string;
  /** Lines to find and highlight among those shown; empty: no search. */
  search: string;
  regex: boolean;
  caseSensitive: boolean;
}

/**
 * Lines from `fromLine`: `count` lines as one text joined by '\n' (readLog's `as: 'text'`, what LogScan sends),
 * or as an array of lines, with their level codes from the file's level index (common/log-levels.ts; absent
 * where the index has not reached, and the worker reads each line's header); or, for a job that filters by
 * level only, the codes alone (`lines` empty): no line is read at all.
 */
export type ScanPage = { type: 'page'; job: number; fromLine: number; levels?: string } & ({ text: string; count: number } | { lines: string[] });

export interface ScanResult {
  type: 'result';
  job: number;
  fromLine: number;
  count: number;
  /** Line numbers (in the file) that pass the filter, and those that match the search. */
  filter: Uint32Array;
  search: Uint32Array;
}
