// Lines appended during one turn of a thread's event loop, written at the end of that turn with one
// write(2) per file instead of one per line. A host worker at 1000x appends hundreds of thousands of
// heartbeat lines a second; one synchronous write per line (about 8 us here) was most of its time.
//
// What stays true (docs/LOGS.md, "Writing"): a line reaches the file at the end of the turn that logged
// it (a microtask, before the thread takes its next timer or message), and whoever tells another thread
// about what happened (the host worker's messages to the controller) flushes first, so the fabric never
// sees a status whose lines a killed worker had not written yet. A batch is one write(2): its lines are
// whole or absent, never torn.

import { DistinctQueue, type Queueable } from '../common/distinct-queue';

/** What a batch flushes: a writer holding lines for its file (`queued`: the batch's mark while it waits). */
export interface BatchedFile extends Queueable {
  flush(): void;
}

export class AppendBatch {
  /** Writers with lines waiting, in the order each first got one this turn. */
  private readonly waiting = new DistinctQueue<BatchedFile>();
  private scheduled = false;

  /** A writer has lines waiting: write them at the end of this turn. */
  enlist(file: BatchedFile): void {
    this.waiting.add(file);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** Write every waiting line now (before a message leaves the thread, before a shutdown). */
  flush(): void {
    this.scheduled = false;
    let failure: unknown = null;
    // A writer enlisted while flushing is flushed in this same pass.
    for (let file = this.waiting.take(); file; file = this.waiting.take()) {
      try {
        file.flush();
      } catch (error) {
        // One file that cannot be written (disk full) must not keep the others' lines back.
        failure ??= error;
      }
    }
    if (failure !== null) throw failure;
  }

  get pending(): number {
    return this.waiting.size;
  }
}

/** The batch of this thread (each worker thread loads its own copy of this module). */
export const turnBatch = new AppendBatch();
