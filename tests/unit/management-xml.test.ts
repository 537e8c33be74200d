// The Service Management API's XML: answers in Azure's namespace with text escaped, requests read only after
// validation (a malformed one is refused with its line and column), no DTDs, entities never expanded, and
// each field checked as the operation needs it.
import { describe, expect, it } from 'vitest';
import { FabricError, FabricErrors } from '../../src-main/common/fabric-errors';
import { managementErrors, toManagementError } from '../../src-main/management/management-errors';
import { base64Text, booleanText, extendedProperties, parseRequestXml, required, text, xmlDocument } from '../../src-main/management/management-xml';

const ns = 'xmlns="http://schemas.microsoft.com/windowsazure"';

function refusal(work: () => unknown): FabricError {
  try {
    work();
  } catch (error) {
    if (error instanceof FabricError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('answers', () => {
  it('are in the windowsazure namespace, with text escaped, booleans as Azure writes them and absent fields left out', () => {
    const xml = xmlDocument('HostedService', { ServiceName: 'a<b>&c', Locked: false, Missing: undefined, List: { Item: [{ Name: 'x' }, { Name: 'y' }] } });
    expect(xml).toBe(
      `<?xml version="1.0" encoding="utf-8"?><HostedService ${ns} xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><ServiceName>a&lt;b&gt;&amp;c</ServiceName><Locked>false</Locked><List><Item><Name>x</Name></Item><Item><Name>y</Name></Item></List></HostedService>`,
    );
  });
});

describe('requests', () => {
  it('reads the elements of the expected root, decoding only the predefined entities', () => {
    const body = parseRequestXml(`<CreateHostedService ${ns}><ServiceName>svc</ServiceName><Description>a &amp; b &#65; &unknown;</Description><Label>${Buffer.from('Ü label').toString('base64')}</Label></CreateHostedService>`, 'CreateHostedService');
    expect(required(body, 'ServiceName', 'CreateHostedService')).toBe('svc');
    expect(text(body, 'Description')).toBe('a & b A &unknown;');
    expect(base64Text(body, 'Label', 'CreateHostedService')).toBe('Ü label');
    expect(text(body, 'Location')).toBeUndefined();
  });

  it('reads extended properties and booleans', () => {
    const body = parseRequestXml(
      `<CreateDeployment ${ns}><StartDeployment>TRUE</StartDeployment><ExtendedProperties><ExtendedProperty><Name>a</Name><Value>1</Value></ExtendedProperty><ExtendedProperty><Name>b</Name><Value/></ExtendedProperty></ExtendedProperties></CreateDeployment>`,
      'CreateDeployment',
    );
    expect(booleanText(body, 'StartDeployment', 'CreateDeployment')).toBe(true);
    expect(booleanText(body, 'TreatWarningsAsError', 'CreateDeployment')).toBeUndefined();
    expect(extendedProperties(body)).toEqual({ a: '1', b: '' });
  });

  it.each([
    ['', /the body is empty; expected a <CreateHostedService>/],
    ['<CreateHostedService>\n  <ServiceName>x</ServiceNam>\n</CreateHostedService>', /line 2, column \d+/],
    ['<!DOCTYPE x [<!ENTITY big "aaaa">]><CreateHostedService>&big;</CreateHostedService>', /a DOCTYPE is not allowed/],
    ['<UpdateHostedService/>', /the root element is <UpdateHostedService>; expected <CreateHostedService>/],
    ['not xml at all', /XML was invalid/],
  ])('refuses %j with where it went wrong', (body, message) => {
    const error = refusal(() => parseRequestXml(body, 'CreateHostedService'));
    expect(error.code).toBe('BadRequest');
    expect(error.message).toMatch(message);
  });

  it('refuses a missing required element, a Label that is not base64 and a boolean that is neither', () => {
    const body = parseRequestXml(`<CreateDeployment ${ns}><Label>not base64!</Label><StartDeployment>yes</StartDeployment></CreateDeployment>`, 'CreateDeployment');
    expect(refusal(() => required(body, 'PackageUrl', 'CreateDeployment')).message).toBe('The <CreateDeployment> element needs a <PackageUrl> value.');
    expect(refusal(() => base64Text(body, 'Label', 'CreateDeployment')).message).toBe('<CreateDeployment><Label> must be base64-encoded.');
    expect(refusal(() => booleanText(body, 'StartDeployment', 'CreateDeployment')).message).toBe('<CreateDeployment><StartDeployment> must be true or false, not "yes".');
  });
});

describe('errors as the API answers them', () => {
  it('maps the factory\'s refusals with its table, words a busy deployment as Azure did, and keeps the face\'s own codes', () => {
    expect(toManagementError(FabricErrors.hostedServiceNotFound('x'))).toMatchObject({ status: 404, code: 'ResourceNotFound' });
    expect(toManagementError(FabricErrors.hostedServiceNameTaken('x'))).toMatchObject({ status: 409, code: 'ConflictError' });
    expect(toManagementError(FabricErrors.coreQuotaExceeded(4, 18, 20))).toMatchObject({ status: 400, code: 'BadRequest' });
    expect(toManagementError(FabricErrors.operationInProgress('deployment1(1)', 'UpdateDeploymentStatus', 'abc123'))).toMatchObject({
      status: 409,
      code: 'ConflictError',
      message: 'Windows Azure is currently performing an operation with x-ms-requestid abc123 on this deployment that requires exclusive access.',
    });
    expect(toManagementError(new Error('boom'))).toMatchObject({ status: 500, code: 'InternalError', message: 'The server encountered an internal error: boom' });
    expect(toManagementError(managementErrors.forbidden())).toMatchObject({ status: 403, code: 'ForbiddenError' });
    expect(managementErrors.invalidToken().headers).toEqual({ 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    expect(managementErrors.notImplemented('Swap Deployment')).toMatchObject({ status: 501, code: 'NotImplemented' });
  });
});
