// The matching the log viewer's worker does on each page: which lines pass the level/text filter and which
// of those match the search. Pure, so it is tested without a worker; continuation lines (a stack trace)
// take the level of the record before them, across pages too (the state carries it).
import { noSeverityCode, severityCode, severityOfCode } from '../../src-main/common/log-levels';
import { lineHeader, type Severity } from './log-lines';
import type { ScanJob } from './log-scan-protocol';

export interface FilterState {
  job: ScanJob;
  filterText: RegExp | null;
  search: RegExp | null;
  levels: Set<Severity> | null;
  lastLevel: Severity | null;
}

function pattern(text: string, regex: boolean, caseSensitive: boolean): RegExp | null {
  if (!text) return null;
  try {
    return new RegExp(regex ? text : text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), caseSensitive ? '' : 'i');
  } catch {
    return /$^/; // an unfinished regular expression matches nothing until it is fixed
  }
}

export function startFilter(job: ScanJob): FilterState {
  return {
    job,
    filterText: pattern(job.filterText, false, false),
    search: pattern(job.search, job.regex, job.caseSensitive),
    levels: job.levels ? new Set(job.levels) : null,
    lastLevel: null,
  };
}

/** Lines a page covers: its lines, or its level codes alone. */
export const pageCount = (lines: readonly string[], levels?: string): number => (lines.length > 0 ? lines.length : (levels?.length ?? 0));

/**
 * `levels`: the lines' codes from the level index, so no header is parsed; with `lines` empty, the codes
 * alone (a job without text filter or search).
 */
export function filterPage(state: FilterState, fromLine: number, lines: readonly string[], levels?: string): { filter: Uint32Array; search: Uint32Array } {
  if (lines.length === 0 && levels !== undefined) return { filter: filterCodes(state, fromLine, levels), search: new Uint32Array(0) };
  const filtered: number[] = [];
  const found: number[] = [];
  const coded = levels !== undefined && levels.length === lines.length;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (state.levels) {
      const level = coded ? severityOfCode(levels[i]!) : lineHeader(state.job.format, line).level;
      if (level) state.lastLevel = level;
    }
    const passes = (!state.levels || (state.lastLevel !== null && state.levels.has(state.lastLevel))) && (!state.filterText || state.filterText.test(line));
    if (passes) filtered.push(fromLine + i);
    if (state.search && passes && state.search.test(line)) found.push(fromLine + i);
  }
  return { filter: Uint32Array.from(filtered), search: Uint32Array.from(found) };
}

/** The level filter over codes alone: a line passes when its level (or, without one, its record's) is shown. */
function filterCodes(state: FilterState, fromLine: number, levels: string): Uint32Array {
  if (state.filterText || state.search) throw new Error('A page of level codes alone serves a job that filters by level only.');
  const shown = new Uint8Array(128);
  for (const level of state.levels ?? ['heartbeat', 'verbose', 'info', 'warning', 'error'] as const) shown[severityCode[level].charCodeAt(0)] = 1;
  let last = state.lastLevel === null ? 0 : shown[severityCode[state.lastLevel].charCodeAt(0)]!;
  const out = new Uint32Array(levels.length);
  let n = 0;
  for (let i = 0; i < levels.length; i++) {
    const c = levels.charCodeAt(i);
    if (c !== noSeverityCharCode) last = c < 128 ? shown[c]! : 0;
    if (last) out[n++] = fromLine + i;
  }
  for (let i = levels.length - 1; i >= 0; i--) {
    const level = severityOfCode(levels[i]!);
    if (level) {
      state.lastLevel = level;
      break;
    }
  }
  return out.slice(0, n);
}

const noSeverityCharCode = noSeverityCode.charCodeAt(0);
