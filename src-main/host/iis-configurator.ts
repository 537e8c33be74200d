// IISConfigurator, which WaHostBootstrapper runs for a full IIS web role (a WebRole with <Sites>; never for
// HWC): before the startup tasks it deletes the application pools an earlier start left in IIS (seed, step
// 6); after them it creates one application pool and one site per csdef Site at E:\sitesroot\<index> with its
// bindings, and points IIS logging at the DiagnosticStore (step 8). It writes IISConfigurator.log and events
// 10003/10004. The IIS it configures is the instance's InstanceWebServer, which serves what it is told.
import type { InstanceSpec } from '../common/host-protocol';
import { diagnosticStore } from '../logs/instance-paths';
import type { InstanceLogs } from './instance-logs';
import type { InstanceWebServer } from './instance-web-server';
import type { IisSite } from './role-stack';

/** The sites a role's IIS runs: one per csdef Site (full IIS), or WaWebHost's one site over approot (HWC). */
export function iisSitesOf(spec: InstanceSpec, roleSites: InstanceSpec['sites'] = spec.sites): IisSite[] {
  if (roleSites && roleSites.length > 0) {
    return roleSites.map((site, index) => ({
      id: index + 1,
      // Azure names each site and its pool after the instance, so two instances' configurations never clash.
      name: `${spec.instanceName}_${site.name}`,
      appPool: `${spec.instanceName}_${site.name}`,
      physicalPath: `E:\\sitesroot\\${index}`,
      folder: site.directory ?? null,
      endpointNames: site.endpointNames,
    }));
  }
  // http first: WaWebHost's warm-up request goes to the first.
  const http = [...(spec.inputEndpoints ?? []).filter((e) => e.protocol === 'http'), ...(spec.inputEndpoints ?? []).filter((e) => e.protocol === 'https')].map((e) => e.name);
  return [{ id: 1, name: `${spec.instanceName}_Web`, appPool: '', physicalPath: 'E:\\approot', folder: spec.roleDirectory ?? null, endpointNames: http }];
}

export class IISConfigurator {
  constructor(
    private readonly spec: InstanceSpec,
    private readonly logs: InstanceLogs,
    private readonly iis: InstanceWebServer,
    /** The sites E:\RoleModel.xml names (the bootstrapper's input); absent: the goal state's. */
    private readonly roleSites: InstanceSpec['sites'] = spec.sites,
  ) {}

  /** Before the startup tasks: the application pools of the role's earlier start go (their w3wp with them). */
  deleteOldAppPools(): void {
    this.logs.iisConfigurator('INFO', `IISConfigurator starting. Role ${this.spec.roleName}, instance ${this.spec.instanceName}: cleaning up.`);
    const deleted = this.iis.deleteAppPools();
    if (deleted.length === 0) this.logs.iisConfigurator('INFO', 'No application pools of an earlier start to delete.');
    for (const pool of deleted) this.logs.iisConfigurator('INFO', `Deleted AppPool ${pool} (and its site).`);
  }

  /**
   * After the startup tasks: one pool and one site per Site, bound to its endpoints, logging to the
   * DiagnosticStore. Each step takes its own moment (`later` schedules on the emulated clock), so the log's
   * stamps are when it happened; `done` runs after the last.
   */
  configure(later: (delay: number, step: () => void) => void, done: () => void): void {
    const sites = iisSitesOf(this.spec, this.roleSites);
    const steps: (() => void)[] = [];
    steps.push(() => {
      this.logs.iisConfiguratorEvent('started', `IISConfigurator is configuring ${sites.length} site(s) for ${this.spec.instanceName}.`);
      this.logs.iisConfigurator('INFO', 'Starting the IIS services (W3SVC, WAS).');
    });
    const logRoot = `${diagnosticStore(this.spec.deploymentId, this.spec.roleName)}\\LogFiles`;
    for (const site of sites) {
      steps.push(() => this.logs.iisConfigurator('INFO', `Created AppPool ${site.appPool} (.NET v4.0, integrated pipeline, identity NetworkService).`));
      steps.push(() => {
        for (const name of site.endpointNames) {
          const port = this.iis.portOf(name);
          this.logs.iisConfigurator(
            port === null ? 'WARN' : 'INFO',
            port === null
              ? `Site ${site.name}: binding ${name} is not an http endpoint this instance listens on; it gets no binding.`
              : `Site ${site.name}: binding ${this.iis.protocolOf(name)}/${this.iis.ipAddress}:${port}: for endpoint ${name}.`,
          );
        }
        this.logs.iisConfigurator('INFO', `Created site ${site.name} (id ${site.id}) at ${site.physicalPath} in AppPool ${site.appPool}.`);
        this.logs.iisConfigurator('INFO', `Site ${site.name}: W3C logging to ${logRoot}\\W3SVC${site.id}.`);
        this.iis.addSite(site);
      });
    }
    steps.push(() => {
      this.logs.iisConfigurator('INFO', 'IIS configuration complete; w3wp starts on the first request.');
      this.logs.iisConfiguratorEvent('finished', `IISConfigurator configured ${sites.map((s) => `${s.name} at ${s.physicalPath}`).join(', ')}.`);
    });
    const next = (index: number): void => {
      const step = steps[index];
      if (!step) return done();
      step();
      later(iisStepMs, () => next(index + 1));
    };
    next(0);
  }
}

/** How long one IISConfigurator step (starting the services, a pool, a site) takes, in emulated ms. */
const iisStepMs = 400;
