// The part of WaHostBootstrapper that runs a package's own role code: it starts the role's host process
// (a real child process, see role-host-process.ts), calls OnStart through it, marks the instance Ready when
// OnStart returns and Run starts, probes the role with StatusCheck every 15 emulated seconds, and bounds OnStop
// by 5 emulated minutes. The built-in default code (no entry module) stays emulated in the bootstrapper.
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TimerHandle } from '../common/emulated-timers';
import type { InstanceSpec } from '../common/host-protocol';
import type { InstanceStatus } from '../common/instance-status';
import type { HostContext } from './host-context';
import { RoleHostProcess, roleHostScript } from './role-host-process';

const statusCheckInterval = 15_000;
const onStopLimit = 5 * 60_000;

export interface RoleCodeEvents {
  report(status: InstanceStatus, details: string): void;
  /** The role ended on its own (crash, OnStart false, Run returned, recycle requested). */
  /** `crashed`: false when the role ended on purpose (RequestRecycle, OnStart returning false), not by dying. */
  exited(reason: string, crashed?: boolean): void;
  output(stream: 'stdout' | 'stderr', line: string): void;
}

export class RoleCodeHost {
  private process: RoleHostProcess | null = null;
  private probe: TimerHandle | null = null;
  private state: 'starting' | 'ready' | 'busy' | 'ended' = 'starting';

  constructor(
    private readonly context: HostContext,
    private readonly spec: InstanceSpec & { roleEntryModule: string },
    private readonly processName: string,
    private readonly events: RoleCodeEvents,
    /** Where each declared local storage folder is (host/local-storage.ts); absent: folders under the OS temp folder. */
    private readonly localResourcePaths?: Record<string, string>,
  ) {}

  start(): void {
    const approot = this.spec.roleDirectory ?? dirname(this.spec.roleEntryModule);
    const resources = join(tmpdir(), 'fabric-lab-resources', this.spec.instanceId.replace(/[^\w.-]/g, '_'));
    const localResources = Object.fromEntries(
      Object.entries(this.spec.roleEnvironment.localResources).map(([name, r]) => {
        const rootPath = this.localResourcePaths?.[name] ?? join(resources, name);
        mkdirSync(rootPath, { recursive: true });
        return [name, { rootPath, maximumSizeInMegabytes: r.maximumSizeInMegabytes }];
      }),
    );
    const env = {
      PATH: process.env.PATH ?? '',
      RoleRoot: dirname(approot),
      RoleInstanceID: this.spec.instanceName,
      RoleName: this.spec.roleName,
      RoleDeploymentID: this.spec.deploymentId,
    };
    this.process = new RoleHostProcess(this.processName, roleHostScript, { cwd: approot, env }, {
      onStartReturned: (ok) => this.onStartReturned(ok),
      ended: (reason, crashed) => this.end(reason, crashed),
      recycleRequested: () => this.recycle(),
      output: (stream, line) => this.events.output(stream, line),
    });
    this.events.report('BusyRole', `Waiting for role to start... ${this.processName} (pid ${this.process.pid}) is calling OnStart.`);
    this.process.start(this.spec.roleEntryModule, {
      deploymentId: this.spec.deploymentId,
      roleName: this.spec.roleName,
      instanceId: this.spec.instanceName,
      updateDomain: this.spec.upgradeDomain,
      faultDomain: this.spec.faultDomain,
      isEmulated: this.spec.emulated === true,
      settings: this.spec.roleEnvironment.settings,
      localResources,
      endpoints: Object.fromEntries(Object.entries(this.spec.roleEnvironment.endpoints).map(([name, e]) => [name, { ...e, address: e.address ?? '127.0.0.1' }])),
    });
  }

  get running(): boolean {
    return this.process !== null && this.state !== 'ended';
  }

  /** Raise Changing (and, unless role code cancels it, Changed) with the changed settings; true when cancelled. */
  async changing(settings: Record<string, string>): Promise<boolean> {
    if (!this.running) return false;
    return this.process!.changing(settings);
  }

  /** Injected fault: the host process is killed, exactly as an unhandled exception would end it. */
  crash(reason: string): void {
    if (!this.running) return;
    this.process!.kill();
    this.end(reason);
  }

  /** Stop gracefully: Stopping and OnStop run in the role, which has 5 emulated minutes before it is killed. */
  stop(): void {
    if (!this.running) return;
    this.state = 'ended';
    this.probe?.cancel();
    const process = this.process!;
    process.stop();
    this.context.timers.after(onStopLimit, () => process.kill());
  }

  /** The VM is going away: no OnStop. */
  halt(): void {
    this.state = 'ended';
    this.probe?.cancel();
    this.process?.kill();
  }

  private onStartReturned(ok: boolean): void {
    if (this.state !== 'starting') return;
    if (!ok) return this.end(`OnStart returned false, so ${this.processName} stops.`, false);
    // OnStart returned: Run starts and, at the same moment, the instance is Ready.
    this.state = 'ready';
    this.events.report('ReadyRole', '');
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    this.probe = this.context.timers.after(statusCheckInterval, () => {
      void this.process!.statusCheck().then((busy) => {
        if (this.state !== 'ready' && this.state !== 'busy') return;
        const next = busy ? 'busy' : 'ready';
        if (next !== this.state) {
          this.state = next;
          this.events.report(busy ? 'BusyRole' : 'ReadyRole', busy ? 'StatusCheck: the role called SetBusy; it is out of load-balancer rotation until it stops.' : '');
        }
      });
      this.scheduleProbe();
    });
  }

  private recycle(): void {
    if (!this.running) return;
    this.stop();
    this.events.exited('The role called RequestRecycle.', false);
  }

  private end(reason: string, crashed = true): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.probe?.cancel();
    this.events.exited(reason, crashed);
  }
}
