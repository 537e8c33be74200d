// Inside one guest VM: WaAppAgent installs WindowsAzureGuestAgent, which configures the guest (firewall,
// local storage, configuration file), starts WaHostBootstrapper, reports role status, and sends the
// host agent a heartbeat every 2-3 seconds over the VM's channel. Its one recovery is restarting the role
// stack when it ends, with a back-off that doubles; it never reboots the VM.
import type { MessagePort } from 'node:worker_threads';
import type { InstanceSpec } from '../common/host-protocol';
import type { InstanceStatus } from '../common/instance-status';
import type { TimerHandle } from '../common/emulated-timers';
import { between } from '../common/seeded-random';
import type { FromGuest, ToGuest } from './guest-protocol';
import { phaseDuration, type HostContext } from './host-context';
import type { InstanceLogs } from './instance-logs';
import type { RoleFaults } from './role-faults';
import { WaHostBootstrapper } from './wa-host-bootstrapper';

export class GuestAgent {
  private bootstrapper: WaHostBootstrapper | null = null;
  private heartbeat: TimerHandle | null = null;
  /** The next step on the way to a running role (configuring, or a restart after back-off). */
  private nextStart: TimerHandle | null = null;
  /** Role starts that ended without reaching Ready, in a row. */
  private failedStarts = 0;
  private frozen = false;

  constructor(
    private readonly context: HostContext,
    private readonly spec: InstanceSpec,
    private readonly faults: RoleFaults,
    private readonly vmBus: MessagePort,
    private readonly logs: InstanceLogs,
  ) {
    vmBus.on('message', (message: ToGuest) => {
      if (message.type === 'stop') this.stopRole();
    });
  }

  /** WaAppAgent has started; it installs the guest agent, which takes over from here. */
  start(): void {
    this.logs.guestAgentStarted('the guest OS booted');
    this.beat();
    this.report('CreatingRole', 'WindowsAzureGuestAgent is configuring the guest: firewall rules, local storage, role configuration.');
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
    this.startRole();
  }

  /** Injected: the guest OS freezes. Nothing in it runs any more, heartbeats included. */
  freeze(): void {
    this.frozen = true;
    this.halt();
  }

  /** The VM is going away under the guest (reboot or power off by the host agent). */
  halt(): void {
    this.heartbeat?.cancel();
    this.nextStart?.cancel();
    this.bootstrapper?.stop(false);
    this.bootstrapper = null;
  }

  private startRole(): void {
    this.nextStart = null;
    this.bootstrapper = new WaHostBootstrapper(this.context, this.spec, this.faults, this.logs, {
      report: (status, details) => {
        if (status === 'ReadyRole') this.failedStarts = 0;
        this.report(status, details);
      },
      exited: (reason) => this.roleExited(reason),
    });
    this.bootstrapper.start();
  }

  private roleExited(reason: string): void {
    this.bootstrapper = null;
    this.failedStarts++;
    const { roleRestartBackoff, roleRestartBackoffMax, failedStartsBeforeFailedStartingRole } = this.context.timings;
    const wait = Math.min(roleRestartBackoff * 2 ** (this.failedStarts - 1), roleRestartBackoffMax);
    const retry = `Restarting the role in ${Math.round(wait / 1000)} s (attempt ${this.failedStarts + 1}).`;
    if (this.failedStarts >= failedStartsBeforeFailedStartingRole) {
      this.report('FailedStartingRole', `${reason} The role failed to start ${this.failedStarts} times in a row. ${retry}`);
    } else {
      this.report('RestartingRole', `${reason} ${retry}`);
    }
    this.nextStart = this.context.timers.after(wait, () => this.startRole());
  }

  private report(status: InstanceStatus, details: string): void {
    this.logs.roleStatus(status, details);
    this.send({ type: 'status', status, details, at: this.context.timers.now() });
  }

  private beat(): void {
    this.logs.heartbeat();
    this.send({ type: 'heartbeat', at: this.context.timers.now() });
    const { guestHeartbeatMin, guestHeartbeatMax } = this.context.timings;
    this.heartbeat = this.context.timers.after(between(this.context.random, guestHeartbeatMin, guestHeartbeatMax), () => this.beat());
  }

  private stopRole(): void {
    if (this.frozen) return;
    this.nextStart?.cancel();
    this.bootstrapper?.stop();
    this.bootstrapper = null;
    this.report('StoppingRole', 'Stopping the role: OnStop, then the host process exits.');
    this.context.timers.after(phaseDuration(this.context, 'stopRole'), () => {
      this.heartbeat?.cancel();
      this.send({ type: 'stopped' });
    });
  }

  private send(message: FromGuest): void {
    this.vmBus.postMessage(message);
  }
}
