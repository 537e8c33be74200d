// WaHostBootstrapper: reads the role model, runs the startup tasks in csdef order, starts the role's
// host process, calls OnStart and, once it returns, starts Run and marks the instance Ready. When the
// host process dies or a simple task fails, it ends and tells the guest agent why.
import type { InstanceSpec } from '../common/host-protocol';
import type { InstanceStatus } from '../common/instance-status';
import type { TimerHandle } from '../common/emulated-timers';
import { phaseDuration, type HostContext } from './host-context';
import type { RoleFaults } from './role-faults';

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

  constructor(
    private readonly context: HostContext,
    private readonly spec: InstanceSpec,
    private readonly faults: RoleFaults,
    private readonly events: BootstrapperEvents,
  ) {}

  start(): void {
    this.runStartupTask(0);
  }

  /** Stop everything now (the role is being stopped or the guest is going away). */
  stop(): void {
    this.ended = true;
    for (const timer of this.pending) timer.cancel();
    this.pending.clear();
  }

  /** The host process dies (an unhandled exception): no Stopping event, no OnStop. */
  crashHostProcess(): boolean {
    if (this.ended || !this.hostProcessRunning) return false;
    this.exit(`${hostProcessFor(this.spec)} exited unexpectedly: unhandled exception in role code (injected fault).`);
    return true;
  }

  private exit(reason: string): void {
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
    if (task.taskType !== 'simple') {
      // background and foreground tasks are started and not waited for.
      return this.runStartupTask(index + 1);
    }
    const failsNow = this.faults.failStartupTask && tasks.findIndex((t) => t.taskType === 'simple') === index;
    this.later(phaseDuration(this.context, 'startupTask'), () => {
      if (failsNow) this.exit(`Startup task ${index + 1} (simple) "${task.commandLine}" exited with code 1; a simple task must exit 0 before the role can start.`);
      else this.runStartupTask(index + 1);
    });
  }

  private startHostProcess(): void {
    const process = hostProcessFor(this.spec);
    this.events.report('StartingRole', `Waiting for role to start... Starting ${process}.`);
    this.later(phaseDuration(this.context, 'startHostProcess'), () => {
      this.hostProcessRunning = true;
      this.events.report('BusyRole', `Waiting for role to start... ${process} is calling OnStart.`);
      const onStart = phaseDuration(this.context, 'onStart');
      if (this.faults.crashOnStart) {
        this.later(onStart / 2, () => this.exit(`${process} exited unexpectedly during OnStart: unhandled exception in role code (injected fault).`));
        return;
      }
      // OnStart returned: Run starts and, at the same moment, the instance is Ready.
      this.later(onStart, () => this.events.report('ReadyRole', ''));
    });
  }
}
