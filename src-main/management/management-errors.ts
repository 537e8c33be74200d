// How the Service Management API answers an error: Azure's HTTP status, error code and message. Every refusal of
// the fabric, and of a request's body or URI, is made by the one error factory (common/fabric-errors.ts) and
// mapped by its table (`serviceManagementError`). Only the refusals that exist at this HTTP face alone, with
// codes the fabric has no use for (authentication, the version header, methods, sizes, operations not emulated),
// are made here. The request id goes in the x-ms-request-id header of the answer, as Azure sent it.
import { FabricError, serviceManagementError } from '../common/fabric-errors';

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
  methodNotAllowed: (method: string, path: string) => new ManagementError(405, 'MethodNotAllowed', `${method} is not allowed on ${path}.`),
  /** An operation Fabric Lab does not emulate yet: refused by name, never ignored. */
  notImplemented: (operation: string) =>
    new ManagementError(501, 'NotImplemented', `Fabric Lab does not emulate ${operation} yet; see docs/DIFFERENCES.md for what the Service Management API does here.`),
  tooLarge: (limit: number) => new ManagementError(413, 'RequestBodyTooLarge', `The request body is larger than ${limit} bytes.`),
};

/** The front end's "operation in progress" refusal, as Azure worded it for the API. */
const operationInProgress = /has an operation in progress \([^,]+, request ([^)]+)\)/;

/** Anything thrown while handling a request, as the answer's error. */
export function toManagementError(error: unknown): ManagementError {
  if (error instanceof ManagementError) return error;
  const running = error instanceof FabricError && error.code === 'Conflict' ? operationInProgress.exec(error.message) : null;
  if (running) return new ManagementError(409, 'ConflictError', `Windows Azure is currently performing an operation with x-ms-requestid ${running[1]!} on this deployment that requires exclusive access.`);
  const mapped = serviceManagementError(error);
  return new ManagementError(mapped.status, mapped.code, mapped.status >= 500 && !(error instanceof FabricError) ? `The server encountered an internal error: ${mapped.message}` : mapped.message);
}
