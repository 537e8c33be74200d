// Terminating a worker thread does not end the child processes it spawned, yet a host that dies takes every
// process of its guests with it. So each process started for a guest (role host, startup task,
// ProgramEntryPoint) is reported to the fabric, whose HostProxy ends those still running once the host's
// thread is gone (kill-host, a crash, or the fabric stopping).
import type { ChildProcess } from 'node:child_process';

type Report = (pid: number, running: boolean) => void;
let report: Report | null = null;

/** Set once by the host worker: where reports go. */
export function reportChildProcessesTo(to: Report): void {
  report = to;
}

/**
 * A frozen guest: its process stops where it is (SIGSTOP) and writes nothing until the VM restarts and
 * kills it (SIGKILL ends a stopped process too). Where the OS has no SIGSTOP the process is killed at once.
 */
export function freezeChildProcess(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    child.kill('SIGSTOP');
  } catch {
    child.kill('SIGKILL');
  }
}

export function trackChildProcess<T extends ChildProcess>(child: T): T {
  const pid = child.pid;
  // No pid: the spawn failed, and its 'error' event says why; there is nothing to end later.
  if (pid === undefined) return child;
  report?.(pid, true);
  child.once('exit', () => report?.(pid, false));
  return child;
}
