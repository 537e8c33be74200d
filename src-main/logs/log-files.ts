// The log files of one role instance, by VM path: the guest agent, the bootstrapper and the host processes
// ask for `C:\Logs\WaAppAgent.log` and get the one writer of that file. The host worker keeps one LogFiles
// per instance and closes them all when the instance stops or the worker shuts down.
import { vmPathToFile } from './instance-paths';
import { LogWriter, type LogWriterOptions } from './log-writer';

export class LogFiles {
  private readonly writers = new Map<string, { vmPath: string; writer: LogWriter }>();

  /** `instanceRoot`: the instance folder (instanceFolder() in instance-paths.ts). */
  constructor(
    readonly instanceRoot: string,
    private readonly defaults: LogWriterOptions = {},
  ) {}

  /** The writer of a VM path, opened on first use (options apply only then). */
  open(vmPath: string, options: LogWriterOptions = {}): LogWriter {
    const key = vmPath.toUpperCase(); // the VM's file system is case-insensitive
    const open = this.writers.get(key);
    if (open) return open.writer;
    const writer = new LogWriter(vmPathToFile(this.instanceRoot, vmPath), { ...this.defaults, ...options });
    this.writers.set(key, { vmPath, writer });
    return writer;
  }

  get(vmPath: string): LogWriter | undefined {
    return this.writers.get(vmPath.toUpperCase())?.writer;
  }

  /** Appends lines to a VM path's log, opening it if needed. */
  write(vmPath: string, ...lines: string[]): void {
    this.open(vmPath).writeLines(lines);
  }

  /** The files written so far, as VM paths in the spelling each was first opened with. */
  vmPaths(): string[] {
    return [...this.writers.values()].map((w) => w.vmPath);
  }

  close(vmPath: string): void {
    const key = vmPath.toUpperCase();
    this.writers.get(key)?.writer.close();
    this.writers.delete(key);
  }

  closeAll(): void {
    for (const { writer } of this.writers.values()) writer.close();
    this.writers.clear();
  }
}
