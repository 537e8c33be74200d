// The Service Management API's operations: each route reads its request (URI, query, XML body), calls the
// fabric's ServiceManagement and renders Azure's answer. Operations the fabric does not have yet are refused
// by name (501 NotImplemented) after being recorded as failed operations, never ignored.
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { InstanceView, OperationKind, OperationView, Slot } from '../common/fabric-api';
import type { ExportInfo } from '../common/log-api';
import { readPfxCertificate, thumbprintOf } from './management-credentials';
import type { ManagedDeployment, ServiceManagement } from '../fabric/service-management';
import type { HostedService } from '../fabric/hosted-services';
import { FabricErrors, serviceManagementCodes } from '../common/fabric-errors';
import { managementErrors } from './management-errors';
import { base64Text, booleanText, extendedProperties, parseRequestXml, required, text, xmlDocument, type XmlElement } from './management-xml';
import { fetchPackage } from './package-url';

export interface ManagementRequest {
  method: string;
  /** The path after the subscription id, decoded. */
  segments: string[];
  query: URLSearchParams;
  body: string;
  subscriptionId: string;
  requestId: string;
  version: string;
  /** https://127.0.0.1:<port>, for the URLs answers carry. */
  baseUrl: string;
}

export interface ManagementAnswer {
  status: number;
  body?: string;
  /** A file streamed as the body (a session export). */
  file?: { path: string; bytes: number; contentType: string; fileName: string };
  headers?: Record<string, string>;
  /** The operation's request id when it is not the request's own (never, today: both are the same). */
  requestId?: string;
}

const ok = (body?: string, status = 200): ManagementAnswer => ({ status, ...(body !== undefined ? { body } : {}) });
const accepted = (): ManagementAnswer => ({ status: 202 });

/** Fabric Lab's own operations beside Azure's (under /<subscription>/fabriclab): the session's logs. */
export interface FabricLabExtensions {
  exportSession(): Promise<ExportInfo>;
  exports(): Promise<ExportInfo[]>;
}

export async function routeRequest(sm: ServiceManagement, r: ManagementRequest, extensions?: FabricLabExtensions): Promise<ManagementAnswer> {
  const [first, second, third, ...rest] = r.segments;
  const sub = r.subscriptionId;
  if (first === 'fabriclab' && extensions) return fabricLabRoute(sm, r, extensions, second, third, rest);
  if (first === undefined) {
    allow(r, 'GET');
    return ok(subscriptionXml(sm, sub));
  }
  if (first === 'locations' && second === undefined) {
    allow(r, 'GET');
    return ok(xmlDocument('Locations', { Location: sm.locations().map((name) => ({ Name: name, DisplayName: name, AvailableServices: { AvailableService: ['Compute'] } })) }));
  }
  if (first === 'operations' && second !== undefined && third === undefined) {
    allow(r, 'GET');
    return ok(operationXml(sm.operationStatus(sub, second)));
  }
  if (first !== 'services' || second !== 'hostedservices') throw FabricErrors.managementUriUnknown(r.method, `/${sub}/${r.segments.join('/')}`);
  if (third === undefined) {
    allow(r, 'GET', 'POST');
    if (r.method === 'GET') return ok(xmlDocument('HostedServices', { HostedService: sm.listServices(sub).map((s) => hostedServiceElement(r, s)) }));
    return createHostedService(sm, r);
  }
  if (third === 'operations' && rest[0] === 'isavailable' && rest[1] !== undefined && rest.length === 2) {
    allow(r, 'GET');
    const refusal = sm.hostedServices.unavailable(rest[1]);
    return ok(xmlDocument('AvailabilityResponse', { Result: refusal === null, Reason: refusal?.message }));
  }
  return serviceRoute(sm, r, third, rest);
}

async function serviceRoute(sm: ServiceManagement, r: ManagementRequest, serviceName: string, rest: string[]): Promise<ManagementAnswer> {
  const sub = r.subscriptionId;
  const [kind, name, child, childName, ...more] = rest;
  if (kind === undefined) {
    allow(r, 'GET', 'PUT', 'DELETE', 'POST');
    if (r.method === 'GET') {
      const service = sm.service(sub, serviceName);
      const detail = r.query.get('embed-detail') === 'true';
      return ok(xmlDocument('HostedService', { ...hostedServiceElement(r, service), Deployments: detail ? { Deployment: sm.deployments(sub, serviceName).map((d) => deploymentElement(service, d)) } : undefined }));
    }
    if (r.method === 'PUT') {
      const body = parseRequestXml(r.body, 'UpdateHostedService');
      const props = extendedProperties(body);
      sm.updateService(sub, serviceName, { label: base64Text(body, 'Label', 'UpdateHostedService', true), description: text(body, 'Description'), ...(props ? { extendedProperties: props } : {}) }, r.requestId);
      return ok();
    }
    if (r.method === 'POST') {
      // Swap Deployment is a POST of <Swap> to the service itself: <Production> (absent when that slot is empty)
      // and <SourceDeployment>, the deployments' names.
      const body = parseRequestXml(r.body, 'Swap');
      sm.service(sub, serviceName);
      sm.swapDeployment(sub, serviceName, text(body, 'Production'), required(body, 'SourceDeployment', 'Swap'), r.requestId);
      return accepted();
    }
    if (r.query.get('comp') === 'media') {
      sm.service(sub, serviceName);
      return refuse(sm, r, 'DeleteHostedService', serviceName, 'Delete Hosted Service with its deployments and disks (?comp=media); delete the deployments, then the service');
    }
    sm.deleteService(sub, serviceName, r.requestId);
    return ok();
  }
  if (kind === 'certificates') return certificateRoute(sm, r, serviceName, name, child === undefined ? [] : [child, childName ?? '', ...more]);
  if (kind !== 'deploymentslots' && kind !== 'deployments') throw FabricErrors.managementUriUnknown(r.method, `/${sub}/services/hostedservices/${serviceName}/${rest.join('/')}`);
  if (name === undefined) throw FabricErrors.managementUriUnknown(r.method, `/${sub}/services/hostedservices/${serviceName}/${kind}`);
  const slot = kind === 'deploymentslots' ? slotOf(name) : undefined;
  const find = (): ManagedDeployment => (slot ? sm.deploymentBySlot(sub, serviceName, slot) : sm.deploymentByName(sub, serviceName, name));

  if (child === undefined) {
    const comp = r.query.get('comp');
    if (r.method === 'POST' && slot && comp === null) return createDeployment(sm, r, serviceName, slot);
    allow(r, 'GET', 'DELETE', 'POST');
    if (r.method === 'GET') return ok(xmlDocument('Deployment', deploymentElement(sm.service(sub, serviceName), find())));
    if (r.method === 'DELETE') {
      sm.deleteDeployment(sub, find(), r.requestId);
      return accepted();
    }
    const deployment = find();
    switch (comp) {
      case 'status': {
        const body = parseRequestXml(r.body, 'UpdateDeploymentStatus');
        const status = required(body, 'Status', 'UpdateDeploymentStatus');
        if (status !== 'Running' && status !== 'Suspended') throw FabricErrors.managementRequestInvalid(`<UpdateDeploymentStatus><Status> must be Running or Suspended, not "${status}".`);
        sm.updateDeploymentStatus(sub, deployment, status, r.requestId);
        return accepted();
      }
      case 'config': {
        const body = parseRequestXml(r.body, 'ChangeConfiguration');
        const mode = text(body, 'Mode');
        if (mode !== undefined && mode !== '' && mode !== 'Auto' && mode !== 'Manual' && mode !== 'Simultaneous') {
          throw FabricErrors.managementRequestInvalid(`<ChangeConfiguration><Mode> must be Auto, Manual or Simultaneous, not "${mode}".`);
        }
        sm.changeConfiguration(sub, deployment, base64Text(body, 'Configuration', 'ChangeConfiguration')!, r.requestId, mode === 'Simultaneous' || mode === 'Manual' ? mode : 'Auto');
        return accepted();
      }
      case 'upgrade':
        return upgradeDeployment(sm, r, serviceName, deployment);
      case 'walkupgradedomain': {
        const body = parseRequestXml(r.body, 'WalkUpgradeDomain');
        const domain = required(body, 'UpgradeDomain', 'WalkUpgradeDomain');
        if (!/^\d{1,2}$/.test(domain)) throw FabricErrors.managementRequestInvalid(`<WalkUpgradeDomain><UpgradeDomain> must be an upgrade domain number (0-19), not "${domain}".`);
        sm.walkUpgradeDomain(sub, deployment, Number(domain), r.requestId);
        return accepted();
      }
      case 'rollback': {
        const body = parseRequestXml(r.body, 'RollbackUpdateOrUpgrade');
        const mode = required(body, 'Mode', 'RollbackUpdateOrUpgrade');
        if (mode !== 'Auto' && mode !== 'Manual') throw FabricErrors.managementRequestInvalid(`<RollbackUpdateOrUpgrade><Mode> must be Auto or Manual, not "${mode}".`);
        sm.rollbackUpgrade(sub, deployment, mode, r.requestId);
        return accepted();
      }
      default:
        throw FabricErrors.managementRequestInvalid(`POST to a deployment needs ?comp=status, config, upgrade, walkupgradedomain or rollback${comp ? `, not "${comp}"` : ''}.`);
    }
  }
  if (child === 'roleinstances') {
    const comp = r.query.get('comp');
    allow(r, 'POST');
    const deployment = find();
    if (childName === undefined || childName === '') {
      if (comp !== 'delete') throw FabricErrors.managementRequestInvalid('POST to roleinstances needs ?comp=delete.');
      const body = parseRequestXml(r.body, 'RoleInstances');
      const names = body.Name;
      const list = (Array.isArray(names) ? names : []).filter((n): n is string => typeof n === 'string' && n !== '');
      if (list.length === 0) throw FabricErrors.managementRequestInvalid('<RoleInstances> names no <Name>.');
      sm.deleteInstances(sub, deployment, list, r.requestId);
      return accepted();
    }
    if (more.length) throw FabricErrors.managementUriUnknown(r.method, `.../roleinstances/${childName}/${more.join('/')}`);
    if (comp === 'reboot') sm.restartInstance(sub, deployment, childName, 'reboot', r.requestId);
    else if (comp === 'reimage' || comp === 'rebuild') sm.restartInstance(sub, deployment, childName, comp, r.requestId);
    else throw FabricErrors.managementRequestInvalid(`POST to a role instance needs ?comp=reboot, reimage or rebuild${comp ? `, not "${comp}"` : ''}.`);
    return accepted();
  }
  if (child === 'events' && childName === undefined) {
    allow(r, 'GET');
    const deployment = find();
    const from = timeParameter(r.query, 'starttime');
    const to = timeParameter(r.query, 'endtime');
    if (to < from) throw FabricErrors.managementRequestInvalid('endtime is before starttime.');
    const events = await sm.rebootEvents(deployment, from, to);
    return ok(
      xmlDocument('DeploymentEventCollection', {
        RebootEvents: { RebootEvent: events.map((e) => ({ RoleName: e.roleName, InstanceName: e.instanceName, RebootReason: e.reason, RebootStartTime: iso(e.at) })) },
      }),
    );
  }
  throw FabricErrors.managementUriUnknown(r.method, `/${sub}/services/hostedservices/${serviceName}/${rest.join('/')}`);
}

/**
 * POST fabriclab/export writes the session's logs to one .zip (the whole fabric's session, as the dashboard's
 * export does) and answers where; GET fabriclab/exports/<id> streams it.
 */
async function fabricLabRoute(sm: ServiceManagement, r: ManagementRequest, extensions: FabricLabExtensions, what?: string, id?: string, rest: string[] = []): Promise<ManagementAnswer> {
  if (what === 'export' && id === undefined) {
    allow(r, 'POST');
    sm.logRequest('INFO', 'Service Management API: session export requested (a Fabric Lab extension).', r.requestId);
    const info = await extensions.exportSession();
    return ok(xmlDocument('SessionExport', { Id: info.id, FileName: basename(info.path), Files: info.files, Bytes: info.bytes, RequestId: info.requestId }));
  }
  if (what === 'exports' && id !== undefined && rest.length === 0) {
    allow(r, 'GET');
    const found = (await extensions.exports()).find((e) => e.id === id);
    const size = found ? (await stat(found.path).catch(() => undefined))?.size : undefined;
    if (!found || size === undefined) throw FabricErrors.sessionExportNotFound(id);
    return { status: 200, file: { path: found.path, bytes: size, contentType: 'application/zip', fileName: basename(found.path) } };
  }
  throw FabricErrors.managementUriUnknown(r.method, `/${r.subscriptionId}/${r.segments.join('/')}`);
}

async function createHostedService(sm: ServiceManagement, r: ManagementRequest): Promise<ManagementAnswer> {
  const body = parseRequestXml(r.body, 'CreateHostedService');
  const name = required(body, 'ServiceName', 'CreateHostedService');
  if (text(body, 'AffinityGroup')) throw FabricErrors.managementRequestInvalid('Affinity groups are not emulated; give the hosted service a <Location>.');
  const props = extendedProperties(body);
  sm.createService(
    r.subscriptionId,
    { name, label: base64Text(body, 'Label', 'CreateHostedService')!, description: text(body, 'Description') ?? '', location: text(body, 'Location') ?? '', ...(props ? { extendedProperties: props } : {}) },
    r.requestId,
  );
  return { status: 201, headers: { Location: `/${r.subscriptionId}/services/hostedservices/${name}` } };
}

async function createDeployment(sm: ServiceManagement, r: ManagementRequest, serviceName: string, slot: Slot): Promise<ManagementAnswer> {
  const body = parseRequestXml(r.body, 'CreateDeployment');
  const name = required(body, 'Name', 'CreateDeployment');
  const label = base64Text(body, 'Label', 'CreateDeployment')!;
  const configuration = base64Text(body, 'Configuration', 'CreateDeployment')!;
  const packageUrl = required(body, 'PackageUrl', 'CreateDeployment');
  const startDeployment = booleanText(body, 'StartDeployment', 'CreateDeployment') ?? false;
  const treatWarningsAsError = booleanText(body, 'TreatWarningsAsError', 'CreateDeployment') ?? false;
  sm.service(r.subscriptionId, serviceName);
  const source = await fetchPackage(packageUrl);
  await sm.createDeployment(r.subscriptionId, serviceName, slot, { name, label, package: source, configuration, startDeployment, treatWarningsAsError }, r.requestId);
  return accepted();
}

/** Upgrade Deployment (?comp=upgrade): Mode, PackageUrl, Configuration and Label; RoleToUpgrade is refused by name. */
async function upgradeDeployment(sm: ServiceManagement, r: ManagementRequest, serviceName: string, deployment: ManagedDeployment): Promise<ManagementAnswer> {
  const body = parseRequestXml(r.body, 'UpgradeDeployment');
  const modeText = required(body, 'Mode', 'UpgradeDeployment');
  const mode = (['Auto', 'Manual', 'Simultaneous'] as const).find((m) => m.toLowerCase() === modeText.toLowerCase());
  if (!mode) throw FabricErrors.managementRequestInvalid(`<UpgradeDeployment><Mode> must be Auto, Manual or Simultaneous, not "${modeText}".`);
  const packageUrl = required(body, 'PackageUrl', 'UpgradeDeployment');
  const configuration = base64Text(body, 'Configuration', 'UpgradeDeployment')!;
  const label = base64Text(body, 'Label', 'UpgradeDeployment')!;
  const treatWarningsAsError = booleanText(body, 'TreatWarningsAsError', 'UpgradeDeployment') ?? false;
  if (text(body, 'RoleToUpgrade')) return refuse(sm, r, 'UpgradeDeployment', deployment.view.id, 'Upgrade Deployment of one role (RoleToUpgrade); upgrade every role');
  const source = await fetchPackage(packageUrl);
  await sm.upgradeDeployment(r.subscriptionId, serviceName, deployment, { mode, label, package: source, configuration, treatWarningsAsError }, r.requestId);
  return accepted();
}

function certificateRoute(sm: ServiceManagement, r: ManagementRequest, serviceName: string, id: string | undefined, extra: string[]): ManagementAnswer {
  const sub = r.subscriptionId;
  if (extra.length) throw FabricErrors.managementUriUnknown(r.method, `.../certificates/${id}/${extra.join('/')}`);
  if (id === undefined) {
    allow(r, 'GET', 'POST');
    if (r.method === 'GET') {
      return ok(
        xmlDocument('Certificates', {
          Certificate: [...sm.service(sub, serviceName).certificates.values()].map((c) => ({
            CertificateUrl: `/${sub}/services/hostedservices/${serviceName}/certificates/sha1-${c.thumbprint}`,
            Thumbprint: c.thumbprint,
            ThumbprintAlgorithm: c.thumbprintAlgorithm,
            Data: c.data,
          })),
        }),
      );
    }
    const body = parseRequestXml(r.body, 'CertificateFile');
    const format = (text(body, 'CertificateFormat') ?? 'pfx').toLowerCase();
    const dataText = required(body, 'Data', 'CertificateFile').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(dataText)) throw FabricErrors.managementRequestInvalid('<CertificateFile><Data> must be base64-encoded.');
    const data = Buffer.from(dataText, 'base64');
    let certificate: { der: Buffer; thumbprint: string; subject: string };
    if (format === 'pfx') {
      try {
        certificate = readPfxCertificate(data, text(body, 'Password') ?? '');
      } catch (error) {
        throw FabricErrors.managementRequestInvalid(`The certificate could not be read: ${(error as Error).message}`);
      }
    } else if (format === 'cer') {
      certificate = { der: data, thumbprint: thumbprintOf(data), subject: '' };
    } else {
      throw FabricErrors.managementRequestInvalid(`<CertificateFormat> must be pfx or cer, not "${format}".`);
    }
    sm.addCertificate(sub, serviceName, { thumbprint: certificate.thumbprint, thumbprintAlgorithm: 'sha1', data: certificate.der.toString('base64'), subject: certificate.subject }, r.requestId);
    return accepted();
  }
  const match = /^([A-Za-z0-9]+)-([0-9A-Fa-f]+)$/.exec(id);
  if (!match) throw FabricErrors.managementRequestInvalid(`A certificate is named <algorithm>-<thumbprint> (sha1-...), not "${id}".`);
  allow(r, 'GET', 'DELETE');
  if (r.method === 'GET') {
    const c = sm.hostedServices.certificate(sub, serviceName, match[1]!, match[2]!);
    return ok(xmlDocument('Certificate', { Data: c.data }));
  }
  sm.deleteCertificate(sub, serviceName, match[1]!, match[2]!, r.requestId);
  return ok();
}

function refuse(sm: ServiceManagement, r: ManagementRequest, kind: OperationKind, target: string, what: string): never {
  const error = managementErrors.notImplemented(what);
  sm.refuse(r.subscriptionId, kind, target, r.requestId, error.message);
  throw error;
}

function allow(r: ManagementRequest, ...methods: string[]): void {
  if (!methods.includes(r.method)) throw managementErrors.methodNotAllowed(r.method, `/${r.subscriptionId}/${r.segments.join('/')}`);
}

/** A required time in the query (ISO 8601, as List Events takes starttime and endtime). */
function timeParameter(query: URLSearchParams, name: string): number {
  const text = query.get(name);
  if (!text) throw FabricErrors.managementRequestInvalid(`List Events needs ${name} (an ISO 8601 time, e.g. 2015-06-17T17:58:50Z).`);
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw FabricErrors.managementRequestInvalid(`${name} "${text}" is not an ISO 8601 time.`);
  return at;
}

function slotOf(text: string): Slot {
  const slot = text.toLowerCase();
  if (slot !== 'production' && slot !== 'staging') throw FabricErrors.managementRequestInvalid(`The deployment slot must be production or staging, not "${text}".`);
  return slot;
}

const capitalized = (slot: Slot) => (slot === 'production' ? 'Production' : 'Staging');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const base64 = (value: string) => Buffer.from(value, 'utf8').toString('base64');

function subscriptionXml(sm: ServiceManagement, id: string): string {
  const s = sm.subscription(id);
  return xmlDocument('Subscription', {
    SubscriptionID: s.id,
    SubscriptionName: s.name,
    SubscriptionStatus: 'Active',
    AccountAdminLiveEmailId: 'fabric-lab@localhost',
    ServiceAdminLiveEmailId: 'fabric-lab@localhost',
    MaxCoreCount: s.maxCoreCount,
    MaxStorageAccounts: 0,
    MaxHostedServices: 100,
    CurrentCoreCount: s.currentCoreCount,
    CurrentHostedServices: s.currentHostedServices,
    CurrentStorageAccounts: 0,
    MaxVirtualNetworkSites: 0,
    CurrentVirtualNetworkSites: 0,
    MaxLocalNetworkSites: 0,
    CurrentLocalNetworkSites: 0,
    MaxDnsServers: 0,
    CurrentDnsServers: 0,
    OfferCategories: 'FabricLab',
  });
}

function hostedServiceElement(r: ManagementRequest, s: HostedService): XmlElement {
  return {
    Url: `${r.baseUrl}/${r.subscriptionId}/services/hostedservices/${s.name}`,
    ServiceName: s.name,
    HostedServiceProperties: {
      Description: s.description,
      Location: s.location,
      Label: base64(s.label),
      Status: 'Created',
      DateCreated: iso(s.created),
      DateLastModified: iso(s.modified),
      ExtendedProperties: { ExtendedProperty: Object.entries(s.extendedProperties).map(([Name, Value]) => ({ Name, Value })) },
    },
  };
}

function deploymentElement(service: HostedService, d: ManagedDeployment): XmlElement {
  const v = d.view;
  return {
    Name: d.name,
    DeploymentSlot: capitalized(v.slot),
    PrivateID: v.id,
    Status: v.status,
    Label: base64(d.label),
    Url: `http://${service.name}.cloudapp.net/`,
    Configuration: base64(d.configuration),
    RoleInstanceList: { RoleInstance: d.instances.map((i) => roleInstanceElement(i, v.vip)) },
    UpgradeStatus: v.upgradeStatus
      ? { UpgradeType: v.upgradeStatus.upgradeType, CurrentUpgradeDomainState: v.upgradeStatus.currentUpgradeDomainState, CurrentUpgradeDomain: v.upgradeStatus.currentUpgradeDomain }
      : undefined,
    UpgradeDomainCount: Math.max(1, ...d.instances.map((i) => i.upgradeDomain + 1)),
    RoleList: { Role: v.roles.map((role) => ({ RoleName: role.name, OsVersion: '', RoleType: role.type === 'WebRole' ? 'WebRole' : 'WorkerRole' })) },
    SdkVersion: '2.9.6',
    Locked: d.locked,
    // Azure allows a rollback while an upgrade or configuration change has domains left to walk.
    RollbackAllowed: v.upgradeStatus !== undefined && v.upgradeStatus !== null && !v.upgradeStatus.rollingBack,
    CreatedTime: iso(v.createdAt),
    LastModifiedTime: iso(v.createdAt),
    ExtendedProperties: {},
    // The load balancer's own VIP and ports (a taken or privileged port walks up, so Port is the one that listens).
    InputEndpointList: {
      InputEndpoint: v.inputEndpoints
        .filter((e) => e.instanceName === null)
        .map((e) => ({ RoleName: e.roleName, Vip: e.vip, Port: e.port ?? e.requestedPort, Protocol: e.protocol })),
    },
    VirtualIPs: v.vip && v.inputEndpoints.length ? { VirtualIP: [{ Address: v.vip, IsDnsProgrammed: true, Name: `${service.name}ContractContract` }] } : undefined,
  };
}

function roleInstanceElement(i: InstanceView, vip: string | null): XmlElement {
  return {
    RoleName: i.roleName,
    InstanceName: i.name,
    InstanceStatus: i.status,
    InstanceUpgradeDomain: i.upgradeDomain,
    InstanceFaultDomain: i.faultDomain,
    InstanceSize: i.vmSize,
    InstanceStateDetails: i.stateDetails,
    InstanceErrorCode: '',
    IpAddress: i.ipAddress ?? undefined,
    InstanceEndpoints: {
      InstanceEndpoint: i.endpoints.map((e) => {
        const port = e.address ? Number(e.address.split(':').at(-1)) : undefined;
        return { Name: e.name, Vip: vip ?? undefined, PublicPort: e.publicPort, LocalPort: port, Protocol: e.protocol };
      }),
    },
    PowerState: i.powerState,
    HostName: i.name,
  };
}

function operationXml(op: OperationView): string {
  const failed = op.status === 'Failed';
  const code = failed ? (op.errorCode ? serviceManagementCodes[op.errorCode] : failureCode(op.error ?? '')) : undefined;
  return xmlDocument('Operation', {
    ID: op.requestId,
    Status: op.status,
    HttpStatusCode: op.status === 'InProgress' ? undefined : failed ? code!.status : 200,
    Error: failed ? { Code: code!.code, Message: op.error ?? '' } : undefined,
  });
}

/** A failure the fabric gave no code (work that went wrong, not a refusal): read from what the sentence says. */
function failureCode(message: string): { code: string; status: number } {
  if (/does not emulate/.test(message)) return { code: 'NotImplemented', status: 501 };
  if (/Cancelled/.test(message)) return { code: 'ConflictError', status: 409 };
  if (/cores|allocat|no host|capacity/i.test(message)) return { code: 'AllocationFailed', status: 409 };
  return { code: 'InternalError', status: 500 };
}
