// Where the viewer's filter runs: in a Web Worker (log-filter.worker.ts, bundled by Vite) whenever the
// page may start one, and otherwise (a worker refused by policy or by the file:// origin) on the UI
// thread, one page per macrotask, so the viewer still filters, only less smoothly.
import { answerPage, startFilter, type FilterState } from './log-filter';
import type { ScanJob, ScanPage, ScanResult } from './log-scan-protocol';

/** Only the part of a MessageEvent the scan reads (this file also compiles for the Node tests). */
export interface ScanMessage {
  data: ScanResult;
}
type Listener = (event: ScanMessage) => void;

interface WebWorker {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: Listener): void;
  addEventListener(type: 'error', listener: (event: { message?: string }) => void): void;
  removeEventListener(type: 'message', listener: Listener): void;
  terminate(): void;
}

export interface FilterWorker {
  postMessage(message: ScanJob | ScanPage): void;
  addEventListener(type: 'message', listener: Listener): void;
  removeEventListener(type: 'message', listener: Listener): void;
  terminate(): void;
}

class InlineFilter implements FilterWorker {
  private state: FilterState | null = null;
  private readonly listeners = new Set<Listener>();

  postMessage(message: ScanJob | ScanPage): void {
    if (message.type === 'job') return void (this.state = startFilter(message));
    setTimeout(() => {
      if (!this.state || this.state.job.id !== message.job) return;
      const data = answerPage(this.state, message);
      for (const listener of this.listeners) listener({ data });
    }, 0);
  }
  addEventListener(_type: 'message', listener: Listener): void {
    this.listeners.add(listener);
  }
  removeEventListener(_type: 'message', listener: Listener): void {
    this.listeners.delete(listener);
  }
  terminate(): void {
    this.listeners.clear();
  }
}

/** A worker-backed filter; `onFallback` is told when the worker could not start and the UI thread took over. */
export function createFilterWorker(onFallback: (why: string) => void): FilterWorker {
  // Named `Worker` so that Vite sees `new Worker(new URL(...))` and bundles the worker script.
  const Worker = (globalThis as unknown as { Worker: new (url: URL, options: { type: 'module' }) => WebWorker }).Worker;
  let worker: WebWorker;
  try {
    worker = new Worker(new URL('./log-filter.worker.ts', import.meta.url), { type: 'module' });
  } catch (error) {
    onFallback((error as Error).message);
    return new InlineFilter();
  }
  // A worker script that fails to load reports an error event; from then on pages go to the inline filter.
  let inline: InlineFilter | null = null;
  const pending: Listener[] = [];
  const proxy: FilterWorker = {
    postMessage: (m) => (inline ? inline.postMessage(m) : worker.postMessage(m)),
    addEventListener: (t, l) => {
      pending.push(l);
      worker.addEventListener(t, l);
      inline?.addEventListener(t, l);
    },
    removeEventListener: (t, l) => {
      worker.removeEventListener(t, l);
      inline?.removeEventListener(t, l);
    },
    terminate: () => {
      worker.terminate();
      inline?.terminate();
    },
  };
  worker.addEventListener('error', (event) => {
    if (inline) return;
    inline = new InlineFilter();
    for (const l of pending) inline.addEventListener('message', l);
    onFallback(event.message || 'the worker script could not be loaded');
  });
  return proxy;
}
