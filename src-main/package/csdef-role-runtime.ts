// What runs in a csdef role: startup tasks, the runtime (environment, entry point) and IIS sites.
// RoleModel.xml (in a csx or cspkg) holds the same elements, so both readers use these functions.
import type { RoleType, SiteFolder } from '../common/service-model';
import type { DefRole, DefSite, DefTask, DefVariable } from './definition-types';
import { at, type FileReader, reportDuplicates } from './reader-context';
import { attributeNamed, childNamed, childrenNamed, type XmlElement } from './xml-tree';

const executionContexts = ['limited', 'elevated'] as const;

export function readStartup(role: XmlElement, reader: FileReader): DefTask[] {
  const tasks: DefTask[] = [];
  for (const startup of childrenNamed(role, 'Startup')) {
    reader.attributes(startup, ['priority']);
    reader.children(startup, ['Task']);
    for (const t of childrenNamed(startup, 'Task')) {
      reader.attributes(t, ['commandLine', 'executionContext', 'taskType', 'relativePath']);
      reader.children(t, ['Environment']);
      const commandLine = reader.requiredName(t, 'commandLine') ?? '';
      const executionContext = reader.oneOf(t, 'executionContext', executionContexts, { rule: 'execution-context', fallback: 'limited' }) ?? 'limited';
      const taskType = reader.oneOf(t, 'taskType', ['simple', 'foreground', 'background'] as const, { rule: 'task-type', fallback: 'simple' }) ?? 'simple';
      const relativePath = reader.optional(t, 'relativePath');
      tasks.push({ commandLine, executionContext, taskType, ...(relativePath !== undefined ? { relativePath } : {}), environment: readEnvironment(t, reader), at: at(t) });
    }
  }
  return tasks;
}

export function readRuntime(role: XmlElement, reader: FileReader, type: RoleType): DefRole['runtime'] {
  const runtime = childNamed(role, 'Runtime');
  if (!runtime) return { executionContext: 'limited', environment: [] };
  reader.attributes(runtime, ['executionContext']);
  reader.children(runtime, ['Environment', 'EntryPoint']);
  const executionContext = reader.oneOf(runtime, 'executionContext', executionContexts, { rule: 'execution-context', fallback: 'limited' }) ?? 'limited';
  const environment = readEnvironment(runtime, reader);
  const entry = childNamed(runtime, 'EntryPoint');
  if (!entry) return { executionContext, environment };
  reader.children(entry, ['NetFxEntryPoint', 'ProgramEntryPoint']);
  const kinds = entry.children.filter((c) => c.uri === entry.uri && (c.local === 'NetFxEntryPoint' || c.local === 'ProgramEntryPoint'));
  if (kinds.length !== 1) {
    reader.error(entry, 'entry-point', `<EntryPoint> holds exactly one <NetFxEntryPoint> or <ProgramEntryPoint> (found ${kinds.length}).`);
  }
  const first = kinds[0];
  if (!first) return { executionContext, environment };
  if (first.local === 'NetFxEntryPoint') {
    reader.attributes(first, ['assemblyName', 'targetFrameworkVersion']);
    const assemblyName = reader.requiredName(first, 'assemblyName') ?? '';
    const targetFrameworkVersion = reader.optional(first, 'targetFrameworkVersion');
    return { executionContext, environment, entryPoint: { kind: 'NetFxEntryPoint', assemblyName, ...(targetFrameworkVersion ? { targetFrameworkVersion } : {}) } };
  }
  reader.attributes(first, ['commandLine', 'setReadyOnProcessStart']);
  if (type === 'WebRole') {
    reader.error(first, 'entry-point', '<ProgramEntryPoint> is for worker roles; a web role\'s entry point is a <NetFxEntryPoint> (or none).');
  }
  const commandLine = reader.requiredName(first, 'commandLine') ?? '';
  // Microsoft's schema: required, and "must be set to true at this time" (false is reserved for future use).
  const readyAttr = reader.required(first, 'setReadyOnProcessStart');
  const setReadyOnProcessStart = reader.bool(first, 'setReadyOnProcessStart', true);
  if (readyAttr && !setReadyOnProcessStart) {
    reader.error(readyAttr, 'set-ready-on-process-start', 'setReadyOnProcessStart must be "true": Azure accepts no other value (false is reserved), and the role is Ready as soon as its program has started.');
  }
  return { executionContext, environment, entryPoint: { kind: 'ProgramEntryPoint', commandLine, setReadyOnProcessStart } };
}

/** <Environment><Variable name value/> or <Variable name><RoleInstanceValue xpath/></Variable>: exactly one source. */
export function readEnvironment(parent: XmlElement, reader: FileReader): DefVariable[] {
  const vars: DefVariable[] = [];
  for (const env of childrenNamed(parent, 'Environment')) {
    reader.children(env, ['Variable']);
    for (const v of childrenNamed(env, 'Variable')) {
      reader.attributes(v, ['name', 'value']);
      reader.children(v, ['RoleInstanceValue']);
      const name = reader.requiredName(v) ?? '';
      const value = attributeNamed(v, 'value');
      const riv = childrenNamed(v, 'RoleInstanceValue');
      if ((value ? 1 : 0) + riv.length !== 1) {
        reader.error(v, 'variable-value', `Variable "${name}" needs exactly one of a value="..." attribute or a <RoleInstanceValue xpath="..."/> child.`);
      }
      if (value) {
        vars.push({ name, value: value.value, at: at(v) });
      } else if (riv[0]) {
        reader.attributes(riv[0], ['xpath']);
        const xpath = reader.requiredName(riv[0], 'xpath');
        if (xpath !== undefined) {
          if (!parseRoleInstanceXpath(xpath)) {
            reader.warn(riv[0], 'xpath', `RoleInstanceValue xpath "${xpath}" is not one of the forms the role environment answers (Deployment/@id|@emulated, CurrentInstance/@id|@roleName|@faultDomain|@updateDomain, its Endpoints, LocalResources or ConfigurationSettings); it will be empty.`);
          }
          vars.push({ name, roleInstanceValue: xpath, at: at(riv[0]) });
        }
      }
    }
  }
  reportDuplicates(reader, vars, 'variable-duplicate', (v) => `Environment variable "${v.name}"`, true);
  return vars;
}

export type RoleInstanceXpath =
  | { kind: 'deployment' | 'instance'; attribute: string }
  | { kind: 'endpoint' | 'localResource' | 'setting'; name: string; attribute: string };

/** The xpath forms the runtime answers in RoleInstanceValue (Microsoft's "xpath values" reference). */
export function parseRoleInstanceXpath(xpath: string): RoleInstanceXpath | undefined {
  const x = xpath.trim();
  let m = /^\/RoleEnvironment\/Deployment\/@(id|emulated)$/.exec(x);
  if (m) return { kind: 'deployment', attribute: m[1]! };
  m = /^\/RoleEnvironment\/CurrentInstance\/@(id|roleName|faultDomain|updateDomain)$/.exec(x);
  if (m) return { kind: 'instance', attribute: m[1]! };
  m = /^\/RoleEnvironment\/CurrentInstance\/Endpoints\/Endpoint\[@name=(['"])(.+?)\1\]\/@(port|address|protocol|publicPort)$/.exec(x);
  if (m) return { kind: 'endpoint', name: m[2]!, attribute: m[3]! };
  m = /^\/RoleEnvironment\/CurrentInstance\/LocalResources\/LocalResource\[@name=(['"])(.+?)\1\]\/@(path|sizeInMB)$/.exec(x);
  if (m) return { kind: 'localResource', name: m[2]!, attribute: m[3]! };
  m = /^\/RoleEnvironment\/CurrentInstance\/ConfigurationSettings\/ConfigurationSetting\[@name=(['"])(.+?)\1\]\/@value$/.exec(x);
  if (m) return { kind: 'setting', name: m[2]!, attribute: 'value' };
  return undefined;
}

export function readSites(role: XmlElement, reader: FileReader): DefSite[] {
  const sites: DefSite[] = [];
  for (const list of childrenNamed(role, 'Sites')) {
    reader.children(list, ['Site']);
    for (const s of childrenNamed(list, 'Site')) {
      reader.attributes(s, ['name', 'physicalDirectory']);
      reader.children(s, ['Bindings', 'VirtualApplication', 'VirtualDirectory']);
      const name = reader.requiredName(s) ?? '';
      const physicalDirectory = reader.optional(s, 'physicalDirectory');
      const bindings = childrenNamed(s, 'Bindings').flatMap((b) => {
        reader.children(b, ['Binding']);
        return childrenNamed(b, 'Binding').map((x) => {
          reader.attributes(x, ['name', 'endpointName', 'hostHeader']);
          const hostHeader = reader.optional(x, 'hostHeader');
          return { name: reader.requiredName(x) ?? '', endpointName: reader.requiredName(x, 'endpointName') ?? '', ...(hostHeader ? { hostHeader } : {}), at: at(x) };
        });
      });
      sites.push({
        name,
        ...(physicalDirectory !== undefined ? { physicalDirectory } : {}),
        bindings,
        virtualApplications: folders(s, 'VirtualApplication', reader),
        virtualDirectories: folders(s, 'VirtualDirectory', reader),
        at: at(s),
      });
    }
  }
  reportDuplicates(reader, sites, 'site-duplicate', (s) => `Site "${s.name}"`, true);
  return sites;
}

function folders(site: XmlElement, local: string, reader: FileReader): SiteFolder[] {
  return childrenNamed(site, local).map((f) => {
    reader.attributes(f, ['name', 'physicalDirectory']);
    // Nested VirtualDirectory/VirtualApplication are accepted and not modelled: IIS paths inside a site.
    const physicalDirectory = reader.optional(f, 'physicalDirectory');
    return { name: reader.requiredName(f) ?? '', ...(physicalDirectory !== undefined ? { physicalDirectory } : {}) };
  });
}
