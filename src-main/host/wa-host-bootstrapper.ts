// WaHostBootstrapper: reads the role model, runs the startup tasks in csdef order, starts the role's
// host process, calls OnStart and, once it returns, starts Run and marks the instance Ready. When the
// host process dies or a simple task fails, it ends (once its running foreground tasks have exited) and tells the
// guest agent why.
import type { ChildProcess } from 'node:child_process';
import type { InstanceSpec } from '../common/host-protocol';
import type { StartupTask } from '../common/service-model';
import type { InstanceStatus } from '../common/instance-status';
import { phaseDuration, type HostContext } from './host-context';
import type { InstanceLogs } from './instance-logs';
import type { RoleFaults } from './role-faults';
import type { RoleCodeHost } from './role-code-host';
import { commandProgram, emulateCommand, runnableCommand, taskEnvironment } from './startup-task-command';
import { BackgroundAgents } from './background-agents';
import { IISConfigurator, iisSitesOf } from './iis-configurator';
import { hostProcessFor, statusCheckTimeout, warmUpPath } from './role-stack';
import type { InstanceWebServer } from './instance-web-server';
import { ForegroundTasks } from './foreground-tasks';
import { localStoragePaths } from './local-storage';
import type { ProgramEntryPointHost } from './program-entry-point';
import type * as GuestProcesses from './guest-processes';

type Processes = typeof GuestProcesses;
type RoleModelReader = typeof import('./role-model-reader');
let readerLoading: Promise<RoleModelReader> | null = null;
let readerLoaded: RoleModelReader | null = null;

/**
 * host/role-model-reader.ts (saxes), loaded once per host worker: the host agent asks for it while it prepares
 * its first VM, so that a bootstrapper reads E:\RoleModel.xml at once, at the same emulated instant whatever
 * the machine's speed (a seed replays the same timestamps).
 */
export function loadRoleModelReader(): Promise<RoleModelReader> {
  return (readerLoading ??= import('./role-model-reader').then((reader) => (readerLoaded = reader)));
}
let processesLoading: Promise<Processes> | null = null;
let processesLoaded: Processes | null = null;

/** host/guest-processes.ts, loaded once per host worker, the first time a role needs a real process. */
function loadGuestProcesses(): Promise<Processes> {
  return (processesLoading ??= import('./guest-processes').then((processes) => (processesLoaded = processes)));
}

/** The host process the bootstrapper starts: WaWorkerHost, WaIISHost for a web role with <Sites> (full IIS), else WaWebHost (HWC). */
export interface BootstrapperEvents {
  report(status: InstanceStatus, details: string): void;
  /** The role stack ended on its own: a simple task failed or the host process died. */
  exited(reason: string): void;
}

export class WaHostBootstrapper {
  private ended = false;
  /** Set once the host process runs; a crash only has something to kill from then on. */
  private hostProcessRunning = false;
  /** The package's own role code in its real host process, when the role has an entry module. */
  private roleCode: RoleCodeHost | null = null;
  /** Startup tasks running as real processes; they end with the role stack. */
  private readonly taskProcesses = new Set<ChildProcess>();
  /** Running foreground tasks: a recycle waits for them to exit. */
  private readonly foreground: ForegroundTasks;
  /** The agents background tasks started, which /blockStartup tasks wait for. */
  private readonly agents: BackgroundAgents;
  /** A worker role's ProgramEntryPoint process, when the role has one. */
  private program: ProgramEntryPointHost | null = null;
  /** Processes paused by a guest freeze: killed outright when the VM restarts. */
  private frozen: ChildProcess[] = [];
  /** What E:\RoleModel.xml says this start runs: the startup tasks in order, and the sites. */
  private tasks: StartupTask[] = [];
  private sites: InstanceSpec['sites'] = undefined;
  /** HWC: WaWebHost has sent its warm-up request since the host process started. */
  private warmedUp = false;

  constructor(
    private readonly context: HostContext,
    private readonly spec: InstanceSpec,
    private readonly faults: RoleFaults,
    private readonly logs: InstanceLogs,
    private readonly events: BootstrapperEvents,
    /** The instance's IIS (web roles): full IIS is configured by IISConfigurator, HWC hosted by WaWebHost. */
    private readonly web: InstanceWebServer | null = null,
  ) {
    this.foreground = new ForegroundTasks(logs);
    this.agents = new BackgroundAgents(logs);
  }

  start(): void {
    this.logs.bootstrapperStarted();
    if (this.web && hostProcessFor(this.spec) === 'WaIISHost') new IISConfigurator(this.spec, this.logs, this.web).deleteOldAppPools();
    this.readRoleModel(() => this.runStartupTask(0));
  }

  /**
   * Seed step 7: the bootstrapper reads E:\RoleModel.xml, and runs the startup tasks and sites it names. A file
   * it cannot use ends this start with the reason (file, line, rule), as a failed simple task would.
   */
  private readRoleModel(then: () => void): void {
    const fail = (message: string) => {
      this.logs.bootstrapper('ERROR', message);
      this.exit(`WaHostBootstrapper cannot start the role: ${message}`);
    };
    const read = (reader: RoleModelReader) => {
      let model: ReturnType<RoleModelReader['readRoleModelFile']>;
      try {
        model = reader.readRoleModelFile(this.logs.root);
      } catch (error) {
        return fail((error as Error).message);
      }
      this.tasks = model.tasks;
      // A site's files are where the goal state laid them out (E:\sitesroot\<index>).
      this.sites = model.sites.length ? model.sites.map((site) => ({ ...site, ...directoryOf(this.spec, site.name) })) : undefined;
      this.logs.roleModelRead(model.version, model.tasks.length, model.sites.length);
      then();
    };
    if (readerLoaded) return read(readerLoaded);
    loadRoleModelReader().then(
      (reader) => this.context.timers.whenRunning(() => !this.ended && read(reader)),
      (error: Error) => this.context.timers.whenRunning(() => !this.ended && fail(`The host worker could not load host/role-model-reader.ts: ${error.message}`)),
    );
  }

  /**
   * Stop everything now. `graceful`: the role is being stopped, so role code gets Stopping and OnStop;
   * otherwise the guest is going away under it and its process is killed.
   */
  stop(graceful = true, keepForegroundTasks = false): void {
    // Only a graceful stop is seen from inside: a VM powered off under the role writes nothing.
    if (graceful && !this.ended && this.hostProcessRunning) this.logs.hostProcessStopping();
    for (const child of this.frozen) child.kill('SIGKILL');
    this.frozen = [];
    if (graceful) this.roleCode?.stop();
    else this.roleCode?.halt();
    this.program?.stop();
    if (!keepForegroundTasks) this.foreground.endAll();
    for (const child of this.taskProcesses) child.kill();
    this.taskProcesses.clear();
    this.agents.clear();
    this.web?.stopSites();
    this.ended = true;
  }

  /**
   * The guest OS froze: nothing in it runs or writes any more. Emulated steps stop where they are and real
   * processes are paused (child-processes.ts) until the host agent restarts the VM and stop(false) kills them.
   */
  freeze(): void {
    if (this.ended) return;
    this.ended = true;
    const children = [this.roleCode?.freeze(), this.program?.freeze(), ...this.foreground.freeze(), ...this.taskProcesses].filter((c): c is ChildProcess => !!c);
    // Children exist only once guest-processes.ts has loaded.
    for (const child of children) processesLoaded?.freezeChildProcess(child);
    this.frozen = children;
  }

  /** The host process dies (an unhandled exception): no Stopping event, no OnStop. */
  crashHostProcess(): boolean {
    if (this.ended || !this.hostProcessRunning) return false;
    if (this.program) {
      this.program.crash(`${hostProcessFor(this.spec)} exited unexpectedly: its ProgramEntryPoint process was killed (injected fault).`);
      return true;
    }
    if (this.roleCode) {
      this.roleCode.crash(`${hostProcessFor(this.spec)} (pid ${this.roleCode.pid ?? 'unknown'}) was killed: an unhandled exception in role code (injected fault).`);
      return true;
    }
    this.logs.hostProcessCrashed(crashException(this.spec, 'Run'));
    this.exit(`${hostProcessFor(this.spec)} exited unexpectedly: unhandled exception in role code (injected fault).`);
    return true;
  }

  /** Recycle the role (its code cancelled a configuration Changing): Stopping, OnStop, and a restart. */
  recycle(reason: string): void {
    if (!this.ended) this.exit(reason);
  }

  /**
   * A configuration change reached the role: role code sees RoleEnvironment.Changing (it may cancel, which
   * recycles the role to apply the change) and then Changed. Other roles take the new values as they are.
   */
  async changeConfiguration(version: number, changed: string[]): Promise<'applied' | 'cancelled'> {
    const what = `configuration version ${version} (changed: ${changed.join(', ')})`;
    if (!this.roleCode?.running) {
      this.logs.host('INFO', `New ${what}; ${this.program ? 'the ProgramEntryPoint process has no RoleEnvironment events' : 'no role code runs to be told'}.`);
      return 'applied';
    }
    this.logs.host('INFO', `Raising RoleEnvironment.Changing for ${what}.`);
    const settings = Object.fromEntries(changed.map((name) => [name, this.spec.roleEnvironment.settings[name] ?? '']));
    const cancelled = await this.roleCode.changing(settings);
    this.logs.host(cancelled ? 'WARN' : 'INFO', cancelled ? 'RoleEnvironment.Changing was cancelled by role code: the role recycles to apply the change.' : 'RoleEnvironment.Changed raised; RoleEnvironment now returns the new values.');
    return cancelled ? 'cancelled' : 'applied';
  }

  /**
   * The deployment's topology changed (an instance of a role with an internal endpoint came, went or moved):
   * running role code sees RoleEnvironment.Changing with a topology change (it may cancel: a recycle), then Changed.
   */
  async changeTopology(changedRoles: string[]): Promise<'applied' | 'cancelled'> {
    if (!this.roleCode?.running) return 'applied';
    const roles = this.spec.topology ?? [];
    // No role named: the topology fills in quietly (the deployment coming up, or this instance's own entry).
    if (changedRoles.length === 0) return (await this.roleCode.topologyChanging(roles, [])) ? 'cancelled' : 'applied';
    const what = `a topology change (${changedRoles.map((name) => `${name}: ${roles.find((r) => r.name === name)?.instances.length ?? 0} instance(s)`).join(', ')})`;
    this.logs.host('INFO', `Raising RoleEnvironment.Changing for ${what}.`);
    const cancelled = await this.roleCode.topologyChanging(roles, changedRoles);
    this.logs.host(cancelled ? 'WARN' : 'INFO', cancelled ? 'RoleEnvironment.Changing was cancelled by role code: the role recycles to take the new topology.' : 'RoleEnvironment.Changed raised; RoleEnvironment.Roles now lists the new topology.');
    return cancelled ? 'cancelled' : 'applied';
  }

  private exit(reason: string): void {
    this.hostProcessRunning = false;
    if (this.foreground.size > 0 && !this.ended) {
      // Foreground tasks keep the role from recycling until they exit; everything else stops now.
      this.stop(true, true);
      const running = this.foreground.describe();
      this.logs.bootstrapper('WARN', `The role is recycling (${reason}), but foreground startup task(s) still run: ${running}. It restarts once they have exited.`);
      this.events.report('RestartingRole', `${reason} Waiting for foreground startup task(s) to exit before the role restarts: ${running}.`);
      this.foreground.whenAllExited(() => {
        this.logs.bootstrapper('INFO', 'Every foreground startup task has exited; the role restarts.');
        this.end(reason);
      });
      return;
    }
    this.end(reason);
  }

  private end(reason: string): void {
    this.logs.bootstrapperEnded(reason);
    this.stop();
    this.events.exited(reason);
  }

  /**
   * A step of the role stack `delay` emulated ms from now; once the stack ended its steps fire into nothing. (A Set of
   * the handles, to cancel them, churned with every Run() trace: its tables were old-generation garbage, append-batch.ts.)
   */
  private later(delay: number, step: () => void): void {
    this.context.timers.after(delay, () => {
      if (!this.ended) step();
    });
  }

  private runStartupTask(index: number): void {
    const tasks = this.tasks;
    const task = tasks[index];
    if (!task) return this.startHostProcess();
    this.events.report('StartingRole', `Waiting for role to start... Startup task ${index + 1} of ${tasks.length} (${task.taskType}) is running: ${task.commandLine}`);
    this.logs.startupTaskStarted(index, task);
    const injected = this.faults.failStartupTask && tasks.findIndex((t) => t.taskType === 'simple') === index;
    const runnable = injected ? null : runnableCommand(task, this.spec.roleDirectory);
    if (runnable) return this.withProcesses((processes) => this.runTaskProcess(processes, index, task, runnable));
    if (task.taskType !== 'simple') {
      // background and foreground tasks are started and not waited for; an emulated foreground one runs for the task's duration,
      // an emulated background one is an agent that initialises after it and keeps running.
      if (task.taskType === 'background') {
        const program = commandProgram(task.commandLine);
        this.agents.started(index, program, true);
        this.later(phaseDuration(this.context, 'startupTask'), () => this.agents.initialised(program));
      }
      if (task.taskType === 'foreground') {
        const command = emulateCommand(task, this.spec.roleDirectory);
        this.foreground.startedEmulated(index, task, this.context.timers, phaseDuration(this.context, 'startupTask'), command.exitCode, command.note);
      }
      return this.runStartupTask(index + 1);
    }
    // Seed H: a plugin's /blockStartup task waits for the agent its background task started to initialise.
    if (!injected && /\/blockStartup\b/i.test(task.commandLine)) {
      const program = commandProgram(task.commandLine);
      this.logs.bootstrapper('INFO', `Task ${index + 1} waits for ${program} to initialise (/blockStartup).`);
      const waiting = this.agents.whenInitialised(program, (error) => {
        if (!this.ended) this.startupTaskEnded(index, task, error ? 1 : 0, error ?? `${program} has initialised`);
      });
      if (waiting) return;
      this.logs.bootstrapper('WARN', `No ${program} runs to wait for: task ${index + 1} goes on as a plain task.`);
    }
    const command = injected ? { exitCode: 1, note: 'injected fault' } : emulateCommand(task, this.spec.roleDirectory);
    this.later(phaseDuration(this.context, 'startupTask'), () => this.startupTaskEnded(index, task, command.exitCode, command.note));
  }

  /** A task that can run on this OS runs for real; a simple one is waited for, the others are not. */
  private runTaskProcess(processes: Processes, index: number, task: StartupTask, command: NonNullable<ReturnType<typeof runnableCommand>>): void {
    const program = commandProgram(task.commandLine);
    if (task.taskType === 'background') this.agents.started(index, program, false);
    const child = processes.startTaskProcess(
      command,
      taskEnvironment(task, this.spec, localStoragePaths(this.logs.root, this.spec)),
      (stream, line) => {
        this.logs.bootstrapper(stream === 'stderr' ? 'WARN' : 'INFO', `Startup task ${index + 1}: ${line}`);
        // A real agent has initialised once it says something.
        if (task.taskType === 'background' && stream === 'stdout') this.agents.initialised(program);
      },
      (code) => {
        this.taskProcesses.delete(child);
        if (task.taskType === 'background' && !this.ended) this.agents.exited(program, code);
        if (task.taskType === 'foreground') this.foreground.exited(index, code, `ran ${command.file} ${command.args.join(' ')}`);
        if (task.taskType === 'simple' && !this.ended) this.startupTaskEnded(index, task, code, `ran ${command.file} ${command.args.join(' ')}`);
      },
    );
    // A foreground task is the foreground list's to end: it outlives a recycle until it exits.
    if (task.taskType === 'foreground') this.foreground.startedProcess(index, task, child);
    else this.taskProcesses.add(child);
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
    // IISConfigurator's steps take their time; the host process starts once it is done.
    if (this.web && process === 'WaIISHost') new IISConfigurator(this.spec, this.logs, this.web, this.sites).configure((delay, step) => this.later(delay, step), () => this.launchHostProcess());
    else this.launchHostProcess();
  }

  private launchHostProcess(): void {
    const process = hostProcessFor(this.spec);
    const { programEntryPoint, roleEntryModule } = this.spec;
    // A real process is logged with its real pid once it runs; the built-in code's emulated one now.
    if (!programEntryPoint && !roleEntryModule) this.logs.hostProcessStarting();
    this.later(phaseDuration(this.context, 'startHostProcess'), () => {
      this.hostWebSite();
      this.hostProcessRunning = true;
      this.warmedUp = false;
      if (programEntryPoint) return this.withProcesses((processes) => this.startProgram(processes, programEntryPoint));
      if (roleEntryModule) return this.withProcesses((processes) => this.startRoleCode(processes, roleEntryModule));
      this.logs.probe('Busy');
      this.logs.entryPoint('CALLING', 'OnStart');
      this.events.report('BusyRole', `Waiting for role to start... ${process} is calling OnStart.`);
      const onStart = phaseDuration(this.context, 'onStart');
      if (this.faults.crashOnStart) {
        this.later(onStart / 2, () => {
          this.logs.hostProcessCrashed(crashException(this.spec, 'OnStart'));
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
        this.warmUp();
        this.run(0);
      });
    });
  }

  /** An HWC role's WaWebHost hosts the site in its own process (Hostable Web Core) before OnStart. */
  private hostWebSite(): void {
    if (!this.web || hostProcessFor(this.spec) !== 'WaWebHost') return;
    const site = iisSitesOf(this.spec)[0]!;
    this.web.hostHwcSite(site, this.logs.hostProcessPid);
    this.logs.host('INFO', `Hosting site ${site.name} at ${site.physicalPath} in Hostable Web Core.`);
  }

  /**
   * Seed 9.2: once the role is Ready and in rotation, WaWebHost sends the warm-up request GET
   * /do.rd_runtime_init to its own site (a real request to the instance's listener). Nothing waits for it.
   */
  private warmUp(): void {
    if (this.warmedUp || !this.web || hostProcessFor(this.spec) !== 'WaWebHost') return;
    this.warmedUp = true;
    const endpoint = iisSitesOf(this.spec)[0]!.endpointNames[0];
    if (!endpoint || this.web.portOf(endpoint) === null) {
      this.logs.host('WARN', 'The role has no http input endpoint; no warm-up request is sent.');
      return;
    }
    const url = `${this.web.protocolOf(endpoint)}://${this.web.ipAddress}:${this.web.portOf(endpoint)}${warmUpPath}`;
    this.logs.host('INFO', `Sending warm-up request GET ${url}`);
    // The answer arrives in real time and is logged at that emulated instant, unless the role stopped meanwhile.
    const done = (log: () => void) => this.context.timers.whenRunning(() => !this.ended && log());
    this.web.request(endpoint, warmUpPath).then(
      ({ status, timeTakenMs }) => done(() => this.logs.host(status === 200 ? 'INFO' : 'WARN', `Warm-up request returned ${status} in ${timeTakenMs} ms.`)),
      (error: Error) => done(() => this.logs.host('WARN', `Warm-up request failed: ${error.message}`)),
    );
  }

  /** A worker role's ProgramEntryPoint: its command line runs in WaWorkerHost's place (see program-entry-point.ts). */
  private startProgram(processes: Processes, entry: NonNullable<InstanceSpec['programEntryPoint']>): void {
    this.program = new processes.ProgramEntryPointHost(this.spec, entry, hostProcessFor(this.spec), localStoragePaths(this.logs.root, this.spec), {
      report: (status, details) => {
        if (status === 'ReadyRole') this.logs.probe('Ready');
        this.events.report(status, details);
      },
      exited: (reason) => {
        this.logs.bootstrapper('WARN', `Host process ${hostProcessFor(this.spec)}.exe ended: ${reason}`);
        this.exit(reason);
      },
      output: (stream, line) => this.logs.roleOutput(stream, line),
      log: (level, message) => this.logs.host(level, message),
    });
    this.program.start();
    this.logs.hostProcessStarting(this.program.pid);
    if (this.faults.crashOnStart) this.program.crash(`${hostProcessFor(this.spec)} exited unexpectedly at start: its ProgramEntryPoint process was killed (injected fault).`);
  }

  /** Run the package's role entry point in the role's real host process (see role-code-host.ts). */
  private startRoleCode(processes: Processes, entryModule: string): void {
    const process = hostProcessFor(this.spec);
    let ran = false;
    this.roleCode = new processes.RoleCodeHost(this.context, { ...this.spec, roleEntryModule: entryModule }, process, {
      report: (status, details) => {
        const ready = status === 'ReadyRole' && this.roleCode?.running === true;
        // OnStart returned true: Run starts as the instance turns Ready, as the built-in code logs it.
        if (ready && !ran) this.logs.entryPoint('COMPLETED', 'OnStart');
        if (ready) this.logs.probe('Ready');
        this.events.report(status, details);
        if (ready && !ran) {
          ran = true;
          this.logs.entryPoint('CALLING', 'Run');
          this.warmUp();
        }
      },
      exited: (reason, crashed = true) => {
        // A requested recycle is no crash: no unhandled exception in the host log, no event 1000.
        if (crashed) this.logs.hostProcessCrashed(reason);
        else this.logs.bootstrapper('INFO', `Host process ${process}.exe is ending: ${reason}`);
        this.exit(reason);
      },
      output: (stream, line) => this.logs.roleOutput(stream, line),
      probed: (answer) => (answer ? this.logs.probe(answer) : this.logs.probeTimedOut(statusCheckTimeout)),
    }, localStoragePaths(this.logs.root, this.spec));
    this.roleCode.start();
    this.logs.hostProcessStarting(this.roleCode.pid);
    this.logs.entryPoint('CALLING', 'OnStart');
    if (this.faults.crashOnStart) {
      this.later(phaseDuration(this.context, 'onStart') / 2, () =>
        this.roleCode?.crash(`${process} exited unexpectedly during OnStart: unhandled exception in role code (injected fault).`),
      );
    }
  }

  /**
   * Run `step` with what starts real processes (host/guest-processes.ts): at once when a role on this host
   * has loaded it before, else once it has loaded, unless the role stack ended meanwhile. A failed load ends
   * the role stack with the reason, so the instance's details and the bootstrapper log say why.
   */
  private withProcesses(step: (processes: Processes) => void): void {
    if (processesLoaded) return step(processesLoaded);
    loadGuestProcesses().then(
      (processes) => this.context.timers.whenRunning(() => !this.ended && step(processes)),
      (error: Error) =>
        this.context.timers.whenRunning(() => {
          if (this.ended) return;
          this.logs.bootstrapper('ERROR', `The host worker could not load host/guest-processes.ts: ${error.message}`);
          this.exit(`WaHostBootstrapper could not load what starts the role's processes: ${error.message}`);
        }),
    );
  }

  /**
   * The default role code's Run loop, as the Visual Studio templates write it: a worker role traces "Working"
   * every 10 s; a web role's RoleEntryPoint leaves Run to the base class, which only waits.
   */
  private run(tick: number): void {
    if (this.spec.roleType === 'WorkerRole') this.logs.roleOutput('stdout', 'Working');
    if (tick % 3 === 2) this.logs.probe('Ready'); // the bootstrapper keeps probing its client
    this.later(runTraceInterval, () => this.run(tick + 1));
  }
}

const runTraceInterval = 10_000;

/** The exception an injected crash throws, with a stack, as Event Viewer and the host log show it. */
function crashException(spec: InstanceSpec, method: 'OnStart' | 'Run'): string {
  // The Visual Studio template's class: namespace <role name>, class WorkerRole or WebRole.
  const roleClass = `${spec.roleName.replace(/[^\w]/g, '_')}.${spec.roleType === 'WebRole' ? 'WebRole' : 'WorkerRole'}`;
  return [
    'System.InvalidOperationException: Injected fault: the role crashed (Fabric Lab).',
    `   at ${roleClass}.${method}()`,
    `   at Microsoft.WindowsAzure.ServiceRuntime.RoleEnvironment.InitializeRoleInternal(RoleType roleTypeEnum)`,
  ].join('\n');
}

/** The folder the goal state gives the named site, if any. */
function directoryOf(spec: InstanceSpec, siteName: string): { directory?: string } {
  const directory = spec.sites?.find((s) => s.name === siteName)?.directory;
  return directory ? { directory } : {};
}
