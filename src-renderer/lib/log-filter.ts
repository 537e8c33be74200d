// The matching the log viewer's worker does on each page: which lines pass the level/text filter and which
// of those match the search. Pure, so it is tested without a worker; continuation lines (a stack trace)
// take the level of the record before them, across pages too (the state carries it). A page comes as one
// text (what LogScan sends: cheap to clone, searched with one expression per page, log-text-search.ts), as
// lines, or as level codes alone.
import { noSeverityCode, severityCode, severityOfCode } from '../../src-main/common/log-levels';
import { lineHeader, type Severity } from './log-lines';
import type { ScanJob, ScanPage, ScanResult } from './log-scan-protocol';
import { keepMatching, lineAt, linePattern, lineStarts, type LinePattern } from './log-text-search';

export interface FilterState {
  job: ScanJob;
  filterText: LinePattern | null;
  search: LinePattern | null;
  levels: Set<Severity> | null;
  lastLevel: Severity | null;
}

export function startFilter(job: ScanJob): FilterState {
  return {
    job,
    filterText: linePattern(job.filterText, false, false),
    search: linePattern(job.search, job.regex, job.caseSensitive),
    levels: job.levels ? new Set(job.levels) : null,
    lastLevel: null,
  };
}

/** The worker's answer to one page. */
export function answerPage(state: FilterState, page: ScanPage): ScanResult {
  const { filter, search } =
    'text' in page ? filterText(state, page.fromLine, page.text, page.count, page.levels) : filterPage(state, page.fromLine, page.lines, page.levels);
  const count = 'text' in page ? page.count : page.lines.length > 0 ? page.lines.length : (page.levels?.length ?? 0);
  return { type: 'result', job: page.job, fromLine: page.fromLine, count, filter, search };
}

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
    const passes = (!state.levels || (state.lastLevel !== null && state.levels.has(state.lastLevel))) && (!state.filterText || state.filterText.line.test(line));
    if (passes) filtered.push(fromLine + i);
    if (state.search && passes && state.search.line.test(line)) found.push(fromLine + i);
  }
  return { filter: Uint32Array.from(filtered), search: Uint32Array.from(found) };
}

/** The same answer for `count` lines joined by '\n': the level filter line by line, the text filter and the search over the whole page. */
export function filterText(state: FilterState, fromLine: number, text: string, count: number, levels?: string): { filter: Uint32Array; search: Uint32Array } {
  const starts = lineStarts(text, count);
  const shown = new Uint8Array(count).fill(1);
  if (state.levels) {
    const coded = levels !== undefined && levels.length === count;
    for (let i = 0; i < count; i++) {
      const level = coded ? severityOfCode(levels[i]!) : lineHeader(state.job.format, lineAt(text, starts, i)).level;
      if (level) state.lastLevel = level;
      if (state.lastLevel === null || !state.levels.has(state.lastLevel)) shown[i] = 0;
    }
  }
  if (state.filterText) keepMatching(state.filterText, text, starts, shown);
  const found = state.search ? shown.slice() : new Uint8Array(count);
  if (state.search) keepMatching(state.search, text, starts, found);
  return { filter: linesOf(shown, fromLine), search: linesOf(found, fromLine) };
}

function linesOf(marks: Uint8Array, fromLine: number): Uint32Array {
  const out = new Uint32Array(marks.length);
  let n = 0;
  for (let i = 0; i < marks.length; i++) if (marks[i]) out[n++] = fromLine + i;
  return out.slice(0, n);
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
