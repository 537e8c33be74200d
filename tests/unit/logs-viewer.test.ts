// The log viewer's pure parts: the renderer's line headers agree with the log library's formats, the
// worker's filter (levels, text, search, stack traces), the virtual window on a 1,000,000-line file, the
// highlight and the jump box's time.
import { describe, expect, it, vi } from 'vitest';
import { appAgentLine, bootstrapperLine, consoleLines, fabricLine, hostProcessLine } from '../../src-main/logs/log-formats';
import { eventLine, roleCrashed } from '../../src-main/logs/windows-azure-events';
import { filterPage, filterText, startFilter } from '../../src-renderer/lib/log-filter';
import { createFilterWorker, type FilterWorker } from '../../src-renderer/lib/log-filter-host';
import { LogScan, pagesInFlight } from '../../src-renderer/lib/log-scan';
import type { FabricApi } from '../../src-main/common/fabric-api';
import type { LogPageRequest } from '../../src-main/common/log-api';
import { lineHeader } from '../../src-renderer/lib/log-lines';
import { lineSeverityCode } from '../../src-main/common/log-levels';
import { LineList } from '../../src-renderer/lib/log-source';
import { highlight, maxScrollHeight, parseJumpTime, visibleRows } from '../../src-renderer/lib/log-view';
import type { ScanJob } from '../../src-renderer/lib/log-scan-protocol';

const at = Date.UTC(2019, 10, 14, 5, 52, 13, 440);

describe('line headers in the renderer', () => {
  it('read the time and level the log library writes, for every format', () => {
    expect(lineHeader('app-agent', appAgentLine(at, 20, 'HEART', 'WindowsAzureGuestAgent Heartbeat.'))).toEqual({ at, level: 'heartbeat' });
    expect(lineHeader('bootstrapper', bootstrapperLine(at, 3604, 2604, 'WARN', 'x'))).toEqual({ at, level: 'warning' });
    expect(lineHeader('host-process', hostProcessLine(at, 'WaWorkerHost', 1200, 7, 'ERROR', 'x'))).toEqual({ at, level: 'error' });
    expect(lineHeader('fabric', fabricLine(at, 'INFO', 'req 1: x'))).toEqual({ at, level: 'info' });
    expect(lineHeader('events', eventLine(roleCrashed({ at, instance: 'I', process: 'WaWorkerHost.exe', exception: 'E\n at x' })))).toEqual({ at, level: 'error' });
    expect(lineHeader('iis', '2019-11-14 05:52:13 10.0.0.4 GET /default.aspx - 80 - 168.63.129.16 Mozilla/5.0 503 0 0 15')).toEqual({ at: Date.UTC(2019, 10, 14, 5, 52, 13), level: 'error' });
    expect(lineHeader('app-agent', 'a continuation line')).toEqual({ at: null, level: null });
  });
});

const job = (over: Partial<ScanJob>): ScanJob => ({ type: 'job', id: 1, format: 'host-process', levels: null, filterText: '', search: '', regex: false, caseSensitive: false, ...over });

describe('the viewer worker\'s filter', () => {
  const lines = [
    hostProcessLine(at, 'WaWorkerHost', 1, 1, 'INFO', 'Role entrypoint . CALLING   OnStart():'),
    ...consoleLines(at, 'WaWorkerHost', 1, 7, 'stderr', 'Unhandled Exception: Boom\n   at Run()'),
    'a foreign continuation line',
    hostProcessLine(at, 'WaWorkerHost', 1, 1, 'VERB', 'probe'),
  ];

  it('keeps the chosen levels, and a continuation line goes with the record before it', () => {
    const state = startFilter(job({ levels: ['error'] }));
    expect([...filterPage(state, 100, lines).filter]).toEqual([101, 102, 103]);
  });

  it('filters by text and finds the search among the lines shown, across pages', () => {
    const state = startFilter(job({ filterText: 'workerhost', search: 'Run|OnStart', regex: true }));
    const first = filterPage(state, 0, lines.slice(0, 2));
    const second = filterPage(state, 2, lines.slice(2));
    expect([...first.filter, ...second.filter]).toEqual([0, 1, 2, 4]);
    expect([...first.search, ...second.search]).toEqual([0, 2]);
    // An unfinished regex: no match (not even an empty line), no throw.
    expect([...filterPage(startFilter(job({ search: '(', regex: true })), 0, [...lines, '']).search]).toEqual([]);
    expect([...filterText(startFilter(job({ search: '(', regex: true })), 0, [...lines, ''].join('\n'), lines.length + 1).search]).toEqual([]);
  });

  it('filters 1,000,000 lines in well under the time a user waits', () => {
    const page = Array.from({ length: 10_000 }, (_, i) => appAgentLine(at + i * 2500, 20, i % 100 === 0 ? 'ERROR' : 'HEART', i % 100 === 0 ? 'Role failed.' : 'WindowsAzureGuestAgent Heartbeat.'));
    const state = startFilter(job({ format: 'app-agent', levels: ['error'], search: 'failed' }));
    const started = performance.now();
    let kept = 0;
    for (let p = 0; p < 100; p++) kept += filterPage(state, p * 10_000, page).filter.length;
    const ms = performance.now() - started;
    expect(kept).toBe(10_000);
    expect(ms).toBeLessThan(5_000);
  });
});

describe('the virtual window', () => {
  it('draws only the rows in view, also for a 1,000,000-line file whose height is capped', () => {
    const small = visibleRows(180, 360, 18, 1000);
    expect(small.first).toBe(4);
    expect(small.end - small.first).toBeLessThan(40);
    const big = visibleRows(0, 360, 18, 1_000_000);
    expect(big.height).toBe(maxScrollHeight);
    expect(big.end - big.first).toBeLessThanOrEqual(22);
    const middle = visibleRows(big.scrollTopFor(500_000), 360, 18, 1_000_000);
    expect(Math.abs(middle.first - 500_000)).toBeLessThan(2);
    const end = visibleRows(maxScrollHeight, 360, 18, 1_000_000);
    expect(end.end).toBe(1_000_000);
  });

  it('highlights every match, and jumps to a time on the day in view', () => {
    expect(highlight('a Heartbeat and heartbeat', /heartbeat/gi)).toEqual([
      { text: 'a ', hit: false },
      { text: 'Heartbeat', hit: true },
      { text: ' and ', hit: false },
      { text: 'heartbeat', hit: true },
    ]);
    expect(parseJumpTime('06:02:33', at)).toBe(Date.UTC(2019, 10, 14, 6, 2, 33));
    expect(parseJumpTime('2019-11-15 00:00', null)).toBe(Date.UTC(2019, 10, 15));
    expect(parseJumpTime('25:00', at)).toBeNull();
    expect(parseJumpTime('soon', at)).toBeNull();
  });

  it('keeps match lists compact and answers past their end with -1', () => {
    const list = new LineList();
    list.push(Uint32Array.from([3, 9, 27]));
    expect([list.at(1), list.at(3), list.lowerBound(10)]).toEqual([9, -1, 2]);
  });
});

/** readLog over lines in memory, as the fabric answers it; `onRead` sees each request. */
function readLogOf(file: string[], onRead: (request: LogPageRequest) => void) {
  return async (request: LogPageRequest) => {
    onRead(request);
    const lines = file.slice(request.fromLine, request.fromLine + request.count);
    const page = { file: 'f', fromLine: request.fromLine, total: file.length };
    return request.as === 'text' ? { ...page, text: lines.join('\n'), count: lines.length } : { ...page, lines };
  };
}

describe('a scan over a whole file', () => {
  it('pages the file through the API into the filter, and falls back to the UI thread where no worker can start', async () => {
    const file = Array.from({ length: 12_345 }, (_, i) => appAgentLine(at + i, 20, i % 1000 === 0 ? 'ERROR' : 'HEART', `line ${i}`));
    const reads: number[] = [];
    const shapes = new Set<string | undefined>();
    const api = { readLog: readLogOf(file, (r) => (reads.push(r.count), shapes.add(r.as))) } as unknown as FabricApi;
    const why: string[] = [];
    const worker = createFilterWorker((reason) => why.push(reason)); // Node has no Web Worker global
    let progress = 0;
    const scan = new LogScan(api, 'f', worker, { format: 'app-agent', levels: ['error'], filterText: '', search: 'line 1', regex: false, caseSensitive: false }, () => progress++);
    await scan.resume(file.length);
    expect(why.length).toBe(1);
    expect(scan.filter.length).toBe(13);
    expect([...Array(scan.search.length).keys()].map((i) => scan.search.at(i))).toEqual([1000, 10000, 11000, 12000]);
    expect(Math.max(...reads)).toBeLessThanOrEqual(5_000); // one page at a time, never the whole file
    expect([...shapes]).toEqual(['text']);
    expect(scan.done).toBe(true);
    expect(progress).toBe(3);
  });
});

describe('pages in flight', () => {
  // A worker that answers a page only when the test says so: what was posted and not answered can be counted.
  function heldWorker() {
    const inner = createFilterWorker(() => undefined);
    const held: (() => void)[] = [];
    let posted = 0;
    const worker: FilterWorker = {
      postMessage: (message) => {
        if (message.type === 'page') posted++;
        if (message.type === 'job') inner.postMessage(message);
        else held.push(() => inner.postMessage(message));
      },
      addEventListener: (type, listener) => inner.addEventListener(type, listener),
      removeEventListener: (type, listener) => inner.removeEventListener(type, listener),
      terminate: () => inner.terminate(),
    };
    return { worker, held, posted: () => posted };
  }
  const file = Array.from({ length: 23_000 }, (_, i) => appAgentLine(at + i, 20, 'HEART', `line ${i}`));

  it('reads the next page while the worker filters one, never more than two ahead, and keeps the answers in order', async () => {
    const reads: number[] = [];
    const api = { readLog: readLogOf(file, (r) => reads.push(r.fromLine)) } as unknown as FabricApi;
    const { worker, held, posted } = heldWorker();
    const scan = new LogScan(api, 'f', worker, { format: 'app-agent', levels: null, filterText: 'line 1', search: '', regex: false, caseSensitive: false }, () => undefined);
    const done = scan.resume(file.length);
    await vi.waitFor(() => expect(posted()).toBe(pagesInFlight));
    expect(reads).toEqual([0, 5_000]); // the second page was read and posted before the first was answered
    await new Promise((r) => setTimeout(r, 20));
    expect(posted()).toBe(2); // and no third while both wait
    // Answer them in turn; each answer lets one more page go.
    while (held.length > 0 || !scan.done) {
      held.shift()?.();
      await new Promise((r) => setTimeout(r, 5));
      expect(posted() - scan.scanned / 5_000).toBeLessThanOrEqual(pagesInFlight);
    }
    await done;
    expect(reads).toEqual([0, 5_000, 10_000, 15_000, 20_000]);
    const shown = [...Array(scan.filter.length).keys()].map((i) => scan.filter.at(i));
    expect(shown).toEqual(file.flatMap((line, i) => (line.includes('line 1') ? [i] : [])));
  });

  it('ends, not spins, when the file is shorter than it said', async () => {
    const api = { readLog: readLogOf(file.slice(0, 7_000), () => undefined) } as unknown as FabricApi;
    const scan = new LogScan(api, 'f', createFilterWorker(() => undefined), { format: 'app-agent', levels: null, filterText: 'line', search: '', regex: false, caseSensitive: false }, () => undefined);
    await scan.resume(file.length); // says 23,000; the file has 7,000
    expect(scan.scanned).toBe(7_000);
    expect(scan.filter.length).toBe(7_000);
    expect(scan.done).toBe(true);
  });
});

describe('a level filter over the level index', () => {
  const file = [
    ...Array.from({ length: 8_991 }, (_, i) => appAgentLine(at + i, 20, i % 1000 === 0 ? 'ERROR' : i % 10 === 0 ? 'INFO' : 'HEART', `line ${i}`)),
    'a continuation of the last record',
  ];
  const codes = file.map((l) => lineSeverityCode('app-agent', l)).join('');

  it('gives the lines the header parser gives, from the codes alone', () => {
    const byHeaders = filterPage(startFilter(job({ format: 'app-agent', levels: ['error', 'info'] })), 0, file);
    const byCodes = startFilter(job({ format: 'app-agent', levels: ['error', 'info'] }));
    const first = filterPage(byCodes, 0, [], codes.slice(0, 4_000)).filter;
    const rest = filterPage(byCodes, 4_000, [], codes.slice(4_000)).filter;
    expect([...first, ...rest]).toEqual([...byHeaders.filter]);
    expect([...rest.slice(-2)]).toEqual([8990, 8991]); // the continuation goes with the INFO record before it
    expect(() => filterPage(startFilter(job({ levels: ['error'], search: 'x' })), 0, [], 'e')).toThrow(/level only/);
  });

  it('reads no line for a level-only job where the index reaches, and the lines past it', async () => {
    const indexed = 7_000; // the index lags: the last lines' codes are not written yet
    const reads: number[] = [];
    const api = {
      readLogLevels: async ({ fromLine, count }: { fromLine: number; count: number }) => ({ file: 'f', fromLine, levels: codes.slice(fromLine, Math.min(indexed, fromLine + count)), total: file.length }),
      readLog: readLogOf(file, (r) => reads.push(r.fromLine)),
    } as unknown as FabricApi;
    const worker = createFilterWorker(() => undefined);
    const levelsOnly = new LogScan(api, 'f', worker, { format: 'app-agent', levels: ['error'], filterText: '', search: '', regex: false, caseSensitive: false }, () => undefined);
    await levelsOnly.resume(file.length);
    expect(reads).toEqual([7_000]);
    expect([...Array(levelsOnly.filter.length).keys()].map((i) => levelsOnly.filter.at(i))).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]);
    levelsOnly.cancel();

    reads.length = 0;
    const withSearch = new LogScan(api, 'f', worker, { format: 'app-agent', levels: ['error'], filterText: '', search: 'line 8', regex: false, caseSensitive: false }, () => undefined);
    await withSearch.resume(file.length);
    expect(reads).toEqual([0, 5_000]);
    expect(withSearch.filter.length).toBe(9);
    expect(withSearch.search.at(0)).toBe(8000);
    withSearch.cancel();
  });
});
