// Untrusted XML: malformed, hostile (entity bombs, DTDs), or in the wrong namespace. Each is refused with a
// line, column and rule, and nothing throws or expands.
import { describe, expect, it } from 'vitest';
import { readServiceSources } from '../../src-main/package/service-reader';
import { decodeXml, parseXml } from '../../src-main/package/xml-tree';

const defNs = 'http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceDefinition';
const bytes = (s: string) => new TextEncoder().encode(s);
const readDef = (text: string) => readServiceSources({ definition: { file: 'x.csdef', bytes: bytes(text) } });

describe('XML parsing', () => {
  it('keeps 1-based line and column for elements and attributes, with CRLF line ends', () => {
    const { root } = parseXml('<?xml version="1.0"?>\r\n<a xmlns="urn:x">\r\n  <b c="1"\r\n     d="x&amp;y" />\r\n</a>', 'f');
    const b = root!.children[0]!;
    expect([root!.line, root!.column]).toEqual([2, 1]);
    expect([b.line, b.column]).toEqual([3, 3]);
    expect(b.attributes.map((a) => [a.local, a.value, a.line, a.column])).toEqual([
      ['c', '1', 3, 6],
      ['d', 'x&y', 4, 6],
    ]);
  });

  it('reports a truncated file as not well-formed, with where it stopped', () => {
    const r = readDef(`<ServiceDefinition name="S" xmlns="${defNs}">\n  <WorkerRole name="W">\n`);
    expect(r.diagnostics).toEqual([expect.objectContaining({ severity: 'error', file: 'x.csdef', rule: 'xml.not-well-formed', line: 3 })]);
    expect(r.model).toBeUndefined();
  });

  it('says what a raw "<" in an attribute value is and how to write it', () => {
    const r = readDef(`<ServiceDefinition name="S" xmlns="${defNs}">\n<WorkerRole name="<W>"/></ServiceDefinition>`);
    expect(r.diagnostics[0]).toMatchObject({ rule: 'xml.not-well-formed', line: 2, column: 19 });
    expect(r.diagnostics[0]!.message).toContain('&lt;');
  });

  it('refuses a billion-laughs entity bomb without expanding anything', () => {
    const lol = ['<!DOCTYPE lolz [', '<!ENTITY lol "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`), ']>'].join('\n');
    const started = Date.now();
    const r = readDef(`<?xml version="1.0"?>\n${lol}\n<ServiceDefinition name="&lol9;" xmlns="${defNs}"/>`);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(r.diagnostics).toEqual([expect.objectContaining({ rule: 'xml.dtd', line: 2, column: 1, message: expect.stringContaining('DTDs are not allowed') })]);
  });

  it('refuses a DTD with an external entity (no file is read)', () => {
    const r = readDef(`<?xml version="1.0"?>\n<!DOCTYPE ServiceDefinition [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<ServiceDefinition name="&xxe;" xmlns="${defNs}"/>`);
    expect(r.diagnostics.map((d) => d.rule)).toEqual(['xml.dtd']);
    expect(JSON.stringify(r)).not.toContain('root:');
  });

  it('refuses an entity that was never declared', () => {
    const r = readDef(`<ServiceDefinition name="&nbsp;" xmlns="${defNs}"/>`);
    expect(r.diagnostics).toEqual([expect.objectContaining({ rule: 'xml.entity', line: 1 })]);
  });

  it('refuses a definition in the wrong namespace, or under the wrong root', () => {
    expect(readDef('<ServiceDefinition name="S" xmlns="http://example.com/other"><WorkerRole name="W"/></ServiceDefinition>').diagnostics).toEqual([
      expect.objectContaining({ rule: 'csdef.namespace', line: 1, column: 1 }),
    ]);
    expect(readDef('<ServiceDefinition name="S"><WorkerRole name="W"/></ServiceDefinition>').diagnostics[0]!.message).toContain('no namespace');
    expect(readDef(`<ServiceConfiguration xmlns="${defNs}"/>`).diagnostics[0]!.rule).toBe('csdef.root');
  });

  it('refuses an empty file', () => {
    expect(readDef('').diagnostics[0]!.rule).toBe('xml.not-well-formed');
  });

  it('decodes UTF-8 with a BOM and UTF-16 with its BOM', () => {
    expect(decodeXml(new Uint8Array([0xef, 0xbb, 0xbf, 0x3c, 0x61, 0x2f, 0x3e]))).toBe('<a/>');
    const utf16 = new Uint8Array([0xff, 0xfe, ...[...'<a/>'].flatMap((c) => [c.charCodeAt(0), 0])]);
    expect(decodeXml(utf16)).toBe('<a/>');
  });
});
