// The foreground startup tasks of one role start, held by WaHostBootstrapper: "foreground tasks keep the role
// from recycling until they exit" (background tasks do not). A real task is its child process; an emulated
// one (a Windows command) runs for the task's emulated duration and exits with the code emulation gives it.
import type { ChildProcess } from 'node:child_process';
import type { EmulatedTimers, TimerHandle } from '../common/emulated-timers';
import type { StartupTask } from '../common/service-model';
import type { InstanceLogs } from './instance-logs';

interface RunningTask {
  task: StartupTask;
  child?: ChildProcess;
  timer?: TimerHandle;
}

export class ForegroundTasks {
  private readonly running = new Map<number, RunningTask>();
  /** Set while a recycle waits for the running tasks to exit. */
  private waiting: (() => void) | null = null;

  constructor(private readonly logs: InstanceLogs) {}

  get size(): number {
    return this.running.size;
  }

  /** The running tasks, as the log and the instance's details name them. */
  describe(): string {
    return [...this.running.entries()].map(([index, r]) => `task ${index + 1} "${r.task.commandLine}"${r.child?.pid ? ` (pid ${r.child.pid})` : ' (emulated)'}`).join(', ');
  }

  startedProcess(index: number, task: StartupTask, child: ChildProcess): void {
    this.running.set(index, { task, child });
  }

  startedEmulated(index: number, task: StartupTask, timers: EmulatedTimers, duration: number, exitCode: number, note: string): void {
    this.running.set(index, { task, timer: timers.after(duration, () => this.exited(index, exitCode, note)) });
  }

  exited(index: number, exitCode: number, note: string): void {
    const task = this.running.get(index)?.task;
    if (!task) return;
    this.running.delete(index);
    this.logs.startupTaskFinished(index, task, exitCode);
    this.logs.bootstrapper(exitCode === 0 ? 'INFO' : 'WARN', `Foreground task ${index + 1} "${task.commandLine}" exited with code ${exitCode} (${note}).`);
    if (this.running.size === 0 && this.waiting) {
      const then = this.waiting;
      this.waiting = null;
      then();
    }
  }

  /** `then` runs once every running task has exited (at once when none runs). */
  whenAllExited(then: () => void): void {
    if (this.running.size === 0) return then();
    this.waiting = then;
  }

  /** The guest froze: emulated tasks stop where they are; real ones are returned to be paused (endAll kills them later). */
  freeze(): ChildProcess[] {
    this.waiting = null;
    for (const { timer } of this.running.values()) timer?.cancel();
    return [...this.running.values()].flatMap(({ child }) => (child ? [child] : []));
  }

  /** The role stack is going away: end the tasks, and forget any recycle that waited for them. */
  endAll(): void {
    this.waiting = null;
    for (const { child, timer } of this.running.values()) {
      timer?.cancel();
      child?.kill();
    }
    this.running.clear();
  }
}
