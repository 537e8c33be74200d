// Faults injected into one instance's role, held by its host agent and read by the guest's components.
// They sit outside the emulated machine, like a chaos tool: the guest only sees their effects.

export interface RoleFaults {
  /** The role's host process dies during OnStart, every time it starts. */
  crashOnStart: boolean;
  /** The role's first simple startup task exits 1, every time it runs. */
  failStartupTask: boolean;
}

export function noRoleFaults(): RoleFaults {
  return { crashOnStart: false, failStartupTask: false };
}
