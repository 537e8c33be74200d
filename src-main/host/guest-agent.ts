// Inside one guest VM: WaAppAgent installs WindowsAzureGuestAgent, which configures the guest (firewall,
// local storage, configuration file), starts WaHostBootstrapper, reports role status, and answers the host
// agent's heartbeat requests (every 2-3 seconds, seed step 4) over the VM's channel. It works from its own copy
// of the goal state, which the host agent hands it at boot and changes only by message. Its one recovery is
// restarting the role stack when it ends, with a back-off that doubles; it never reboots the VM.
import type { InstanceSpec } from '../common/host-protocol';
import type { InstanceStatus } from '../common/instance-status';
import type { TimerHandle } from '../common/emulated-timers';
import type { FromGuest, ToGuest } from './guest-protocol';
import { phaseDuration, type HostContext } from './host-context';
import type { InstanceLogs } from './instance-logs';
import type { InstanceWebServer } from './instance-web-server';
import type { RoleFaults } from './role-faults';
import type { VmBusEnd } from './vm-bus';
import { WaHostBootstrapper } from './wa-host-bootstrapper';
import { prepareLocalStorage } from './local-storage';

export class GuestAgent {
  private bootstrapper: WaHostBootstrapper | null = null;
  /** Whether the guest answers the host agent's heartbeat requests: from its start until it stops, freezes or halts. */
  private answering = false;
  /** The next step on the way to a running role (configuring, or a restart after back-off). */
  private nextStart: TimerHandle | null = null;
  /** Role starts that ended without reaching Ready, in a row. */
  private failedStarts = 0;
  /** Ends in a row that came soon after Ready: a role that keeps doing so is CyclingRole. */
  private shortRuns = 0;
  /** When the role last became Ready (emulated, real); null while it is not. */
  private readySince: { at: number; realAt: number } | null = null;
  private frozen = false;

  constructor(
    private readonly context: HostContext,
    private readonly spec: InstanceSpec,
    private readonly faults: RoleFaults,
    private readonly vmBus: VmBusEnd<ToGuest, FromGuest>,
    private readonly logs: InstanceLogs,
    /** The VM's IIS, for web roles (host/instance-web-server.ts); the bootstrapper configures or hosts its sites. */
    private readonly web: InstanceWebServer | null = null,
  ) {
    vmBus.on('message', (message: ToGuest) => {
      if (message.type === 'heartbeat-request') this.context.timers.atInstant(message.at, () => this.answerHeartbeat());
      else if (message.type === 'stop') this.stopRole();
      else if (message.type === 'configuration') {
        // The guest's own copy of its goal state takes the new values (the host sends them; nothing is shared).
        this.spec.roleEnvironment = { ...this.spec.roleEnvironment, settings: { ...message.settings } };
        this.spec.configurationVersion = message.version;
        void this.changeConfiguration(message.version, message.changed, message.requestId);
      } else if (message.type === 'topology') {
        this.spec.topology = message.roles;
        void this.changeTopology(message.changedRoles);
      }
    });
  }

  /** WaAppAgent has started; it installs the guest agent, which takes over from here. */
  start(): void {
    this.logs.guestAgentStarted('the guest OS booted');
    this.answering = true;
    this.report('CreatingRole', 'WindowsAzureGuestAgent is configuring the guest: firewall rules, local storage, role configuration.');
    this.setUpLocalStorage(false);
    this.nextStart = this.context.timers.after(phaseDuration(this.context, 'configureGuest'), () => this.startRole());
  }

  /** Injected: the role's host process dies now. */
  crashRole(): void {
    this.bootstrapper?.crashHostProcess();
  }

  /** Injected: recycle the role so that its startup tasks run again. */
  recycleRole(reason: string): void {
    if (this.frozen || !this.bootstrapper) return;
    this.bootstrapper.stop();
    this.bootstrapper = null;
    this.logs.runtime('WARN', `Recycling the role: ${reason}`);
    this.report('RestartingRole', reason);
    this.startRole(true);
  }

  /** Injected: the guest OS freezes. Nothing in it runs any more, heartbeats included. */
  freeze(): void {
    this.frozen = true;
    this.answering = false;
    this.nextStart?.cancel();
    // Kept: when the host agent restarts the VM, halt() ends what froze.
    this.bootstrapper?.freeze();
  }

  /** The VM is going away under the guest (reboot or power off by the host agent). */
  halt(): void {
    this.answering = false;
    this.nextStart?.cancel();
    this.bootstrapper?.stop(false);
    this.bootstrapper = null;
  }

  /**
   * Change Deployment Configuration reached this guest (the new values are in the spec already): write the
   * next configuration file, let the role's code see Changing and Changed, and recycle the role if it
   * cancelled Changing. Answers the host agent once the change is taken.
   */
  private async changeConfiguration(version: number, changed: string[], requestId: string | undefined): Promise<void> {
    this.logs.configurationChanged(version, changed);
    const outcome = this.bootstrapper && changed.length > 0 ? await this.bootstrapper.changeConfiguration(version, changed) : 'applied';
    if (this.frozen) return;
    const recycled = outcome === 'cancelled' && this.bootstrapper !== null;
    if (recycled) this.bootstrapper!.recycle(`The role's code cancelled RoleEnvironment.Changing, so the role recycles to apply configuration version ${version}.`);
    this.send({ type: 'configuration-applied', version, recycled, ...(requestId ? { requestId } : {}) });
  }

  /** The deployment's topology changed: running role code hears it, and a cancelled Changing recycles the role. */
  private async changeTopology(changedRoles: string[]): Promise<void> {
    if (changedRoles.length > 0) {
      const counts = changedRoles.map((name) => `${name} (${this.spec.topology?.find((r) => r.name === name)?.instances.length ?? 0} instance(s))`).join(', ');
      this.logs.runtime('INFO', `Topology change for role(s) ${counts}: ${this.bootstrapper ? 'the role is told' : 'no role runs to be told'}.`);
    }
    if (!this.bootstrapper) return;
    const outcome = await this.bootstrapper.changeTopology(changedRoles);
    if (this.frozen || outcome !== 'cancelled' || !this.bootstrapper) return;
    this.bootstrapper.recycle(`The role's code cancelled RoleEnvironment.Changing for a topology change (${changedRoles.join(', ')}), so the role recycles.`);
  }

  /** Local storage folders: created while configuring the guest; on a recycle, emptied where cleanOnRoleRecycle says so. */
  private setUpLocalStorage(recycle: boolean): void {
    if (Object.keys(this.spec.roleEnvironment.localResources).length === 0) return;
    try {
      const { created, emptied, kept } = prepareLocalStorage(this.logs.root, this.spec, recycle);
      const parts = [
        created.length ? `created ${created.join(', ')}` : '',
        emptied.length ? `emptied ${emptied.join(', ')} (cleanOnRoleRecycle="true")` : '',
        kept.length ? `kept the files of ${kept.join(', ')} (cleanOnRoleRecycle="false")` : '',
      ].filter(Boolean);
      if (parts.length) this.logs.runtime('INFO', `Local storage: ${parts.join('; ')}.`);
    } catch (error) {
      this.logs.runtime('ERROR', `Local storage could not be prepared: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** `recycle`: the role ran before on this guest, so local storage is cleaned as its cleanOnRoleRecycle says. */
  private startRole(recycle = false): void {
    this.nextStart = null;
    if (recycle) this.setUpLocalStorage(true);
    this.bootstrapper = new WaHostBootstrapper(this.context, this.spec, this.faults, this.logs, {
      report: (status, details) => {
        if (status === 'ReadyRole') {
          this.failedStarts = 0;
          this.readySince ??= { at: this.context.timers.now(), realAt: performance.now() };
        }
        this.report(status, details);
      },
      exited: (reason) => this.roleExited(reason),
    }, this.web);
    this.bootstrapper.start();
  }

  private roleExited(reason: string): void {
    this.bootstrapper = null;
    this.failedStarts++;
    const { roleRestartBackoff, roleRestartBackoffMax, failedStartsBeforeFailedStartingRole } = this.context.timings;
    const wait = Math.min(roleRestartBackoff * 2 ** (this.failedStarts - 1), roleRestartBackoffMax);
    const retry = `Restarting the role in ${Math.round(wait / 1000)} s (attempt ${this.failedStarts + 1}).`;
    // A role that starts, reaches Ready and soon ends again, over and over, is cycling (not failing to start).
    // Soon: within 30 emulated minutes or 30 real seconds of Ready (role code runs in real time).
    const ready = this.readySince;
    this.readySince = null;
    if (ready) {
      const stable = this.context.timers.now() - ready.at >= stableRun && performance.now() - ready.realAt >= stableRunRealMs;
      this.shortRuns = stable ? 1 : this.shortRuns + 1;
    }
    if (this.shortRuns >= cyclingAfterRuns) {
      this.report('CyclingRole', `${reason} The role ended soon after reaching Ready ${this.shortRuns} times in a row: it keeps cycling. ${retry}`);
    } else if (this.failedStarts >= failedStartsBeforeFailedStartingRole) {
      this.report('FailedStartingRole', `${reason} The role failed to start ${this.failedStarts} times in a row. ${retry}`);
    } else {
      this.report('RestartingRole', `${reason} ${retry}`);
    }
    this.nextStart = this.context.timers.after(wait, () => this.startRole(true));
  }

  private report(status: InstanceStatus, details: string): void {
    this.logs.roleStatus(status, details);
    this.send({ type: 'status', status, details, at: this.context.timers.now() });
  }

  /** The host agent asked: a running guest answers at once (a frozen or stopped one does not). */
  private answerHeartbeat(): void {
    if (!this.answering) return;
    this.logs.heartbeat();
    this.send({ type: 'heartbeat', at: this.context.timers.now(), beats: 1 });
  }

  private stopRole(): void {
    if (this.frozen) return;
    this.nextStart?.cancel();
    this.bootstrapper?.stop();
    this.bootstrapper = null;
    this.report('StoppingRole', 'Stopping the role: OnStop, then the host process exits.');
    this.context.timers.after(phaseDuration(this.context, 'stopRole'), () => {
      this.answering = false;
      this.send({ type: 'stopped' });
    });
  }

  private send(message: FromGuest): void {
    this.vmBus.postMessage(message);
  }
}

/** Ends in a row, each soon after Ready, that make a role CyclingRole rather than RestartingRole... */
const cyclingAfterRuns = 3;
/** ...where a run as long as both of these is not soon: it resets the count. */
const stableRun = 30 * 60_000;
const stableRunRealMs = 30_000;
