// The host agent on the host OS: creates and boots guest VMs toward their goal state, listens to each
// guest agent over the VM's channel, relays role status to the fabric controller and sends it its own
// heartbeat.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { FromHost, InstanceSpec } from '../common/host-protocol';
import { assertTransition, type InstanceStatus } from '../common/instance-status';
import type { TimerHandle } from '../common/emulated-timers';
import { GuestAgent } from './guest-agent';
import type { FromGuest } from './guest-protocol';
import { phaseDuration, type HostContext } from './host-context';

interface GuestVm {
  spec: InstanceSpec;
  status: InstanceStatus;
  lastHeartbeat: number | null;
  heartbeats: number;
  /** The host's end of the VM's channel, once the guest has booted. */
  vmBus: MessagePort | null;
  /** The VM-level step in progress (creating or booting), cancelled if the VM is stopped first. */
  step: TimerHandle | null;
  stopping: boolean;
}

export class HostAgent {
  private readonly vms = new Map<string, GuestVm>();
  private heartbeat: TimerHandle | null = null;

  constructor(
    private readonly context: HostContext,
    private readonly toController: (message: FromHost) => void,
  ) {}

  start(): void {
    this.beat();
  }

  shutdown(): void {
    this.heartbeat?.cancel();
    for (const vm of this.vms.values()) vm.vmBus?.close();
    this.vms.clear();
    this.context.timers.clear();
  }

  startInstance(spec: InstanceSpec): void {
    if (this.vms.has(spec.instanceId)) throw new Error(`Instance ${spec.instanceId} already runs on ${this.context.hostId}`);
    const vm: GuestVm = { spec, status: 'RoleStateUnknown', lastHeartbeat: null, heartbeats: 0, vmBus: null, step: null, stopping: false };
    this.vms.set(spec.instanceId, vm);
    this.setStatus(vm, 'CreatingVM', `Host agent on ${this.context.hostId} is creating the VM (${spec.vmSize}).`);
    vm.step = this.context.timers.after(phaseDuration(this.context, 'createVm'), () => {
      this.setStatus(vm, 'StartingVM', 'Starting the guest OS.');
      vm.step = this.context.timers.after(phaseDuration(this.context, 'bootGuest'), () => {
        vm.step = null;
        this.bootGuest(vm);
      });
    });
  }

  stopInstance(instanceId: string): void {
    const vm = this.vms.get(instanceId);
    if (!vm || vm.stopping) return;
    vm.stopping = true;
    if (vm.vmBus) {
      vm.vmBus.postMessage({ type: 'stop' });
    } else {
      vm.step?.cancel();
      this.powerOff(vm);
    }
  }

  /** The guest OS is up: WaAppAgent starts, and from here the guest talks to us only over its channel. */
  private bootGuest(vm: GuestVm): void {
    const { port1, port2 } = new MessageChannel();
    vm.vmBus = port1;
    port1.on('message', (message: FromGuest) => this.fromGuest(vm, message));
    new GuestAgent(this.context, vm.spec, port2).start();
  }

  private fromGuest(vm: GuestVm, message: FromGuest): void {
    switch (message.type) {
      case 'heartbeat':
        vm.lastHeartbeat = message.at;
        vm.heartbeats++;
        break;
      case 'status':
        this.setStatus(vm, message.status, message.details, message.at);
        break;
      case 'stopped':
        vm.vmBus?.close();
        vm.vmBus = null;
        this.powerOff(vm);
        break;
    }
  }

  private powerOff(vm: GuestVm): void {
    this.setStatus(vm, 'StoppingVM', 'Shutting down the guest OS.');
    this.context.timers.after(phaseDuration(this.context, 'stopVm'), () => {
      this.setStatus(vm, 'StoppedVM', '');
      this.vms.delete(vm.spec.instanceId);
    });
  }

  /** `at`: when it happened, in the emulated time of the component that did it (the guest's, for role states). */
  private setStatus(vm: GuestVm, status: InstanceStatus, details: string, at = this.context.timers.now()): void {
    if (vm.status === status && status !== 'StartingRole') return;
    if (vm.status !== status) assertTransition(vm.spec.instanceId, vm.status, status);
    vm.status = status;
    this.toController({ type: 'instance-status', instanceId: vm.spec.instanceId, status, details, at });
  }

  private beat(): void {
    const guests = [...this.vms.values()]
      .filter((vm) => vm.lastHeartbeat !== null)
      .map((vm) => ({ instanceId: vm.spec.instanceId, at: vm.lastHeartbeat!, count: vm.heartbeats }));
    this.toController({ type: 'host-heartbeat', at: this.context.timers.now(), guests });
    this.heartbeat = this.context.timers.after(this.context.timings.hostHeartbeat, () => this.beat());
  }
}
