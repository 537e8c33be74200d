// Every error the Service Management API answers, made here and only here: Azure's status code, its error
// code and a sentence for people (Azurite's StorageErrorFactory is the model). The request id goes in the
// x-ms-request-id header of the answer, as Azure sent it.
import { FabricError } from '../common/fabric-api';

export class ManagementError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra headers (WWW-Authenticate). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ManagementError';
  }
}

export const managementErrors = {
  /** No credential, a certificate or token of another subscription, or an unknown subscription: Azure's one answer. */
  forbidden: () =>
    new ManagementError(403, 'ForbiddenError', 'The server failed to authenticate the request. Verify that the certificate is valid and is associated with this subscription.'),
  /** A bearer token that is not the subscription's. */
  invalidToken: () =>
    new ManagementError(401, 'AuthenticationFailed', 'The access token is invalid or does not belong to this subscription.', { 'WWW-Authenticate': 'Bearer error="invalid_token"' }),
  missingVersion: () => new ManagementError(400, 'MissingOrIncorrectVersionHeader', 'The versioning header is not specified or was specified incorrectly.'),
  unknownVersion: (version: string) =>
    new ManagementError(400, 'MissingOrIncorrectVersionHeader', `The versioning header is not specified or was specified incorrectly: "${version}" is not a version of the Service Management API (2009-10-01 to 2017-01-01).`),
  badRequest: (message: string) => new ManagementError(400, 'BadRequest', message),
  invalidXml: (where: string) => new ManagementError(400, 'BadRequest', `The request body's XML was invalid or not correctly specified: ${where}.`),
  notFound: (message: string) => new ManagementError(404, 'ResourceNotFound', message),
  noRoute: (method: string, path: string) => new ManagementError(404, 'ResourceNotFound', `The requested URI does not represent any resource on the server: ${method} ${path}.`),
  methodNotAllowed: (method: string, path: string) => new ManagementError(405, 'MethodNotAllowed', `${method} is not allowed on ${path}.`),
  conflict: (message: string) => new ManagementError(409, 'ConflictError', message),
  /** An operation on a deployment while another runs, in Azure's words. */
  operationInProgress: (requestId: string) =>
    new ManagementError(409, 'ConflictError', `Windows Azure is currently performing an operation with x-ms-requestid ${requestId} on this deployment that requires exclusive access.`),
  /** An operation Fabric Lab does not emulate yet: refused by name, never ignored. */
  notImplemented: (operation: string) =>
    new ManagementError(501, 'NotImplemented', `Fabric Lab does not emulate ${operation} yet; see docs/DIFFERENCES.md for what the Service Management API does here.`),
  tooLarge: (limit: number) => new ManagementError(413, 'RequestBodyTooLarge', `The request body is larger than ${limit} bytes.`),
  internal: (message: string) => new ManagementError(500, 'InternalError', `The server encountered an internal error: ${message}`),
};

const fabricCodes: Record<FabricError['code'], (message: string) => ManagementError> = {
  BadRequest: (m) => new ManagementError(400, 'BadRequest', m),
  NotFound: (m) => new ManagementError(404, 'ResourceNotFound', m),
  Conflict: (m) => new ManagementError(409, 'ConflictError', m),
  QuotaExceeded: (m) => new ManagementError(409, 'ConflictError', m),
  AllocationFailed: (m) => new ManagementError(409, 'ConflictError', m),
  Internal: (m) => managementErrors.internal(m),
};

/** Anything thrown while handling a request, as the answer's error. */
export function toManagementError(error: unknown): ManagementError {
  if (error instanceof ManagementError) return error;
  if (error instanceof FabricError) {
    // The front end's "operation in progress" refusal, worded as Azure's.
    const running = /has an operation in progress \([^,]+, request ([^)]+)\)/.exec(error.message);
    if (error.code === 'Conflict' && running) return managementErrors.operationInProgress(running[1]!);
    return fabricCodes[error.code](error.message);
  }
  return managementErrors.internal(error instanceof Error ? error.message : String(error));
}
