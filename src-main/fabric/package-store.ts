// The packages the fabric can deploy: the samples under resources/samples (each a csx-layout folder with its
// ServiceConfiguration.cscfg and a README), packages uploaded through the API (files written under the
// session's work folder, then read like any other), and packages on disk (the CLI). Every one is read and
// checked by src-main/package before anything can deploy it.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PackageView, SampleInfo } from '../common/fabric-api';
import { FabricErrors } from '../common/fabric-errors';
import type { ServiceModel, ValidationDiagnostic } from '../common/service-model';
import { readServicePackage, type PackageReadResult } from '../package/index';

interface StoredPackage {
  view: PackageView;
  model?: ServiceModel;
  /** The definition's files, against which a later configuration change is checked. */
  definition?: PackageReadResult['definition'];
}

/** Limits for an upload: what a real .cspkg or csx folder of a small service needs, and no more. */
export const uploadLimits = { files: 2_000, bytes: 48 * 1024 * 1024 };
/** Uploaded packages kept; older ones are forgotten (their files stay in the session folder). */
const keptUploads = 50;

export class PackageStore {
  private readonly samples = new Map<string, StoredPackage & { info: SampleInfo }>();
  private readonly uploads = new Map<string, StoredPackage>();

  constructor(
    private readonly samplesDir: string,
    private readonly workDir: string,
  ) {}

  /** Read every sample folder; a broken sample is listed with its diagnostics, not dropped. */
  async loadSamples(): Promise<void> {
    const entries = await readdir(this.samplesDir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
      const folder = join(this.samplesDir, entry.name);
      const result = withEntryModules(await readServicePackage(folder, { configuration: join(folder, 'ServiceConfiguration.cscfg') }));
      const readme = await readFile(join(folder, 'README.md'), 'utf8').catch(() => '');
      const view = packageView(`sample:${entry.name}`, 'sample', entry.name, result, this.samplesDir);
      const info: SampleInfo = { id: entry.name, ...describe(readme, entry.name), readme, valid: view.valid };
      this.samples.set(entry.name, { view, info, ...(result.model ? { model: result.model } : {}), definition: shownDefinition(result.definition, this.samplesDir) });
    }
  }

  sampleInfos(): SampleInfo[] {
    return [...this.samples.values()].map((s) => s.info);
  }

  /** The model to deploy for a sample id or an opened package id; BadRequest when the package has errors. */
  modelFor(request: { sample?: string; packageId?: string }, requestId?: string): ServiceModel {
    const stored = request.sample !== undefined ? this.samples.get(request.sample) : this.uploads.get(request.packageId ?? '');
    if (!stored) {
      if (request.sample !== undefined) {
        throw FabricErrors.sampleNotFound(request.sample, [...this.samples.keys()]);
      }
      throw FabricErrors.packageNotFound(request.packageId ?? '');
    }
    if (!stored.model) {
      const errors = stored.view.diagnostics.filter((d) => d.severity === 'error');
      const first = errors[0];
      throw FabricErrors.packageHasErrors(stored.view.name, errors.length, first && `${first.file}:${first.line}:${first.column} [${first.rule}] ${first.message}`, requestId);
    }
    return stored.model;
  }

  /** The definition files of a deployable sample or package (see modelFor), kept by the deployment. */
  definitionFor(request: { sample?: string; packageId?: string }): PackageReadResult['definition'] {
    return (request.sample !== undefined ? this.samples.get(request.sample) : this.uploads.get(request.packageId ?? ''))?.definition;
  }

  sample(id: string): PackageView | undefined {
    return this.samples.get(id)?.view;
  }

  /** Write uploaded files (paths relative to what the user chose) into a new folder, then read the package. */
  async openUpload(files: { path: string; data: string }[]): Promise<PackageView> {
    if (files.length === 0) throw FabricErrors.emptyUpload();
    if (files.length > uploadLimits.files) throw FabricErrors.uploadHasTooManyFiles(uploadLimits.files, files.length);
    const id = randomUUID();
    const folder = join(this.workDir, 'packages', id);
    let total = 0;
    const written: string[] = [];
    for (const file of files) {
      const relative = safeRelativePath(file.path);
      const bytes = Buffer.from(file.data, 'base64');
      total += bytes.length;
      if (total > uploadLimits.bytes) throw FabricErrors.uploadTooLarge(uploadLimits.bytes);
      const target = join(folder, 'upload', relative);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, bytes, { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
        throw error.code === 'EEXIST' ? FabricErrors.uploadNamesFileTwice(file.path) : FabricErrors.uploadNotStored(file.path, error.message);
      });
      written.push(relative);
    }
    const { definition, configuration, problem } = await pickInputs(join(folder, 'upload'), written);
    const result: PackageReadResult = problem
      ? { diagnostics: [problem] }
      : withEntryModules(await readServicePackage(definition!, { ...(configuration ? { configuration } : {}), extractTo: join(folder, 'extracted') }));
    return this.remember(id, 'upload', result, join(folder, 'upload'), definition ? basename(definition) : 'upload');
  }

  /** Read a package from disk (the CLI): a csx folder, .cspkg or .csdef, and its .cscfg. */
  async openFromDisk(definition: string, configuration: string | undefined): Promise<PackageView> {
    const result = withEntryModules(await readServicePackage(definition, configuration ? { configuration } : {}));
    return this.remember(randomUUID(), 'disk', result, process.cwd(), basename(definition));
  }

  /** `fallbackName`: what the package is called when its definition could not be read (the file the user chose). */
  private remember(id: string, source: PackageView['source'], result: PackageReadResult, shownFrom: string, fallbackName: string): PackageView {
    const view = packageView(id, source, fallbackName, result, shownFrom);
    this.uploads.set(id, { view, ...(result.model ? { model: result.model } : {}), definition: shownDefinition(result.definition, shownFrom) });
    for (const old of this.uploads.keys()) {
      if (this.uploads.size <= keptUploads) break;
      this.uploads.delete(old);
    }
    return view;
  }
}

/** Diagnostics about a later configuration name the definition's files as the package's report does. */
function shownDefinition(definition: PackageReadResult['definition'], shownFrom: string): PackageReadResult['definition'] {
  if (!definition) return undefined;
  const shown = (file: string) => (file.startsWith(shownFrom) ? file.slice(shownFrom.length).replace(/^[\\/]+/, '') : file);
  const roleModels = Object.fromEntries(Object.entries(definition.roleModels ?? {}).map(([role, source]) => [role, { ...source, file: shown(source.file) }]));
  return { ...definition, definition: { ...definition.definition, file: shown(definition.definition.file) }, roleModels };
}

function packageView(packageId: string, source: PackageView['source'], name: string, result: PackageReadResult, shownFrom: string): PackageView {
  // Diagnostics name files relative to what the user chose, not the fabric's own folders.
  const shown = (file: string) => (file.startsWith(shownFrom) ? file.slice(shownFrom.length).replace(/^[\\/]+/, '') : file);
  return {
    packageId,
    source,
    name: result.model?.name ?? name,
    valid: result.model !== undefined,
    diagnostics: result.diagnostics.map((d) => ({ ...d, file: shown(d.file) })),
    roles: result.model?.roles.map(({ directory: _directory, entryModule: _entryModule, ...role }) => role) ?? [],
  };
}

/**
 * The JavaScript role entry point a role's approot holds (docs/ROLE-CODE.md): named after the csdef's
 * NetFxEntryPoint assembly (WorkerRole1.dll -> WorkerRole1.mjs, .js or .cjs), else RoleEntryPoint.mjs/.js/.cjs;
 * in approot or, for web roles, approot/bin.
 */
function withEntryModules(result: PackageReadResult): PackageReadResult {
  for (const role of result.model?.roles ?? []) {
    if (!role.directory) continue;
    const entry = role.runtime.entryPoint;
    const bases = [...(entry?.kind === 'NetFxEntryPoint' ? [entry.assemblyName.replace(/\.dll$/i, '')] : []), 'RoleEntryPoint'];
    const found = bases
      .flatMap((base) => ['.mjs', '.js', '.cjs'].map((ext) => base + ext))
      .flatMap((name) => [join(role.directory!, name), join(role.directory!, 'bin', name)])
      .find((path) => existsSync(path));
    if (found) role.entryModule = found;
  }
  return result;
}

/** Title and summary of a sample: its README's heading and first paragraph. */
function describe(readme: string, fallback: string): { title: string; summary: string } {
  const lines = readme.split(/\r?\n/);
  const title = lines.find((l) => l.startsWith('# '))?.slice(2).trim() ?? fallback;
  const start = lines.findIndex((l) => l.startsWith('# ')) + 1;
  const paragraph: string[] = [];
  for (const line of lines.slice(start)) {
    if (line.trim() === '') {
      if (paragraph.length) break;
      continue;
    }
    paragraph.push(line.trim());
  }
  // The summary is shown as plain text: Markdown's code marks would only get in the way.
  return { title, summary: paragraph.join(' ').replace(/`/g, '') };
}

/** An upload's relative path, refused if it could land outside the upload folder. */
function safeRelativePath(path: string): string {
  const normal = posix.normalize(path.replace(/\\/g, '/'));
  if (normal === '.' || normal.startsWith('../') || normal === '..' || posix.isAbsolute(normal) || /^[a-zA-Z]:/.test(normal) || normal.includes('\0')) {
    throw FabricErrors.uploadPathOutside(path);
  }
  return normal;
}

/**
 * Which uploaded file is the definition and which the configuration: a .cspkg, else a folder holding a .csdef
 * and roles/ (csx layout), else the one .csdef; and the one .cscfg.
 */
async function pickInputs(root: string, files: string[]): Promise<{ definition?: string; configuration?: string; problem?: ValidationDiagnostic }> {
  const problem = (message: string): { problem: ValidationDiagnostic } => ({ problem: { severity: 'error', file: '(upload)', line: 0, column: 0, rule: 'upload.layout', message } });
  const configs = files.filter((f) => f.toLowerCase().endsWith('.cscfg'));
  if (configs.length > 1) return problem(`Choose one configuration; the upload holds ${configs.length} .cscfg files (${configs.join(', ')}).`);
  const configuration = configs[0] ? join(root, configs[0]) : undefined;
  const cspkgs = files.filter((f) => f.toLowerCase().endsWith('.cspkg'));
  if (cspkgs.length > 1) return problem(`Choose one package; the upload holds ${cspkgs.length} .cspkg files.`);
  if (cspkgs[0]) return { definition: join(root, cspkgs[0]), configuration };
  const csdefs = files.filter((f) => f.toLowerCase().endsWith('.csdef'));
  if (csdefs.length === 0) return problem('The upload holds no .cspkg and no .csdef.');
  for (const csdef of csdefs) {
    const folder = dirname(join(root, csdef));
    if ((await stat(join(folder, 'roles')).catch(() => undefined))?.isDirectory()) return { definition: folder, configuration };
  }
  if (csdefs.length > 1) return problem(`Choose one definition; the upload holds ${csdefs.length} .csdef files.`);
  return { definition: join(root, csdefs[0]!), configuration };
}

/** Where the samples ship: resources/samples beside the app (out/main and src-main/fabric are both two levels down). */
export function defaultSamplesDir(): string {
  return fileURLToPath(new URL('../../resources/samples/', import.meta.url));
}
