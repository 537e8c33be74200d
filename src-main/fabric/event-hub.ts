// Collects the fabric's changes and pushes them to subscribers in batches, at most one batch per
// interval. Within a batch an entity appears once, in its latest state, so a burst of thousands of
// heartbeats and status changes costs the UI one update.
import type { Disposer, FabricEvent, FabricEventBatch, FabricRecord } from '../common/fabric-api';

/** The key a host's or an instance's changes coalesce under (publishLatest takes it). */
export const hostKey = (hostId: string): string => `host:${hostId}`;
export const instanceKey = (instanceId: string): string => `instance:${instanceId}`;

function keyOf(event: FabricEvent): string {
  switch (event.type) {
    case 'clock':
      return 'clock';
    case 'host':
      return hostKey(event.host.id);
    case 'pool':
      return `pool:${event.pool.id}`;
    case 'deployment':
    case 'deployment-removed':
      return `deployment:${event.type === 'deployment' ? event.deployment.id : event.id}`;
    case 'instance':
    case 'instance-removed':
      return instanceKey(event.type === 'instance' ? event.instance.id : event.id);
    case 'guest-heartbeat':
      return `guest-heartbeat:${event.instanceId}`;
    case 'operation':
      return `operation:${event.operation.requestId}`;
    case 'traffic':
      return 'traffic';
  }
}

export class EventHub {
  /** The latest change of each entity: an event, or how to make it from the entity's live state at flush. */
  private pending = new Map<string, FabricEvent | (() => FabricEvent)>();
  private records: FabricRecord[] = [];
  private readonly listeners = new Set<(batch: FabricEventBatch) => void>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastFlush = 0;
  /** Number of batches published so far. */
  seq = 0;

  /** The failure each listener last reported, so one that throws at every batch fills no log. */
  private readonly lastFailure = new WeakMap<(batch: FabricEventBatch) => void, string>();

  /** `onListenerError`: where a subscriber's exception is reported (the fabric writes it to FrontEnd.log). */
  constructor(
    private readonly intervalMs = 100,
    private readonly onListenerError: (error: unknown) => void = (error) => console.error('EventHub: a subscriber failed:', error),
  ) {}

  publish(event: FabricEvent): void {
    const key = keyOf(event);
    // Re-insert so the batch keeps the order of last change (a removal after an update wins).
    this.pending.delete(key);
    this.pending.set(key, event);
    this.schedule();
  }

  /**
   * Like publish, for an entity that keeps changing in place (an instance's view at every heartbeat):
   * `snapshot` copies its state when the batch is made, so a thousand changes in one interval cost
   * one copy. The batch carries the state at flush time, which is the latest, as publish's would be.
   */
  publishLatest(key: string, snapshot: () => FabricEvent): void {
    // Already waiting as a snapshot: it will copy the latest state anyway, so it keeps its place.
    if (typeof this.pending.get(key) !== 'function') this.pending.delete(key);
    this.pending.set(key, snapshot);
    this.schedule();
  }

  /** Append a record; records are delivered in order and never coalesced. */
  record(record: FabricRecord): void {
    this.records.push(record);
    this.schedule();
  }

  private schedule(): void {
    if (!this.timer) {
      const wait = Math.max(0, this.lastFlush + this.intervalMs - Date.now());
      this.timer = setTimeout(() => this.flush(), wait);
    }
  }

  subscribe(listener: (batch: FabricEventBatch) => void): Disposer {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Publish what is pending now (also used on shutdown so nothing is lost). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.lastFlush = Date.now();
    if (this.pending.size === 0 && this.records.length === 0) return;
    const events: FabricEvent[] = [];
    for (const latest of this.pending.values()) events.push(typeof latest === 'function' ? latest() : latest);
    const batch: FabricEventBatch = { seq: ++this.seq, events, records: this.records };
    this.pending = new Map();
    this.records = [];
    for (const listener of this.listeners) {
      try {
        listener(batch);
        this.lastFailure.delete(listener);
      } catch (error) {
        // A failing subscriber (a closed socket, a destroyed window, a full disk under events.jsonl) must not
        // stop the others; it is reported once for as long as it keeps failing the same way.
        const text = error instanceof Error ? error.message : String(error);
        if (this.lastFailure.get(listener) === text) continue;
        this.lastFailure.set(listener, text);
        try {
          this.onListenerError(error);
        } catch {
          // The reporter itself failed: nothing is left to tell.
        }
      }
    }
  }

  close(): void {
    this.flush();
    this.listeners.clear();
  }
}
