// Drives one filter/search over a whole file: pages it through the API (one page in flight at a time, so
// memory stays one page) into the worker, and collects the worker's answers. When the file grows (follow
// mode), resume() scans just the new lines.
import type { FabricApi } from '../../src-main/common/fabric-api';
import type { FilterWorker, ScanMessage } from './log-filter-host';
import { LineList } from './log-source';
import type { ScanJob, ScanResult } from './log-scan-protocol';

const scanPage = 5_000;
let nextJob = 1;

export class LogScan {
  readonly filter = new LineList();
  readonly search = new LineList();
  scanned = 0;
  total = 0;
  private cancelled = false;
  private looping = false;
  private waiting: ((result: ScanResult) => void) | null = null;
  private readonly onMessage = (event: ScanMessage) => {
    if (event.data.job === this.job.id) this.waiting?.(event.data);
  };
  private readonly job: ScanJob;

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
    try {
      while (!this.cancelled && this.scanned < this.total) {
        const page = await this.api.readLog({ file: this.file, fromLine: this.scanned, count: Math.min(scanPage, this.total - this.scanned) });
        if (this.cancelled) return;
        const answered = new Promise<ScanResult>((resolve) => (this.waiting = resolve));
        this.worker.postMessage({ type: 'page', job: this.job.id, fromLine: page.fromLine, lines: page.lines });
        const result = await answered;
        if (this.cancelled) return;
        this.filter.push(result.filter);
        this.search.push(result.search);
        this.scanned += result.count;
        this.total = Math.max(this.total, page.total);
        this.onProgress();
      }
    } finally {
      this.looping = false;
    }
  }

  cancel(): void {
    this.cancelled = true;
    this.worker.removeEventListener('message', this.onMessage);
  }
}
