// A small element tree over saxes that keeps the line and column of every element and attribute, so every
// diagnostic can point at the place in the file. Untrusted input: any DOCTYPE is refused (which also stops
// billion-laughs and external entities), and saxes itself knows only the five predefined entities, so any
// other entity reference is an error rather than an expansion.
import { SaxesParser, type SaxesAttributeNS, type SaxesTagNS } from 'saxes';
import type { ValidationDiagnostic } from '../common/service-model';

export interface XmlAttribute {
  /** Qualified name as written (e.g. `xsi:type`). */
  name: string;
  local: string;
  uri: string;
  value: string;
  line: number;
  column: number;
}

export interface XmlElement {
  local: string;
  uri: string;
  attributes: XmlAttribute[];
  children: XmlElement[];
  /** Concatenated character data directly inside the element (package.xml keeps its values there). */
  text: string;
  line: number;
  column: number;
}

export interface XmlParseResult {
  root?: XmlElement;
  diagnostics: ValidationDiagnostic[];
}

/** csdef/cscfg/package.xml files are kilobytes; anything this large is not one of them. */
export const maxXmlBytes = 8 * 1024 * 1024;

/**
 * Elements nested deeper than this are refused: the deepest path of the service schemas is about ten
 * (ServiceDefinition/WebRole/Startup/Task/Environment/Variable/RoleInstanceValue is seven), and a tree
 * 20,000 deep would only cost time and stack in every reader that walks it.
 */
export const maxXmlDepth = 32;

/** Decode the bytes as the XML declaration's encoding would: UTF-16 when a BOM says so, else UTF-8; no BOM kept. */
export function decodeXml(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  const text = new TextDecoder('utf-8').decode(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Thrown inside a saxes handler to stop at the first fatal problem; never leaves this module. */
class StopParsing extends Error {}

/** Offsets of line starts, so an offset in the text becomes a 1-based line and column (CRLF counts as one break). */
function lineIndex(text: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) starts.push(i + 1);
  }
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  };
}

/** Where an attribute starts: saxes reports it once the closing quote is read, so walk back over the value. */
function attributeStart(text: string, endOffset: number, name: string): number {
  const quote = text[endOffset - 1];
  let i = endOffset - 2;
  if (quote === '"' || quote === "'") {
    while (i >= 0 && text[i] !== quote) i--;
    i--;
  }
  while (i >= 0 && /[\s=]/.test(text[i]!)) i--;
  return Math.max(0, i - name.length + 1);
}

export function parseXml(text: string, file: string): XmlParseResult {
  const diagnostics: ValidationDiagnostic[] = [];
  const fail = (line: number, column: number, rule: string, message: string): never => {
    diagnostics.push({ severity: 'error', file, line, column, rule, message });
    throw new StopParsing();
  };
  if (text.length > maxXmlBytes) {
    diagnostics.push({ severity: 'error', file, line: 0, column: 0, rule: 'xml.too-large', message: `The file is larger than ${maxXmlBytes / 1024 / 1024} MiB; a service file is never that large.` });
    return { diagnostics };
  }
  const position = lineIndex(text);
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let pending: XmlAttribute[] = [];
  let tagStart = { line: 1, column: 1 };

  parser.on('doctype', () => {
    const at = position(Math.max(0, text.indexOf('<!DOCTYPE')));
    fail(at.line, at.column, 'xml.dtd', 'DTDs are not allowed: a service file has no DOCTYPE, and entity definitions could expand without bound or read other files.');
  });
  parser.on('error', (err) => {
    // saxes prefixes "line:column: "; its column is that of the character it stopped at, 1-based in effect.
    const message = err.message.replace(/^\d+:\d+:\s*/, '').replace(/\.$/, '');
    if (/undefined entity/.test(message)) {
      fail(parser.line, parser.column, 'xml.entity', 'Undefined entity: only &lt; &gt; &amp; &quot; &apos; and character references are allowed (entities are never expanded).');
    }
    const c = text[parser.position - 1];
    const hint = c === '<' || c === '&' ? ` "${c}" (inside a value or text, write ${c === '<' ? '&lt;' : '&amp;'})` : '';
    fail(parser.line, parser.column, 'xml.not-well-formed', `Not well-formed XML: ${message}${hint}.`);
  });
  parser.on('opentagstart', (tag) => {
    // saxes has read "<name" and one more character; names never span lines.
    tagStart = { line: parser.line, column: Math.max(1, parser.column - tag.name.length - 1) };
    pending = [];
  });
  parser.on('attribute', (attr) => {
    const at = position(attributeStart(text, parser.position, attr.name));
    pending.push({ name: attr.name, local: attr.local, uri: '', value: attr.value, line: at.line, column: at.column });
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    const resolved = tag.attributes as Record<string, SaxesAttributeNS>;
    const element: XmlElement = {
      local: tag.local,
      uri: tag.uri,
      attributes: pending
        .filter((a) => a.name !== 'xmlns' && !a.name.startsWith('xmlns:'))
        .map((a) => ({ ...a, uri: resolved[a.name]?.uri ?? '' })),
      children: [],
      text: '',
      ...tagStart,
    };
    pending = [];
    if (stack.length >= maxXmlDepth) {
      fail(tagStart.line, tagStart.column, 'xml.too-deep', `<${tag.local}> is nested ${stack.length + 1} elements deep; a service file nests at most ${maxXmlDepth}.`);
    }
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on('text', (t) => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  });
  parser.on('cdata', (t) => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  });
  parser.on('closetag', () => {
    stack.pop();
  });

  try {
    parser.write(text).close();
  } catch (e) {
    if (!(e instanceof StopParsing)) {
      diagnostics.push({ severity: 'error', file, line: parser.line, column: parser.column, rule: 'xml.not-well-formed', message: `Not well-formed XML: ${String((e as Error).message ?? e)}.` });
    }
    return { diagnostics };
  }
  if (!root) return { diagnostics: [{ severity: 'error', file, line: 1, column: 1, rule: 'xml.not-well-formed', message: 'Not well-formed XML: the file has no root element.' }] };
  return { root, diagnostics };
}

/** Child elements with a given local name in the element's own namespace. */
export function childrenNamed(element: XmlElement, local: string): XmlElement[] {
  return element.children.filter((c) => c.local === local && c.uri === element.uri);
}

export function childNamed(element: XmlElement, local: string): XmlElement | undefined {
  return childrenNamed(element, local)[0];
}

/** An attribute without a namespace prefix (the only kind the service schemas use). */
export function attributeNamed(element: XmlElement, local: string): XmlAttribute | undefined {
  return element.attributes.find((a) => a.local === local && a.uri === '');
}
