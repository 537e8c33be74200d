// Inside one guest VM: WaAppAgent installs WindowsAzureGuestAgent, which configures the guest (firewall,
// local storage, configuration file), starts WaHostBootstrapper, reports role status, and sends the
// host agent a heartbeat every 2-3 seconds over the VM's channel.
import type { MessagePort } from 'node:worker_threads';
import type { InstanceSpec } from '../common/host-protocol';
import type { InstanceStatus } from '../common/instance-status';
import type { TimerHandle } from '../common/emulated-timers';
import { between } from '../common/seeded-random';
import type { FromGuest, ToGuest } from './guest-protocol';
import { phaseDuration, type HostContext } from './host-context';
import { WaHostBootstrapper } from './wa-host-bootstrapper';

export class GuestAgent {
  private bootstrapper: WaHostBootstrapper | null = null;
  private heartbeat: TimerHandle | null = null;
  private configuring: TimerHandle | null = null;

  constructor(
    private readonly context: HostContext,
    private readonly spec: InstanceSpec,
    private readonly vmBus: MessagePort,
  ) {
    vmBus.on('message', (message: ToGuest) => {
      if (message.type === 'stop') this.stopRole();
    });
  }

  /** WaAppAgent has started; it installs the guest agent, which takes over from here. */
  start(): void {
    this.beat();
    this.reportStatus('CreatingRole', 'WindowsAzureGuestAgent is configuring the guest: firewall rules, local storage, role configuration.');
    this.configuring = this.context.timers.after(phaseDuration(this.context, 'configureGuest'), () => {
      this.configuring = null;
      this.bootstrapper = new WaHostBootstrapper(this.context, this.spec, (status, details) => this.reportStatus(status, details));
      this.bootstrapper.start();
    });
  }

  private reportStatus(status: InstanceStatus, details: string): void {
    this.send({ type: 'status', status, details, at: this.context.timers.now() });
  }

  private beat(): void {
    this.send({ type: 'heartbeat', at: this.context.timers.now() });
    const { guestHeartbeatMin, guestHeartbeatMax } = this.context.timings;
    this.heartbeat = this.context.timers.after(between(this.context.random, guestHeartbeatMin, guestHeartbeatMax), () => this.beat());
  }

  private stopRole(): void {
    this.configuring?.cancel();
    this.bootstrapper?.stop();
    this.reportStatus('StoppingRole', 'Stopping the role: OnStop, then the host process exits.');
    this.context.timers.after(phaseDuration(this.context, 'stopRole'), () => {
      this.heartbeat?.cancel();
      this.send({ type: 'stopped' });
      this.vmBus.close();
    });
  }

  private send(message: FromGuest): void {
    this.vmBus.postMessage(message);
  }
}
