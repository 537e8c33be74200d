// RDFE as the Service Management API sees it: subscriptions, their hosted services and certificates, and
// deployments addressed by service and slot (or name), all carried out by the one front end. A subscription
// sees only its own services and operations. The HTTPS and XML side lives in src-main/management.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { DeploymentView, InstanceView, OperationKind, OperationView, PackageView, Slot, UpgradeMode } from '../common/fabric-api';
import { FabricErrors, toErrorInfo } from '../common/fabric-errors';
import { vmSizeCores, type ValidationDiagnostic } from '../common/service-model';
import type { InstanceRestart } from '../common/host-protocol';
import type { FabricLogs } from './fabric-logs';
import { restartKinds, type FrontEnd } from './front-end';
import type { OperationTracker } from './operation-tracker';
import { HostedServices, type HostedService, type ServiceCertificate } from './hosted-services';
import { uploadLimits, type PackageStore } from './package-store';

export interface SubscriptionInfo {
  id: string;
  name: string;
}

export interface SubscriptionView extends SubscriptionInfo {
  maxCoreCount: number;
  currentCoreCount: number;
  currentHostedServices: number;
}

/** What a deployment is called through the API, beside the fabric's own view of it. */
export interface ManagedDeployment {
  view: DeploymentView;
  name: string;
  label: string;
  /** The .cscfg the deployment runs (empty for a deployment made in the UI). */
  configuration: string;
  instances: InstanceView[];
  /** An operation holds the deployment (Get Deployment's Locked). */
  locked: boolean;
}

/** Where Create Deployment's package comes from, once the API has fetched it. */
export type PackageSource = { kind: 'folder'; path: string } | { kind: 'file'; fileName: string; data: Buffer };

export interface CreateDeploymentRequest {
  name: string;
  label: string;
  package: PackageSource;
  configuration: string;
  startDeployment: boolean;
  treatWarningsAsError: boolean;
}

export interface UpgradeDeploymentRequest {
  mode: UpgradeMode;
  label: string;
  package: PackageSource;
  configuration: string;
  treatWarningsAsError: boolean;
}

export interface RebootEvent {
  roleName: string;
  instanceName: string;
  reason: string;
  at: number;
}

/** Statuses a guest OS starts from when it is created or resumed rather than rebooted. */
const firstBoots = new Set(['RoleStateUnknown', 'CreatingVM', 'StoppedVM', 'StoppedDeallocated']);

/** Request ids kept per subscription for Get Operation Status. */
const keptRequestIds = 5_000;
const configurationFileName = 'ServiceConfiguration.cscfg';

export class ServiceManagement {
  readonly hostedServices: HostedServices;
  private readonly subscriptions = new Map<string, SubscriptionInfo>();
  /** requestId -> subscription id: an operation is visible only to the subscription that started it. */
  private readonly requestOwners = new Map<string, string>();
  private readonly deploymentNames = new Map<string, { name: string; label: string; configuration: string }>();

  constructor(
    private readonly frontEnd: FrontEnd,
    private readonly operations: OperationTracker,
    private readonly packages: PackageStore,
    private readonly instancesOf: (deploymentId: string) => InstanceView[],
    private readonly regions: () => string[],
    private readonly coreQuota: number,
    private readonly workDir: string,
    now: () => number,
    private readonly logs?: FabricLogs,
  ) {
    this.hostedServices = new HostedServices(now);
  }

  addSubscription(subscription: SubscriptionInfo): void {
    this.subscriptions.set(subscription.id, { ...subscription });
  }

  hasSubscription(id: string): boolean {
    return this.subscriptions.has(id);
  }

  /** One line in FrontEnd.log per API call, with its request id. */
  logRequest(level: 'INFO' | 'WARN' | 'ERROR', line: string, requestId: string): void {
    this.logs?.frontEnd.write(level, line, requestId);
  }

  /** An answered API call in the operations list: as the operation it started, else as a call of its own. */
  recordCall(requestId: string, method: string, path: string, status: number, error: string | null): void {
    this.operations.recordCall(requestId, `${method} ${path}`, `→ ${status}`, error);
  }

  subscription(id: string): SubscriptionView {
    const info = this.subscriptions.get(id);
    if (!info) throw FabricErrors.subscriptionNotFound(id);
    const services = this.hostedServices.list(id);
    const cores = services.flatMap((s) => this.deploymentsOf(s)).reduce((sum, d) => sum + d.roles.reduce((n, r) => n + vmSizeCores[r.vmSize] * r.instanceCount, 0), 0);
    return { ...info, maxCoreCount: this.coreQuota, currentCoreCount: cores, currentHostedServices: services.length };
  }

  locations(): string[] {
    return [...new Set(this.regions())];
  }

  // ---- hosted services ----

  listServices(subscriptionId: string): HostedService[] {
    return this.hostedServices.list(subscriptionId);
  }

  service(subscriptionId: string, name: string): HostedService {
    return this.hostedServices.get(subscriptionId, name);
  }

  createService(subscriptionId: string, fields: { name: string; label: string; description?: string; location?: string; extendedProperties?: Record<string, string> }, requestId: string): HostedService {
    return this.recorded(subscriptionId, 'CreateHostedService', fields.name, requestId, () => {
      const regions = this.locations();
      if (!fields.location) throw FabricErrors.hostedServiceNeedsLocation(regions);
      const location = regions.find((r) => r.toLowerCase() === fields.location!.toLowerCase());
      if (!location) throw FabricErrors.locationNotAvailable(fields.location, regions);
      return this.hostedServices.create(subscriptionId, { ...fields, location });
    });
  }

  updateService(subscriptionId: string, name: string, fields: { label?: string; description?: string; extendedProperties?: Record<string, string> }, requestId: string): HostedService {
    return this.recorded(subscriptionId, 'UpdateHostedService', name, requestId, () => this.hostedServices.update(subscriptionId, name, fields));
  }

  deleteService(subscriptionId: string, name: string, requestId: string): void {
    this.recorded(subscriptionId, 'DeleteHostedService', name, requestId, () => {
      const service = this.hostedServices.get(subscriptionId, name);
      const deployments = this.deploymentsOf(service);
      if (deployments.length) {
        throw FabricErrors.hostedServiceHasDeployments(name, deployments.map((d) => `${d.slot}: ${d.id}`).join(', '));
      }
      this.hostedServices.delete(subscriptionId, name);
    });
  }

  addCertificate(subscriptionId: string, serviceName: string, certificate: ServiceCertificate, requestId: string): void {
    this.recorded(subscriptionId, 'AddCertificate', `${serviceName}/sha1-${certificate.thumbprint}`, requestId, () => this.hostedServices.addCertificate(subscriptionId, serviceName, certificate));
  }

  deleteCertificate(subscriptionId: string, serviceName: string, algorithm: string, thumbprint: string, requestId: string): void {
    this.recorded(subscriptionId, 'DeleteCertificate', `${serviceName}/${algorithm}-${thumbprint}`, requestId, () =>
      this.hostedServices.deleteCertificate(subscriptionId, serviceName, algorithm, thumbprint),
    );
  }

  /** An operation the fabric does not have yet: shown as failed, with the reason, then refused by the caller. */
  refuse(subscriptionId: string, kind: OperationKind, target: string, requestId: string, why: string): void {
    this.own(subscriptionId, requestId);
    this.operations.end(this.operations.start(kind, target, requestId), why);
  }

  // ---- deployments ----

  deployments(subscriptionId: string, serviceName: string): ManagedDeployment[] {
    return this.deploymentsOf(this.hostedServices.get(subscriptionId, serviceName)).map((view) => this.managed(view));
  }

  deploymentBySlot(subscriptionId: string, serviceName: string, slot: Slot): ManagedDeployment {
    const found = this.deployments(subscriptionId, serviceName).find((d) => d.view.slot === slot);
    if (!found) throw FabricErrors.noDeploymentInSlot(serviceName, slot);
    return found;
  }

  deploymentByName(subscriptionId: string, serviceName: string, name: string): ManagedDeployment {
    const found = this.deployments(subscriptionId, serviceName).find((d) => d.name === name);
    if (!found) throw FabricErrors.noDeploymentNamed(serviceName, name);
    return found;
  }

  /**
   * Create Deployment: read and check the package with its configuration (refused with every error's file, line
   * and column), check that the service holds each certificate the roles name, then start the front end's
   * CreateDeployment operation under `requestId`. Resolves once the operation is running, not when it ends.
   */
  async createDeployment(subscriptionId: string, serviceName: string, slot: Slot, request: CreateDeploymentRequest, requestId: string): Promise<void> {
    this.own(subscriptionId, requestId);
    try {
      await this.startDeployment(subscriptionId, serviceName, slot, request, requestId);
    } catch (error) {
      this.refused('CreateDeployment', `${serviceName}/${slot}`, requestId, error);
      throw error;
    }
  }

  private async startDeployment(subscriptionId: string, serviceName: string, slot: Slot, request: CreateDeploymentRequest, requestId: string): Promise<void> {
    const service = this.hostedServices.get(subscriptionId, serviceName);
    const taken = this.deploymentsOf(service).find((d) => d.slot === slot);
    if (taken) throw FabricErrors.hostedServiceSlotTaken(serviceName, slot, taken.id, requestId);
    if (this.deployments(subscriptionId, serviceName).some((d) => d.name === request.name)) throw FabricErrors.deploymentNameTaken(serviceName, request.name, requestId);
    this.own(subscriptionId, requestId);
    const view = await this.readPackage(request, requestId);
    const problems = view.diagnostics.filter((d) => d.severity === 'error' || request.treatWarningsAsError);
    if (problems.length || !view.valid) {
      throw FabricErrors.deploymentPackageInvalid(problems.length, request.treatWarningsAsError, problems.map(formatDiagnostic).join('; '), requestId);
    }
    for (const role of view.roles) {
      for (const certificate of role.certificates) {
        if (!service.certificates.has(certificate.thumbprint.toUpperCase())) {
          throw FabricErrors.deploymentCertificateMissing(certificate.thumbprint, role.name, certificate.name, serviceName, requestId);
        }
      }
    }
    const deployed = this.frontEnd.deploy({ packageId: view.packageId, serviceName: service.name, slot, region: service.location }, requestId);
    const operation = this.operation(requestId);
    if (!operation) {
      // Refused before an operation started (quota, no pool of the region): the answer is the error itself.
      await deployed;
      throw new Error('Create Deployment started no operation.');
    }
    this.deploymentNames.set(operation.target, { name: request.name, label: request.label, configuration: request.configuration });
    deployed.then(
      () => {
        // Without StartDeployment=true, Azure leaves a new deployment Suspended.
        const now = this.operation(requestId);
        if (!request.startDeployment && now?.status === 'Succeeded') {
          try {
            this.frontEnd.updateDeploymentStatus(operation.target, 'Suspended');
          } catch (error) {
            this.logRequest('WARN', `Could not suspend ${operation.target} (StartDeployment was false): ${(error as Error).message}`, requestId);
          }
        }
      },
      () => {},
    );
  }

  deleteDeployment(subscriptionId: string, deployment: ManagedDeployment, requestId: string): void {
    this.attempt(subscriptionId, 'DeleteDeployment', deployment.view.id, requestId, () => this.frontEnd.deleteDeployment(deployment.view.id, requestId));
  }

  updateDeploymentStatus(subscriptionId: string, deployment: ManagedDeployment, status: 'Running' | 'Suspended', requestId: string): void {
    this.attempt(subscriptionId, 'UpdateDeploymentStatus', deployment.view.id, requestId, () => this.frontEnd.updateDeploymentStatus(deployment.view.id, status, requestId));
  }

  changeConfiguration(subscriptionId: string, deployment: ManagedDeployment, configuration: string, requestId: string, mode: 'Auto' | 'Manual' | 'Simultaneous' = 'Auto'): void {
    this.attempt(subscriptionId, 'ChangeDeploymentConfiguration', deployment.view.id, requestId, () => {
      // As for Create Deployment: every certificate the configuration names must be in the hosted service.
      const service = this.hostedServices.get(subscriptionId, deployment.view.serviceName);
      for (const change of this.frontEnd.previewConfiguration(deployment.view.id, configuration, configurationFileName, requestId)) {
        for (const certificate of change.certificates) {
          if (!service.certificates.has(certificate.thumbprint.toUpperCase())) throw FabricErrors.deploymentCertificateMissing(certificate.thumbprint, change.roleName, certificate.name, service.name, requestId);
        }
      }
      this.frontEnd.updateConfiguration(deployment.view.id, configuration, configurationFileName, requestId, mode);
    });
    const names = this.deploymentNames.get(deployment.view.id);
    this.deploymentNames.set(deployment.view.id, { name: deployment.name, label: deployment.label, ...names, configuration });
  }

  /**
   * Upgrade Deployment: read and check the new package with its configuration as Create Deployment does (every
   * error's file, line and column), check the certificates, then start the front end's in-place upgrade.
   * Resolves once the upgrade has started (its operation runs on), not when it ends.
   */
  async upgradeDeployment(subscriptionId: string, serviceName: string, deployment: ManagedDeployment, request: UpgradeDeploymentRequest, requestId: string): Promise<void> {
    this.own(subscriptionId, requestId);
    try {
      const service = this.hostedServices.get(subscriptionId, serviceName);
      const view = await this.readPackage(request, requestId);
      const problems = view.diagnostics.filter((d) => d.severity === 'error' || request.treatWarningsAsError);
      if (problems.length || !view.valid) {
        throw FabricErrors.deploymentPackageInvalid(problems.length, request.treatWarningsAsError, problems.map(formatDiagnostic).join('; '), requestId);
      }
      for (const role of view.roles) {
        for (const certificate of role.certificates) {
          if (!service.certificates.has(certificate.thumbprint.toUpperCase())) {
            throw FabricErrors.deploymentCertificateMissing(certificate.thumbprint, role.name, certificate.name, serviceName, requestId);
          }
        }
      }
      this.frontEnd.upgradeDeployment({ deploymentId: deployment.view.id, packageId: view.packageId, mode: request.mode }, requestId);
    } catch (error) {
      this.refused('UpgradeDeployment', deployment.view.id, requestId, error);
      throw error;
    }
    this.deploymentNames.set(deployment.view.id, { name: deployment.name, label: request.label, configuration: request.configuration });
  }

  /** Swap Deployment: `source` names a deployment of the service, and `production` (when given) its production one. */
  swapDeployment(subscriptionId: string, serviceName: string, production: string | undefined, source: string, requestId: string): void {
    const deployments = this.deployments(subscriptionId, serviceName);
    this.attempt(subscriptionId, 'SwapDeployment', serviceName, requestId, () => {
      const named = deployments.find((d) => d.name === source);
      if (!named) throw FabricErrors.noDeploymentNamed(serviceName, source);
      if (production !== undefined && !deployments.some((d) => d.name === production && d.view.slot === 'production')) throw FabricErrors.noDeploymentNamed(serviceName, `${production} (in production)`);
      this.frontEnd.swapDeployment(named.view.serviceName, requestId);
    });
  }

  rollbackUpgrade(subscriptionId: string, deployment: ManagedDeployment, mode: 'Auto' | 'Manual', requestId: string): void {
    this.attempt(subscriptionId, 'RollbackUpdateOrUpgrade', deployment.view.id, requestId, () => this.frontEnd.rollbackUpgrade(deployment.view.id, requestId, mode));
  }

  walkUpgradeDomain(subscriptionId: string, deployment: ManagedDeployment, upgradeDomain: number, requestId: string): void {
    this.attempt(subscriptionId, 'WalkUpgradeDomain', deployment.view.id, requestId, () => this.frontEnd.walkUpgradeDomain(deployment.view.id, upgradeDomain, requestId));
  }

  restartInstance(subscriptionId: string, deployment: ManagedDeployment, instanceName: string, how: InstanceRestart, requestId: string): void {
    const instance = this.instanceOf(deployment, instanceName);
    this.attempt(subscriptionId, restartKinds[how], instance.id, requestId, () => this.frontEnd.restartInstance(instance.id, how, requestId));
  }

  deleteInstances(subscriptionId: string, deployment: ManagedDeployment, instanceNames: string[], requestId: string): void {
    const ids = instanceNames.map((name) => this.instanceOf(deployment, name).id);
    this.attempt(subscriptionId, 'DeleteRoleInstances', deployment.view.id, requestId, () => this.frontEnd.deleteInstances(deployment.view.id, ids, requestId));
  }

  /**
   * List Events: the reboots the instances of a deployment went through between two emulated times, newest
   * last; a reboot is a guest OS starting again without being created or resumed (a Reboot Role Instance, or
   * the host agent's restart of a silent guest), read from the session's events.
   */
  async rebootEvents(deployment: ManagedDeployment, from: number, to: number): Promise<RebootEvent[]> {
    const found: RebootEvent[] = [];
    let before: number | undefined;
    // Newest first, a page at a time, until the window's start (bounded: at most 50 pages of 1,000).
    for (let page = 0; page < 50 && this.logs; page++) {
      const events = await this.logs.queryEvents({ deploymentId: deployment.view.id, kinds: ['instance-status'], limit: 1_000, ...(before !== undefined ? { before } : {}) });
      for (const e of events.events) {
        if (e.kind !== 'instance-status' || e.at < from || e.at > to) continue;
        if (e.to === 'StartingVM' && !firstBoots.has(e.from)) {
          found.push({ roleName: e.instanceId.split('/').at(-1)!.replace(/_IN_\d+$/, ''), instanceName: e.instanceId.split('/').at(-1)!, reason: e.details, at: e.at });
        }
      }
      const oldest = events.events.at(-1);
      if (events.next === null || !oldest || oldest.at < from) break;
      before = events.next;
    }
    return found.sort((a, b) => a.at - b.at);
  }

  /** Get Operation Status: only the subscription that started an operation can see it. */
  operationStatus(subscriptionId: string, requestId: string): OperationView {
    const operation = this.requestOwners.get(requestId) === subscriptionId ? this.operation(requestId) : undefined;
    if (!operation) throw FabricErrors.operationNotFound(requestId);
    return operation;
  }

  private operation(requestId: string): OperationView | undefined {
    return this.operations.get(requestId);
  }

  private instanceOf(deployment: ManagedDeployment, name: string): InstanceView {
    const instance = deployment.instances.find((i) => i.name === name);
    if (!instance) throw FabricErrors.roleInstanceNotFound(deployment.name, name);
    return instance;
  }

  private deploymentsOf(service: HostedService): DeploymentView[] {
    return this.frontEnd.deploymentViews().filter((d) => d.serviceName.toLowerCase() === service.name.toLowerCase());
  }

  private managed(view: DeploymentView): ManagedDeployment {
    const names = this.deploymentNames.get(view.id);
    return { view, name: names?.name ?? view.id, label: names?.label ?? view.serviceName, configuration: names?.configuration ?? '', instances: this.instancesOf(view.id), locked: this.frontEnd.locks.holder(view.id) !== undefined };
  }

  private own(subscriptionId: string, requestId: string): void {
    this.requestOwners.set(requestId, subscriptionId);
    for (const id of this.requestOwners.keys()) {
      if (this.requestOwners.size <= keptRequestIds) break;
      this.requestOwners.delete(id);
    }
  }

  /** A call that starts a front-end operation; refused before one started, it is shown as a failed one all the same. */
  private attempt(subscriptionId: string, kind: OperationKind, target: string, requestId: string, work: () => unknown): void {
    this.own(subscriptionId, requestId);
    try {
      work();
    } catch (error) {
      this.refused(kind, target, requestId, error);
      throw error;
    }
  }

  /** The failed operation of a call refused before its operation started (the front end may have made one already). */
  private refused(kind: OperationKind, target: string, requestId: string, error: unknown): void {
    if (this.operation(requestId)) return;
    this.operations.end(this.operations.start(kind, target, requestId), toErrorInfo(error));
  }

  /** A synchronous call that changes something: an operation in the list, Succeeded or Failed as it ended. */
  private recorded<T>(subscriptionId: string, kind: OperationKind, target: string, requestId: string, work: () => T): T {
    this.own(subscriptionId, requestId);
    const operation = this.operations.start(kind, target, requestId);
    try {
      const result = work();
      this.operations.end(operation, null);
      return result;
    } catch (error) {
      this.operations.end(operation, toErrorInfo(error));
      throw error;
    }
  }

  /** The package and configuration, read by the package store like an upload (a folder is read where it is). */
  private async readPackage(request: Pick<CreateDeploymentRequest, 'package' | 'configuration'>, requestId: string): Promise<PackageView> {
    const configuration = Buffer.from(request.configuration, 'utf8');
    if (request.package.kind === 'file') {
      return this.packages.openUpload([
        { path: basename(request.package.fileName) || 'package.cspkg', data: request.package.data.toString('base64') },
        { path: configurationFileName, data: configuration.toString('base64') },
      ]);
    }
    const folder = request.package.path;
    if (!(await stat(folder).catch(() => undefined))?.isDirectory()) throw FabricErrors.packageUrlRefused(`The package folder ${folder} does not exist.`);
    const scratch = join(this.workDir, 'api-configurations', requestId);
    await mkdir(scratch, { recursive: true });
    if (configuration.length > uploadLimits.bytes) throw FabricErrors.uploadTooLarge(uploadLimits.bytes);
    await writeFile(join(scratch, configurationFileName), configuration);
    const view = await this.packages.openFromDisk(folder, join(scratch, configurationFileName));
    return { ...view, diagnostics: view.diagnostics.map((d) => (d.file === join(scratch, configurationFileName) ? { ...d, file: configurationFileName } : d)) };
  }
}

function formatDiagnostic(d: ValidationDiagnostic): string {
  return `${d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file}: ${d.severity} [${d.rule}] ${d.message}`;
}

/** A fresh request id as Azure wrote them: 32 hex digits. */
export function newRequestId(): string {
  return randomUUID().replace(/-/g, '');
}

/** Read a package file named by a file: URL, within the upload limit. */
export async function readPackageFile(path: string): Promise<Buffer> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw FabricErrors.packageUrlRefused(`The package ${path} does not exist.`);
  if (info.size > uploadLimits.bytes) throw FabricErrors.packageUrlRefused(`The package ${path} is larger than ${uploadLimits.bytes / 1024 / 1024} MiB.`);
  return readFile(path);
}
