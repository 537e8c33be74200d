// How long each phase of the workflow takes, in emulated milliseconds, with the jitter applied around it.
// One place for every default so a session can override any of them.

export interface PhaseTimings {
  /** The package and configuration are copied to the host and the role's files laid out on E: (Preparing). */
  copyPackage: number;
  /** Host agent creates the guest VM (copies the OS image, attaches the disks). */
  createVm: number;
  /** Guest OS boots until WaAppAgent runs. */
  bootGuest: number;
  /** WaAppAgent installs WindowsAzureGuestAgent and the guest agent configures the guest. */
  configureGuest: number;
  /** One emulated startup task of type simple. */
  startupTask: number;
  /** WaHostBootstrapper starts the role's host process. */
  startHostProcess: number;
  /** RoleEntryPoint.OnStart of the default role code. */
  onStart: number;
  /** OnStop and host-process shutdown when an instance is stopped. */
  stopRole: number;
  /** Host agent shuts the guest down and releases its disks. */
  stopVm: number;
  /** Guest agent heartbeat to the host agent: every 2-3 seconds. */
  guestHeartbeatMin: number;
  guestHeartbeatMax: number;
  /** Host agent heartbeat to the fabric controller. */
  hostHeartbeat: number;
  /** Guest silent this long: the host agent reports the instance UnresponsiveRole. */
  guestUnresponsiveAfter: number;
  /** Guest silent this long: the host agent restarts the guest OS (Azure's 10-minute rule). */
  guestHeartbeatTimeout: number;
  /** Host silent this long: the fabric controller marks it bad and heals its instances elsewhere. */
  hostHeartbeatTimeout: number;
  /** First wait before the guest agent restarts a role that exited or failed to start; doubles each time. */
  roleRestartBackoff: number;
  /** Longest wait between role restarts. */
  roleRestartBackoffMax: number;
  /** Failed starts in a row after which the instance shows FailedStartingRole (the guest agent keeps trying). */
  failedStartsBeforeFailedStartingRole: number;
  /** Relative jitter applied to every phase (0.2 = +-20%). */
  jitter: number;
}

export const defaultTimings: PhaseTimings = {
  copyPackage: 10_000,
  createVm: 45_000,
  bootGuest: 60_000,
  configureGuest: 20_000,
  startupTask: 5_000,
  startHostProcess: 3_000,
  onStart: 5_000,
  stopRole: 5_000,
  stopVm: 15_000,
  guestHeartbeatMin: 2_000,
  guestHeartbeatMax: 3_000,
  hostHeartbeat: 5_000,
  guestUnresponsiveAfter: 60_000,
  guestHeartbeatTimeout: 10 * 60_000,
  hostHeartbeatTimeout: 60_000,
  roleRestartBackoff: 10_000,
  roleRestartBackoffMax: 5 * 60_000,
  failedStartsBeforeFailedStartingRole: 3,
  jitter: 0.2,
};

/** One line per phase for people (the settings panel): who waits, for what. */
export const phaseLabels: Record<keyof PhaseTimings, string> = {
  copyPackage: 'The package is copied to the host (Preparing)',
  createVm: 'Host agent creates the guest VM',
  bootGuest: 'Guest OS boots until WaAppAgent runs',
  configureGuest: 'Guest agent installs and configures the guest',
  startupTask: 'One emulated simple startup task',
  startHostProcess: 'WaHostBootstrapper starts the host process',
  onStart: 'OnStart of the default role code',
  stopRole: 'OnStop and host-process shutdown',
  stopVm: 'Host agent shuts the guest down',
  guestHeartbeatMin: 'Guest agent heartbeat, shortest interval',
  guestHeartbeatMax: 'Guest agent heartbeat, longest interval',
  hostHeartbeat: 'Host agent heartbeat to the fabric controller',
  guestUnresponsiveAfter: 'Guest silence before UnresponsiveRole',
  guestHeartbeatTimeout: 'Guest silence before the guest OS is restarted',
  hostHeartbeatTimeout: 'Host silence before the host is marked bad',
  roleRestartBackoff: 'First wait before a role restart (doubles)',
  roleRestartBackoffMax: 'Longest wait between role restarts',
  failedStartsBeforeFailedStartingRole: 'Failed starts in a row before FailedStartingRole',
  jitter: 'Relative jitter on every phase (0.2 = ±20%)',
};

/** The names of every phase, in the order defaultTimings lists them. */
export const phaseNames = Object.keys(defaultTimings) as (keyof PhaseTimings)[];

/**
 * The values a phase may take. Intervals that repeat (heartbeats) must be positive: at 0 a thread would
 * schedule the next beat at the same instant forever. The failure count is a count, not a duration.
 */
export function phaseRange(phase: keyof PhaseTimings): { min: number; max: number; unit: string; integer: boolean } {
  if (phase === 'jitter') return { min: 0, max: 1, unit: '', integer: false };
  if (phase === 'failedStartsBeforeFailedStartingRole') return { min: 1, max: 100, unit: ' (failed starts)', integer: true };
  if (phase === 'guestHeartbeatMin' || phase === 'guestHeartbeatMax' || phase === 'hostHeartbeat') return { min: 100, max: 3_600_000, unit: ' (emulated ms)', integer: false };
  return { min: 0, max: 24 * 3_600_000, unit: ' (emulated ms)', integer: false };
}

/** One phase value checked against its range; throws an Error naming the phase. `shown` is how the value was written. */
export function checkPhase(name: string, value: number, shown: string = String(value)): [keyof PhaseTimings, number] {
  if (!(phaseNames as string[]).includes(name)) {
    throw new Error(`unknown phase "${name}"; phases: ${phaseNames.join(', ')}`);
  }
  const phase = name as keyof PhaseTimings;
  const { min, max, unit, integer } = phaseRange(phase);
  if (!(value >= min && value <= max) || (integer && !Number.isInteger(value))) {
    throw new Error(`phase ${phase} needs ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}${unit}, got "${shown}"`);
  }
  return [phase, value];
}

/** Overrides checked together: each phase in range, and the guest heartbeat's lower bound not above its upper. */
export function checkPhaseOverrides(overrides: Record<string, number>, current: PhaseTimings = defaultTimings): Partial<PhaseTimings> {
  const checked: Partial<PhaseTimings> = {};
  for (const [name, value] of Object.entries(overrides)) {
    const [phase, ms] = checkPhase(name, value);
    checked[phase] = ms;
  }
  const merged = { ...current, ...checked };
  if (merged.guestHeartbeatMin > merged.guestHeartbeatMax) {
    throw new Error(`phase guestHeartbeatMin (${merged.guestHeartbeatMin}) must not exceed guestHeartbeatMax (${merged.guestHeartbeatMax})`);
  }
  return checked;
}

/** `createVm=30000` -> ['createVm', 30000]: one phase duration overridden for a session (emulated ms). */
export function parsePhaseOverride(text: string): [keyof PhaseTimings, number] {
  const [name = '', value = ''] = text.split('=', 2);
  const number = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  return checkPhase(name, number, value);
}
