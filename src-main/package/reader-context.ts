// Reading one XML file against its schema: collects diagnostics with the file, line and column, and reads
// attributes with the schema's defaults, enumerations and ranges. Nothing here throws on bad input.
import type { ValidationDiagnostic } from '../common/service-model';
import { attributeNamed, type XmlAttribute, type XmlElement } from './xml-tree';

export interface At {
  line: number;
  column: number;
}

export class FileReader {
  constructor(
    readonly file: string,
    /** Rule prefix: 'csdef', 'cscfg', 'rolemodel', 'cspkg'. */
    readonly kind: string,
    readonly diagnostics: ValidationDiagnostic[],
  ) {}

  error(at: At, rule: string, message: string): void {
    this.diagnostics.push({ severity: 'error', file: this.file, line: at.line, column: at.column, rule: `${this.kind}.${rule}`, message });
  }

  warn(at: At, rule: string, message: string): void {
    this.diagnostics.push({ severity: 'warning', file: this.file, line: at.line, column: at.column, rule: `${this.kind}.${rule}`, message });
  }

  /** Unknown attributes are warned about and ignored; attributes in another namespace (xsi:, xml:) are left alone. */
  attributes(el: XmlElement, allowed: readonly string[]): void {
    for (const a of el.attributes) {
      if (a.uri !== '' || allowed.includes(a.local)) continue;
      this.warn(a, 'unknown-attribute', `<${el.local}> has an attribute "${a.name}" that the schema does not know; it is ignored.`);
    }
  }

  /**
   * Unknown child elements. In a .csdef they are refused, as cspack's schema check refuses them (the
   * ServiceDefinition XSD has no wildcards): what the author meant would silently not run. Elsewhere (a
   * .cscfg, cspack's own RoleModel.xml) they are warned about and ignored: configurations carry elements of
   * other tools (extended support's NetworkConfiguration), and the portal let them through.
   */
  children(el: XmlElement, allowed: readonly string[]): void {
    const report = this.kind === 'csdef' ? this.error.bind(this) : this.warn.bind(this);
    const outcome = this.kind === 'csdef' ? 'cspack refuses it (the schema allows no other elements)' : 'it is ignored';
    for (const c of el.children) {
      if (c.uri !== el.uri) {
        report(c, 'unknown-element', `<${c.local}> inside <${el.local}> is in another XML namespace (${c.uri || 'none'}); ${outcome}.`);
      } else if (!allowed.includes(c.local)) {
        report(c, 'unknown-element', `<${c.local}> is not an element the schema allows inside <${el.local}>; ${outcome}.`);
      }
    }
  }

  required(el: XmlElement, name: string): XmlAttribute | undefined {
    const a = attributeNamed(el, name);
    if (!a) this.error(el, 'attribute-missing', `<${el.local}> needs a "${name}" attribute.`);
    return a;
  }

  /** A required attribute whose value must not be empty either. */
  requiredName(el: XmlElement, name = 'name'): string | undefined {
    const a = this.required(el, name);
    if (a && a.value.trim() === '') {
      this.error(a, 'attribute-empty', `The "${name}" of <${el.local}> is empty.`);
      return undefined;
    }
    return a?.value;
  }

  optional(el: XmlElement, name: string): string | undefined {
    return attributeNamed(el, name)?.value;
  }

  /** xs:boolean: true, false, 1, 0 (surrounding whitespace allowed, as XML Schema collapses it). */
  bool(el: XmlElement, name: string, fallback: boolean): boolean {
    const a = attributeNamed(el, name);
    if (!a) return fallback;
    const v = a.value.trim();
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    this.error(a, 'boolean', `"${name}" of <${el.local}> must be true or false, not "${a.value}".`);
    return fallback;
  }

  /** An integer attribute in [min, max]; out-of-range or non-numeric values are errors under `rule`. */
  int(el: XmlElement, name: string, opts: { min: number; max: number; rule: string; fallback?: number; what?: string }): number | undefined {
    const a = attributeNamed(el, name);
    if (!a) return opts.fallback;
    return this.intValue(a, el, opts);
  }

  intValue(a: XmlAttribute, el: XmlElement, opts: { min: number; max: number; rule: string; fallback?: number; what?: string }): number | undefined {
    const v = a.value.trim();
    const n = /^[+-]?\d{1,10}$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < opts.min || n > opts.max) {
      const what = opts.what ?? `"${a.name}" of <${el.local}>`;
      this.error(a, opts.rule, `${what} must be a whole number from ${opts.min} to ${opts.max}, not "${a.value}".`);
      return opts.fallback;
    }
    return n;
  }

  /** An enumeration attribute; the schema's enumerations are case-sensitive, so "HTTP" is refused with a hint. */
  oneOf<T extends string>(el: XmlElement, name: string, values: readonly T[], opts: { rule: string; fallback?: T }): T | undefined {
    const a = attributeNamed(el, name);
    if (!a) return opts.fallback;
    const v = a.value.trim();
    if ((values as readonly string[]).includes(v)) return v as T;
    const near = values.find((x) => x.toLowerCase() === v.toLowerCase());
    const hint = near ? ` (did you mean "${near}"? names are case-sensitive)` : '';
    this.error(a, opts.rule, `"${name}" of <${el.local}> must be one of ${values.join(', ')}, not "${a.value}"${hint}.`);
    return opts.fallback;
  }
}

/** Reports every name that occurs more than once among `items` (case-insensitive where Azure compares so). */
export function reportDuplicates<T extends { name: string; at: At }>(
  reader: FileReader,
  items: T[],
  rule: string,
  describe: (item: T) => string,
  caseInsensitive = false,
): void {
  const seen = new Map<string, T>();
  for (const item of items) {
    const key = caseInsensitive ? item.name.toLowerCase() : item.name;
    const first = seen.get(key);
    if (first) reader.error(item.at, rule, `${describe(item)} is declared twice (first at line ${first.at.line}).`);
    else seen.set(key, item);
  }
}

export function at(x: At): At {
  return { line: x.line, column: x.column };
}
