// Which lines of a text page (readLog's `as: 'text'`: lines joined by '\n') a filter or search matches, found
// with one global regular expression over the page instead of one test per line, and exactly the lines a
// test per line would find:
// - the page expression finds the leftmost match from a line's start, so a line it passes over has none;
// - a match that runs over a newline (`a\sb`, `[^x]+`) says nothing of its line: that line is tested alone;
// - `^` and `$` get the m flag, which also stops at '\r', U+2028 and U+2029: a page holding those is tested by
//   line; so are expressions with lookaround, which may look past a line's ends without matching there;
// - after a match (even an empty one) the search goes on from the next kept line's start: it always advances;
// - when few lines are kept (a search among the lines a filter left), each is tested alone: a page search from
//   a line without a match would run on through lines that are not wanted.

/** A user's filter or search: `line` as typed, tested on one line; `page` its global form, or null where only lines answer exactly. */
export interface LinePattern {
  line: RegExp;
  page: RegExp | null;
  anchored: boolean;
}

/** Why the search text is not a regular expression (the engine's own words), or null when it is one or is not meant as one. */
export function patternError(text: string, regex: boolean): string | null {
  if (!text || !regex) return null;
  try {
    new RegExp(text);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Null for no text, and for an unfinished regular expression: it matches nothing until it is fixed (patternError says why). */
export function linePattern(text: string, regex: boolean, caseSensitive: boolean): LinePattern | null {
  if (!text) return null;
  const source = regex ? text : text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const flags = caseSensitive ? '' : 'i';
  let line: RegExp;
  try {
    line = new RegExp(source, flags);
  } catch {
    return null;
  }
  const anchored = regex && /[$^]/.test(source);
  const lookaround = regex && /\(\?<?[=!]/.test(source);
  return { line, page: lookaround ? null : new RegExp(source, `${flags}g${anchored ? 'm' : ''}`), anchored };
}

/** starts[i]: where line i begins; starts[count] is one past the text's end, as if a newline followed it. */
export function lineStarts(text: string, count: number): Uint32Array {
  const starts = new Uint32Array(count + 1);
  for (let i = 1, at = 0; i < count; i++) starts[i] = at = text.indexOf('\n', at) + 1;
  starts[count] = text.length + 1;
  return starts;
}

export const lineAt = (text: string, starts: Uint32Array, i: number): string => text.slice(starts[i]!, starts[i + 1]! - 1);

/** Clears keep[i] for each kept line the pattern does not match; lines not kept are not searched. */
export function keepMatching(pattern: LinePattern, text: string, starts: Uint32Array, keep: Uint8Array): void {
  const count = keep.length;
  let kept = 0;
  for (let i = 0; i < count; i++) kept += keep[i]!;
  const few = kept * 4 < count;
  const page = pattern.page && !few && !(pattern.anchored && /[\r\u2028\u2029]/.test(text)) ? pattern.page : null;
  if (!page) {
    for (let i = 0; i < count; i++) if (keep[i] && !pattern.line.test(lineAt(text, starts, i))) keep[i] = 0;
    return;
  }
  for (let i = keep.indexOf(1); i !== -1 && i < count; i = keep.indexOf(1, i + 1)) {
    page.lastIndex = starts[i]!;
    const match = page.exec(text);
    const at = match ? match.index : text.length + 1;
    while (i < count && starts[i + 1]! <= at) keep[i++] = 0; // passed over: no match starts in these lines
    if (i === count) break;
    const end = starts[i + 1]! - 1;
    if (keep[i] && at + match![0].length > end && !pattern.line.test(text.slice(starts[i]!, end))) keep[i] = 0;
  }
}
