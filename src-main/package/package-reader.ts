// The three ways a service arrives: a csx folder (cspack /copyOnly layout), a .cspkg, or a bare .csdef; each
// with an optional .cscfg. Finds the files, lays the package out, and hands the bytes to the service reader.
import { mkdtemp, open, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { ValidationDiagnostic, ValidationResult } from '../common/service-model';
import { layOutCspkg } from './cspkg-reader';
import type { ZipLimits } from './safe-unzip';
import { readServiceSources, type ServiceSources, type SourceFile } from './service-reader';
import { maxXmlBytes } from './xml-tree';

export type PackageKind = 'csx' | 'cspkg' | 'csdef';

export interface ReadPackageOptions {
  /** The .cscfg; without it only the definition is checked and no model is returned. */
  configuration?: string;
  /** Where a .cspkg is extracted (created if missing). Default: a new folder under the OS temp folder. */
  extractTo?: string;
  zipLimits?: Partial<ZipLimits>;
}

export interface PackageReadResult extends ValidationResult {
  kind?: PackageKind;
  /** The folder holding roles/<Role>/approot, when the package has one (csx folder or extracted cspkg). */
  root?: string;
  /** The definition's own files as read, so a new configuration can be checked against them later. */
  definition?: Omit<ServiceSources, 'configuration'>;
}

/** Which kind of input a path is, by what is on disk (a folder, a zip's magic bytes, else XML). */
export async function detectKind(path: string): Promise<PackageKind | undefined> {
  const s = await stat(path).catch(() => undefined);
  if (!s) return undefined;
  if (s.isDirectory()) return 'csx';
  const head = new Uint8Array(4);
  const handle = await open(path, 'r');
  try {
    await handle.read(head, 0, 4, 0);
  } finally {
    await handle.close();
  }
  if (head[0] === 0x50 && head[1] === 0x4b) return 'cspkg';
  return 'csdef';
}

function wholeFile(file: string, rule: string, message: string): ValidationDiagnostic {
  return { severity: 'error', file, line: 0, column: 0, rule, message };
}

async function source(path: string, shownAs: string, diagnostics: ValidationDiagnostic[]): Promise<SourceFile | undefined> {
  try {
    const s = await stat(path);
    if (!s.isFile()) {
      diagnostics.push(wholeFile(shownAs, 'input.not-a-file', 'This is not a file.'));
      return undefined;
    }
    if (s.size > maxXmlBytes) {
      diagnostics.push(wholeFile(shownAs, 'xml.too-large', `The file is larger than ${maxXmlBytes / 1024 / 1024} MiB; a service file is never that large.`));
      return undefined;
    }
    return { file: shownAs, bytes: await readFile(path) };
  } catch (e) {
    diagnostics.push(wholeFile(shownAs, 'input.not-found', `Cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`));
    return undefined;
  }
}

/** The role folders of a csx-layout root: approot, sitesroot/<n> and RoleModel.xml per role that has them. */
async function roleFolders(root: string, shownRoot: string, diagnostics: ValidationDiagnostic[]): Promise<Omit<ServiceSources, 'definition' | 'configuration'>> {
  const out: Required<Omit<ServiceSources, 'definition' | 'configuration'>> = { roleModels: {}, roleDirectories: {}, siteDirectories: {} };
  const roles = await readdir(join(root, 'roles'), { withFileTypes: true }).catch(() => []);
  for (const r of roles) {
    if (!r.isDirectory()) continue;
    // Absolute: role code and tasks run with approot as their working folder, where a relative path means something else.
    const dir = resolve(root, 'roles', r.name);
    const approot = join(dir, 'approot');
    if ((await stat(approot).catch(() => undefined))?.isDirectory()) out.roleDirectories[r.name] = approot;
    const sites = await readdir(join(dir, 'sitesroot'), { withFileTypes: true }).catch(() => []);
    const indexed: (string | undefined)[] = [];
    for (const s of sites) if (s.isDirectory() && /^\d+$/.test(s.name)) indexed[Number(s.name)] = join(dir, 'sitesroot', s.name);
    if (indexed.length) out.siteDirectories[r.name] = indexed;
    const roleModelPath = join(dir, 'RoleModel.xml');
    if ((await stat(roleModelPath).catch(() => undefined))?.isFile()) {
      const src = await source(roleModelPath, `${shownRoot}/roles/${r.name}/RoleModel.xml`, diagnostics);
      if (src) out.roleModels[r.name] = src;
    }
  }
  return out;
}

/** Finds the definition of a csx folder: ServiceDefinition.csdef, the SDK ≤1.7 ServiceDefinition.build.csdef, or the only .csdef. */
async function findDefinition(folder: string): Promise<string | undefined> {
  const names = (await readdir(folder).catch(() => [] as string[])).filter((n) => n.toLowerCase().endsWith('.csdef'));
  return (
    names.find((n) => n.toLowerCase() === 'servicedefinition.csdef') ??
    names.find((n) => n.toLowerCase() === 'servicedefinition.build.csdef') ??
    (names.length === 1 ? names[0] : undefined)
  );
}

/** Reads and checks a service; never throws for bad input (file-system failures become diagnostics). */
export async function readServicePackage(input: string, options: ReadPackageOptions = {}): Promise<PackageReadResult> {
  const diagnostics: ValidationDiagnostic[] = [];
  const kind = await detectKind(input);
  if (!kind) return { diagnostics: [wholeFile(input, 'input.not-found', 'No such file or folder.')] };
  const configuration = options.configuration ? await source(options.configuration, options.configuration, diagnostics) : undefined;
  let definition: SourceFile | undefined;
  let extra: Omit<ServiceSources, 'definition' | 'configuration'> = {};
  let root: string | undefined;
  try {
    if (kind === 'csdef') {
      definition = await source(input, input, diagnostics);
    } else if (kind === 'csx') {
      const name = await findDefinition(input);
      if (!name) diagnostics.push(wholeFile(input, 'csx.definition-missing', 'The folder holds no ServiceDefinition.csdef (a csx folder from `cspack /copyOnly` has one at its root).'));
      else definition = await source(join(input, name), join(input, name), diagnostics);
      root = input;
      extra = await roleFolders(input, input.replace(/\/+$/, ''), diagnostics);
    } else {
      const target = options.extractTo ?? (await mkdtemp(join(tmpdir(), `fabric-lab-${basename(input).replace(/[^\w.-]/g, '_')}-`)));
      const laid = await layOutCspkg(input, target, options.zipLimits ?? {}, diagnostics);
      if (laid?.definitionPath) {
        const src = await source(laid.definitionPath, laid.definitionName, diagnostics);
        definition = src;
        root = laid.root;
        extra = await roleFolders(laid.root, `${input}!`, diagnostics);
      }
    }
  } catch (e) {
    diagnostics.push(wholeFile(input, 'input.unreadable', `The package could not be read: ${(e as Error).message}.`));
  }
  if (!definition) return { kind, diagnostics };
  const result = readServiceSources({ definition, ...(configuration ? { configuration } : {}), ...extra });
  const all = [...diagnostics, ...result.diagnostics];
  const hasErrors = all.some((d) => d.severity === 'error');
  return { kind, ...(root ? { root } : {}), diagnostics: all, ...(result.model && !hasErrors ? { model: result.model } : {}), definition: { definition, ...extra } };
}
