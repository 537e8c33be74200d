// The part of WaHostBootstrapper that runs a package's own role code: it starts the role's host process
// (a real child process, see role-host-process.ts), calls OnStart through it, marks the instance Ready when
// OnStart returns and Run starts, probes the role with StatusCheck every 15 emulated seconds, and bounds OnStop
// by 5 emulated minutes. A probe the process does not answer in time reads as Busy (out of rotation); a process
// that answers none for 5 minutes is recycled. The built-in default code (no entry module) stays emulated in
// the bootstrapper.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TimerHandle } from '../common/emulated-timers';
import type { InstanceSpec, RoleTopology } from '../common/host-protocol';
import type { RoleEnvironmentData } from '../common/role-host-protocol';
import type { InstanceStatus } from '../common/instance-status';
import type { HostContext } from './host-context';
import { RoleHostProcess, roleHostScript } from './role-host-process';
import { statusCheckFloorMs, statusCheckTimeout, unresponsiveLimit } from './role-stack';

const statusCheckInterval = 15_000;
const onStopLimit = 5 * 60_000;

export interface RoleCodeEvents {
  report(status: InstanceStatus, details: string): void;
  /** The role ended on its own (crash, OnStart false, Run returned, recycle requested). */
  /** `crashed`: false when the role ended on purpose (RequestRecycle, OnStart returning false), not by dying. */
  exited(reason: string, crashed?: boolean): void;
  output(stream: 'stdout' | 'stderr', line: string): void;
  /** A probe's outcome for WaHostBootstrapper.log (at each change and every 30 s): the answer, or `null` when it timed out. */
  probed(answer: 'Ready' | 'Busy' | null): void;
}

export class RoleCodeHost {
  private process: RoleHostProcess | null = null;
  private probe: TimerHandle | null = null;
  private state: 'starting' | 'ready' | 'busy' | 'ended' = 'starting';
  /** The probe sent and not answered yet: when (emulated and real); null when none is outstanding. */
  private outstanding: { at: number; realAt: number; timedOut: boolean } | null = null;
  private probes = 0;

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
    const hostProcess = this.process;
    // The role's certificates are in the VM's store before its code starts (stand-ins: host/stand-in-certificate.ts).
    void this.installCertificates().then((certificates) => {
      if (this.state === 'ended') return;
      hostProcess.start(this.spec.roleEntryModule, this.environment(localResources, certificates));
    });
  }

  /** Each certificate the role names, with its stand-in's key and certificate (null, and a warning, where openssl cannot make one). */
  private async installCertificates(): Promise<RoleEnvironmentData['certificates']> {
    const certificates = this.spec.roleEnvironment.certificates ?? [];
    if (certificates.length === 0) return undefined;
    const { standInCertificate } = await import('./stand-in-certificate');
    const installed = await Promise.all(
      certificates.map(async (c) => {
        const tls = await standInCertificate(c.name, c.thumbprint).catch((error: unknown) => {
          this.events.output('stderr', `Certificate ${c.name} (${c.thumbprint}) has no private key in the store: ${(error as Error).message}`);
          return null;
        });
        return [c.name, { thumbprint: c.thumbprint, storeName: c.storeName, storeLocation: c.storeLocation, key: tls?.key ?? null, cert: tls?.cert ?? null }] as const;
      }),
    );
    return Object.fromEntries(installed);
  }

  private environment(localResources: RoleEnvironmentData['localResources'], certificates: RoleEnvironmentData['certificates']): RoleEnvironmentData {
    return {
      deploymentId: this.spec.deploymentId,
      roleName: this.spec.roleName,
      instanceId: this.spec.instanceName,
      updateDomain: this.spec.upgradeDomain,
      faultDomain: this.spec.faultDomain,
      isEmulated: this.spec.emulated === true,
      settings: this.spec.roleEnvironment.settings,
      localResources,
      endpoints: Object.fromEntries(Object.entries(this.spec.roleEnvironment.endpoints).map(([name, e]) => [name, { ...e, address: e.address ?? '127.0.0.1' }])),
      roles: this.spec.topology ?? [],
      ...(certificates ? { certificates } : {}),
    };
  }

  /** The host process's id once it has started. */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  get running(): boolean {
    return this.process !== null && this.state !== 'ended';
  }

  /** Raise Changing (and, unless role code cancels it, Changed) with the changed settings; true when cancelled. */
  async changing(settings: Record<string, string>): Promise<boolean> {
    if (!this.running) return false;
    return this.process!.changing(settings);
  }

  /** Raise Changing for a topology change (then Changed with `roles` unless cancelled); true when cancelled. */
  async topologyChanging(roles: RoleTopology[], changedRoles: string[]): Promise<boolean> {
    if (!this.running) return false;
    return this.process!.topologyChanging(roles, changedRoles);
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

  /** The guest froze: no more probes or reports; the process, returned to be paused, is killed when the VM restarts. */
  freeze(): ChildProcess | null {
    this.state = 'ended';
    this.probe?.cancel();
    return this.process?.childProcess ?? null;
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

  /** Every 15 s: send StatusCheck unless one is still unanswered, and judge the one that is. */
  private scheduleProbe(): void {
    this.probe = this.context.timers.after(statusCheckInterval, () => {
      if (this.outstanding) this.judgeUnanswered(this.outstanding);
      else this.sendProbe();
      if (this.state === 'ready' || this.state === 'busy') this.scheduleProbe();
    });
  }

  private sendProbe(): void {
    const sent = { at: this.context.timers.now(), realAt: performance.now(), timedOut: false };
    this.outstanding = sent;
    const logged = this.probes++ % 2 === 0; // the bootstrapper logs a probe every 30 s and at each change
    void this.process!.statusCheck().then((busy) =>
      this.context.timers.whenRunning(() => {
        if (this.outstanding === sent) this.outstanding = null;
        if (this.state !== 'ready' && this.state !== 'busy') return;
        const next = busy ? 'busy' : 'ready';
        if (next !== this.state || logged || sent.timedOut) this.events.probed(busy ? 'Busy' : 'Ready');
        if (next !== this.state || sent.timedOut) {
          this.state = next;
          this.events.report(busy ? 'BusyRole' : 'ReadyRole', busy ? 'StatusCheck: the role called SetBusy; it is out of load-balancer rotation until it stops.' : '');
        }
      }),
    );
  }

  /** A probe still unanswered: Busy once it waited statusCheckTimeout, a recycle once unresponsiveLimit (both with the real floor). */
  private judgeUnanswered(sent: { at: number; realAt: number; timedOut: boolean }): void {
    const waited = this.context.timers.now() - sent.at;
    if (performance.now() - sent.realAt < statusCheckFloorMs) return;
    if (waited >= unresponsiveLimit && performance.now() - sent.realAt >= 2 * statusCheckFloorMs) {
      this.process!.kill();
      this.end(`${this.processName} answered no status probe for ${Math.round(waited / 60_000)} minutes: WaHostBootstrapper recycles it.`, false);
      return;
    }
    if (waited < statusCheckTimeout || sent.timedOut) return;
    sent.timedOut = true;
    this.events.probed(null);
    if (this.state === 'ready') {
      this.state = 'busy';
      this.events.report('BusyRole', `StatusCheck: ${this.processName} did not answer the status probe within ${statusCheckTimeout / 1000} s; read as Busy, out of load-balancer rotation.`);
    }
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
