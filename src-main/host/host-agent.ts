// The host agent on the host OS: creates and boots guest VMs toward their goal state, listens to each
// guest agent over the VM's channel, relays role status to the fabric controller, sends it its own
// heartbeat, and restarts a guest whose heartbeat has been silent for 10 minutes.
import type { AfterStop, FromHost, InstanceFault, InstanceSpec } from '../common/host-protocol';
import { assertTransition, type InstanceStatus } from '../common/instance-status';
import type { TimerHandle } from '../common/emulated-timers';
import { GuestAgent } from './guest-agent';
import { HostAgentLog } from './host-agent-log';
import { InstanceLogs } from './instance-logs';
import type { InstanceWebServer } from './instance-web-server';
import { mergeHeartbeats, type FromGuest, type ToGuest } from './guest-protocol';
import { phaseDuration, type HostContext } from './host-context';
import { noRoleFaults, type RoleFaults } from './role-faults';
import { vmBus, type VmBusEnd } from './vm-bus';

interface GuestVm {
  spec: InstanceSpec;
  status: InstanceStatus;
  /** Latest heartbeat since the guest last booted; null until its first. */
  lastHeartbeat: number | null;
  heartbeats: number;
  restarts: number;
  faults: RoleFaults;
  /** The host's end of the VM's channel, and the guest on the other end, once the guest has booted. */
  vmBus: VmBusEnd<FromGuest, ToGuest> | null;
  guest: GuestAgent | null;
  /** The VM-level step in progress (creating or booting), cancelled if the VM is stopped first. */
  step: TimerHandle | null;
  /** Set while the VM is being stopped: what happens once the role has stopped. */
  stopping: AfterStop | null;
  frozen: boolean;
  /** The instance's drives' logs; kept across reboots (a reimage rotates them), closed when the VM is deleted. */
  logs: InstanceLogs;
  /** The front-end request the VM is working for, until the work is done (Ready, stopped or failed). */
  requestId: string | null;
  /** A web role's IIS: its endpoint listeners live while the guest OS is up (host/instance-web-server.ts). */
  web: InstanceWebServer | null;
}

type WebServerModule = typeof import('./instance-web-server');
let webServerLoading: Promise<WebServerModule> | null = null;
let webServerLoaded: WebServerModule | null = null;

/**
 * The instances' IIS (host/instance-web-server.ts), loaded once per host worker, the first time a web role's
 * VM boots: it imports node:http and node:fs/promises, which Node would otherwise compile in every host worker
 * as it starts, though a host of worker roles never needs them.
 */
function loadWebServer(): Promise<WebServerModule> {
  return (webServerLoading ??= import('./instance-web-server').then((module) => (webServerLoaded = module)));
}

/** How often the host agent looks for silent guests. */
const watchdogInterval = 10_000;

export class HostAgent {
  private readonly vms = new Map<string, GuestVm>();
  private readonly log: HostAgentLog;

  constructor(
    private readonly context: HostContext,
    private readonly toController: (message: FromHost) => void,
  ) {
    this.log = new HostAgentLog(context.sessionDir, context.hostId, () => context.timers.now());
  }

  start(): void {
    this.log.write('INFO', `Host agent started on ${this.context.hostId}.`);
    this.beat();
    this.scheduleWatch();
  }

  shutdown(): void {
    for (const vm of this.vms.values()) {
      vm.step?.cancel();
      this.disconnectGuest(vm);
      vm.logs.close();
    }
    this.vms.clear();
    this.log.write('INFO', 'Host agent shutting down.');
    this.log.close();
    this.context.timers.clear();
  }

  startInstance(spec: InstanceSpec, requestId?: string): void {
    if (this.vms.has(spec.instanceId)) throw new Error(`Instance ${spec.instanceId} already runs on ${this.context.hostId}`);
    const vm: GuestVm = {
      spec,
      status: 'RoleStateUnknown',
      lastHeartbeat: null,
      heartbeats: 0,
      restarts: 0,
      faults: noRoleFaults(),
      vmBus: null,
      guest: null,
      step: null,
      stopping: null,
      frozen: false,
      logs: new InstanceLogs(this.context.sessionDir, spec, () => this.context.timers.now()),
      requestId: requestId ?? null,
      web: null,
    };
    this.vms.set(spec.instanceId, vm);
    this.log.write('INFO', `Goal state for ${spec.instanceId}: Started (${spec.roleName}, ${spec.vmSize}, fault domain ${spec.faultDomain}, upgrade domain ${spec.upgradeDomain}).`, requestId);
    this.createVm(vm, `Host agent on ${this.context.hostId} is creating the VM (${spec.vmSize}).`);
  }

  private createVm(vm: GuestVm, details: string): void {
    this.setStatus(vm, 'CreatingVM', details);
    vm.step = this.context.timers.after(phaseDuration(this.context, 'createVm'), () => this.bootVm(vm, 'Starting the guest OS.'));
  }

  stopInstance(instanceId: string, then: AfterStop, requestId?: string): void {
    const vm = this.vms.get(instanceId);
    this.log.write('INFO', `Stop ${instanceId}, then ${then}.`, requestId);
    if (vm && requestId) vm.requestId = requestId;
    if (!vm || vm.stopping || vm.status === 'StoppedVM') {
      // Already stopped and kept: deleting it now only needs the record gone.
      if (vm && vm.status === 'StoppedVM' && then === 'delete') {
        vm.logs.close();
        this.vms.delete(instanceId);
      }
      return;
    }
    vm.stopping = then;
    if (vm.vmBus && !vm.frozen) {
      vm.vmBus.postMessage({ type: 'stop' });
    } else {
      // Not booted yet, or frozen: there is no guest to ask, so the VM is powered off.
      vm.step?.cancel();
      this.disconnectGuest(vm);
      this.roleStopped(vm);
    }
  }

  /** Boot a VM that was kept stopped (a suspended deployment started again). */
  resumeInstance(instanceId: string, requestId?: string): void {
    const vm = this.vms.get(instanceId);
    if (!vm || vm.status !== 'StoppedVM') return;
    vm.requestId = requestId ?? null;
    this.log.write('INFO', `Resume ${instanceId}: booting its kept VM.`, requestId);
    this.bootVm(vm, 'Starting the guest OS.');
  }

  applyFault(instanceId: string, fault: InstanceFault): void {
    const vm = this.vms.get(instanceId);
    if (!vm || vm.stopping) return;
    this.log.write('WARN', `Fault injected into ${instanceId}: ${fault.kind}.`);
    switch (fault.kind) {
      case 'crash-role':
        vm.faults.crashOnStart = fault.persistent;
        vm.guest?.crashRole();
        break;
      case 'fail-startup-task':
        vm.faults.failStartupTask = true;
        vm.guest?.recycleRole('Recycling the role to run its startup tasks again.');
        break;
      case 'hang-guest':
        vm.frozen = true;
        vm.web?.freeze();
        vm.guest?.freeze();
        break;
      case 'clear':
        Object.assign(vm.faults, noRoleFaults());
        break;
    }
  }

  /**
   * Change Deployment Configuration: the VM's goal state takes the new values (a later boot or recycle uses
   * them); a running guest applies them now and answers. A guest that cannot (not booted, stopping, frozen)
   * takes them when it next starts.
   */
  updateConfiguration(instanceId: string, settings: Record<string, string>, version: number, requestId?: string): void {
    const vm = this.vms.get(instanceId);
    const applied = () => this.toController({ type: 'configuration-applied', instanceId, version, recycled: false, ...(requestId ? { requestId } : {}) });
    if (!vm) return applied();
    const before = vm.spec.roleEnvironment.settings;
    const changed = Object.keys(settings).filter((name) => before[name] !== settings[name]);
    // The spec object is shared with the guest's components: they read the new values from it.
    vm.spec.roleEnvironment = { ...vm.spec.roleEnvironment, settings: { ...settings } };
    vm.spec.configurationVersion = version;
    this.log.write('INFO', `Configuration version ${version} for ${instanceId}${changed.length ? ` (changed: ${changed.join(', ')})` : ''}.`, requestId);
    if (vm.vmBus && vm.guest && !vm.frozen && !vm.stopping) vm.vmBus.postMessage({ type: 'configuration', version, changed, ...(requestId ? { requestId } : {}) });
    else applied();
  }

  /** Power on (or reboot) the VM: the guest OS boots, then WaAppAgent starts the guest agent. */
  private bootVm(vm: GuestVm, details: string, at = this.context.timers.now()): void {
    this.setStatus(vm, 'StartingVM', details, at);
    vm.step = this.context.timers.after(phaseDuration(this.context, 'bootGuest'), () => {
      vm.step = null;
      if (vm.spec.roleType !== 'WebRole') return this.startGuest(vm);
      if (webServerLoaded) return this.openWebServer(vm, webServerLoaded);
      this.loadWebServerFor(vm);
    });
  }

  /**
   * The first web role VM to boot on this host loads the web server module; the VM's step is that load, so
   * stopping the VM meanwhile cancels it. A failed load fails the VM's start with the reason.
   */
  private loadWebServerFor(vm: GuestVm): void {
    let cancelled = false;
    const step: TimerHandle = { cancel: () => void (cancelled = true) };
    vm.step = step;
    const current = () => {
      if (vm.step === step) vm.step = null;
      return !cancelled;
    };
    const frozen = vm.frozen;
    loadWebServer().then(
      (module) =>
        this.context.timers.atOnce(() => {
          if (!current()) return;
          this.openWebServer(vm, module);
          // Hung while the module loaded: its IIS answers nothing, as when the guest hangs while listening.
          if (vm.frozen && !frozen) vm.web?.freeze();
        }),
      (error: Error) =>
        this.context.timers.atOnce(() => {
          if (!current()) return;
          this.log.write('ERROR', `${vm.spec.instanceId}: the host worker could not load host/instance-web-server.ts: ${error.message}`);
          this.setStatus(vm, 'FailedStartingVM', `The host agent could not load the web server for the role's endpoints: ${error.message}`);
        }),
    );
  }

  /** A web role's endpoints listen once the guest OS is up; the guest agent starts when they do. */
  private openWebServer(vm: GuestVm, { InstanceWebServer }: WebServerModule): void {
    const web = new InstanceWebServer(vm.spec, vm.logs, () => this.context.timers.now(), (endpoints) =>
      this.toController({ type: 'instance-endpoints', instanceId: vm.spec.instanceId, endpoints }),
    );
    vm.web = web;
    web.open().then(
      () => this.context.timers.atOnce(() => vm.web === web && this.startGuest(vm)),
      (error: Error) =>
        this.context.timers.atOnce(() => {
          this.log.write('ERROR', `${vm.spec.instanceId}: its endpoints could not listen on 127.0.0.1: ${error.message}`);
          if (vm.web === web) this.startGuest(vm);
        }),
    );
  }

  /** WaAppAgent starts the guest agent, which talks to the host agent over the VM's own channel. */
  private startGuest(vm: GuestVm): void {
    const bus = vmBus<FromGuest, ToGuest>(mergeHeartbeats);
    vm.vmBus = bus.host;
    bus.host.on('message', (message) => this.context.timers.atOnce(() => this.fromGuest(vm, message)));
    vm.guest = new GuestAgent(this.context, vm.spec, vm.faults, bus.guest, vm.logs, vm.web);
    vm.guest.start();
  }

  private fromGuest(vm: GuestVm, message: FromGuest): void {
    switch (message.type) {
      case 'heartbeat':
        vm.lastHeartbeat = message.at;
        vm.heartbeats += message.beats;
        break;
      case 'status':
        // Each failed start restarts the role, also once it reads FailedStartingRole (the details count those).
        if (message.status === 'RestartingRole' || message.status === 'FailedStartingRole') vm.restarts++;
        this.setStatus(vm, message.status, message.details, message.at);
        break;
      case 'stopped':
        this.disconnectGuest(vm);
        this.roleStopped(vm);
        break;
      case 'configuration-applied':
        this.toController({ type: 'configuration-applied', instanceId: vm.spec.instanceId, version: message.version, recycled: message.recycled, ...(message.requestId ? { requestId: message.requestId } : {}) });
        break;
    }
  }

  private disconnectGuest(vm: GuestVm): void {
    vm.web?.close();
    vm.web = null;
    vm.guest?.halt();
    vm.guest = null;
    vm.vmBus?.close();
    vm.vmBus = null;
  }

  /** The role has stopped (or there was none): finish what the stop was for. */
  private roleStopped(vm: GuestVm): void {
    const then = vm.stopping ?? 'delete';
    vm.frozen = false;
    vm.lastHeartbeat = null;
    if (then === 'reboot') {
      vm.stopping = null;
      vm.restarts++;
      this.bootVm(vm, 'Rebooting the guest OS.');
      return;
    }
    this.setStatus(vm, 'StoppingVM', then === 'reimage' ? 'Shutting down the guest OS to reimage it.' : 'Shutting down the guest OS.');
    this.context.timers.after(phaseDuration(this.context, 'stopVm'), () => {
      vm.stopping = null;
      if (then === 'reimage') {
        vm.restarts++;
        vm.logs.rotateAll();
        this.createVm(vm, `Host agent on ${this.context.hostId} is re-creating the VM from a fresh OS image (reimage).`);
        return;
      }
      this.setStatus(vm, 'StoppedVM', then === 'keep' ? 'Stopped; the VM and its cores are kept for the deployment.' : '');
      if (then === 'delete') {
        vm.logs.close();
        this.vms.delete(vm.spec.instanceId);
      }
    });
  }

  private scheduleWatch(): void {
    this.context.timers.after(watchdogInterval, () => {
      const at = this.context.timers.now();
      this.scheduleWatch();
      // Judge after the heartbeats that guests posted in this same burst of timers have been delivered
      // (port messages are handled before setImmediate), so a late thread is not mistaken for silent guests.
      setImmediate(() => this.watch(at));
    });
  }

  /** The 10-minute rule: a guest silent that long is restarted; silent for a minute, it is reported unresponsive. */
  private watch(now: number): void {
    const { guestUnresponsiveAfter, guestHeartbeatTimeout } = this.context.timings;
    for (const vm of this.vms.values()) {
      if (!vm.guest || vm.stopping || vm.lastHeartbeat === null) continue;
      const silence = now - vm.lastHeartbeat;
      if (silence >= guestHeartbeatTimeout) {
        this.disconnectGuest(vm);
        vm.frozen = false;
        vm.lastHeartbeat = null;
        vm.restarts++;
        this.log.write('ERROR', `${vm.spec.instanceId}: no heartbeat for ${Math.round(silence / 1000)} s; restarting the guest OS (10-minute rule).`);
        this.bootVm(vm, `The host agent restarted the guest OS: no heartbeat from the guest agent for ${Math.round(silence / 60_000)} minutes.`, now);
      } else if (silence >= guestUnresponsiveAfter && vm.status !== 'UnresponsiveRole') {
        this.log.write('WARN', `${vm.spec.instanceId}: no heartbeat for ${Math.round(silence / 1000)} s; reporting it unresponsive.`);
        this.setStatus(vm, 'UnresponsiveRole', `No heartbeat from the guest agent for ${Math.round(silence / 1000)} s. The host agent restarts the guest OS after ${guestHeartbeatTimeout / 60_000} minutes of silence.`, now);
      }
    }
  }

  /** `at`: when it happened, in the emulated time of the component that did it (the guest's, for role states). */
  private setStatus(vm: GuestVm, status: InstanceStatus, details: string, at = this.context.timers.now()): void {
    if (vm.status !== status) assertTransition(vm.spec.instanceId, vm.status, status);
    vm.status = status;
    const requestId = vm.requestId ?? undefined;
    this.log.write(status.startsWith('Failed') ? 'ERROR' : 'INFO', `${vm.spec.instanceId} is ${status}.${details ? ` ${details}` : ''}`, requestId);
    this.toController({ type: 'instance-status', instanceId: vm.spec.instanceId, status, details, at, restarts: vm.restarts, requestId });
    // The request's work on this VM is done once it is Ready, stopped or failed.
    if (status === 'ReadyRole' || status === 'StoppedVM' || status.startsWith('Failed')) vm.requestId = null;
  }

  private beat(): void {
    const guests = [...this.vms.values()]
      .filter((vm) => vm.lastHeartbeat !== null)
      .map((vm) => ({ instanceId: vm.spec.instanceId, at: vm.lastHeartbeat!, count: vm.heartbeats }));
    this.toController({ type: 'host-heartbeat', at: this.context.timers.now(), guests });
    this.context.timers.after(this.context.timings.hostHeartbeat, () => this.beat());
  }
}
