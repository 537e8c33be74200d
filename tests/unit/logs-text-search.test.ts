// The viewer's filter over a text page (lines joined by '\n', what LogScan now sends) against the same filter
// line by line (the path before it, kept as the reference): the same lines, on inputs that trip a regular
// expression run over a whole page: empty lines, a last line, anchors, matches that would run over a newline,
// empty matches, lookaround, a CR left inside a line, Unicode and case.
import { describe, expect, it } from 'vitest';
import { appAgentLine } from '../../src-main/logs/log-formats';
import { lineSeverityCode } from '../../src-main/common/log-levels';
import { filterPage, filterText, startFilter } from '../../src-renderer/lib/log-filter';
import { linePattern, patternError } from '../../src-renderer/lib/log-text-search';
import type { ScanJob } from '../../src-renderer/lib/log-scan-protocol';

const at = Date.UTC(2019, 10, 14, 5, 52, 13, 440);
const job = (over: Partial<ScanJob>): ScanJob => ({ type: 'job', id: 1, format: 'app-agent', levels: null, filterText: '', search: '', regex: false, caseSensitive: false, ...over });

/** Both paths over `lines` cut into pages of `size` (the level state carries across pages); each answers filter and search. */
function bothPaths(over: Partial<ScanJob>, lines: string[], size: number, withCodes = false) {
  const byLines = startFilter(job(over));
  const byText = startFilter(job(over));
  const lineAnswers = { filter: [] as number[], search: [] as number[] };
  const textAnswers = { filter: [] as number[], search: [] as number[] };
  for (let from = 0; from < lines.length; from += size) {
    const page = lines.slice(from, from + size);
    const codes = withCodes ? page.map((l) => lineSeverityCode('app-agent', l)).join('') : undefined;
    const a = filterPage(byLines, from, page, codes);
    const b = filterText(byText, from, page.join('\n'), page.length, codes);
    lineAnswers.filter.push(...a.filter);
    lineAnswers.search.push(...a.search);
    textAnswers.filter.push(...b.filter);
    textAnswers.search.push(...b.search);
  }
  return { lineAnswers, textAnswers };
}

const tricky = [
  '',
  'abc',
  'ABC',
  'a b',
  'a',
  '',
  'b',
  'ab',
  'c',
  'x\ry', // a lone CR stays inside a line (the reader only drops the CR of a CRLF)
  'y\r', // a line that ended "\r\r\n"
  'ab\u2028cd',
  'é É ǅ ß İ ı ſ K',
  '😀 surrogate pair',
  'aaa',
  '  ',
  'tab\there',
  'price $5 ^ caret \\ slash',
  'WorkerRole1_IN_3 sequence 125.',
  'workerrole1_in_3 SEQUENCE 9.',
  '',
];

const searches: [string, boolean, boolean][] = [
  ...['a', 'A', 'b', 'ab', ' ', 'é', 'É', 'ß', 'k', '😀', '$', '^', '\\', '.', 'x\ry', '\r', 'a\nb', 'sequence 125.'].flatMap((s): [string, boolean, boolean][] => [
    [s, false, false],
    [s, false, true],
  ]),
  ...[
    '^a', 'b$', '^$', '^', '$', '^.*$', 'y$', '^y', '^\\s*$', 'a\\sb', '.*', 'x*', '(?:)', '\\s', '\\S+$', '[^z]+', 'a[\\s\\S]*?b', 'ab[\\sb]+c|b',
    'a|^$', '\\bb', '\\Bb', '(?<=a)b', '(?<!a)b', 'a(?=\\s)', '(?=$)', '(?!a)', '\\n', '[\\s\\S]', '\\r', '\\u2028', 'É', '[é-ë]', '\\w+', '\\W',
    '(a)\\1', 'sequence \\d+5\\.', 'in_\\d', '^(?:abc|ABC)$', '\\d*', '$^', 'c$|^x',
  ].flatMap((s): [string, boolean, boolean][] => [
    [s, true, false],
    [s, true, true],
  ]),
  ['(', true, false],
  ['[a-', true, true],
  ['a{1', true, false], // not a syntax error without the u flag: a literal "{1"
];

describe('a text page gives the answers of the same lines one by one', () => {
  it.each(searches)('search %j (regex %s, match case %s), alone and under a text filter, in pages of 1, 3 and all', (search, regex, caseSensitive) => {
    for (const filter of ['', 'a', 'A', 'É', ' ']) {
      for (const size of [1, 3, tricky.length]) {
        const { lineAnswers, textAnswers } = bothPaths({ format: 'text', filterText: filter, search, regex, caseSensitive }, tricky, size);
        expect(textAnswers, `filter ${JSON.stringify(filter)}, pages of ${size}`).toEqual(lineAnswers);
      }
    }
  });

  it('keeps the level filter with text: the codes sent beside the page, or the headers where the index stops', () => {
    const lines = Array.from({ length: 60 }, (_, i) =>
      i % 7 === 3 ? `   at Role.Run() ${i}` : appAgentLine(at + i, 20, i % 10 === 0 ? 'ERROR' : i % 4 === 0 ? 'INFO' : 'HEART', i % 3 === 0 ? `Role WorkerRole1_IN_${i % 5} sequence ${i}.` : ''),
    );
    for (const withCodes of [true, false]) {
      for (const size of [1, 7, 60]) {
        for (const over of [{ levels: ['error' as const] }, { levels: ['error' as const, 'info' as const], filterText: 'role' }, { levels: ['info' as const], search: '^\\[.*\\d\\.$', regex: true }]) {
          const { lineAnswers, textAnswers } = bothPaths(over, lines, size, withCodes);
          expect(textAnswers, `${JSON.stringify(over)}, pages of ${size}, codes ${withCodes}`).toEqual(lineAnswers);
          expect(lineAnswers.filter.length).toBeGreaterThan(0);
        }
      }
    }
  });

  it('agrees on random lines and random patterns', () => {
    let seed = 16;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const alphabet = ['a', 'A', 'b', ' ', '\t', 'é', 'É', '\r', '\u2028', '.', '$'];
    const pieces = ['a', 'b', 'A', ' ', '\\s', '\\S', '.', '.*', '[^b]', '^', '$', '\\b', '?', '*', '+', '|', '(?=a)', '(?<!b)', 'é', '[\\s\\S]', 'a{2}'];
    for (let round = 0; round < 300; round++) {
      const lines = Array.from({ length: 1 + random(12) }, () => Array.from({ length: random(6) }, () => alphabet[random(alphabet.length)]).join(''));
      const search = Array.from({ length: 1 + random(4) }, () => pieces[random(pieces.length)]).join('');
      const over = { format: 'text' as const, search, regex: true, caseSensitive: random(2) === 0, filterText: random(3) === 0 ? 'a' : '' };
      const { lineAnswers, textAnswers } = bothPaths(over, lines, 1 + random(5));
      expect(textAnswers, `${JSON.stringify(lines)} ${JSON.stringify(over)}`).toEqual(lineAnswers);
    }
  });

  it('does not stall on a pattern that matches nothing, or the empty string, on a long page', () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => (i % 3 === 0 ? '' : `line ${i}`));
    const started = performance.now();
    for (const search of ['', 'x*', '^', '$^', '(?:)']) {
      const { lineAnswers, textAnswers } = bothPaths({ format: 'text', search, regex: true }, lines, 5_000);
      expect(textAnswers).toEqual(lineAnswers);
    }
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe('a search that is not a regular expression', () => {
  it('says why in the engine\'s words and matches nothing; plain text and valid expressions have no error', () => {
    expect(patternError('start(ing', true)).toBe('Invalid regular expression: /start(ing/: Unterminated group');
    expect(patternError('[a-', true)).toMatch(/^Invalid regular expression: \/\[a-\/: /);
    expect(linePattern('start(ing', true, false)).toBeNull();
    expect(patternError('start(ing', false)).toBeNull(); // plain text: the parenthesis is a character
    expect(linePattern('start(ing', false, false)!.line.test('start(ing')).toBe(true);
    expect(patternError('start(ing)', true)).toBeNull();
    expect(patternError('', true)).toBeNull();
  });
});
