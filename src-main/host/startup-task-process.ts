// Startup tasks whose command can run on this OS (node scripts, shell scripts) run as real child processes
// in the role's folder, with the task's Environment: literal values, and RoleInstanceValue xpaths resolved
// against the instance as Azure resolves them (for example /RoleEnvironment/Deployment/@emulated is "false", or "true" for a deployment that acts as the local emulator).
// Which commands can run, and their environment, are decided in startup-task-command.ts; this module only
// starts them, and is loaded with the rest of host/guest-processes.ts when a role first needs a process.
import { spawn, type ChildProcess } from 'node:child_process';
import { trackChildProcess } from './child-processes';

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
