// Items waiting for work done once per turn (a thread's batch of log writers, the VMBus's ends with messages), each
// once, taken in the order each was added, one added while taking after those before it. An array kept from turn to
// turn, not a Set: V8 rebuilds a Set's table as it fills and empties, and makes a long-lived Set's new table in the
// old generation, which only a full collection frees; emptied every turn, a host's Sets were most of what grew its
// heap between collections (docs/PERFORMANCE.md, "Memory over the soak").

/** An item's mark while it waits (an item waits in one queue at most). */
export interface Queueable {
  queued?: boolean;
}

export class DistinctQueue<T extends Queueable> {
  private readonly items: (T | undefined)[] = [];
  private count = 0;
  /** The next slot to take: a taker inside another goes on from where that one is. */
  private next = 0;

  /** Adds `item` unless it waits already. */
  add(item: T): void {
    if (item.queued) return;
    item.queued = true;
    this.items[this.count++] = item;
  }

  /** The item that waited longest, or undefined once none waits. */
  take(): T | undefined {
    if (this.next === this.count) {
      this.count = this.next = 0;
      return undefined;
    }
    const item = this.items[this.next]!;
    this.items[this.next++] = undefined;
    item.queued = false;
    return item;
  }

  get size(): number {
    return this.count - this.next;
  }
}
