// The events list in emulated-time order, newest first. events.jsonl keeps the order events were recorded
// in, and a host that reports a status stamped earlier than a change already written (its turn came later)
// is behind in it; seq breaks ties, so events of one instant keep their recorded order.
import type { SessionEvent } from '../../src-main/common/log-api';

export function newestFirst(list: readonly SessionEvent[]): SessionEvent[] {
  return [...list].sort((a, b) => b.at - a.at || b.seq - a.seq);
}
