// The fabric's side of one powered-on host, wherever its host OS runs: a worker thread of this process
// (host-proxy.ts) or a worker thread of a host node on another machine, reached through NATS
// (nats-host-link.ts). The pool's inventory and the fabric controller see only this.
import type { HeartbeatReading } from '../common/heartbeat-register';
import type { FromHost, ToHost } from '../common/host-protocol';

export interface HostLink {
  readonly hostId: string;
  /** To the host agent; dropped when the host is gone or its link is cut. */
  send(message: ToHost): void;
  /** Cut off from the controller: messages are dropped both ways, as on a failed network link. */
  partition(): void;
  /** Power the host off at once, with every guest VM on it; resolves once it is off (its listeners closed). */
  terminate(): Promise<void>;
  readonly alive: boolean;
  /** Ask the host agent to shut down, and power it off if it does not within `graceMs`. */
  shutdown(graceMs?: number): Promise<void>;
  /**
   * Resolves once what the host agent said before it was asked has been handled, or after `boundMs` (a hung or
   * cut-off host). A link without it (a host node's) has nothing waiting on this side.
   */
  flush?(boundMs: number): Promise<void>;
  /**
   * The host agent's latest heartbeat where it writes it for the controller to read (heartbeat-register.ts), null
   * before its first or with the host cut off or gone. A link without it hears heartbeats as messages.
   */
  heartbeat?(): HeartbeatReading | null;
  /** The most real ms the host's due timers waited since the last call (heartbeat-register.ts); 0 when on time. */
  behind?(): number;
}

/**
 * Boots one host OS and returns its link. `onMessage` hears its host agent; `onExit` that its OS is gone
 * (a dead thread, or a node that dropped it). The controller notices failures by silence, not by onExit.
 */
export type HostBooter = (hostId: string, onMessage: (message: FromHost) => void, onExit: (reason: string) => void) => HostLink;
