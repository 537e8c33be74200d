// The session's events (status changes, faults, operations) as JSON lines in <session>/fabric/events.jsonl.
// An event's seq is its line number, so a query pages the file backwards through the same sparse line index
// as the log viewer: memory stays bounded however long the session runs, and each query scans at most a
// fixed number of lines (the answer's `next` says where to go on).
import { join } from 'node:path';
import type { EventPage, EventQuery, SessionEvent } from '../common/log-api';
import { LogPageReader } from './log-pages';
import { turnBatch } from './append-batch';
import { LogWriter } from './log-writer';

/** An event as it is recorded, before it gets its seq. */
export type NewSessionEvent = SessionEvent extends infer E ? (E extends SessionEvent ? Omit<E, 'seq'> : never) : never;

export const sessionEventsFile = (sessionDir: string): string => join(sessionDir, 'fabric', 'events.jsonl');

/** Lines one query may read before it answers with what it found and where to go on. */
const scanBudget = 50_000;
const pageLines = 2_000;

export function roleOfInstance(instanceId: string): string {
  const name = instanceId.slice(instanceId.indexOf('/') + 1);
  return name.replace(/_IN_\d+$/, '');
}

function instanceOf(event: SessionEvent): string | null {
  if (event.kind === 'instance-status') return event.instanceId;
  if (event.kind === 'fault') return 'instanceId' in event.fault ? event.fault.instanceId : null;
  if (event.kind === 'fabric-error') return null;
  return event.target.includes('/') ? event.target : null;
}

function deploymentOf(event: SessionEvent): string | null {
  if (event.kind === 'instance-status') return event.deploymentId;
  if (event.kind === 'fabric-error') return null;
  const instance = instanceOf(event);
  return event.deploymentId ?? (instance ? instance.slice(0, instance.indexOf('/')) : null);
}

export function matches(event: SessionEvent, q: EventQuery): boolean {
  if (q.kinds && q.kinds.length > 0 && !q.kinds.includes(event.kind)) return false;
  if (q.deploymentId !== undefined && deploymentOf(event) !== q.deploymentId) return false;
  if (q.instanceId !== undefined && instanceOf(event) !== q.instanceId) return false;
  if (q.roleName !== undefined) {
    const instance = instanceOf(event);
    if (!instance || roleOfInstance(instance) !== q.roleName) return false;
  }
  if (q.requestId !== undefined && !('requestId' in event && event.requestId === q.requestId)) return false;
  return true;
}

export class SessionEvents {
  readonly file: string;
  private readonly writer: LogWriter;
  private readonly reader = new LogPageReader({ maxFiles: 1 });

  constructor(sessionDir: string) {
    this.file = sessionEventsFile(sessionDir);
    // Appended in batches at the end of each turn; an event's seq (lineCount) counts the lines still waiting.
    this.writer = new LogWriter(this.file, { batch: turnBatch });
  }

  get count(): number {
    return this.writer.lineCount;
  }

  append(event: NewSessionEvent): SessionEvent {
    const recorded = { seq: this.writer.lineCount, ...event } as SessionEvent;
    if (!this.writer.closed) this.writer.write(JSON.stringify(recorded));
    return recorded;
  }

  /** Matching events, newest first, from `before` (exclusive) backwards. */
  async query(q: EventQuery): Promise<EventPage> {
    const limit = q.limit ?? 200;
    this.writer.flush(); // the pages are read from the file
    const total = this.writer.lineCount;
    let end = Math.min(q.before ?? total, total);
    const events: SessionEvent[] = [];
    let scanned = 0;
    while (end > 0 && scanned < scanBudget) {
      const from = Math.max(0, end - pageLines);
      const page = await this.reader.readPage(this.file, from, end - from);
      for (let i = page.lines.length - 1; i >= 0; i--) {
        const seq = from + i;
        let event: SessionEvent;
        try {
          event = JSON.parse(page.lines[i]!) as SessionEvent;
        } catch {
          continue; // not ours; the file is append-only JSON lines
        }
        if (matches(event, q)) events.push(event);
        if (events.length >= limit) return { events, total, next: seq > 0 ? seq : null };
      }
      scanned += end - from;
      end = from;
    }
    return { events, total, next: end > 0 ? end : null };
  }

  close(): void {
    this.writer.close();
  }
}
