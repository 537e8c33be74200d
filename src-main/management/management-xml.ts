// The Service Management API's bodies: XML in the http://schemas.microsoft.com/windowsazure namespace.
// fast-xml-parser writes answers and reads requests; a request is validated first (so a malformed body is
// refused with its line and column), DTDs are refused outright, and entities are never expanded: only the
// five predefined ones and character references are decoded, by hand.
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { FabricErrors } from '../common/fabric-errors';

export const azureNamespace = 'http://schemas.microsoft.com/windowsazure';

/** An element's children: a value (text), a nested element, or a list (the element repeated). Undefined is left out. */
export type XmlValue = string | number | boolean | undefined | XmlElement | XmlElement[] | string[];
export interface XmlElement {
  [name: string]: XmlValue;
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: false, suppressEmptyNode: false, processEntities: true });

/** A whole answer: `<root xmlns="...windowsazure" ...>children</root>`. */
export function xmlDocument(root: string, children: XmlElement): string {
  return `<?xml version="1.0" encoding="utf-8"?>${builder.build({ [root]: { '@_xmlns': azureNamespace, '@_xmlns:i': 'http://www.w3.org/2001/XMLSchema-instance', ...clean(children) } }) as string}`;
}

/** Booleans as Azure writes them; undefined dropped (the builder would write "undefined"). */
function clean(element: XmlElement): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(element)) {
    if (value === undefined) continue;
    if (typeof value === 'boolean') out[name] = value ? 'true' : 'false';
    else if (Array.isArray(value)) out[name] = value.map((v) => (typeof v === 'object' ? clean(v) : v));
    else if (typeof value === 'object') out[name] = clean(value);
    else out[name] = value;
  }
  return out;
}

/** Elements that may repeat in a request, read as lists whatever their count. */
const repeated = new Set(['ExtendedProperty', 'Name', 'Role', 'Setting']);

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  processEntities: false,
  htmlEntities: false,
  trimValues: true,
  isArray: (name) => repeated.has(name),
});

/** A parsed request element: text children as strings, nested ones as objects or lists. */
export type ParsedElement = { [name: string]: string | ParsedElement | ParsedElement[] | string[] };

/** Read a request body whose root must be `root`; malformed XML and DTDs are refused with where they went wrong. */
export function parseRequestXml(body: string, root: string): ParsedElement {
  if (body.trim() === '') throw FabricErrors.managementXmlInvalid(`the body is empty; expected a <${root}> element`);
  if (/<!DOCTYPE/i.test(body)) throw FabricErrors.managementXmlInvalid('a DOCTYPE is not allowed');
  const verdict = XMLValidator.validate(body);
  if (verdict !== true) throw FabricErrors.managementXmlInvalid(`line ${verdict.err.line}, column ${verdict.err.col}: ${verdict.err.msg}`);
  const parsed = parser.parse(body) as Record<string, unknown>;
  const found = Object.keys(parsed).filter((k) => k !== '?xml');
  const element = parsed[root];
  if (found.length !== 1 || element === undefined) throw FabricErrors.managementXmlInvalid(`the root element is <${found[0] ?? ''}>; expected <${root}>`);
  return (typeof element === 'object' && element !== null ? element : {}) as ParsedElement;
}

/** A text child (entities decoded), or undefined when absent. */
export function text(element: ParsedElement, name: string): string | undefined {
  const value = element[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return typeof value[0] === 'string' ? decodeEntities(value[0]) : undefined;
  if (typeof value === 'object') return Object.keys(value).length === 0 ? '' : undefined;
  return decodeEntities(value);
}

/** A text child that must be there. */
export function required(element: ParsedElement, name: string, root: string): string {
  const value = text(element, name);
  if (value === undefined || value === '') throw FabricErrors.managementRequestInvalid(`The <${root}> element needs a <${name}> value.`);
  return value;
}

/** A base64 child decoded as UTF-8 (Label, Configuration); refused when it is not base64. */
export function base64Text(element: ParsedElement, name: string, root: string, optional = false): string | undefined {
  const value = optional ? text(element, name) : required(element, name, root);
  if (value === undefined) return undefined;
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) throw FabricErrors.managementRequestInvalid(`<${root}><${name}> must be base64-encoded.`);
  return Buffer.from(compact, 'base64').toString('utf8');
}

export function booleanText(element: ParsedElement, name: string, root: string): boolean | undefined {
  const value = text(element, name);
  if (value === undefined || value === '') return undefined;
  if (/^true$/i.test(value)) return true;
  if (/^false$/i.test(value)) return false;
  throw FabricErrors.managementRequestInvalid(`<${root}><${name}> must be true or false, not "${value}".`);
}

/** <ExtendedProperties><ExtendedProperty><Name/><Value/></ExtendedProperty>...</ExtendedProperties> as a record. */
export function extendedProperties(element: ParsedElement): Record<string, string> | undefined {
  const holder = element.ExtendedProperties;
  if (holder === undefined || typeof holder !== 'object' || Array.isArray(holder)) return undefined;
  const list = holder.ExtendedProperty;
  const out: Record<string, string> = {};
  for (const p of Array.isArray(list) ? list : []) {
    if (typeof p !== 'object') continue;
    const name = text(p, 'Name');
    if (name) out[name] = text(p, 'Value') ?? '';
  }
  return out;
}

/** The five predefined entities and character references; anything else is left as written. */
function decodeEntities(value: string): string {
  return value.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (whole, name: string) => {
    switch (name) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        const code = name.startsWith('#x') ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
    }
  });
}
