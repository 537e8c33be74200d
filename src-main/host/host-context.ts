// What every component inside a host worker shares: the emulated timers (and through them the clock), the seeded jitter,
// and the phase timings of this session.
import type { EmulatedTimers } from '../common/emulated-timers';
import { jittered, type Random } from '../common/seeded-random';
import type { PhaseTimings } from '../common/timings';

export interface HostContext {
  hostId: string;
  timers: EmulatedTimers;
  random: Random;
  timings: PhaseTimings;
  /** The session folder this host writes its instances' logs and its own under. */
  sessionDir: string;
  /** The host's DIP range (<prefix>.1 ... .254); null: every guest on 127.0.0.1, ports walking. */
  dipPrefix: string | null;
  /** Every guest on this one address instead of a range (a host node's routable address, host-node --dip-address). */
  dipAddress?: string;
  /** Real ms a host must also be silent before the fabric calls it failed (0: the emulated timeout alone). */
  silenceFloorMs: number;
}

/** How long a phase takes this time: its default moved by the session's seeded jitter. */
export function phaseDuration(context: HostContext, phase: keyof PhaseTimings): number {
  return jittered(context.random, context.timings[phase], context.timings.jitter);
}
