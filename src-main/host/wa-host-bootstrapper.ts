// WaHostBootstrapper: reads the role model, runs the startup tasks in csdef order, starts the role's
// host process, calls OnStart and, once it returns, starts Run and marks the instance Ready.
import type { InstanceSpec } from '../common/host-protocol';
import type { InstanceStatus } from '../common/instance-status';
import type { TimerHandle } from '../common/emulated-timers';
import { phaseDuration, type HostContext } from './host-context';

/** The host process the bootstrapper starts for each role type (full IIS roles come with the package reader). */
export function hostProcessFor(spec: InstanceSpec): 'WaWorkerHost' | 'WaWebHost' {
  return spec.roleType === 'WorkerRole' ? 'WaWorkerHost' : 'WaWebHost';
}

export class WaHostBootstrapper {
  private readonly pending = new Set<TimerHandle>();
  private stopped = false;

  constructor(
    private readonly context: HostContext,
    private readonly spec: InstanceSpec,
    private readonly report: (status: InstanceStatus, details: string) => void,
  ) {}

  start(): void {
    this.runStartupTask(0);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.pending) timer.cancel();
    this.pending.clear();
  }

  private later(delay: number, step: () => void): void {
    const handle = this.context.timers.after(delay, () => {
      this.pending.delete(handle);
      if (!this.stopped) step();
    });
    this.pending.add(handle);
  }

  private runStartupTask(index: number): void {
    const tasks = this.spec.startupTasks;
    const task = tasks[index];
    if (!task) return this.startHostProcess();
    this.report('StartingRole', `Waiting for role to start... Startup task ${index + 1} of ${tasks.length} (${task.taskType}) is running: ${task.commandLine}`);
    if (task.taskType === 'simple') {
      // A simple task must exit before the next one starts. Running real commands comes with the package reader.
      this.later(phaseDuration(this.context, 'startupTask'), () => this.runStartupTask(index + 1));
    } else {
      // background and foreground tasks are started and not waited for.
      this.runStartupTask(index + 1);
    }
  }

  private startHostProcess(): void {
    const process = hostProcessFor(this.spec);
    this.report('StartingRole', `Waiting for role to start... Starting ${process}.`);
    this.later(phaseDuration(this.context, 'startHostProcess'), () => {
      this.report('BusyRole', `Waiting for role to start... ${process} is calling OnStart.`);
      this.later(phaseDuration(this.context, 'onStart'), () => {
        // OnStart returned: Run starts and, at the same moment, the instance is Ready.
        this.report('ReadyRole', '');
      });
    });
  }
}
