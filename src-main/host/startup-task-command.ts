// What a startup task's command does when it cannot run on this OS. Windows commands (.cmd, .bat, .exe,
// .ps1) are emulated: they succeed after the task's emulated duration, unless the package's own batch file
// says otherwise with an `exit /b N` (or `exit N`) line, which the emulator honours as the exit code. A user's
// batch file that the package does not hold fails as it would on the VM ("not recognized", exit 1); programs
// that may come with Windows or a plugin (.exe, .ps1) are taken to be there. A command that can run here (a
// node script, a shell script the package holds) is found by runnableCommand, and runs as a real process
// (startup-task-process.ts) with the environment taskEnvironment gives it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { InstanceSpec } from '../common/host-protocol';
import type { StartupTask } from '../common/service-model';

export interface EmulatedCommand {
  exitCode: number;
  /** Why that exit code, for the bootstrapper's log and the instance's details. */
  note: string;
}

/** The first token of a command line, without quotes: the program or script it runs. */
export function commandProgram(commandLine: string): string {
  const trimmed = commandLine.trim();
  const quoted = /^"([^"]*)"/.exec(trimmed);
  return quoted ? quoted[1]! : trimmed.split(/\s+/)[0]!;
}

export function emulateCommand(task: StartupTask, roleDirectory: string | undefined): EmulatedCommand {
  const program = commandProgram(task.commandLine);
  if (!roleDirectory) return { exitCode: 0, note: `emulated ${program} (no package files)` };
  // RoleModel.xml's relativePath is relative to the role root, the folder that holds approot.
  const base = join(dirname(roleDirectory), ...(task.relativePath ?? 'approot').split('\\'));
  const file = join(base, ...program.split('\\'));
  if (!/\.(cmd|bat)$/i.test(program)) return { exitCode: 0, note: `emulated ${program}` };
  if (!existsSync(file) || !statSync(file).isFile()) {
    return task.module
      ? { exitCode: 0, note: `emulated ${program} (${task.module} plugin)` }
      : { exitCode: 1, note: `${program} is not in the package: '${program}' is not recognized as an internal or external command` };
  }
  const lines = readFileSync(file, 'utf8').split(/\r?\n/).map((l) => l.trim());
  let exitCode = 0;
  for (const line of lines) {
    const exit = /^exit(?:\s+\/b)?\s+(-?\d+)\s*$/i.exec(line);
    if (exit) {
      exitCode = Number(exit[1]);
      break; // a batch file stops at its first exit
    }
  }
  return { exitCode, note: `emulated ${program}: ${exitCode === 0 ? 'exits 0' : `its "exit /b ${exitCode}" line sets the exit code`}` };
}

/** The program and arguments to run for a task on this OS, or null when the command is Windows-only. */
export function runnableCommand(task: Pick<StartupTask, 'commandLine' | 'relativePath'>, roleDirectory: string | undefined): { file: string; args: string[]; cwd: string } | null {
  if (!roleDirectory) return null;
  const cwd = join(dirname(roleDirectory), ...(task.relativePath ?? 'approot').split('\\'));
  const program = commandProgram(task.commandLine);
  const args = task.commandLine.trim().slice(task.commandLine.trim().indexOf(program) + program.length).trim().split(/\s+/).filter(Boolean);
  const inPackage = (name: string) => existsSync(join(cwd, ...name.split('\\')));
  if (/^node(\.exe)?$/i.test(program) && args[0] && inPackage(args[0])) return { file: process.execPath, args, cwd };
  if (/\.(m?js|cjs)$/i.test(program) && inPackage(program)) return { file: process.execPath, args: [program, ...args], cwd };
  if (/\.sh$/i.test(program) && inPackage(program) && process.platform !== 'win32') return { file: '/bin/sh', args: [program, ...args], cwd };
  return null;
}

/**
 * The value of a RoleInstanceValue xpath for this instance; unknown paths resolve to "" as on Azure.
 * `localResourcePaths`: where the instance's local storage folders are (host/local-storage.ts).
 */
export function roleInstanceValue(xpath: string, spec: InstanceSpec, localResourcePaths: Record<string, string> = {}): string {
  const named = (kind: string) => new RegExp(`${kind}\\[@name='([^']+)'\\]`).exec(xpath)?.[1];
  if (xpath === '/RoleEnvironment/Deployment/@emulated') return spec.emulated ? 'true' : 'false';
  if (xpath === '/RoleEnvironment/Deployment/@id') return spec.deploymentId;
  if (xpath === '/RoleEnvironment/CurrentInstance/@id') return spec.instanceName;
  if (xpath === '/RoleEnvironment/CurrentInstance/@roleName') return spec.roleName;
  if (xpath === '/RoleEnvironment/CurrentInstance/@updateDomain') return String(spec.upgradeDomain);
  if (xpath === '/RoleEnvironment/CurrentInstance/@faultDomain') return String(spec.faultDomain);
  const setting = named('ConfigurationSetting');
  if (setting !== undefined && xpath.endsWith('/@value')) return spec.roleEnvironment.settings[setting] ?? '';
  const endpoint = named('Endpoint');
  if (endpoint !== undefined && xpath.endsWith('/@port')) return String(spec.roleEnvironment.endpoints[endpoint]?.port ?? '');
  const resource = named('LocalResource');
  if (resource !== undefined && xpath.endsWith('/@path')) return localResourcePaths[resource] ?? '';
  if (resource !== undefined && xpath.endsWith('/@sizeInMB')) return String(spec.roleEnvironment.localResources[resource]?.maximumSizeInMegabytes ?? '');
  return '';
}

export function taskEnvironment(task: Pick<StartupTask, 'environment'>, spec: InstanceSpec, localResourcePaths: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', RoleRoot: spec.roleDirectory ? dirname(spec.roleDirectory) : '' };
  for (const variable of task.environment ?? []) {
    env[variable.name] = variable.roleInstanceValue !== undefined ? roleInstanceValue(variable.roleInstanceValue, spec, localResourcePaths) : (variable.value ?? '');
  }
  return env;
}
