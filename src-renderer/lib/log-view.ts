// Pure helpers of the log viewer: which rows are on screen (with a scroll height capped for files of
// millions of lines), highlighted parts of a line, the file picker's labels, and the jump box's time.
import type { LogFileInfo } from '../../src-main/common/log-api';

/** Browsers cap an element's height (Firefox near 17.9 million px); past this the scroll position is scaled. */
export const maxScrollHeight = 8_000_000;
const overscan = 6;

export interface RowWindow {
  first: number;
  end: number;
  /** Height of the scrollable content. */
  height: number;
  /** Where the rendered rows sit inside it. */
  windowTop: number;
  /** The scrollTop that puts a row near the top third of the view. */
  scrollTopFor(row: number): number;
}

export function visibleRows(scrollTop: number, viewHeight: number, rowHeight: number, rows: number): RowWindow {
  const full = rows * rowHeight;
  const height = Math.min(full, maxScrollHeight);
  const scaled = full > maxScrollHeight;
  const fits = Math.ceil(Math.max(viewHeight, rowHeight) / rowHeight);
  const room = Math.max(1, height - viewHeight);
  const top = Math.max(0, Math.min(scrollTop, room));
  let first: number;
  let windowTop: number;
  if (scaled) {
    // The scrollbar stands for the position in the file, and the rows in view are drawn where the view is.
    first = Math.round((top / room) * Math.max(0, rows - fits));
    windowTop = top;
  } else {
    first = Math.max(0, Math.floor(top / rowHeight) - overscan);
    windowTop = first * rowHeight;
  }
  const end = Math.min(rows, first + fits + (scaled ? 0 : 2 * overscan) + 1);
  return {
    first,
    end,
    height,
    windowTop,
    scrollTopFor(row: number): number {
      if (row >= rows - fits) return height; // the end: as far as it goes
      if (scaled) return (row / Math.max(1, rows - fits)) * room;
      return Math.max(0, row * rowHeight - viewHeight / 3);
    },
  };
}

export interface Part {
  text: string;
  hit: boolean;
}

/** A line cut into plain and matching parts (the regex must be global). */
export function highlight(text: string, regex: RegExp | null): Part[] {
  if (!regex) return [{ text, hit: false }];
  const parts: Part[] = [];
  let last = 0;
  regex.lastIndex = 0;
  for (let m = regex.exec(text); m; m = regex.exec(text)) {
    if (m[0] === '') {
      regex.lastIndex++;
      continue;
    }
    if (m.index > last) parts.push({ text: text.slice(last, m.index), hit: false });
    parts.push({ text: m[0], hit: true });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), hit: false });
  return parts.length ? parts : [{ text, hit: false }];
}

/** `lines`: the live count for the open file (the listing's is from when it was read). */
export function labelOf(f: LogFileInfo, lines = f.lines): string {
  const where = f.vmPath ?? f.file;
  const which = f.current ? 'current' : `earlier run ${f.rotation}`;
  return `${f.process} (${which}) · ${lines.toLocaleString('en-US')} lines · ${where}`;
}

/**
 * `HH:MM[:SS]` on the day of `base` (the time of the line in view), or `YYYY-MM-DD HH:MM[:SS]`; UTC,
 * as the logs print the emulated clock. Null when it is neither.
 */
export function parseJumpTime(text: string, base: number | null): number | null {
  const m = /^\s*(?:(\d{4})-(\d{2})-(\d{2})[ T])?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?\s*$/.exec(text);
  if (!m) return null;
  const day = m[1] ? Date.UTC(+m[1], +m[2]! - 1, +m[3]!) : base !== null ? Math.floor(base / 86_400_000) * 86_400_000 : null;
  if (day === null || +m[4]! > 23 || +m[5]! > 59 || +(m[6] ?? 0) > 59) return null;
  return day + ((+m[4]! * 60 + +m[5]!) * 60 + +(m[6] ?? 0)) * 1000 + +(m[7] ?? '0').padEnd(3, '0');
}
