// Startup tasks whose command can run on this OS (node scripts, shell scripts) run as real child processes
// in the role's folder, with the task's Environment: literal values, and RoleInstanceValue xpaths resolved
// against the instance as Azure resolves them (for example /RoleEnvironment/Deployment/@emulated is "true").
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { InstanceSpec } from '../common/host-protocol';
import type { StartupTask } from '../common/service-model';
import { commandProgram } from './startup-task-command';
import { trackChildProcess } from './child-processes';

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
  if (xpath === '/RoleEnvironment/Deployment/@emulated') return 'true';
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

/** Start a runnable task; `exited` gets its exit code (a signal or a spawn failure counts as 1). */
export function startTaskProcess(
  command: { file: string; args: string[]; cwd: string },
  env: Record<string, string>,
  output: (stream: 'stdout' | 'stderr', line: string) => void,
  exited: (code: number) => void,
): ChildProcess {
  const child = trackChildProcess(spawn(command.file, command.args, { cwd: command.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream].setEncoding('utf8');
    child[stream].on('data', (chunk: string) => {
      for (const line of chunk.split(/\r?\n/)) if (line) output(stream, line);
    });
  }
  let done = false;
  const finish = (code: number) => {
    if (!done) (done = true), exited(code);
  };
  child.on('error', (error) => {
    output('stderr', error.message);
    finish(1);
  });
  child.on('exit', (code) => finish(code ?? 1));
  return child;
}
