// The log viewer's filter and search, off the UI thread. The UI thread pages a file through the API and
// posts each page here; this worker answers with the numbers of the lines that pass the level/text filter
// and of those that match the search, then forgets the page. Memory stays one page plus the answers.
import { answerPage, startFilter, type FilterState } from './log-filter';
import type { ScanJob, ScanPage, ScanResult } from './log-scan-protocol';

let running: FilterState | null = null;

const scope = self as unknown as { onmessage: ((e: MessageEvent<ScanJob | ScanPage>) => void) | null; postMessage(message: ScanResult, transfer: Transferable[]): void };

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === 'job') {
    running = startFilter(message);
    return;
  }
  if (!running || running.job.id !== message.job) return; // a page of a job that was replaced
  const result = answerPage(running, message);
  scope.postMessage(result, [result.filter.buffer, result.search.buffer]);
};
