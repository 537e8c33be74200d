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
  jitter: 0.2,
};
