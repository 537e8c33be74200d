// A worker role's ProgramEntryPoint: WaWorkerHost starts the csdef's command line in approot instead of
// loading a RoleEntryPoint. When the program can run here (node, a .js or a .sh the package holds; the same
// rules as startup tasks) it is a real child process with the role's Runtime Environment (RoleInstanceValue
// xpaths resolved), its output in the host process log. setReadyOnProcessStart="true" (the only value Azure
// accepts) makes the instance Ready the moment the process has started; the process exiting recycles the
// role like Run returning, and a non-zero exit is a crash. A Windows program (.exe, or a .cmd the package
// holds) cannot run here: it is emulated, and the host log says so.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { InstanceSpec } from '../common/host-protocol';
import type { InstanceStatus } from '../common/instance-status';
import type { RuntimeLevel } from '../logs/log-formats';
import { commandProgram, runnableCommand, taskEnvironment } from './startup-task-command';
import { startTaskProcess } from './startup-task-process';

type ProgramEntryPoint = NonNullable<InstanceSpec['programEntryPoint']>;

export interface ProgramEntryPointEvents {
  report(status: InstanceStatus, details: string): void;
  /** The program ended on its own, or could not start: the role recycles. */
  exited(reason: string): void;
  output(stream: 'stdout' | 'stderr', line: string): void;
  /** A line of WaWorkerHost's own log. */
  log(level: RuntimeLevel, message: string): void;
}

/** The file a command line needs from the package and does not find there, or null when nothing is missing. */
export function missingProgramFile(commandLine: string, approot: string): string | null {
  const program = commandProgram(commandLine);
  const args = commandLine.trim().slice(commandLine.trim().indexOf(program) + program.length).trim().split(/\s+/).filter(Boolean);
  const inPackage = (name: string) => existsSync(join(approot, ...name.split('\\')));
  if (/^node(\.exe)?$/i.test(program)) return !args[0] ? 'a script for node to run' : inPackage(args[0]) ? null : args[0];
  // Scripts and batch files are the package's own: one that is not there fails as it would on the VM.
  if (/\.(m?js|cjs|sh|cmd|bat)$/i.test(program)) return inPackage(program) ? null : program;
  return null;
}

export class ProgramEntryPointHost {
  private child: ChildProcess | null = null;
  private state: 'starting' | 'running' | 'ended' = 'starting';
  private lastError = '';

  constructor(
    private readonly spec: InstanceSpec,
    private readonly entry: ProgramEntryPoint,
    private readonly processName: string,
    private readonly localResourcePaths: Record<string, string>,
    private readonly events: ProgramEntryPointEvents,
  ) {}

  /** The program's process id once it has started. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.state !== 'ended';
  }

  start(): void {
    const { commandLine } = this.entry;
    this.events.report('BusyRole', `Waiting for role to start... ${this.processName} is starting its ProgramEntryPoint: ${commandLine}`);
    const approot = this.spec.roleDirectory;
    const missing = approot ? missingProgramFile(commandLine, approot) : null;
    if (missing) {
      this.events.log('ERROR', `ProgramEntryPoint "${commandLine}": ${missing} is not in the package (${join(dirname(approot!), 'approot')}).`);
      return this.end(`${this.processName} could not start its ProgramEntryPoint "${commandLine}": ${missing} is not in the package's approot.`);
    }
    const command = runnableCommand({ commandLine, relativePath: 'approot' }, approot);
    if (!command) return this.emulate();
    this.events.log('INFO', `Starting ProgramEntryPoint: ${command.file} ${command.args.join(' ')} in ${command.cwd}.`);
    const env = { ...taskEnvironment(this.entry, this.spec, this.localResourcePaths), RoleInstanceID: this.spec.instanceName, RoleName: this.spec.roleName, RoleDeploymentID: this.spec.deploymentId };
    const child = startTaskProcess(
      command,
      env,
      (stream, line) => {
        if (stream === 'stderr' && line.trim() && !/^\s+at /.test(line)) this.lastError = line.trim();
        this.events.output(stream, line);
      },
      (code) => this.exited(code),
    );
    this.child = child;
    // setReadyOnProcessStart: Ready as soon as the process runs (Azure accepts no other value).
    child.once('spawn', () => {
      if (this.state !== 'starting') return;
      this.state = 'running';
      this.events.log('INFO', `ProgramEntryPoint process started (pid ${child.pid}); setReadyOnProcessStart="true", so the role is Ready.`);
      this.events.report('ReadyRole', '');
    });
  }

  /** The guest froze: nothing more is reported; the process, returned to be paused, is killed when the VM restarts. */
  freeze(): ChildProcess | null {
    this.state = 'ended';
    return this.child;
  }

  /** Stop: the program gets no OnStop, it is ended with the role. */
  stop(): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
  }

  /** Injected fault: the process dies now, as an unhandled exception would end it. */
  crash(reason: string): void {
    if (this.state === 'ended') return;
    this.child?.kill('SIGKILL');
    this.end(reason);
  }

  /** A Windows program: nothing runs, the role is taken to be running until it is stopped. */
  private emulate(): void {
    const program = commandProgram(this.entry.commandLine);
    this.events.log('WARN', `ProgramEntryPoint "${this.entry.commandLine}": ${program} is a Windows program that cannot run here; Fabric Lab emulates it (it is taken to start now and run until the role stops).`);
    this.state = 'running';
    this.events.report('ReadyRole', '');
  }

  private exited(code: number): void {
    if (this.state === 'ended') return;
    const how = code === 0 ? `exited with code 0, so the role recycles (as when Run returns)` : `exited with code ${code}${this.lastError ? `: ${this.lastError}` : ''}`;
    this.events.log(code === 0 ? 'INFO' : 'ERROR', `ProgramEntryPoint process ${how}.`);
    this.end(`${this.processName}'s ProgramEntryPoint "${this.entry.commandLine}" ${how}.`);
  }

  private end(reason: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.events.exited(reason);
  }
}
