// Where each log lives: the VM path a support engineer knows (C:\Logs\WaAppAgent.log), and the file under
// the session folder that stands for it. The session tree mirrors the VM's drives:
//   <session>/instances/<deploymentId>/<instanceName>/C/Logs/WaAppAgent.log
//   <session>/fabric/front-end/FrontEnd.log, fabric/fabric-controllers/<pool>/..., fabric/hosts/<hostId>/...
// Names come from packages and users, so every name that becomes a folder is made safe on Windows, macOS
// and Linux, and no VM path can reach outside its instance's folder.
import { isAbsolute, join, relative, sep } from 'node:path';
import type { HostProcess } from './log-formats';
import { pad, utcParts } from './log-time';

export class LogPathError extends Error {
  override readonly name = 'LogPathError';
}

// Windows refuses these as a file name's stem whatever the extension (CON.txt is the console too).
const reservedStem = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i;
// Forbidden on Windows (and `/` everywhere); control characters are legal on Linux but unusable.
const forbidden = /[<>:"/\\|?*\u0000-\u001f]/;
const maxName = 100;

/** FNV-1a, enough to keep two different names that sanitise alike in different folders. */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * One folder name for an id we did not choose (a deployment id, an instance, a pool, a host). Ids the
 * fabric makes (`deployment3(3)`, `WorkerRole1_IN_0`) come back unchanged; anything else has its unsafe
 * characters replaced by `_`, is cut to 100 characters, and gets `~<hash of the original>` so that two
 * different ids never share a folder. The result is never `.`/`..`, reserved, or a path.
 */
export function safeName(id: string): string {
  if (id.length === 0) throw new LogPathError('An empty name cannot name a log folder.');
  let name = id.replace(/[^A-Za-z0-9._()\-]/g, '_').replace(/[. ]+$/, (tail) => '_'.repeat(tail.length));
  if (reservedStem.test(name.split('.')[0] ?? '')) name = `_${name}`;
  if (name === id && name.length <= maxName) return name;
  return `${name.slice(0, maxName - 9)}~${shortHash(id)}`;
}

/** The folder holding one role instance's drives (C, D, E). */
export function instanceFolder(session: string, deploymentId: string, instanceName: string): string {
  return join(session, 'instances', safeName(deploymentId), safeName(instanceName));
}

export type FabricComponent =
  | { kind: 'front-end' }
  | { kind: 'fabric-controller'; pool: string }
  | { kind: 'host-agent'; hostId: string };

/** The fabric's own components log beside the instances, one folder per pool and per host. */
export function fabricLogFile(session: string, component: FabricComponent): string {
  switch (component.kind) {
    case 'front-end':
      return join(session, 'fabric', 'front-end', 'FrontEnd.log');
    case 'fabric-controller':
      return join(session, 'fabric', 'fabric-controllers', safeName(component.pool), 'FabricController.log');
    case 'host-agent':
      return join(session, 'fabric', 'hosts', safeName(component.hostId), 'HostAgent.log');
  }
}

function checkSegment(segment: string, vmPath: string): void {
  const rule = forbidden.test(segment)
    ? 'it holds a character Windows forbids in names (<>:"/\\|?* or a control character)'
    : /[. ]$/.test(segment)
      ? 'Windows drops a trailing dot or space, so the name would not round-trip'
      : reservedStem.test(segment.split('.')[0] ?? '')
        ? 'it is a reserved device name on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9)'
        : segment.length > 255
          ? 'it is longer than the 255 characters a file name may have'
          : null;
  if (rule) throw new LogPathError(`VM path ${JSON.stringify(vmPath)}: "${segment.slice(0, 60)}" cannot be a file name: ${rule}.`);
}

/**
 * The session file standing for a VM path: `C:\Logs\WaAppAgent.log` -> `<instance>/C/Logs/WaAppAgent.log`.
 * `.` segments are dropped (E:\approot\.\startup.cmd is a real spelling); `..` is refused rather than
 * resolved, because nothing on an instance needs it and it is how a path would escape the folder.
 * Names keep their case: the VM is case-insensitive, the session disk may not be, so callers use one
 * spelling per file (the helpers below).
 */
export function vmPathToFile(instanceRoot: string, vmPath: string): string {
  const m = /^([A-Za-z]):[\\/](.*)$/.exec(vmPath);
  if (!m) throw new LogPathError(`VM path ${JSON.stringify(vmPath)} must start with a drive letter and a backslash, like C:\\Logs\\WaAppAgent.log.`);
  const segments = (m[2] ?? '').split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new LogPathError(`VM path ${JSON.stringify(vmPath)} uses "..", which could leave the instance's folder.`);
  if (segments.length === 0) throw new LogPathError(`VM path ${JSON.stringify(vmPath)} names a drive, not a file.`);
  for (const segment of segments) checkSegment(segment, vmPath);
  const file = join(instanceRoot, m[1]!.toUpperCase(), ...segments);
  const rel = relative(instanceRoot, file);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new LogPathError(`VM path ${JSON.stringify(vmPath)} resolves outside the instance's folder.`);
  return file;
}

/** The VM path of a file inside an instance folder (the inverse of vmPathToFile). */
export function fileToVmPath(instanceRoot: string, file: string): string {
  const rel = relative(instanceRoot, file);
  const [drive, ...rest] = rel.split(sep);
  if (!drive || rel.startsWith('..') || isAbsolute(rel) || !/^[A-Z]$/.test(drive) || rest.length === 0) {
    throw new LogPathError(`${file} is not on a drive of the instance folder ${instanceRoot}.`);
  }
  return `${drive}:\\${rest.join('\\')}`;
}

// ---- The real locations (seed, "Log File locations"; fact sheet, "Logs on an instance") -----------------
// On a real VM the deployment ID is a GUID, so the seed's <guid>.<role> and <deploymentID>.<role> name the
// same folder; Fabric Lab's ids look like deployment3(3) and are used for both.

export const waAppAgentLogPath = 'C:\\Logs\\WaAppAgent.log';
export const appAgentRuntimeLogPath = 'C:\\Logs\\AppAgentRuntime.log';
export const roleModelPath = 'E:\\RoleModel.xml';
/** The "Windows Azure" channel. The real file is `Windows Azure.evtx` (binary); ours holds JSON lines. */
export const windowsAzureEventLogPath = 'D:\\Windows\\System32\\Winevt\\Logs\\Windows Azure.evtx.jsonl';

/** C:\Resources\Directory\<deploymentID>.<role>: the role's resource folder (WaIISHost.log, IISConfigurator.log). */
export function roleDirectory(deploymentId: string, role: string): string {
  return `C:\\Resources\\Directory\\${safeName(deploymentId)}.${safeName(role)}`;
}

/** C:\Resources\Directory\<deploymentID>.<role>.DiagnosticStore */
export function diagnosticStore(deploymentId: string, role: string): string {
  return `${roleDirectory(deploymentId, role)}.DiagnosticStore`;
}

export function waHostBootstrapperLogPath(deploymentId: string, role: string): string {
  return `${diagnosticStore(deploymentId, role)}\\WaHostBootstrapper.log`;
}

/**
 * WaWebHost.log, WaIISHost.log and IISConfigurator.log sit in the role's resource folder. WaWorkerHost.log
 * is not in the seed's list; Fabric Lab puts it beside them.
 */
export function hostProcessLogPath(deploymentId: string, role: string, process: HostProcess): string {
  return `${roleDirectory(deploymentId, role)}\\${process}.log`;
}

/**
 * IIS starts a new file each UTC day: ...DiagnosticStore\LogFiles\W3SVC<siteId>\u_exYYMMDD.log. The folder is
 * named after the IIS site id: 1 for the first site (and an HWC role's only site), 2, 3 ... for the others.
 */
export function iisLogPath(deploymentId: string, role: string, at: number, siteId = 1): string {
  if (!Number.isInteger(siteId) || siteId < 1) throw new LogPathError(`IIS site ids start at 1; ${siteId} cannot name a W3SVC folder.`);
  const p = utcParts(at);
  return `${diagnosticStore(deploymentId, role)}\\LogFiles\\W3SVC${siteId}\\u_ex${pad(p.year % 100, 2)}${pad(p.month, 2)}${pad(p.day, 2)}.log`;
}

/** C:\Config\<deploymentID>.<role>.<version>.xml: the runtime configuration the guest agent writes. */
export function roleConfigPath(deploymentId: string, role: string, version: number | string): string {
  return `C:\\Config\\${safeName(deploymentId)}.${safeName(role)}.${safeName(String(version))}.xml`;
}
