// WaHostBootstrapper: reads the role model, runs the startup tasks in csdef order, starts the role's
// host process, calls OnStart and, once it returns, starts Run and marks the instance Ready. When the
// host process dies or a simple task fails, it ends and tells the guest agent why.
import type { ChildProcess } from 'node:child_process';
import type { InstanceSpec } from '../common/host-protocol';
import type { StartupTask } from '../common/service-model';
import type { InstanceStatus } from '../common/instance-status';
import type { TimerHandle } from '../common/emulated-timers';
import { phaseDuration, type HostContext } from './host-context';
import type { InstanceLogs } from './instance-logs';
import type { RoleFaults } from './role-faults';
import { RoleCodeHost } from './role-code-host';
import { emulateCommand } from './startup-task-command';
import { runnableCommand, startTaskProcess, taskEnvironment } from './startup-task-process';

/** The host process the bootstrapper starts for each role type (full IIS roles come with the package reader). */
export function hostProcessFor(spec: InstanceSpec): 'WaWorkerHost' | 'WaWebHost' {
  return spec.roleType === 'WorkerRole' ? 'WaWorkerHost' : 'WaWebHost';
}

export interface BootstrapperEvents {
  report(status: InstanceStatus, details: string): void;
  /** The role stack ended on its own: a simple task failed or the host process died. */
  exited(reason: string): void;
}

export class WaHostBootstrapper {
  private readonly pending = new Set<TimerHandle>();
  private ended = false;
  /** Set once the host process runs; a crash only has something to kill from then on. */
  private hostProcessRunning = false;
  /** The package's own role code in its real host process, when the role has an entry module. */
  private roleCode: RoleCodeHost | null = null;
  /** Startup tasks running as real processes; they end with the role stack. */
  private readonly taskProcesses = new Set<ChildProcess>();

  constructor(
    private readonly context: HostContext,
    private readonly spec: InstanceSpec,
    private readonly faults: RoleFaults,
    private readonly logs: InstanceLogs,
    private readonly events: BootstrapperEvents,
  ) {}

  start(): void {
    this.logs.bootstrapperStarted();
    this.runStartupTask(0);
  }

  /**
   * Stop everything now. `graceful`: the role is being stopped, so role code gets Stopping and OnStop;
   * otherwise the guest is going away under it and its process is killed.
   */
  stop(graceful = true): void {
    if (!this.ended && this.hostProcessRunning) this.logs.hostProcessStopping();
    if (graceful) this.roleCode?.stop();
    else this.roleCode?.halt();
    for (const child of this.taskProcesses) child.kill();
    this.taskProcesses.clear();
    this.ended = true;
    for (const timer of this.pending) timer.cancel();
    this.pending.clear();
  }

  /** The host process dies (an unhandled exception): no Stopping event, no OnStop. */
  crashHostProcess(): boolean {
    if (this.ended || !this.hostProcessRunning) return false;
    this.logs.hostProcessCrashed(crashException('Run'));
    if (this.roleCode) {
      this.roleCode.crash(`${hostProcessFor(this.spec)} (pid killed) exited unexpectedly: unhandled exception in role code (injected fault).`);
      return true;
    }
    this.exit(`${hostProcessFor(this.spec)} exited unexpectedly: unhandled exception in role code (injected fault).`);
    return true;
  }

  private exit(reason: string): void {
    this.logs.bootstrapperEnded(reason);
    this.hostProcessRunning = false;
    this.stop();
    this.events.exited(reason);
  }

  private later(delay: number, step: () => void): void {
    const handle = this.context.timers.after(delay, () => {
      this.pending.delete(handle);
      if (!this.ended) step();
    });
    this.pending.add(handle);
  }

  private runStartupTask(index: number): void {
    const tasks = this.spec.startupTasks;
    const task = tasks[index];
    if (!task) return this.startHostProcess();
    this.events.report('StartingRole', `Waiting for role to start... Startup task ${index + 1} of ${tasks.length} (${task.taskType}) is running: ${task.commandLine}`);
    this.logs.startupTaskStarted(index, task);
    const injected = this.faults.failStartupTask && tasks.findIndex((t) => t.taskType === 'simple') === index;
    const runnable = injected ? null : runnableCommand(task, this.spec.roleDirectory);
    if (runnable) return this.runTaskProcess(index, task, runnable);
    if (task.taskType !== 'simple') {
      // background and foreground tasks are started and not waited for.
      return this.runStartupTask(index + 1);
    }
    const command = injected ? { exitCode: 1, note: 'injected fault' } : emulateCommand(task, this.spec.roleDirectory);
    this.later(phaseDuration(this.context, 'startupTask'), () => this.startupTaskEnded(index, task, command.exitCode, command.note));
  }

  /** A task that can run on this OS runs for real; a simple one is waited for, the others are not. */
  private runTaskProcess(index: number, task: StartupTask, command: NonNullable<ReturnType<typeof runnableCommand>>): void {
    const child = startTaskProcess(
      command,
      taskEnvironment(task, this.spec),
      (stream, line) => this.logs.bootstrapper(stream === 'stderr' ? 'WARN' : 'INFO', `Startup task ${index + 1}: ${line}`),
      (code) => {
        this.taskProcesses.delete(child);
        if (task.taskType === 'simple' && !this.ended) this.startupTaskEnded(index, task, code, `ran ${command.file} ${command.args.join(' ')}`);
      },
    );
    this.taskProcesses.add(child);
    if (task.taskType !== 'simple') this.runStartupTask(index + 1);
  }

  private startupTaskEnded(index: number, task: StartupTask, exitCode: number, note: string): void {
    this.logs.startupTaskFinished(index, task, exitCode);
    if (exitCode !== 0) this.exit(`Startup task ${index + 1} (simple) "${task.commandLine}" exited with code ${exitCode} (${note}); a simple task must exit 0 before the role can start.`);
    else this.runStartupTask(index + 1);
  }


  private startHostProcess(): void {
    const process = hostProcessFor(this.spec);
    this.events.report('StartingRole', `Waiting for role to start... Starting ${process}.`);
    this.logs.hostProcessStarting();
    this.later(phaseDuration(this.context, 'startHostProcess'), () => {
      this.hostProcessRunning = true;
      if (this.spec.roleEntryModule) return this.startRoleCode(this.spec.roleEntryModule);
      this.logs.probe('Busy');
      this.logs.entryPoint('CALLING', 'OnStart');
      this.events.report('BusyRole', `Waiting for role to start... ${process} is calling OnStart.`);
      const onStart = phaseDuration(this.context, 'onStart');
      if (this.faults.crashOnStart) {
        this.later(onStart / 2, () => {
          this.logs.hostProcessCrashed(crashException('OnStart'));
          this.exit(`${process} exited unexpectedly during OnStart: unhandled exception in role code (injected fault).`);
        });
        return;
      }
      // OnStart returned: Run starts and, at the same moment, the instance is Ready.
      this.later(onStart, () => {
        this.logs.entryPoint('COMPLETED', 'OnStart');
        this.logs.probe('Ready');
        this.events.report('ReadyRole', '');
        this.logs.entryPoint('CALLING', 'Run');
        this.run(0);
      });
    });
  }

  /** Run the package's role entry point in the role's real host process (see role-code-host.ts). */
  private startRoleCode(entryModule: string): void {
    const process = hostProcessFor(this.spec);
    this.logs.entryPoint('CALLING', 'OnStart');
    this.roleCode = new RoleCodeHost(this.context, { ...this.spec, roleEntryModule: entryModule }, process, {
      report: (status, details) => {
        if (status === 'ReadyRole' && this.roleCode?.running) this.logs.probe('Ready');
        this.events.report(status, details);
      },
      exited: (reason) => {
        this.logs.hostProcessCrashed(reason);
        this.exit(reason);
      },
      output: (stream, line) => this.logs.roleOutput(stream, line),
    });
    this.roleCode.start();
    if (this.faults.crashOnStart) {
      this.later(phaseDuration(this.context, 'onStart') / 2, () =>
        this.roleCode?.crash(`${process} exited unexpectedly during OnStart: unhandled exception in role code (injected fault).`),
      );
    }
  }

  /** The default role code's Run loop, as the Visual Studio template writes it: "Working" every 10 s. */
  private run(tick: number): void {
    this.logs.roleOutput('stdout', 'Working');
    if (tick % 3 === 2) this.logs.probe('Ready'); // the bootstrapper keeps probing its client
    this.later(runTraceInterval, () => this.run(tick + 1));
  }
}

const runTraceInterval = 10_000;

/** The exception an injected crash throws, with a stack, as Event Viewer and the host log show it. */
function crashException(method: 'OnStart' | 'Run'): string {
  return [
    'System.InvalidOperationException: Injected fault: the role crashed (Fabric Lab).',
    `   at WorkerRole1.WorkerRole.${method}()`,
    `   at Microsoft.WindowsAzure.ServiceRuntime.RoleEnvironment.InitializeRoleInternal(RoleType roleTypeEnum)`,
  ].join('\n');
}
