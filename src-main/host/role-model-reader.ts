// WaHostBootstrapper's input (seed, step 7): E:\RoleModel.xml, as cspack writes it, names the startup tasks in
// order and the sites IISConfigurator sets up. The bootstrapper reads both from the file on the instance's E:,
// not from the fabric's goal state, so what a package's RoleModel.xml says is what runs. Only what the
// bootstrapper needs is read; a file it cannot use is refused with its line and the rule, and the role does not
// start. No DOCTYPE is accepted, and saxes expands no entity but the five predefined ones.
import { readFileSync } from 'node:fs';
import { SaxesParser } from 'saxes';
import { roleModelPath, vmPathToFile } from '../logs/instance-paths';
import type { EnvironmentVariable, ExecutionContext, StartupTask, StartupTaskType } from '../common/service-model';

export interface RoleModelSite {
  name: string;
  endpointNames: string[];
}

export interface RoleModelOnDrive {
  version: string | null;
  tasks: StartupTask[];
  sites: RoleModelSite[];
}

/** A RoleModel.xml the bootstrapper cannot run from: `file:line:column: [rule] message`. */
export class RoleModelError extends Error {}

const taskTypes: readonly StartupTaskType[] = ['simple', 'background', 'foreground'];
const contexts: readonly ExecutionContext[] = ['limited', 'elevated'];

/** E:\RoleModel.xml of the instance whose drives are under `instanceRoot`. */
export function readRoleModelFile(instanceRoot: string): RoleModelOnDrive {
  let xml: string;
  try {
    xml = readFileSync(vmPathToFile(instanceRoot, roleModelPath), 'utf8');
  } catch (error) {
    throw new RoleModelError(`${roleModelPath}: [rolemodel.missing] The file cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
  }
  return readRoleModel(xml, roleModelPath);
}

/** Reads the parts of RoleModel.xml the bootstrapper runs: Startup/Task (with Environment) and Sites/Site/Bindings. */
export function readRoleModel(xml: string, shownAs: string): RoleModelOnDrive {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const model: RoleModelOnDrive = { version: null, tasks: [], sites: [] };
  const path: string[] = [];
  let task: StartupTask | null = null;
  let variable: EnvironmentVariable | null = null;
  let site: RoleModelSite | null = null;
  let sawRoot = false;
  const fail = (rule: string, message: string): never => {
    throw new RoleModelError(`${shownAs}:${parser.line}:${parser.column}: [${rule}] ${message}`);
  };
  parser.on('doctype', () => fail('rolemodel.doctype', 'A DOCTYPE is not allowed in RoleModel.xml.'));
  parser.on('error', (error) => fail('rolemodel.xml', error.message.replace(/^(?:[^:]*:)?\d+:\d+: /, '')));
  parser.on('opentag', (tag) => {
    const attribute = (name: string) => tag.attributes[name]?.value;
    const where = [...path, tag.local].join('/');
    path.push(tag.local);
    if (path.length === 1) {
      if (tag.local !== 'RoleModel') fail('rolemodel.root', `The root element is <${tag.local}>; RoleModel.xml has <RoleModel>.`);
      sawRoot = true;
    }
    if (where === 'RoleModel') model.version = attribute('version') ?? null;
    else if (where === 'RoleModel/Startup/Task') {
      const commandLine = attribute('commandLine');
      if (!commandLine) fail('rolemodel.task-command', 'A startup <Task> needs a commandLine.');
      const taskType = (attribute('taskType') ?? 'simple') as StartupTaskType;
      if (!taskTypes.includes(taskType)) fail('rolemodel.task-type', `taskType "${taskType}" is not one of ${taskTypes.join(', ')}.`);
      const executionContext = (attribute('executionContext') ?? 'limited') as ExecutionContext;
      if (!contexts.includes(executionContext)) fail('rolemodel.task-context', `executionContext "${executionContext}" is not one of ${contexts.join(', ')}.`);
      const relativePath = attribute('relativePath');
      task = { commandLine: commandLine!, taskType, executionContext, ...(relativePath ? { relativePath } : {}), environment: [] };
    } else if (where === 'RoleModel/Startup/Task/Environment/Variable') {
      const name = attribute('name');
      if (!name) fail('rolemodel.variable-name', 'An environment <Variable> needs a name.');
      const value = attribute('value');
      variable = { name: name!, ...(value !== undefined ? { value } : {}) };
    } else if (where === 'RoleModel/Startup/Task/Environment/Variable/RoleInstanceValue' && variable) {
      const xpath = attribute('xpath');
      if (!xpath) fail('rolemodel.variable-xpath', `<RoleInstanceValue> of variable ${variable.name} needs an xpath.`);
      variable.roleInstanceValue = xpath!;
    } else if (where === 'RoleModel/Sites/Site') {
      const name = attribute('name');
      if (!name) fail('rolemodel.site-name', 'A <Site> needs a name.');
      site = { name: name!, endpointNames: [] };
    } else if (where === 'RoleModel/Sites/Site/Bindings/Binding' && site) {
      const endpointName = attribute('endpointName');
      if (!endpointName) fail('rolemodel.binding-endpoint', `A <Binding> of site ${site.name} needs an endpointName.`);
      site.endpointNames.push(endpointName!);
    }
  });
  parser.on('closetag', () => {
    const where = path.join('/');
    path.pop();
    if (where === 'RoleModel/Startup/Task' && task) {
      // cspack names an Import's task by its RdModuleName variable.
      const module = task.environment?.find((v) => v.name === 'RdModuleName')?.value;
      model.tasks.push(module ? { ...task, module } : task);
      task = null;
    } else if (where === 'RoleModel/Startup/Task/Environment/Variable' && variable && task) {
      task.environment!.push(variable);
      variable = null;
    } else if (where === 'RoleModel/Sites/Site' && site) {
      model.sites.push(site);
      site = null;
    }
  });
  parser.write(xml).close();
  if (!sawRoot) fail('rolemodel.root', 'The file has no <RoleModel> element.');
  return model;
}
