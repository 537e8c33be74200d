// From the bytes of a csdef (+ cscfg, + the RoleModel.xml files of a csx/cspkg) to a checked ServiceModel.
// Pure: no file system. All diagnostics of all files are collected; the model comes only without errors.
import type { RoleModel, ServiceModel, ValidationDiagnostic, ValidationResult } from '../common/service-model';
import { readConfiguration } from './cscfg-reader';
import { definitionNamespace, readDefinition } from './csdef-reader';
import { readRuntime, readSites, readStartup } from './csdef-role-runtime';
import { checkDefinition, checkPair } from './cross-checks';
import type { DefRole, ServiceConfigurationDoc, ServiceDefinitionDoc } from './definition-types';
import { expandImports, waRoleTypeOf } from './import-expansion';
import { FileReader } from './reader-context';
import { decodeXml, parseXml, type XmlElement } from './xml-tree';

export interface SourceFile {
  /** The name diagnostics show: the path the user gave, or the path inside a package. */
  file: string;
  bytes: Uint8Array;
}

export interface ServiceSources {
  definition: SourceFile;
  configuration?: SourceFile;
  /** roles/<Role>/RoleModel.xml of a csx or cspkg: startup, runtime and sites of an expanded csdef. */
  roleModels?: Record<string, SourceFile>;
  /** Absolute approot per role, when the package has one. */
  roleDirectories?: Record<string, string>;
  /** Absolute sitesroot/<index> folders per role, in site order, when the package has them. */
  siteDirectories?: Record<string, (string | undefined)[]>;
}

function parse(source: SourceFile, diagnostics: ValidationDiagnostic[]): XmlElement | undefined {
  const result = parseXml(decodeXml(source.bytes), source.file);
  diagnostics.push(...result.diagnostics);
  return result.root;
}

export function readServiceSources(sources: ServiceSources): ValidationResult {
  const diagnostics: ValidationDiagnostic[] = [];
  const defRoot = parse(sources.definition, diagnostics);
  const defReader = new FileReader(sources.definition.file, 'csdef', diagnostics);
  const def = defRoot ? readDefinition(defRoot, defReader) : undefined;
  let cfg: ServiceConfigurationDoc | undefined;
  const cfgReader = sources.configuration ? new FileReader(sources.configuration.file, 'cscfg', diagnostics) : undefined;
  if (sources.configuration && cfgReader) {
    const cfgRoot = parse(sources.configuration, diagnostics);
    cfg = cfgRoot ? readConfiguration(cfgRoot, cfgReader) : undefined;
  }
  if (def) {
    for (const role of def.roles) {
      const roleModel = sources.roleModels?.[role.name];
      const fromRoleModel = roleModel ? mergeRoleModel(role, roleModel, diagnostics) : false;
      expandImports(role, waRoleTypeOf(role), defReader, fromRoleModel);
    }
    checkDefinition(def, defReader);
    if (cfg && cfgReader) checkPair(def, cfg, cfgReader);
  }
  const sorted = sortDiagnostics(diagnostics);
  if (!def || !cfg || sorted.some((d) => d.severity === 'error')) return { diagnostics: sorted };
  return { model: buildModel(def, cfg, sources), diagnostics: sorted };
}

/**
 * An expanded csdef (what cspack writes into a csx or cspkg) has lost Startup, Runtime and Sites to the
 * role's RoleModel.xml; take them from there. Returns true when the tasks came from RoleModel.xml, whose
 * plugin tasks cspack has already expanded.
 */
function mergeRoleModel(role: DefRole, source: SourceFile, diagnostics: ValidationDiagnostic[]): boolean {
  const root = parse(source, diagnostics);
  if (!root) return false;
  const reader = new FileReader(source.file, 'rolemodel', diagnostics);
  if (root.local !== 'RoleModel') {
    reader.error(root, 'root', `The root element is <${root.local}>; a role model starts with <RoleModel>.`);
    return false;
  }
  // SDK 1.0 role models have no namespace and only Properties: nothing to take from them.
  if (root.uri !== definitionNamespace) return false;
  reader.children(root, ['Startup', 'Runtime', 'ConfigurationSettings', 'Properties', 'Sites']);
  let tasksFromModel = false;
  if (!role.has.startup) {
    role.tasks = readStartup(root, reader).map((t) => {
      const module = t.environment.find((v) => v.name === 'RdModuleName')?.value;
      return module ? { ...t, module } : t;
    });
    tasksFromModel = true;
    if (role.imports.length === 0) {
      const modules = [...new Set(role.tasks.flatMap((t) => (t.module ? [t.module] : [])))];
      role.imports = modules.map((moduleName) => ({ moduleName, at: role.at }));
    }
  }
  if (!role.has.runtime) role.runtime = readRuntime(root, reader, role.type);
  if (!role.has.sites && role.type === 'WebRole') role.sites = readSites(root, reader);
  return tasksFromModel;
}

/** By file (in the order files were read), then position, so a report reads top to bottom. */
function sortDiagnostics(list: ValidationDiagnostic[]): ValidationDiagnostic[] {
  const fileOrder = new Map<string, number>();
  for (const d of list) if (!fileOrder.has(d.file)) fileOrder.set(d.file, fileOrder.size);
  return list
    .map((d, i) => ({ d, i }))
    .sort((a, b) => fileOrder.get(a.d.file)! - fileOrder.get(b.d.file)! || a.d.line - b.d.line || a.d.column - b.d.column || a.i - b.i)
    .map((x) => x.d);
}

/** Deep copy without the `at` positions the readers carry, leaving plain serializable data. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === 'at' || key === 'certificateAt' ? undefined : v))) as T;
}

function buildModel(def: ServiceDefinitionDoc, cfg: ServiceConfigurationDoc, sources: ServiceSources): ServiceModel {
  const roles = def.roles.map((role): RoleModel => {
    const cr = cfg.roles.find((r) => r.name === role.name)!;
    const directory = sources.roleDirectories?.[role.name];
    const siteDirs = sources.siteDirectories?.[role.name] ?? [];
    return plain({
      name: role.name,
      type: role.type,
      vmSize: role.vmSize,
      instanceCount: cr.instanceCount ?? 1,
      startupTasks: role.tasks,
      waRoleType: waRoleTypeOf(role),
      enableNativeCodeExecution: role.enableNativeCodeExecution,
      endpoints: { input: role.input, internal: role.internal, instanceInput: role.instanceInput },
      settings: role.settings.map((s) => ({
        name: s.name,
        value: cr.settings.find((v) => v.name === s.name)?.value ?? '',
        ...(s.module ? { module: s.module } : {}),
      })),
      localResources: role.localResources,
      certificates: role.certificates.map((c) => {
        const value = cr.certificates.find((v) => v.name === c.name);
        return { ...c, thumbprint: value?.thumbprint ?? '', thumbprintAlgorithm: value?.thumbprintAlgorithm ?? 'sha1' };
      }),
      imports: role.imports.map((i) => i.moduleName),
      runtime: role.runtime,
      sites: role.sites.map((s, index) => {
        const dir = siteDirs[index];
        return { ...s, ...(dir ? { directory: dir } : {}) };
      }),
      ...(directory ? { directory } : {}),
    });
  });
  return plain({
    name: def.name,
    upgradeDomainCount: def.upgradeDomainCount,
    roles,
    loadBalancerProbes: def.probes,
    networkTrafficRules: def.trafficRules,
    ...(cfg.osFamily !== undefined ? { osFamily: cfg.osFamily } : {}),
    ...(cfg.osVersion !== undefined ? { osVersion: cfg.osVersion } : {}),
  });
}

