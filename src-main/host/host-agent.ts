// The host agent on the host OS: creates and boots guest VMs (guest-vm.ts) toward their goal state, opens their
// endpoints as they boot (vm-endpoints.ts), listens to each guest agent over the VM's channel, relays role status
// to the fabric controller, sends it its own heartbeat (host-heartbeat.ts), and restarts a guest whose heartbeat
// has been silent for 10 minutes.
import type { HeartbeatRegister } from '../common/heartbeat-register';
import type { CodeCacheUse } from '../common/host-os-script';
import type { AfterStop, FromHost, InstanceFault, InstanceSpec, RoleTopology } from '../common/host-protocol';
import { assertTransition, type InstanceStatus } from '../common/instance-status';
import type { TimerHandle } from '../common/emulated-timers';
import { emptyLocalStorage } from './local-storage';
import { GuestAgent } from './guest-agent';
import { HostAgentLog } from './host-agent-log';
import { InstanceLogs } from './instance-logs';
import { mergeHeartbeats, type FromGuest, type ToGuest } from './guest-protocol';
import { phaseDuration, type HostContext } from './host-context';
import { between } from '../common/seeded-random';
import { noRoleFaults, type RoleFaults } from './role-faults';
import { roleFilesOf, type RoleFiles } from './role-stack';
import { guestBeats, heardGuest, HostHeartbeat, type GuestBeats } from './host-heartbeat';
import { roleModelXml } from './instance-xml';
import { loadRoleModelReader } from './wa-host-bootstrapper';
import { vmBus, type VmBusEnd } from './vm-bus';
import type { GuestVm } from './guest-vm';
import { listensAtBoot, VmEndpoints } from './vm-endpoints';


/** host/role-drive.ts (node:fs/promises), loaded when the first VM of this host is prepared. */
let roleDriveLoading: Promise<typeof import('./role-drive')> | null = null;
function loadRoleDrive(): Promise<typeof import('./role-drive')> {
  return (roleDriveLoading ??= import('./role-drive'));
}

/** How often the host agent looks for silent guests. */
const watchdogInterval = 10_000;

export class HostAgent {
  private readonly vms = new Map<string, GuestVm>();
  private readonly log: HostAgentLog;
  private readonly heartbeat: HostHeartbeat;
  private readonly endpoints: VmEndpoints;
  /** Last octets of the DIPs this host's VMs hold (with a DIP range). */
  private readonly dips = new Set<number>();
  /** Emulated time the agent started: its heartbeats and watchdog keep this phase. */
  private startedAt = 0;
  /** The watchdog's next look, while the host has VMs to watch. */
  private watchdog: TimerHandle | null = null;

  constructor(
    private readonly context: HostContext,
    private readonly toController: (message: FromHost) => void,
    /** Where every heartbeat is written for the controller to read (host-heartbeat.ts); null: heartbeats cross as messages. */
    register: HeartbeatRegister | null = null,
  ) {
    this.log = new HostAgentLog(context.sessionDir, context.hostId, () => context.timers.now());
    this.heartbeat = new HostHeartbeat(context, toController, register, () => this.guestBeats());
    this.endpoints = new VmEndpoints(context, this.log, toController, {
      startGuest: (vm) => this.startGuest(vm),
      failStart: (vm, details) => this.setStatus(vm, 'FailedStartingVM', details),
    });
  }

  /** `codeCache`: how this thread's V8 took the fabric's compiled host code (host-worker.ts); a rejected one is said. */
  start(codeCache: CodeCacheUse = 'none'): void {
    // At one instant: the heartbeats' grid starts where the first one is stamped.
    this.context.timers.atOnce(() => {
      this.log.write('INFO', `Host agent started on ${this.context.hostId}.`);
      if (codeCache === 'rejected') this.log.write('WARN', "V8 rejected the fabric's code cache of the host's code (made by another V8 or with other flags): this host parsed its code itself, and started slower.");
      this.startedAt = this.context.timers.now();
      this.heartbeat.start(this.startedAt);
    });
  }

  /** The clock's scale changed: the host's heartbeat keeps its grid at the new scale (host-heartbeat.ts). */
  clockChanged(): void {
    this.heartbeat.clockChanged();
  }

  private *guestBeats(): Iterable<GuestBeats> {
    for (const vm of this.vms.values()) yield vm.beats;
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
    this.watchdog = null;
  }

  startInstance(spec: InstanceSpec, requestId?: string): void {
    if (this.vms.has(spec.instanceId)) throw new Error(`Instance ${spec.instanceId} already runs on ${this.context.hostId}`);
    const vm: GuestVm = {
      spec,
      status: 'RoleStateUnknown',
      beats: guestBeats(spec.instanceId),
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
      ipAddress: this.allocateDip(),
      listeners: null,
      bound: [],
      upgradeTo: null,
      roleFiles: roleFilesOf(spec),
      driveStale: true,
    };
    this.vms.set(spec.instanceId, vm);
    this.scheduleWatch();
    this.log.write('INFO', `Goal state for ${spec.instanceId}: Started (${spec.roleName}, ${spec.vmSize}, fault domain ${spec.faultDomain}, upgrade domain ${spec.upgradeDomain}).`, requestId);
    // Seed step 3: the package and configuration are copied to the host, and the role's files laid out on E:.
    this.setStatus(vm, 'Preparing', `Copying the package and configuration to ${this.context.hostId}.`);
    // The copy's emulated time runs from now, drawn in message order so a seed replays whatever the disk's speed;
    // the VM is created once it has passed and the files are in place.
    let copied = false;
    let laidOut = false;
    const create = () => copied && laidOut && this.createVm(vm, `Host agent on ${this.context.hostId} is creating the VM (${spec.vmSize}).`);
    const copy = this.context.timers.after(phaseDuration(this.context, 'copyPackage'), () => {
      copied = true;
      create();
    });
    this.layOutDrive(vm, () => {
      laidOut = true;
      create();
    });
    const layout = vm.step;
    vm.step = {
      cancel: () => {
        copy.cancel();
        layout?.cancel();
      },
    };
  }

  /**
   * Lay the role's files out on the VM's E: (role-drive.ts: wiped first) and run the role from there, then
   * `next`. Real time, no emulated time: the VM goes on at the instant the files are in place. The step is
   * the VM's, so stopping it meanwhile cancels it; a failure fails the VM's start with the reason.
   */
  private layOutDrive(vm: GuestVm, next: () => void): void {
    let cancelled = false;
    const step: TimerHandle = { cancel: () => void (cancelled = true) };
    vm.step = step;
    const files = vm.roleFiles;
    const current = () => {
      if (vm.step === step) vm.step = null;
      return !cancelled && this.vms.get(vm.spec.instanceId) === vm;
    };
    // The bootstrapper will read E:\RoleModel.xml: have its reader loaded by then.
    void loadRoleModelReader().catch(() => undefined);
    loadRoleDrive()
      .then((drive) => drive.layOutRoleDrive(files, vm.logs.root, () => roleModelXml({ ...vm.spec, ...files })))
      .then(
        (layout) =>
          this.context.timers.whenRunning(() => {
            if (!current()) return;
            // In place: the guest's components share the spec object.
            Object.assign(vm.spec, layout.files);
            vm.driveStale = false;
            const how = [layout.cloned && `${layout.cloned} cloned`, layout.linked && `${layout.linked} hard-linked`, layout.copied && `${layout.copied} copied`].filter(Boolean).join(', ');
            this.log.write('INFO', `${vm.spec.instanceId}: E: holds the role's ${layout.count} file(s)${how ? ` (${how})` : ''}.`);
            next();
          }),
        (error: Error) =>
          this.context.timers.whenRunning(() => {
            if (!current()) return;
            this.log.write('ERROR', `${vm.spec.instanceId}: the role's files could not be laid out on E:: ${error.message}`);
            this.setStatus(vm, 'FailedStartingVM', `The host agent could not put the role's files on E:: ${error.message}`);
          }),
      );
  }

  /** The lowest free address of the host's DIP range; 127.0.0.1 for every VM where the OS has no other loopback address. */
  private allocateDip(): string {
    const prefix = this.context.dipPrefix;
    if (!prefix) return this.context.dipAddress ?? '127.0.0.1';
    for (let n = 1; n <= 254; n++) {
      if (this.dips.has(n)) continue;
      this.dips.add(n);
      return `${prefix}.${n}`;
    }
    this.log.write('WARN', `All 254 DIPs of ${prefix}.0/24 are taken; the next VM shares 127.0.0.1.`);
    return '127.0.0.1';
  }

  private deleteVm(vm: GuestVm): void {
    vm.logs.close();
    this.vms.delete(vm.spec.instanceId);
    const prefix = this.context.dipPrefix;
    if (prefix && vm.ipAddress.startsWith(`${prefix}.`)) this.dips.delete(Number(vm.ipAddress.slice(prefix.length + 1)));
  }

  private createVm(vm: GuestVm, details: string): void {
    if (vm.driveStale) return this.layOutDrive(vm, () => this.createVm(vm, details));
    this.setStatus(vm, 'CreatingVM', details);
    vm.step = this.context.timers.after(phaseDuration(this.context, 'createVm'), () => this.bootVm(vm, 'Starting the guest OS.'));
  }

  stopInstance(instanceId: string, then: AfterStop, requestId?: string): void {
    const vm = this.vms.get(instanceId);
    this.log.write('INFO', `Stop ${instanceId}, then ${then}.`, requestId);
    if (vm && requestId) vm.requestId = requestId;
    if (!vm || vm.stopping || vm.status === 'StoppedVM') {
      // Already stopped and kept: deleting it now only needs the record gone.
      if (vm && vm.status === 'StoppedVM' && then === 'delete') this.deleteVm(vm);
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

  /**
   * In-place upgrade: the role stops as for a reboot (Stopping, OnStop within its 5 minutes), then the guest OS
   * restarts with the new role files on E: (the new spec's approot and entry point); C: and D: stay, as Azure
   * keeps them. A VM that is not up (stopped, not booted yet) simply takes the new goal state for its next start.
   */
  upgradeInstance(spec: InstanceSpec, requestId?: string): void {
    const vm = this.vms.get(spec.instanceId);
    if (!vm) return this.log.write('WARN', `Upgrade of ${spec.instanceId}: no such VM on ${this.context.hostId}.`, requestId);
    this.log.write('INFO', `Upgrade ${spec.instanceId}: new role files${spec.roleDirectory ? ` from ${spec.roleDirectory}` : ''}.`, requestId);
    if (vm.stopping || vm.status === 'StoppedVM' || !vm.vmBus || vm.frozen) {
      // Nothing to stop gracefully: the next boot (or the one under way) uses the new spec and lays E: out again.
      vm.spec = spec;
      vm.roleFiles = roleFilesOf(spec);
      vm.driveStale = true;
      if (vm.stopping || vm.status === 'StoppedVM') return;
      vm.upgradeTo = null;
      this.stopInstance(spec.instanceId, 'reboot', requestId);
      return;
    }
    vm.upgradeTo = spec;
    this.stopInstance(spec.instanceId, 'upgrade', requestId);
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
        vm.listeners?.freeze();
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
    if (vm.vmBus && vm.guest && !vm.frozen && !vm.stopping) vm.vmBus.postMessage({ type: 'configuration', version, settings: { ...settings }, changed, ...(requestId ? { requestId } : {}) });
    else applied();
  }

  /**
   * The deployment's topology changed: the goal state takes it (a later start reads it) and a running guest
   * hears it now, so that role code sees RoleEnvironment.Changing with a topology change.
   */
  updateTopology(instanceId: string, roles: RoleTopology[], changedRoles: string[]): void {
    const vm = this.vms.get(instanceId);
    if (!vm) return;
    vm.spec.topology = roles;
    if (vm.upgradeTo) vm.upgradeTo.topology = roles;
    if (vm.vmBus && vm.guest && !vm.frozen && !vm.stopping) vm.vmBus.postMessage({ type: 'topology', roles, changedRoles });
  }

  /** Power on (or reboot) the VM: the guest OS boots, then WaAppAgent starts the guest agent. */
  private bootVm(vm: GuestVm, details: string, at = this.context.timers.now()): void {
    if (vm.driveStale) return this.layOutDrive(vm, () => this.bootVm(vm, details));
    this.setStatus(vm, 'StartingVM', details, at);
    vm.step = this.context.timers.after(phaseDuration(this.context, 'bootGuest'), () => {
      vm.step = null;
      if (!listensAtBoot(vm.spec)) return this.startGuest(vm);
      // Loading the module and binding listeners take real time but no emulated time: the guest goes on from now.
      this.endpoints.open(vm, this.context.timers.now());
    });
  }

  /** WaAppAgent starts the guest agent, which talks to the host agent over the VM's own channel. */
  private startGuest(vm: GuestVm): void {
    const bus = vmBus<FromGuest, ToGuest>(mergeHeartbeats);
    vm.vmBus = bus.host;
    bus.host.on('message', (message) => this.context.timers.atOnce(() => this.fromGuest(vm, message)));
    // The goal state goes to the guest as its own copy (a message, not a shared object).
    vm.guest = new GuestAgent(this.context, structuredClone(vm.spec), vm.faults, bus.guest, vm.logs, vm.web);
    vm.guest.start();
    this.askForHeartbeat(vm, bus.host);
  }

  /**
   * Seed step 4: the host agent sends the guest a heartbeat request every 2-3 s, and the guest answers while it
   * works towards its goal state; a guest that does not answer is silent, which the 10-minute rule judges.
   * Asks for as long as this boot's channel is open.
   */
  private askForHeartbeat(vm: GuestVm, bus: VmBusEnd<FromGuest, ToGuest>): void {
    const { guestHeartbeatMin, guestHeartbeatMax } = this.context.timings;
    this.context.timers.after(between(this.context.random, guestHeartbeatMin, guestHeartbeatMax), () => {
      if (vm.vmBus !== bus) return;
      bus.postMessage({ type: 'heartbeat-request', at: this.context.timers.now() });
      this.askForHeartbeat(vm, bus);
    });
  }

  private fromGuest(vm: GuestVm, message: FromGuest): void {
    switch (message.type) {
      case 'heartbeat':
        heardGuest(vm.beats, message.at, message.beats);
        break;
      case 'status':
        // Each failed start restarts the role, also once it reads FailedStartingRole (the details count those).
        if (message.status === 'RestartingRole' || message.status === 'CyclingRole' || message.status === 'FailedStartingRole') vm.restarts++;
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
    this.endpoints.close(vm);
    vm.guest?.halt();
    vm.guest = null;
    vm.vmBus?.close();
    vm.vmBus = null;
  }

  /** The role has stopped (or there was none): finish what the stop was for. */
  private roleStopped(vm: GuestVm): void {
    const then = vm.stopping ?? 'delete';
    vm.frozen = false;
    vm.beats.last = null;
    if (then === 'reboot' || then === 'upgrade') {
      vm.stopping = null;
      vm.restarts++;
      if (then === 'upgrade' && vm.upgradeTo) {
        // E: replaced: the guest's components read the new role files and goal state from the new spec.
        vm.spec = vm.upgradeTo;
        vm.roleFiles = roleFilesOf(vm.spec);
        vm.driveStale = true;
        vm.upgradeTo = null;
        this.bootVm(vm, 'Restarting the guest OS with the upgraded role (E: replaced).');
        return;
      }
      // A reboot wipes E: as Azure's does: the role's files are laid out again from the package.
      vm.driveStale = true;
      this.bootVm(vm, 'Rebooting the guest OS.');
      return;
    }
    const fresh = then === 'reimage' || then === 'rebuild';
    this.setStatus(vm, 'StoppingVM', fresh ? `Shutting down the guest OS to ${then} it.` : 'Shutting down the guest OS.');
    this.context.timers.after(phaseDuration(this.context, 'stopVm'), () => {
      vm.stopping = null;
      if (fresh) {
        vm.restarts++;
        // A fresh OS image wipes D: (its logs start anew) and E: (laid out again from the package); C: is kept,
        // unless a rebuild empties the local storage on it too.
        vm.logs.rotateOsDrive();
        vm.driveStale = true;
        if (then === 'rebuild') {
          const emptied = emptyLocalStorage(vm.logs.root, vm.spec);
          this.log.write('INFO', `${vm.spec.instanceId}: rebuild: local storage emptied (${emptied.join(', ') || 'none declared'}).`, vm.requestId ?? undefined);
        }
        this.createVm(vm, `Host agent on ${this.context.hostId} is re-creating the VM from a fresh OS image (${then}).`);
        return;
      }
      if (then === 'keep') return this.setStatus(vm, 'StoppedVM', 'Stopped; the VM and its cores are kept for the deployment.');
      // Deleted: the VM and its disks go, then the instance is gone.
      this.setStatus(vm, 'DeletingVM', 'Deleting the VM and its disks.');
      this.context.timers.after(phaseDuration(this.context, 'stopVm') / 3, () => {
        this.setStatus(vm, 'StoppedVM', '');
        this.deleteVm(vm);
      });
    });
  }

  /**
   * The next look on the watchdog's 10 s grid from the agent's start, while the host has VMs: a host without guests
   * is not woken for it (at 1000x, a hundred wake-ups a real second for nothing).
   */
  private scheduleWatch(): void {
    if (this.watchdog || this.vms.size === 0) return;
    const sinceStart = this.context.timers.now() - this.startedAt;
    this.watchdog = this.context.timers.after(watchdogInterval - (sinceStart % watchdogInterval), () => {
      const at = this.context.timers.now();
      this.watchdog = null;
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
      if (!vm.guest || vm.stopping || vm.beats.last === null) continue;
      const silence = now - vm.beats.last;
      if (silence >= guestHeartbeatTimeout) {
        this.disconnectGuest(vm);
        vm.frozen = false;
        vm.beats.last = null;
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
}
