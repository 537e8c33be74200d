// The emulated VMBus between one guest VM and its host agent. Both live in the host worker, so the channel
// is a pair of in-thread mailboxes: what one end posts is delivered to the other in order, never during
// the sender's own work but at the end of its turn (a microtask, as a port message comes after the code
// that posted it), and nothing more is delivered once either end closes the channel. It replaces a
// MessageChannel per VM: a port message costs about 10 us here (copy, queue, wake-up), and at 1000x a host
// worker's guests send tens of thousands of heartbeats a second.
//
// A heartbeat still waiting to be delivered is merged with the next one (`merge`): the host agent wants
// the latest heartbeat time of each guest and how many it got, not a wake-up per beat. Messages are the
// sender's fresh objects, handed over without a copy; neither side keeps or changes what it posted.

import { DistinctQueue } from '../common/distinct-queue';

type Listener<T> = (message: T) => void;

/** The host's or the guest's end: posts `Out`, receives `In`. */
export interface VmBusEnd<In, Out> {
  postMessage(message: Out): void;
  on(event: 'message', listener: Listener<In>): void;
  /** Closes the channel for both ends: nothing more is delivered either way. */
  close(): void;
}

/** Combine a message with the one still queued before it on the same end, or null to queue both. */
export type Merge<T> = (queued: T, next: T) => T | null;

/** Ends with messages to deliver, in the order each got its first; delivered together once per turn. */
const waiting = new DistinctQueue<Mailbox<unknown>>();
let scheduled = false;

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(deliverAll);
}

function deliverAll(): void {
  scheduled = false;
  try {
    // Messages posted while delivering (a reply) queue their end again, delivered in this same pass.
    for (let mailbox = waiting.take(); mailbox; mailbox = waiting.take()) mailbox.deliver();
  } finally {
    if (waiting.size > 0) schedule(); // a listener threw: the rest still get theirs
  }
}

class Mailbox<T> {
  private inbox: T[] = [];
  private listener: Listener<T> | null = null;
  /** `waiting`'s mark while this end waits for delivery. */
  queued = false;

  constructor(
    private readonly channel: { closed: boolean },
    private readonly merge: Merge<T> | null,
  ) {}

  put(message: T): void {
    if (this.channel.closed) return;
    const last = this.inbox.length - 1;
    const merged = last >= 0 && this.merge ? this.merge(this.inbox[last]!, message) : null;
    if (merged !== null) {
      this.inbox[last] = merged;
      return;
    }
    this.inbox.push(message);
    waiting.add(this as Mailbox<unknown>);
    schedule();
  }

  listen(listener: Listener<T>): void {
    this.listener = listener;
  }

  deliver(): void {
    const batch = this.inbox;
    this.inbox = [];
    let i = 0;
    try {
      for (; i < batch.length && !this.channel.closed; i++) this.listener?.(batch[i]!);
    } finally {
      if (i + 1 < batch.length && !this.channel.closed) {
        // The listener threw: keep what it did not get, ahead of anything posted since.
        this.inbox = [...batch.slice(i + 1), ...this.inbox];
        waiting.add(this as Mailbox<unknown>);
      }
    }
  }

  /** The channel closed: nothing more is delivered (an end still queued finds its inbox empty). */
  clear(): void {
    this.inbox = [];
  }
}

/** A new channel: `host` is the host agent's end, `guest` the guest agent's. */
export function vmBus<FromGuest, ToGuest>(mergeFromGuest: Merge<FromGuest> | null = null): { host: VmBusEnd<FromGuest, ToGuest>; guest: VmBusEnd<ToGuest, FromGuest> } {
  const channel = { closed: false };
  const toHost = new Mailbox<FromGuest>(channel, mergeFromGuest);
  const toGuest = new Mailbox<ToGuest>(channel, null);
  const close = () => {
    channel.closed = true;
    toHost.clear();
    toGuest.clear();
  };
  return {
    host: { postMessage: (m) => toGuest.put(m), on: (_event, listener) => toHost.listen(listener), close },
    guest: { postMessage: (m) => toHost.put(m), on: (_event, listener) => toGuest.listen(listener), close },
  };
}
