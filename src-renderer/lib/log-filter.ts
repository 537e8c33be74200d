// The matching the log viewer's worker does on each page: which lines pass the level/text filter and which
// of those match the search. Pure, so it is tested without a worker; continuation lines (a stack trace)
// take the level of the record before them, across pages too (the state carries it).
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

export function filterPage(state: FilterState, fromLine: number, lines: readonly string[]): { filter: Uint32Array; search: Uint32Array } {
  const filtered: number[] = [];
  const found: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (state.levels) {
      const level = lineHeader(state.job.format, line).level;
      if (level) state.lastLevel = level;
    }
    const passes = (!state.levels || (state.lastLevel !== null && state.levels.has(state.lastLevel))) && (!state.filterText || state.filterText.test(line));
    if (passes) filtered.push(fromLine + i);
    if (state.search && passes && state.search.test(line)) found.push(fromLine + i);
  }
  return { filter: Uint32Array.from(filtered), search: Uint32Array.from(found) };
}
