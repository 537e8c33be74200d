// How long each phase of the workflow takes, in emulated milliseconds, with the jitter applied around it.
// One place for every default so a session can override any of them.

export interface PhaseTimings {
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

/** `createVm=30000` -> ['createVm', 30000]: one phase duration overridden for a session (emulated ms). */
export function parsePhaseOverride(text: string): [keyof PhaseTimings, number] {
  const [name = '', value = ''] = text.split('=', 2);
  if (!(name in defaultTimings)) {
    throw new Error(`unknown phase "${name}"; phases: ${Object.keys(defaultTimings).join(', ')}`);
  }
  const phase = name as keyof PhaseTimings;
  const number = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  const max = phase === 'jitter' ? 1 : 24 * 3_600_000;
  if (!(number >= 0 && number <= max)) throw new Error(`phase ${phase} needs a number from 0 to ${max}${phase === 'jitter' ? '' : ' (emulated ms)'}, got "${value}"`);
  return [phase, number];
}
