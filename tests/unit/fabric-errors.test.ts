// The error factory: every refusal has a code the Service Management API maps to Azure's code and HTTP
// status, carries the request id when given one, and crosses a transport as {code, message, requestId}.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FabricError, FabricErrors, serviceManagementCodes, serviceManagementError, toErrorInfo, type FabricErrorCode } from '../../src-main/common/fabric-errors';

const root = resolve(import.meta.dirname, '../..');

/** Calls each factory function with made-up arguments of the right kinds. */
function sampleArgs(fn: (...args: never[]) => FabricError): unknown[] {
  const text = fn.toString();
  const params = text.slice(text.indexOf('(') + 1, text.indexOf(')')).split(',').map((p) => p.trim()).filter(Boolean);
  return params.map((p) => {
    if (p === 'requestId') return undefined;
    if (/seed|count|limit|errorCount|need|used|quota|seconds|limitBytes/i.test(p)) return 3;
    if (p === 'waitingForHost') return true;
    if (p === 'how') return 'reboot';
    if (/roles|samples|regions|endpoints|problems|differences|added|removed|walked/.test(p)) return ['a', 'b'];
    return `x-${p}`;
  });
}

describe('the fabric error factory', () => {
  const entries = Object.entries(FabricErrors) as [string, (...args: never[]) => FabricError][];

  it('makes FabricErrors with a mapped code and a sentence, for every refusal it names', () => {
    expect(entries.length).toBeGreaterThan(40);
    for (const [name, make] of entries) {
      const error = make(...(sampleArgs(make) as never[]));
      expect(error, name).toBeInstanceOf(FabricError);
      expect(Object.keys(serviceManagementCodes), name).toContain(error.code);
      expect(error.message.length, name).toBeGreaterThan(5);
      expect(error.requestId, name).toBeUndefined();
      expect(error.toInfo(), name).toEqual({ code: error.code, message: error.message });
    }
  });

  it('carries the request id where the request has one, on the error and on the wire', () => {
    const error = FabricErrors.deploymentNotFound('deployment9(9)', 'req-1');
    expect(error).toMatchObject({ code: 'NotFound', message: 'There is no deployment "deployment9(9)".', requestId: 'req-1' });
    expect(toErrorInfo(error)).toEqual({ code: 'NotFound', message: 'There is no deployment "deployment9(9)".', requestId: 'req-1' });
    expect(FabricErrors.coreQuotaExceeded(4, 18, 20, 'req-2').toInfo()).toEqual({
      code: 'QuotaExceeded',
      message: 'The request needs 4 more cores; the subscription uses 18 of its 20-core quota, so only 2 are left.',
      requestId: 'req-2',
    });
    const again = FabricError.fromInfo(JSON.parse(JSON.stringify({ error: error.toInfo() })).error);
    expect(again).toBeInstanceOf(FabricError);
    expect(again).toMatchObject({ code: 'NotFound', message: error.message, requestId: 'req-1' });
  });

  it("maps each code to the Service Management API's error code and HTTP status", () => {
    const table: [FabricErrorCode, string, number][] = [
      ['BadRequest', 'BadRequest', 400],
      ['NotFound', 'ResourceNotFound', 404],
      ['Conflict', 'ConflictError', 409],
      ['QuotaExceeded', 'BadRequest', 400],
      ['AllocationFailed', 'AllocationFailed', 409],
      ['Internal', 'InternalError', 500],
    ];
    for (const [code, azure, status] of table) expect(serviceManagementError(new FabricError(code, 'm', 'r'))).toEqual({ status, code: azure, message: 'm', requestId: 'r' });
    expect(serviceManagementError(FabricErrors.hostBeingRepaired('Host 2'))).toEqual({ status: 409, code: 'ConflictError', message: 'Host 2 is already being repaired.' });
  });

  it('answers anything else that was thrown as an internal error with its message, and an unknown code as InternalError', () => {
    expect(toErrorInfo(new Error('boom'))).toEqual({ code: 'Internal', message: 'boom' });
    expect(toErrorInfo('plain')).toEqual({ code: 'Internal', message: 'plain' });
    expect(toErrorInfo(undefined)).toEqual({ code: 'Internal', message: 'undefined' });
    expect(toErrorInfo({ code: 'NotFound' })).toEqual({ code: 'Internal', message: '[object Object]' });
    expect(serviceManagementError(null)).toEqual({ status: 500, code: 'InternalError', message: 'null' });
    // A code from a newer peer that this side does not know still gets an answer.
    expect(serviceManagementError(FabricError.fromInfo({ code: 'Teapot' as FabricErrorCode, message: 'm' }))).toEqual({ status: 500, code: 'InternalError', message: 'm' });
  });

  it('is the only place that makes a FabricError, in the fabric, the shells and the renderer', () => {
    const factory = 'src-main/common/fabric-errors.ts';
    const offenders: string[] = [];
    for (const dir of ['src-main', 'src-renderer']) {
      for (const entry of readdirSync(join(root, dir), { recursive: true, withFileTypes: true })) {
        if (!entry.isFile() || !/\.(ts|svelte)$/.test(entry.name)) continue;
        const file = relative(root, join(entry.parentPath, entry.name));
        if (file !== factory && readFileSync(join(root, file), 'utf8').includes('new FabricError(')) offenders.push(file);
      }
    }
    expect(offenders).toEqual([]);
  });
});
