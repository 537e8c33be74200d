// Lines appended during one turn of a thread's event loop, written at the end of that turn with one
// write(2) per file instead of one per line. A host worker at 1000x appends hundreds of thousands of
// heartbeat lines a second; one synchronous write per line (about 8 us here) was most of its time.
//
// What stays true (docs/LOGS.md, "Writing"): a line reaches the file at the end of the turn that logged
// it (a microtask, before the thread takes its next timer or message), and whoever tells another thread
// about what happened (the host worker's messages to the controller) flushes first, so the fabric never
// sees a status whose lines a killed worker had not written yet. A batch is one write(2): its lines are
// whole or absent, never torn.

/** What a batch flushes: a writer holding lines for its file. */
export interface BatchedFile {
  flush(): void;
  /** The batch's mark while the file waits in it: a file enlisted twice in a turn is flushed once. */
  inBatch?: boolean;
}

export class AppendBatch {
  /**
   * Writers with lines waiting, in the order each first got one this turn: the first `count` slots of an array kept
   * from turn to turn. Not a Set: V8 rebuilds a Set's table as it fills and empties, and a long-lived Set's new table
   * is made in the old generation, which only a full collection frees; emptied every turn, this thread's Sets were
   * most of what grew a host's heap between its collections (docs/PERFORMANCE.md, "Memory over the soak").
   */
  private readonly waiting: (BatchedFile | undefined)[] = [];
  private count = 0;
  /** The next slot to flush: a flush that starts inside another goes on from where that one is. */
  private next = 0;
  private scheduled = false;

  /** A writer has lines waiting: write them at the end of this turn. */
  enlist(file: BatchedFile): void {
    if (file.inBatch) return;
    file.inBatch = true;
    this.waiting[this.count++] = file;
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** Write every waiting line now (before a message leaves the thread, before a shutdown). */
  flush(): void {
    this.scheduled = false;
    let failure: unknown = null;
    // A writer enlisted while flushing is flushed in this same pass.
    while (this.next < this.count) {
      const file = this.waiting[this.next]!;
      this.waiting[this.next++] = undefined;
      file.inBatch = false;
      try {
        file.flush();
      } catch (error) {
        // One file that cannot be written (disk full) must not keep the others' lines back.
        failure ??= error;
      }
    }
    this.count = this.next = 0;
    if (failure !== null) throw failure;
  }

  get pending(): number {
    return this.count - this.next;
  }
}

/** The batch of this thread (each worker thread loads its own copy of this module). */
export const turnBatch = new AppendBatch();
