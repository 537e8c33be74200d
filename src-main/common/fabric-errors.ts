// Every error the fabric answers a command with is made here, as Azurite makes every storage error in one
// factory (StorageErrorFactory): a stable code, a sentence for people, and the request id when the request
// has one. Each code maps to a Service Management API error code and HTTP status (`serviceManagementError`),
// so an HTTP face can answer as Azure does. Pure: shared by the fabric, the shells and the renderer.

/** The codes that cross a transport, in `{error: {code, message, requestId?}}`. */
export type FabricErrorCode = 'BadRequest' | 'NotFound' | 'Conflict' | 'QuotaExceeded' | 'AllocationFailed' | 'Internal';

/** An error a command answers with: a stable code, a sentence for people, and the request's id if it had one. */
export interface FabricErrorInfo {
  code: FabricErrorCode;
  message: string;
  /** RDFE's request id (x-ms-request-id): the one its operation, its log lines and its events carry. */
  requestId?: string;
}

export class FabricError extends Error {
  constructor(
    readonly code: FabricErrorCode,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'FabricError';
  }

  /** The error as it crosses a transport. */
  toInfo(): FabricErrorInfo {
    return { code: this.code, message: this.message, ...(this.requestId ? { requestId: this.requestId } : {}) };
  }

  /** The error a transport's answer carried, thrown again on the calling side. */
  static fromInfo(info: FabricErrorInfo): FabricError {
    return new FabricError(info.code, info.message, info.requestId);
  }
}

/** Turn anything thrown into the shape that crosses a transport. */
export function toErrorInfo(error: unknown): FabricErrorInfo {
  if (error instanceof FabricError) return error.toInfo();
  return { code: 'Internal', message: error instanceof Error ? error.message : String(error) };
}

/**
 * The Service Management API's answer for each code: the error code and HTTP status of its documented table
 * ("Service Management Status and Error Codes": BadRequest 400, ResourceNotFound 404, ConflictError 409,
 * InternalError 500). Quota and allocation are not in that table: a request over the core quota is a bad
 * request (nothing was tried), and an allocation failure is reported with the code Azure's operation logs use.
 */
export const serviceManagementCodes: Readonly<Record<FabricErrorCode, { code: string; status: number }>> = {
  BadRequest: { code: 'BadRequest', status: 400 },
  NotFound: { code: 'ResourceNotFound', status: 404 },
  Conflict: { code: 'ConflictError', status: 409 },
  QuotaExceeded: { code: 'BadRequest', status: 400 },
  AllocationFailed: { code: 'AllocationFailed', status: 409 },
  Internal: { code: 'InternalError', status: 500 },
};

/** What a Service Management face answers for an error: its HTTP status and the body's Code and Message. */
export function serviceManagementError(error: unknown): { status: number; code: string; message: string; requestId?: string } {
  const info = toErrorInfo(error);
  const mapped = serviceManagementCodes[info.code] ?? serviceManagementCodes.Internal;
  return { status: mapped.status, code: mapped.code, message: info.message, ...(info.requestId ? { requestId: info.requestId } : {}) };
}

const quoted = (value: string): string => `"${value}"`;

/**
 * One function per refusal the fabric makes. `requestId`: the RDFE request being refused, where there is one.
 * The wording is what users see; tests match it, so change it here and nowhere else.
 */
export const FabricErrors = {
  // ---- Not found (ResourceNotFound, 404)
  deploymentNotFound: (deploymentId: string, requestId?: string) => new FabricError('NotFound', `There is no deployment ${quoted(deploymentId)}.`, requestId),
  roleNotFound: (deploymentId: string, roleName: string, roles: readonly string[], requestId?: string) =>
    new FabricError('NotFound', `Deployment ${deploymentId} has no role ${quoted(roleName)}. Roles: ${roles.join(', ')}.`, requestId),
  instanceNotFound: (instanceId: string, requestId?: string) => new FabricError('NotFound', `There is no instance ${quoted(instanceId)}.`, requestId),
  /** A fault aimed at an instance the fabric does not hold. */
  faultInstanceNotFound: (instanceId: string) => new FabricError('NotFound', `There is no running instance ${quoted(instanceId)}.`),
  instanceLogsNotFound: (instanceId: string) => new FabricError('NotFound', `There is no instance ${quoted(instanceId)} with logs in this session.`),
  hostNotFound: (hostId: string) => new FabricError('NotFound', `There is no host ${quoted(hostId)}.`),
  poolNotFound: (poolId: string) => new FabricError('NotFound', `There is no machine pool ${quoted(poolId)}.`),
  /** `samples`: the ones there are, named in the message when given. */
  sampleNotFound: (sample: string, samples?: readonly string[]) =>
    new FabricError('NotFound', `There is no sample ${quoted(sample)}.${samples ? ` Samples: ${samples.join(', ')}.` : ''}`),
  packageNotFound: (packageId: string) => new FabricError('NotFound', `There is no opened package ${quoted(packageId)}; open it again.`),
  endpointNotFound: (instanceName: string, endpointName: string, endpoints: string) =>
    new FabricError('NotFound', `${instanceName} has no input endpoint ${quoted(endpointName)} (its endpoints: ${endpoints}).`),
  logFileNotFound: (fileId: string) => new FabricError('NotFound', `There is no log file ${quoted(fileId)} in this session.`),
  /** The log reader found the file gone while paging it; `reason` names it. */
  logFileGone: (reason: string) => new FabricError('NotFound', reason),
  logFileIsFolder: (fileId: string) => new FabricError('NotFound', `${quoted(fileId)} is a folder, not a log file.`),

  /** A traffic run aimed at an input endpoint the deployment does not have (or, with none named, no http one). */
  trafficEndpointNotFound: (deploymentId: string, endpointName: string | undefined, endpoints: readonly string[]) =>
    new FabricError(
      'NotFound',
      `${endpointName === undefined ? `Deployment ${deploymentId} has no http input endpoint to send traffic to.` : `Deployment ${deploymentId} has no input endpoint ${quoted(endpointName)}.`} Its input endpoints: ${endpoints.join(', ') || 'none'}.`,
    ),
  trafficRunNotFound: (runId: string) => new FabricError('NotFound', `There is no traffic run ${quoted(runId)}.`),
  // ---- Bad request (BadRequest, 400)
  regionNotServed: (region: string | undefined, regions: readonly string[], requestId?: string) =>
    new FabricError('BadRequest', `No machine pool serves region "${region}". Regions: ${regions.join(', ')}.`, requestId),
  instanceCountUnchanged: (roleName: string, count: number, requestId?: string) => new FabricError('BadRequest', `Role ${roleName} already has ${count} instance(s).`, requestId),
  /** `description`: every error's file, line, column and rule. */
  configurationRefused: (description: string, requestId?: string) =>
    new FabricError('BadRequest', `The new configuration was refused; nothing deployed changed. ${description}`, requestId),
  /** `first`: the first error's file:line:column [rule] message. */
  packageHasErrors: (packageName: string, errorCount: number, first: string | undefined, requestId?: string) =>
    new FabricError('BadRequest', `${packageName} cannot be deployed: it has ${errorCount} validation error(s)${first ? `; the first: ${first}` : ''}.`, requestId),
  emptyUpload: () => new FabricError('BadRequest', 'Choose at least a .cspkg, a .csdef or a csx folder, and a .cscfg.'),
  uploadHasTooManyFiles: (limit: number, count: number) => new FabricError('BadRequest', `A package upload holds at most ${limit} files; this one has ${count}.`),
  uploadTooLarge: (limitBytes: number) => new FabricError('BadRequest', `A package upload holds at most ${limitBytes / 1024 / 1024} MiB.`),
  uploadNamesFileTwice: (path: string) => new FabricError('BadRequest', `The upload names "${path}" twice.`),
  uploadNotStored: (path: string, reason: string) => new FabricError('BadRequest', `Could not store "${path}": ${reason}`),
  uploadPathOutside: (path: string) => new FabricError('BadRequest', `The upload names a file outside the package: "${path}".`),
  badSeed: (seed: number) => new FabricError('BadRequest', `The seed must be a whole number from 0 to 4294967295, got ${seed}.`),
  /** The clock refused the change; `reason` is its own sentence. */
  badClock: (reason: string) => new FabricError('BadRequest', reason),
  badPhaseTimings: (reason: string) => new FabricError('BadRequest', `Bad phase timings: ${reason}.`),
  notAnInstanceId: (instanceId: string) => new FabricError('BadRequest', `"${instanceId}" is not an instance id: instance ids read <deploymentId>/<InstanceName>.`),
  notALogFile: (fileId: string) =>
    new FabricError('BadRequest', `${quoted(fileId.slice(0, 200))} is not a log file of this session: give a file as listLogs returns it (instances/... or fabric/..., no "..").`),
  logFileOutsideSession: (fileId: string) => new FabricError('BadRequest', `"${fileId}" leads outside the session folder.`),
  /** A page the log reader refused (past the end, a bad range): `reason` names the file and its line count. */
  badLogPage: (reason: string) => new FabricError('BadRequest', reason),
  badCronExpression: (expression: string, problems: string) =>
    new FabricError('BadRequest', `"${expression}" is not a valid cron expression: ${problems}. Example: "*/15 * * * *" runs every 15 minutes.`),
  exportPathNotAbsolute: (path: string) => new FabricError('BadRequest', `The export path must be absolute, got "${path}".`),
  exportNotWritable: (target: string, reason: string) =>
    new FabricError('BadRequest', `Cannot write the export to ${target}: ${reason}. The fabric keeps running; choose another place.`),
  notAnInstancePath: (path: string) =>
    new FabricError('BadRequest', `"${path.slice(0, 100)}" is not a path on the instance: give one that starts with "/" (e.g. /index.html?x=1), at most 2048 characters, no spaces or "#".`),
  noHttpEndpoint: (instanceName: string, endpoints: string) => new FabricError('BadRequest', `${instanceName} has no http input endpoint to send a request to (its endpoints: ${endpoints}).`),
  endpointNotHttp: (instanceName: string, endpointName: string, protocol: string) =>
    new FabricError('BadRequest', `Endpoint ${endpointName} of ${instanceName} is ${protocol}; Fabric Lab sends requests to http endpoints only.`),
  noSimpleStartupTask: (roleName: string) => new FabricError('BadRequest', `Role ${roleName} has no simple startup task to fail.`),

  trafficNotHttp: (endpointName: string, protocol: string) => new FabricError('BadRequest', `Traffic runs send HTTP requests; endpoint ${endpointName} is ${protocol}.`),
  /** `problems`: each bound broken, in words ("rate must be 1-2000, got 5000"). */
  trafficBounds: (problems: readonly string[]) => new FabricError('BadRequest', `Traffic bounds: ${problems.join('; ')}.`),
  // ---- Bad request at a transport: the command dispatcher and the shells
  unknownCommand: (method: unknown) => new FabricError('BadRequest', `Unknown command "${String(method)}"`),
  /** `issues`: each field and what is wrong with it. */
  badArgument: (method: string, issues: string) => new FabricError('BadRequest', `Bad argument to ${method}: ${issues}`),
  binaryMessage: () => new FabricError('BadRequest', 'Messages must be JSON text frames, not binary.'),
  messageNotJson: () => new FabricError('BadRequest', 'The message is not valid JSON.'),
  badCommandMessage: (issues: string) => new FabricError('BadRequest', `Bad command message: ${issues}`),
  notTheAppWindow: () => new FabricError('BadRequest', 'Refused: the sender is not the Fabric Lab window.'),
  exportPathInBrowserMode: () =>
    new FabricError('BadRequest', "In browser mode an export is written to the session's exports folder and downloaded from there; a path cannot be given."),
  exportPathInApp: () => new FabricError('BadRequest', 'In the app, the save dialog chooses where an export is written; ask with saveAs.'),
  exportCancelled: () => new FabricError('BadRequest', 'Export cancelled: no file was chosen.'),
  badPackageChoice: (choice: unknown) => new FabricError('BadRequest', `Choose "files" or "folder", not ${JSON.stringify(choice) ?? 'nothing'}.`),
  noPackageDialog: () => new FabricError('BadRequest', 'This window has no package dialog.'),
  packageFileUnreadable: (path: string, reason: string) => new FabricError('BadRequest', `Cannot read ${path}: ${reason}. Nothing was opened.`),
  packageFileIsLink: (path: string) => new FabricError('BadRequest', `${path} is a link; a package on disk is read without following links. Nothing was opened.`),
  packageFileNotRegular: (path: string) => new FabricError('BadRequest', `${path} is not a regular file. Nothing was opened.`),
  chosenPackageHasTooManyFiles: (limit: number, chosen: string) => new FabricError('BadRequest', `A package holds at most ${limit} files; ${chosen} holds more. Nothing was opened.`),
  /** `limit` and `total` as shown (e.g. "64.0 MiB"); `file`: the file that went over. */
  chosenPackageTooLarge: (limit: string, chosen: string, total: string, file: string) =>
    new FabricError('BadRequest', `A package holds at most ${limit}; ${chosen} holds more (${total} by ${file}). Nothing was opened.`),

  // ---- Conflict (ConflictError, 409): the request is sound, the state of what it names is not
  slotTaken: (serviceName: string, slot: string, deploymentId: string, requestId?: string) =>
    new FabricError('Conflict', `Service ${serviceName} already has a deployment in the ${slot} slot (${deploymentId}); delete it first.`, requestId),
  deploymentBeingDeleted: (deploymentId: string, deleteRequestId: string, requestId?: string) =>
    new FabricError('Conflict', `Deployment ${deploymentId} is already being deleted (request ${deleteRequestId}).`, requestId),
  configurationWhileDeleting: (deploymentId: string, deleteRequestId: string, requestId?: string) =>
    new FabricError('Conflict', `Deployment ${deploymentId} is being deleted (request ${deleteRequestId}); its configuration cannot change.`, requestId),
  operationInProgress: (deploymentId: string, kind: string, operationRequestId: string, requestId?: string) =>
    new FabricError('Conflict', `Deployment ${deploymentId} has an operation in progress (${kind}, request ${operationRequestId}); try again when it has ended.`, requestId),
  /** `what`: what only a Running deployment can be ("suspended", "scaled", "have an instance rebooted"). */
  deploymentNotRunning: (deploymentId: string, status: string, what: string, requestId?: string) =>
    new FabricError('Conflict', `Deployment ${deploymentId} is ${status}; only a Running deployment can be ${what}.`, requestId),
  deploymentNotSuspended: (deploymentId: string, status: string, requestId?: string) =>
    new FabricError('Conflict', `Deployment ${deploymentId} is ${status}; only a Suspended deployment can be started.`, requestId),
  definitionNotKept: (deploymentId: string, requestId?: string) =>
    new FabricError('Conflict', `Deployment ${deploymentId} was not made from a package whose definition Fabric Lab kept.`, requestId),
  /** `state`: its status, or why it has none to speak of ("waiting for a host"). */
  instanceNotRunning: (instanceName: string, state: string, how: 'reboot' | 'reimage' | 'rebuild', requestId?: string) =>
    new FabricError('Conflict', `Instance ${instanceName} is ${state}; only running instances can be ${how === 'reboot' ? 'rebooted' : 'reimaged'}.`, requestId),
  faultTargetStopping: (instanceName: string, status: string) =>
    new FabricError('Conflict', `Instance ${instanceName} is being stopped (${status}); faults go to running instances.`),
  faultTargetWithoutVm: (instanceName: string, waitingForHost: boolean) =>
    new FabricError('Conflict', `Instance ${instanceName} is ${waitingForHost ? 'waiting for a host (service healing)' : 'stopped'}; faults go to running instances.`),
  guestNotBooted: (instanceName: string, status: string) =>
    new FabricError('Conflict', `Instance ${instanceName} is ${status}: its guest OS has not booted yet, so there is nothing to hang.`),
  hostProcessNotRunning: (instanceName: string, status: string) =>
    new FabricError('Conflict', `Instance ${instanceName} is ${status}: its host process is not running. Make the crash persistent to crash it at its next start.`),
  hostNotHealthy: (hostName: string, health: string) => new FabricError('Conflict', `${hostName} is ${health}; faults go to healthy hosts.`),
  hostBeingRepaired: (hostName: string) => new FabricError('Conflict', `${hostName} is already being repaired.`),
  hostNotUnhealthy: (hostName: string, health: string) => new FabricError('Conflict', `${hostName} is ${health}; only an Unhealthy host can be repaired.`),
  fabricShutDown: () => new FabricError('Conflict', 'The fabric has been shut down.'),
  /** The fabric's own thread ended (fabric-thread.ts): a bug that escaped every handler, or its heap. */
  fabricThreadEnded: (reason: string) => new FabricError('Internal', `The fabric is not running: ${reason}.`),
  exportRunning: () => new FabricError('Conflict', 'An export is already running; wait for it to finish.'),
  instanceNotListening: (instanceName: string, status: string, endpointName: string) =>
    new FabricError('Conflict', `${instanceName} is ${status}: nothing listens for ${endpointName} while its VM is not running.`),
  connectionRefused: (url: string) => new FabricError('Conflict', `${url} refused the connection: the instance's VM is not listening (stopped or restarting).`),
  instanceDidNotAnswer: (url: string, seconds: number) =>
    new FabricError('Conflict', `${url} did not answer within ${seconds} s (a hung guest accepts connections and never answers).`),
  instanceRequestFailed: (url: string, reason: string) => new FabricError('Conflict', `${url}: ${reason}`),

  trafficEndpointNotListening: (endpointName: string, vip: string, note: string) =>
    new FabricError('Conflict', `Endpoint ${endpointName} does not listen on ${vip} yet${note ? ` (${note})` : ''}.`),
  trafficRunsBusy: (running: number, max: number) => new FabricError('Conflict', `${running} traffic runs are going; at most ${max} run at once. Stop one first.`),
  trafficRunEnded: (runId: string, status: string) => new FabricError('Conflict', `Traffic run ${runId} has already ended (${status}).`),
  // ---- Capacity: the subscription's quota, the pool's hosts
  coreQuotaExceeded: (need: number, used: number, quota: number, requestId?: string) =>
    new FabricError(
      'QuotaExceeded',
      `The request needs ${need} more cores; the subscription uses ${used} of its ${quota}-core quota, so only ${quota - used} are left.`,
      requestId,
    ),
  /** `reason`: which instance did not fit and by how much (placement.ts). */
  allocationFailed: (reason: string, requestId?: string) => new FabricError('AllocationFailed', reason, requestId),

  // ---- Host nodes joined through NATS (fabric/nats-host-nodes.ts, serve/host-node.ts)
  joinTokenTooShort: (min: number) => new FabricError('BadRequest', `The host nodes' join token must be at least ${min} characters.`),
  hostNodeNotFound: (node: string, file: string) => new FabricError('NotFound', `There is no host node ${quoted(node.slice(0, 40))} in this fabric, so no log file ${quoted(file.slice(0, 200))}.`),
  notHostOfNode: (hostId: string) => new FabricError('NotFound', `${hostId.slice(0, 80)} is not a host of this node.`),
  badNodeLogRequest: (issues: string) => new FabricError('BadRequest', `a malformed log request: ${issues}`),
  natsNotConnected: () => new FabricError('Conflict', 'The fabric is not connected to its NATS server.'),
  hostNodeSilent: (node: string, reason: string) => new FabricError('Internal', `Host node ${node} did not answer for its logs: ${reason}.`),
  /** A node's own refusal of a log request, passed on with its code (NotFound and BadRequest; anything else Internal). */
  fromHostNode: (node: string, code: string, message: string) =>
    new FabricError(code === 'NotFound' || code === 'BadRequest' ? code : 'Internal', `Host node ${node}: ${message.slice(0, 500)}`),
  // ---- The Service Management API (fabric/service-management.ts, fabric/hosted-services.ts, src-main/management)
  subscriptionNotFound: (id: string) => new FabricError('NotFound', `There is no subscription ${id}.`),
  hostedServiceNotFound: (name: string, requestId?: string) => new FabricError('NotFound', `The hosted service ${name} does not exist.`, requestId),
  hostedServiceNameInvalid: (name: string) =>
    new FabricError('BadRequest', `The hosted service name "${name}" is invalid: use 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit.`),
  hostedServiceNameTaken: (name: string) => new FabricError('Conflict', `The hosted service name "${name}" is already taken.`),
  /** `regions`: the machine pools' regions, which are the API's locations. */
  hostedServiceNeedsLocation: (regions: readonly string[]) =>
    new FabricError('BadRequest', `A hosted service needs a Location (Fabric Lab's: ${regions.join(', ')}); affinity groups are not emulated.`),
  locationNotAvailable: (location: string, regions: readonly string[]) =>
    new FabricError('BadRequest', `The location "${location}" is not available; Fabric Lab's locations: ${regions.join(', ')}.`),
  hostedServiceHasDeployments: (name: string, deployments: string) => new FabricError('Conflict', `The hosted service ${name} has deployments (${deployments}); delete them first.`),
  certificateAlreadyHeld: (service: string, thumbprint: string) => new FabricError('Conflict', `The hosted service ${service} already holds the certificate with thumbprint ${thumbprint}.`),
  certificateNotHeld: (service: string, algorithm: string, thumbprint: string) => new FabricError('NotFound', `The hosted service ${service} holds no certificate ${algorithm}-${thumbprint}.`),
  /** A role's certificate (from the .csdef, thumbprint from the .cscfg) the hosted service does not hold. */
  deploymentCertificateMissing: (thumbprint: string, roleName: string, certificateName: string, service: string, requestId?: string) =>
    new FabricError(
      'BadRequest',
      `The certificate with thumbprint ${thumbprint} was not found: role ${roleName} names it (${certificateName}) but hosted service ${service} does not hold it; add it with Add Service Certificate first.`,
      requestId,
    ),
  swapNothingToSwap: (service: string, requestId?: string) => new FabricError('NotFound', `Hosted service ${service} has no deployment in either slot: there is nothing to swap.`, requestId),
  swapEndpointsDiffer: (service: string, production: string, staging: string, difference: string, requestId?: string) =>
    new FabricError('BadRequest', `The deployments of ${service} cannot be swapped: ${production} (production) and ${staging} (staging) have different input endpoints (${difference}). A VIP swap needs the same endpoints in both.`, requestId),
  noDeploymentInSlot: (service: string, slot: string) => new FabricError('NotFound', `No deployments were found in the ${slot} slot of hosted service ${service}.`),
  noDeploymentNamed: (service: string, name: string) => new FabricError('NotFound', `No deployment named ${name} was found in hosted service ${service}.`),
  hostedServiceSlotTaken: (service: string, slot: string, deploymentId: string, requestId?: string) =>
    new FabricError('Conflict', `There is already a deployment (${deploymentId}) in the ${slot} slot of hosted service ${service}; delete it or deploy to the other slot.`, requestId),
  deploymentNameTaken: (service: string, name: string, requestId?: string) => new FabricError('Conflict', `Hosted service ${service} already has a deployment named ${name}.`, requestId),
  /** `diagnostics`: each as file:line:col: severity [rule] message, joined. */
  deploymentPackageInvalid: (count: number, withWarnings: boolean, diagnostics: string, requestId?: string) =>
    new FabricError('BadRequest', `The package or its configuration is not valid (${count} ${withWarnings ? 'errors and warnings' : 'errors'}): ${diagnostics}`, requestId),
  // ---- In-place upgrades (fabric/upgrade-walk.ts)
  upgradeRolesDiffer: (added: readonly string[], removed: readonly string[], requestId?: string) =>
    new FabricError(
      'BadRequest',
      `An in-place upgrade cannot change the roles of a deployment${added.length ? `: the package adds ${added.join(', ')}` : ''}${removed.length ? `${added.length ? ' and' : ':'} removes ${removed.join(', ')}` : ''}. Deploy it to the other slot instead.`,
      requestId,
    ),
  /** `differences`: what changed, in words ("its VM size (Small -> Large)"). */
  upgradeRoleChanged: (roleName: string, differences: readonly string[], requestId?: string) =>
    new FabricError('BadRequest', `An in-place upgrade keeps role ${roleName} as it runs; the package changes ${differences.join(' and ')}. Deploy it to the other slot instead.`, requestId),
  manualConfigurationScales: (deploymentId: string, roleName: string, requestId?: string) =>
    new FabricError('BadRequest', `A configuration that changes ${roleName}'s instance count cannot be walked in Manual mode on ${deploymentId}: use Auto or Simultaneous, or change the count first.`, requestId),
  noUpgradeInProgress: (deploymentId: string, requestId?: string) => new FabricError('Conflict', `Deployment ${deploymentId} has no upgrade in progress.`, requestId),
  rollbackTooLate: (deploymentId: string, requestId?: string) =>
    new FabricError('Conflict', `Deployment ${deploymentId}'s upgrade has walked every upgrade domain: there is nothing left to roll back (Azure allows a rollback only while some domain has not taken the change).`, requestId),
  upgradeNotManual: (deploymentId: string, mode: string, requestId?: string) =>
    new FabricError('Conflict', `The upgrade of deployment ${deploymentId} is in ${mode} mode; only a Manual upgrade is walked one upgrade domain at a time.`, requestId),
  upgradeDomainNotFound: (domain: number, count: number, requestId?: string) =>
    new FabricError('BadRequest', `Upgrade domain ${domain} does not exist: this upgrade walks upgrade domains 0 to ${count - 1}.`, requestId),
  upgradeDomainOutOfOrder: (domain: number, current: number, walked: readonly number[], requestId?: string) =>
    new FabricError('BadRequest', `Upgrade domain ${domain} cannot be walked now: the next one is ${current}${walked.length ? ` (walked: ${walked.join(', ')})` : ''}.`, requestId),
  upgradeDomainBeingWalked: (domain: number, requestId?: string) => new FabricError('Conflict', `Upgrade domain ${domain} is being walked; walk the next one once it has been.`, requestId),
  roleInstanceNotFound: (deploymentName: string, instanceName: string) => new FabricError('NotFound', `Deployment ${deploymentName} has no role instance ${instanceName}.`),
  lastInstancesOfRole: (roleName: string, requestId?: string) => new FabricError('BadRequest', `Role ${roleName} would have no instance left; delete the deployment instead.`, requestId),
  operationNotFound: (requestId: string) => new FabricError('NotFound', `There is no operation with request id ${requestId} in this subscription.`),
  /** Create Deployment's PackageUrl could not be used; `reason` says why, naming the URL or the file. */
  packageUrlRefused: (reason: string) => new FabricError('BadRequest', reason),
  /** A request whose body or URI is not what the operation takes; `detail` names the element, the parameter or the line and column. */
  managementRequestInvalid: (detail: string) => new FabricError('BadRequest', detail),
  managementXmlInvalid: (where: string) => new FabricError('BadRequest', `The request body's XML was invalid or not correctly specified: ${where}.`),
  managementUriUnknown: (method: string, path: string) => new FabricError('NotFound', `The requested URI does not represent any resource on the server: ${method} ${path}.`),
  sessionExportNotFound: (id: string) => new FabricError('NotFound', `There is no session export ${id} (exports are kept while the session runs).`),

  // ---- Internal (InternalError, 500)
  exportFailed: (target: string, reason: string) => new FabricError('Internal', `The export to ${target} failed: ${reason}. The fabric keeps running.`),
  connectionClosed: () => new FabricError('Internal', 'The connection to the fabric closed.'),
  /** A call while the page's connection is down (it reconnects by itself, src-renderer/lib/ws-fabric-api.ts). */
  notConnected: () => new FabricError('Internal', 'Not connected to the fabric; reconnecting. Try again once the dashboard is live.'),
} as const;
