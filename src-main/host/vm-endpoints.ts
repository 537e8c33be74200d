// A VM's endpoints as its guest OS comes up: the instances' IIS (host/instance-web-server.ts, loaded by the first web
// role VM that boots on the host) and the other endpoints' listeners (host/endpoint-listeners.ts) bind on the VM's
// DIP; then RoleEnvironment learns the ports they really got and the fabric controller the instance's endpoints, and
// the guest agent starts. host-agent.ts boots the VMs and calls in here.
import type { InstanceEndpointView } from '../common/fabric-api';
import type { FromHost, InstanceSpec } from '../common/host-protocol';
import type { TimerHandle } from '../common/emulated-timers';
import type { GuestVm } from './guest-vm';
import type { HostAgentLog } from './host-agent-log';
import type { HostContext } from './host-context';

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

/** Whether the VM needs listeners at boot: IIS for a web role, and any endpoint that is not udp. */
export function listensAtBoot(spec: InstanceSpec): boolean {
  return spec.roleType === 'WebRole' || Object.values(spec.roleEnvironment.endpoints).some((e) => e.protocol !== 'udp');
}

/** What the VM's endpoints ask of its host agent once they listen, or could not. */
export interface EndpointsOwner {
  /** WaAppAgent starts the guest agent. */
  startGuest(vm: GuestVm): void;
  /** The VM's start failed (FailedStartingVM), with the reason. */
  failStart(vm: GuestVm, details: string): void;
}

export class VmEndpoints {
  constructor(
    private readonly context: HostContext,
    private readonly log: HostAgentLog,
    private readonly toController: (message: FromHost) => void,
    private readonly agent: EndpointsOwner,
  ) {}

  /** The guest OS is up (at `bootedAt`): its endpoints listen, then the guest agent starts. */
  open(vm: GuestVm, bootedAt: number): void {
    if (webServerLoaded) return this.openWebServer(vm, webServerLoaded, bootedAt);
    this.loadWebServerFor(vm, bootedAt);
  }

  /** The guest OS goes down: its listeners close, and the controller hears its endpoints no longer listen. */
  close(vm: GuestVm): void {
    const listening = vm.web !== null || vm.listeners !== null;
    vm.bound = [];
    vm.listeners?.close();
    vm.listeners = null;
    vm.web?.close();
    vm.web = null;
    if (listening) this.report(vm);
  }

  /**
   * The first web role VM to boot on this host loads the web server module; the VM's step is that load, so
   * stopping the VM meanwhile cancels it. A failed load fails the VM's start with the reason.
   */
  private loadWebServerFor(vm: GuestVm, bootedAt: number): void {
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
        this.context.timers.whenRunning(() => {
          if (!current()) return;
          this.openWebServer(vm, module, bootedAt);
          // Hung while the module loaded: its IIS answers nothing, as when the guest hangs while listening.
          if (vm.frozen && !frozen) {
            vm.web?.freeze();
            vm.listeners?.freeze();
          }
        }, bootedAt),
      (error: Error) =>
        this.context.timers.whenRunning(() => {
          if (!current()) return;
          this.log.write('ERROR', `${vm.spec.instanceId}: the host worker could not load host/instance-web-server.ts: ${error.message}`);
          this.agent.failStart(vm, `The host agent could not load the web server for the role's endpoints: ${error.message}`);
        }),
    );
  }

  /**
   * The instance's endpoints listen on its DIP once the guest OS is up (IIS for a web role's http endpoints, the
   * others for role code or the built-in answer); RoleEnvironment then tells the real ports, and the guest agent starts.
   */
  private openWebServer(vm: GuestVm, { InstanceWebServer, EndpointListeners, endpointPlans }: WebServerModule, bootedAt: number): void {
    const web = vm.spec.roleType === 'WebRole' ? new InstanceWebServer(vm.spec, vm.logs, () => this.context.timers.now(), () => this.report(vm), vm.ipAddress) : null;
    const listeners = new EndpointListeners(vm.spec, vm.ipAddress);
    vm.web = web;
    vm.listeners = listeners;
    const current = () => vm.listeners === listeners;
    const opened = (async () => {
      await web?.open();
      return listeners.open(endpointPlans(vm.spec), vm.spec.roleCodeListens === true);
    })();
    void opened.then(
      (bound) =>
        this.context.timers.whenRunning(() => {
          if (!current()) return;
          vm.bound = bound;
          this.tellRoleEndpoints(vm);
          this.report(vm);
          this.agent.startGuest(vm);
        }, bootedAt),
      (error: Error) =>
        this.context.timers.whenRunning(() => {
          this.log.write('ERROR', `${vm.spec.instanceId}: its endpoints could not listen on ${vm.ipAddress}: ${error.message}`);
          if (current()) this.agent.startGuest(vm);
        }, bootedAt),
    );
  }

  /** RoleEnvironment (and startup tasks' endpoint xpaths) see the DIP and the ports the endpoints really got. */
  private tellRoleEndpoints(vm: GuestVm): void {
    const endpoints = { ...vm.spec.roleEnvironment.endpoints };
    for (const [name, e] of Object.entries(endpoints)) {
      const port = vm.web?.portOf(name) ?? vm.bound.find((b) => b.name === name)?.port;
      if (port !== undefined && port !== null) endpoints[name] = { ...e, port, address: vm.ipAddress };
    }
    for (const walk of [...(vm.web?.walks ?? []), ...vm.bound.filter((b) => b.walk).map((b) => `${b.name}: ${b.walk}`)]) {
      this.log.write('INFO', `${vm.spec.instanceId} on ${vm.ipAddress}: ${walk}.`);
    }
    for (const failure of vm.web?.failures ?? []) {
      this.log.write('ERROR', `${vm.spec.instanceId} on ${vm.ipAddress}: does not listen: ${failure}`);
    }
    vm.spec.roleEnvironment = { ...vm.spec.roleEnvironment, endpoints };
  }

  /** The instance's input endpoints as the controller shows them: IIS's listeners, then the other bound ones. */
  private report(vm: GuestVm): void {
    const web = vm.web?.endpoints() ?? [];
    const endpoints: InstanceEndpointView[] = (vm.spec.inputEndpoints ?? []).map((e) => {
      const served = web.find((w) => w.name === e.name && w.address !== null);
      if (served) return served;
      const bound = vm.bound.find((b) => b.name === e.name);
      return { name: e.name, protocol: e.protocol, publicPort: e.port, address: bound ? `${vm.ipAddress}:${bound.port}` : null, servedBy: null };
    });
    // InstanceInputEndpoints are this instance's own: listed too, with the public port it takes from the range.
    for (const e of vm.spec.instanceInputEndpoints ?? []) {
      const bound = vm.bound.find((b) => b.name === e.name);
      endpoints.push({ name: e.name, protocol: e.protocol, publicPort: e.publicPort ?? 0, address: bound ? `${vm.ipAddress}:${bound.port}` : null, servedBy: null });
    }
    this.toController({ type: 'instance-endpoints', instanceId: vm.spec.instanceId, endpoints, ipAddress: vm.ipAddress, roleEndpoints: vm.spec.roleEnvironment.endpoints });
  }
}
