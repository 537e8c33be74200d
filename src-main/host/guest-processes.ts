// What starts a role's real processes: startup tasks, a ProgramEntryPoint and the role's host process. The
// host worker loads this module only when a role first needs one of them (loadGuestProcesses in
// wa-host-bootstrapper.ts): these import node:child_process, which Node would otherwise compile in every host
// worker as it starts, though most hosts never start a process.
export { ProgramEntryPointHost } from './program-entry-point';
export { RoleCodeHost } from './role-code-host';
export { startTaskProcess } from './startup-task-process';
export { freezeChildProcess } from './child-processes';
