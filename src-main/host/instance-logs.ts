// Everything one role instance writes on its drives, in the host worker that runs it: WaAppAgent.log and
// AppAgentRuntime.log (guest agent), WaHostBootstrapper.log (a new file per bootstrapper start), the host
// process's log with the role's own output, the "Windows Azure" event channel, C:\Config\<...>.xml and
// E:\RoleModel.xml. The components call one method per thing that happened; the line shapes are in
// src-main/logs/. Lines reach the files at the end of the turn that logged them, and before the host agent
// tells the controller anything (logs/append-batch.ts), so a killed worker loses no line of a turn it finished.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { InstanceSpec } from '../common/host-protocol';
import { iisLogHeader, iisRequestLine, type IisRequest } from '../logs/iis-log-format';
import type { StartupTask } from '../common/service-model';
import { appAgentLine, bootstrapperLine, consoleLines, hostProcessLine, type AppAgentLevel, type HostProcess, type RuntimeLevel } from '../logs/log-formats';
import {
  appAgentRuntimeLogPath,
  hostProcessLogPath,
  iisLogPath,
  instanceFolder,
  roleConfigPath,
  roleModelPath,
  vmPathToFile,
  waAppAgentLogPath,
  waHostBootstrapperLogPath,
  windowsAzureEventLogPath,
} from '../logs/instance-paths';
import { turnBatch } from '../logs/append-batch';
import { inFolder } from '../logs/created-folders';
import { LogFiles } from '../logs/log-files';
import { eventLine, guestAgentInitialised, iisConfiguratorEvent, roleCrashed, startupTaskFinished, startupTaskStarted, type WindowsAzureEvent } from '../logs/windows-azure-events';
// WaHostBootstrapper ships with the Azure SDK, not with the guest agent: its version is the SDK build.
import { roleConfigXml, sdkBuild } from './instance-xml';
import { hostProcessFor, iisVersionFor } from './role-stack';

export const guestAgentVersion = '2.7.41491.949';

/** Startup task types as WaHostBootstrapper prints them (Executing Startup Task type=0 ...). */
const taskTypeNumber: Record<StartupTask['taskType'], number> = { simple: 0, background: 1, foreground: 2 };

/** Windows process ids are multiples of 4; a stable hash keeps a session replayable without using the seeded jitter. */
function processId(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return 1000 + ((h >>> 0) % 2000) * 4;
}

export class InstanceLogs {
  readonly root: string;
  private readonly files: LogFiles;
  private readonly bootstrapperLog: string;
  readonly hostProcess: HostProcess;
  private readonly hostProcessLog: string;
  /** Process starts so far; each new process gets a new id, as on a VM. */
  private starts = 0;
  private bootstrapperPid = 0;
  private hostPid = 0;

  constructor(
    sessionDir: string,
    private readonly spec: InstanceSpec,
    private readonly now: () => number,
  ) {
    this.root = instanceFolder(sessionDir, spec.deploymentId, spec.instanceName);
    // No line stays in memory once written: the viewer pages the files.
    // Lines are written at the end of each turn, one write per file (logs/append-batch.ts).
    this.files = new LogFiles(this.root, { batch: turnBatch });
    this.bootstrapperLog = waHostBootstrapperLogPath(spec.deploymentId, spec.roleName);
    this.hostProcess = hostProcessFor(spec);
    this.hostProcessLog = hostProcessLogPath(spec.deploymentId, spec.roleName, this.hostProcess);
  }

  // ---- Guest agent: WaAppAgent.log, AppAgentRuntime.log, event 20001, the role configuration ----------

  guestAgentStarted(boot: string): void {
    this.appAgent('INFO', `WindowsAzureGuestAgent starting. Version ${guestAgentVersion}`);
    this.appAgent('INFO', `Goal state: deployment ${this.spec.deploymentId}, role ${this.spec.roleName}, instance ${this.spec.instanceName} (${this.spec.vmSize}); ${boot}.`);
    this.event(guestAgentInitialised({ at: this.now(), instance: this.spec.instanceName, version: guestAgentVersion }));
    this.runtime('INFO', `Guest agent started (${boot}).`);
    this.runtime('INFO', `Firewall: allowing the role's endpoints for ${this.spec.instanceName}.`);
    const config = roleConfigPath(this.spec.deploymentId, this.spec.roleName, this.spec.configurationVersion ?? 1);
    this.writeFile(config, roleConfigXml(this.spec));
    this.runtime('INFO', `Configuration written to ${config}.`);
  }

  /** Change Deployment Configuration reached the guest: the next C:\Config file, and a line saying what changed. */
  configurationChanged(version: number, changed: string[]): void {
    const config = roleConfigPath(this.spec.deploymentId, this.spec.roleName, version);
    this.writeFile(config, roleConfigXml(this.spec));
    this.runtime('INFO', `New configuration version ${version} written to ${config}; ${changed.length ? `changed setting(s): ${changed.join(', ')}` : 'no setting of this role changed'}.`);
  }

  heartbeat(): void {
    this.appAgent('HEART', 'WindowsAzureGuestAgent Heartbeat.');
  }

  /** Role status as the guest agent reports it; AppAgentRuntime.log keeps only the changes. */
  roleStatus(status: string, details: string): void {
    this.appAgent(status.startsWith('Failed') ? 'ERROR' : 'INFO', `Role ${this.spec.instanceName} status: ${status}.${details ? ` ${details}` : ''}`);
    this.runtime(status.startsWith('Failed') ? 'ERROR' : status === 'RestartingRole' || status === 'CyclingRole' ? 'WARN' : 'INFO', `Role state changed to ${status}.${details ? ` ${details}` : ''}`);
  }

  runtime(level: AppAgentLevel, message: string): void {
    this.files.write(appAgentRuntimeLogPath, appAgentLine(this.now(), 24, level, message));
  }

  private appAgent(level: AppAgentLevel, message: string): void {
    this.files.write(waAppAgentLogPath, appAgentLine(this.now(), level === 'HEART' ? 20 : 6, level, message));
  }

  // ---- WaHostBootstrapper and the host process --------------------------------------------------------

  /** A new bootstrapper: a new WaHostBootstrapper.log (the previous one kept as .NNN.log), and E:\RoleModel.xml. */
  bootstrapperStarted(): void {
    this.starts++;
    this.bootstrapperPid = processId(`${this.spec.instanceId}#wahb${this.starts}`);
    this.hostPid = processId(`${this.spec.instanceId}#host${this.starts}`);
    this.files.open(this.bootstrapperLog).rotate();
    this.bootstrapper('INFO', `Bootstrapper is starting. Version ${sdkBuild}`);
  }

  /** The bootstrapper read E:\RoleModel.xml (its tasks and sites are what it runs). */
  roleModelRead(version: string | null, tasks: number, sites: number): void {
    this.bootstrapper('INFO', `Role model: ${roleModelPath} (version ${version ?? 'none'}), ${tasks} startup task(s)${sites ? `, ${sites} site(s)` : ''}.`);
  }

  startupTaskStarted(index: number, task: StartupTask): void {
    // WARN, as WaHostBootstrapper itself logs it (the fact sheet's line).
    this.bootstrapper('WARN', `Executing Startup Task type=${taskTypeNumber[task.taskType]} rolemodule=${task.module ?? '(null)'} cmd="E:\\${task.relativePath ?? 'approot'}\\.\\${task.commandLine}"`);
    this.event(startupTaskStarted({ at: this.now(), instance: this.spec.instanceName, taskType: task.taskType, commandLine: task.commandLine }));
    if (task.taskType !== 'simple') this.bootstrapper('INFO', `Task ${index + 1} is ${task.taskType}; not waiting for it.`);
  }

  startupTaskFinished(index: number, task: StartupTask, exitCode: number): void {
    this.bootstrapper(exitCode === 0 ? 'INFO' : 'ERROR', exitCode === 0 ? `Program returned with success. Task ${index + 1} done.` : `Startup task ${index + 1} failed with exit code ${exitCode}.`);
    this.event(startupTaskFinished({ at: this.now(), instance: this.spec.instanceName, taskType: task.taskType, commandLine: task.commandLine, exitCode }));
  }

  /** `pid`: the real process's id where one runs (role code, a ProgramEntryPoint), so every log names it alike. */
  hostProcessStarting(pid?: number): void {
    if (pid !== undefined) this.hostPid = pid;
    this.bootstrapper('INFO', `Starting host process ${this.hostProcess}.exe (pid ${this.hostPid}).`);
    this.host('INFO', `${this.hostProcess} starting. Role ${this.spec.roleName}, instance ${this.spec.instanceName}.`);
  }

  /** The bootstrapper probes its client: logged when the answer changes, and at each probe interval. */
  probe(state: string): void {
    this.bootstrapper('VERB', `Client ${this.hostProcess}.exe (${this.hostPid}) reported status ${state}.`);
  }

  /** A probe its client did not answer in time: read as Busy. */
  probeTimedOut(timeoutMs: number): void {
    this.bootstrapper('WARN', `Client ${this.hostProcess}.exe (${this.hostPid}) did not answer the status probe within ${timeoutMs / 1000} s; read as Busy.`);
  }

  entryPoint(phase: 'CALLING' | 'COMPLETED', method: 'OnStart' | 'Run' | 'OnStop'): void {
    this.host('INFO', `Role entrypoint . ${phase.padEnd(9)} ${method}():`);
  }

  /** Role code's console output, into its host process's log. */
  roleOutput(stream: 'stdout' | 'stderr', text: string): void {
    this.files.open(this.hostProcessLog).writeLines(consoleLines(this.now(), this.hostProcess, this.hostPid, 7, stream, text));
  }

  /** The host process died of an unhandled exception: its stack in its log, event 1000, and the bootstrapper sees the exit. */
  hostProcessCrashed(exception: string): void {
    this.roleOutput('stderr', `Unhandled Exception: ${exception}`);
    this.event(roleCrashed({ at: this.now(), instance: this.spec.instanceName, process: `${this.hostProcess}.exe`, exception }));
    this.bootstrapper('ERROR', `Host process ${this.hostProcess}.exe (${this.hostPid}) exited with exit code 0xE0434352 (unhandled exception).`);
  }

  bootstrapperEnded(reason: string): void {
    this.bootstrapper('WARN', `Bootstrapper is exiting: ${reason}`);
  }

  hostProcessStopping(): void {
    this.entryPoint('CALLING', 'OnStop');
    this.bootstrapper('INFO', `Role is stopping; ${this.hostProcess}.exe (${this.hostPid}) is asked to exit.`);
  }

  bootstrapper(level: RuntimeLevel, message: string): void {
    this.files.write(this.bootstrapperLog, bootstrapperLine(this.now(), this.bootstrapperPid, 8, level, message));
  }

  host(level: RuntimeLevel, message: string): void {
    this.files.write(this.hostProcessLog, hostProcessLine(this.now(), this.hostProcess, this.hostPid, 1, level, message));
  }

  // ---- IIS: IISConfigurator.log, its events, the W3C request logs, w3wp (host/iis-configurator.ts, instance-web-server.ts) ----

  iisConfigurator(level: RuntimeLevel, message: string): void {
    const pid = processId(`${this.spec.instanceId}#iisconfigurator${this.starts}`);
    this.files.write(hostProcessLogPath(this.spec.deploymentId, this.spec.roleName, 'IISConfigurator'), hostProcessLine(this.now(), 'IISConfigurator', pid, 1, level, message));
  }

  /** Events 10003 (IISConfigurator started configuring) and 10004 (finished) in the Windows Azure channel. */
  iisConfiguratorEvent(phase: 'started' | 'finished', message: string): void {
    this.event(iisConfiguratorEvent({ at: this.now(), instance: this.spec.instanceName, phase, message }));
  }

  /** One request in site `siteId`'s W3C log; `header`: the site (re)started logging, so IIS writes its # block first. */
  iisRequest(siteId: number, request: IisRequest, header: boolean): void {
    const path = iisLogPath(this.spec.deploymentId, this.spec.roleName, request.at, siteId);
    const lines = [iisRequestLine(request)];
    // A new day's file always starts with the header block, as does a file the site has not written to yet.
    const writer = this.files.open(path);
    writer.writeLines(header || writer.lineCount === 0 ? [...iisLogHeader(request.at, iisVersionFor(this.spec.osFamily)), ...lines] : lines);
  }

  /** The pid of the host process of the bootstrapper's current start (WaWebHost, WaIISHost, WaWorkerHost). */
  get hostProcessPid(): number {
    return this.hostPid;
  }

  /** A process id for a process started on this instance (w3wp, ...), new at each start, as on a VM. */
  processIdOf(process: string, start: number): number {
    return processId(`${this.spec.instanceId}#${process}${this.starts}.${start}`);
  }

  // ---- Whole instance -------------------------------------------------------------------------------

  /**
   * A reimage: the VM starts from a fresh OS image, so what it logged on its OS drive (D:, the Windows event log)
   * starts a new file; the old one is kept in the session. C: (the resource disk: C:\Logs, local storage) is kept.
   */
  rotateOsDrive(): void {
    for (const vmPath of this.files.vmPaths()) if (/^D:\\/i.test(vmPath)) this.files.open(vmPath).rotate();
  }

  close(): void {
    this.files.closeAll();
  }

  private event(record: WindowsAzureEvent): void {
    this.files.write(windowsAzureEventLogPath, eventLine(record));
  }

  /** The package's own RoleModel.xml (cspack puts it beside approot) when there is one, else one written from the spec. */
  /**
   * Whole files that are rewritten, not appended (configuration, role model): written beside and renamed over,
   * so a file of E: hard-linked to the package's (role-drive.ts) is replaced, never written through.
   */
  private writeFile(vmPath: string, text: string): void {
    const file = vmPathToFile(this.root, vmPath);
    inFolder(dirname(file), () => {
      writeFileSync(`${file}.new`, text);
      renameSync(`${file}.new`, file);
    });
  }
}
