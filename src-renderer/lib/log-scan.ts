// Drives one filter/search over a whole file: pages it through the API as text pages (readLog's `as: 'text'`:
// one string a page clones into the worker in about half the time 5,000 strings do), two pages in flight at a
// time (the next is read and posted while the worker filters one: each hop to the worker and back waits for its
// thread, docs/PERFORMANCE.md), so memory stays two pages, and collects the worker's answers in order. When the
// file grows (follow mode), resume() scans just the new lines. A level filter reads the file's level index first
// (readLogLevels): a job that filters by level only then reads no line at all, and one with a text filter or
// search sends each page's codes with its lines, so the worker parses no header. Where the index stops (it may
// lag the log), the worker reads the lines' headers as before.
import type { FabricApi } from '../../src-main/common/fabric-api';
import type { FilterWorker, ScanMessage } from './log-filter-host';
import { LineList } from './log-source';
import type { ScanJob, ScanPage, ScanResult } from './log-scan-protocol';

const scanPage = 5_000;
/** Pages posted to the worker and not yet answered. */
export const pagesInFlight = 2;
/** Level codes asked for at once (1 byte a line). */
const levelsPage = 1_000_000;
let nextJob = 1;

export class LogScan {
  readonly filter = new LineList();
  readonly search = new LineList();
  scanned = 0;
  total = 0;
  private cancelled = false;
  private looping = false;
  /** The answers awaited, in the order their pages were posted (the worker answers a job's pages in order). */
  private readonly waiting: ((result: ScanResult) => void)[] = [];
  private readonly onMessage = (event: ScanMessage) => {
    if (event.data.job === this.job.id) this.waiting.shift()?.(event.data);
  };
  private readonly job: ScanJob;
  /** Level codes from the index, from line `codesFrom`; asked again at each resume (the index catches up). */
  private codes = '';
  private codesFrom = 0;
  private codesAsked = false;

  constructor(
    private readonly api: FabricApi,
    private readonly file: string,
    private readonly worker: FilterWorker,
    job: Omit<ScanJob, 'type' | 'id'>,
    private readonly onProgress: () => void,
  ) {
    this.job = { type: 'job', id: nextJob++, ...job };
    worker.addEventListener('message', this.onMessage);
    worker.postMessage(this.job);
  }

  get done(): boolean {
    return this.scanned >= this.total && !this.looping;
  }

  /** Scan up to the file's current end (again after it grew). */
  async resume(total: number): Promise<void> {
    this.total = Math.max(this.total, total);
    if (this.looping || this.cancelled) return;
    this.looping = true;
    this.codesAsked = false;
    const answers: Promise<ScanResult>[] = [];
    let next = this.scanned; // the first line not yet posted
    try {
      while (!this.cancelled && (answers.length > 0 || next < this.total)) {
        if (answers.length < pagesInFlight && next < this.total) {
          const message = await this.pageAt(next);
          if (this.cancelled) return;
          const count = 'text' in message ? message.count : (message.levels?.length ?? 0);
          if (count === 0) {
            this.total = next; // the file ends before the total it was given: the pages posted still answer
            continue;
          }
          next += count;
          answers.push(new Promise<ScanResult>((resolve) => this.waiting.push(resolve)));
          this.worker.postMessage(message);
          continue;
        }
        const result = await answers.shift()!;
        if (this.cancelled) return;
        this.filter.push(result.filter);
        this.search.push(result.search);
        this.scanned += result.count;
        this.onProgress();
      }
    } finally {
      this.looping = false;
      this.waiting.length = 0;
    }
  }

  /** The worker's page from line `from`: level codes alone where they serve the job, else up to 5,000 lines read as text. */
  private async pageAt(from: number): Promise<ScanPage> {
    const codes = await this.codesAt(from);
    if (codes.length > 0 && !this.job.filterText && !this.job.search) return { type: 'page', job: this.job.id, fromLine: from, lines: [], levels: codes };
    const page = await this.api.readLog({ file: this.file, fromLine: from, count: Math.min(scanPage, this.total - from), as: 'text' });
    this.total = Math.max(this.total, page.total);
    const levels = codes.length >= page.count ? codes.slice(0, page.count) : undefined;
    return { type: 'page', job: this.job.id, fromLine: page.fromLine, text: page.text, count: page.count, ...(levels !== undefined ? { levels } : {}) };
  }

  /** The index's codes from line `from` on, as far as it reaches; empty without a level filter or past the index. */
  private async codesAt(from: number): Promise<string> {
    if (!this.job.levels) return '';
    if (from < this.codesFrom || from >= this.codesFrom + this.codes.length) {
      if (this.codesAsked) return '';
      this.codesAsked = true;
      try {
        const view = await this.api.readLogLevels({ file: this.file, fromLine: from, count: Math.min(levelsPage, Math.max(1, this.total - from)) });
        this.codes = view.levels;
        this.codesFrom = from;
        this.total = Math.max(this.total, view.total);
      } catch {
        return ''; // no index to be had: the worker reads the lines' headers (readLog reports what is wrong with the file)
      }
      if (this.codes.length === 0) return '';
      if (this.codes.length === Math.min(levelsPage, this.total - from)) this.codesAsked = false; // a full chunk: the next one may follow
    }
    return this.codes.slice(from - this.codesFrom);
  }

  cancel(): void {
    this.cancelled = true;
    this.worker.removeEventListener('message', this.onMessage);
  }
}
