// VM paths to session files: the drives are mirrored, names are safe on every OS, nothing escapes.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  appAgentRuntimeLogPath,
  fabricLogFile,
  fileToVmPath,
  hostProcessLogPath,
  iisLogPath,
  instanceFolder,
  LogPathError,
  roleConfigPath,
  roleModelPath,
  safeName,
  vmPathToFile,
  waAppAgentLogPath,
  waHostBootstrapperLogPath,
  windowsAzureEventLogPath,
} from '../../src-main/logs/instance-paths';

const session = join('/', 'sessions', 's1');
const root = instanceFolder(session, 'deployment3(3)', 'WorkerRole1_IN_0');

describe('instance folders', () => {
  it('keeps the ids the fabric makes as they are', () => {
    expect(root).toBe(join(session, 'instances', 'deployment3(3)', 'WorkerRole1_IN_0'));
  });

  it('gives the fabric components their own folders', () => {
    expect(fabricLogFile(session, { kind: 'front-end' })).toBe(join(session, 'fabric', 'front-end', 'FrontEnd.log'));
    expect(fabricLogFile(session, { kind: 'fabric-controller', pool: 'pool-a' })).toBe(join(session, 'fabric', 'fabric-controllers', 'pool-a', 'FabricController.log'));
    expect(fabricLogFile(session, { kind: 'host-agent', hostId: 'host-3' })).toBe(join(session, 'fabric', 'hosts', 'host-3', 'HostAgent.log'));
    expect(fabricLogFile(session, { kind: 'host-agent', hostId: '../../etc' })).toMatch(/hosts[\\/]\.\._\.\._etc~[0-9a-f]{8}[\\/]HostAgent\.log$/);
  });

  it('sanitises hostile names into one safe folder name, never a path', () => {
    const hostile = ['..', '.', 'a/b', 'a\\b', '../../x', 'CON', 'con.txt', 'LPT1', 'nul', 'trailing.', 'x:y', 'tab\there', 'é', 'x'.repeat(300)];
    for (const name of hostile) {
      const safe = safeName(name);
      expect(safe, name).toMatch(/^[A-Za-z0-9._()~\-]+$/);
      expect(safe).not.toMatch(/^\.+$/);
      expect(safe).not.toMatch(/^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i);
      expect(safe).not.toMatch(/\.$/);
      expect(safe.length).toBeLessThanOrEqual(100);
    }
    expect(safeName('CON')).toMatch(/^_CON~/);
    expect(safeName('a/b')).not.toBe(safeName('a_b')); // two ids never share a folder
    expect(() => safeName('')).toThrow(LogPathError);
  });
});

describe('VM path mapping', () => {
  it('mirrors the drive and the folders of the VM', () => {
    expect(vmPathToFile(root, 'C:\\Logs\\WaAppAgent.log')).toBe(join(root, 'C', 'Logs', 'WaAppAgent.log'));
    expect(vmPathToFile(root, 'e:\\approot\\.\\startup.cmd')).toBe(join(root, 'E', 'approot', 'startup.cmd'));
    expect(fileToVmPath(root, join(root, 'C', 'Logs', 'WaAppAgent.log'))).toBe('C:\\Logs\\WaAppAgent.log');
  });

  it('refuses paths that would escape or cannot exist on Windows, saying why', () => {
    const refused: [string, RegExp][] = [
      ['C:\\Logs\\..\\..\\..\\etc\\passwd', /\.\./],
      ['C:/../x', /\.\./],
      ['Logs\\WaAppAgent.log', /drive letter/],
      ['/etc/passwd', /drive letter/],
      ['C:\\', /names a drive/],
      ['C:\\Logs\\CON', /reserved device name/],
      ['C:\\Logs\\aux.log', /reserved device name/],
      ['C:\\Logs\\a?b.log', /forbids/],
      ['C:\\Logs\\bad\u0001.log', /forbids/],
      ['C:\\Logs\\trailing.', /trailing dot/],
      [`C:\\Logs\\${'x'.repeat(256)}`, /255/],
    ];
    for (const [vmPath, rule] of refused) {
      expect(() => vmPathToFile(root, vmPath), vmPath).toThrow(LogPathError);
      expect(() => vmPathToFile(root, vmPath), vmPath).toThrow(rule);
    }
    expect(() => fileToVmPath(root, join(session, 'elsewhere.log'))).toThrow(LogPathError);
  });
});

describe('the real log locations', () => {
  const d = 'deployment3(3)';
  const at = Date.UTC(2019, 10, 4, 6, 0, 0);

  it('names each file where it lives on a VM', () => {
    expect(waAppAgentLogPath).toBe('C:\\Logs\\WaAppAgent.log');
    expect(appAgentRuntimeLogPath).toBe('C:\\Logs\\AppAgentRuntime.log');
    expect(waHostBootstrapperLogPath(d, 'WebRole1')).toBe('C:\\Resources\\Directory\\deployment3(3).WebRole1.DiagnosticStore\\WaHostBootstrapper.log');
    expect(hostProcessLogPath(d, 'WebRole1', 'WaIISHost')).toBe('C:\\Resources\\Directory\\deployment3(3).WebRole1\\WaIISHost.log');
    expect(hostProcessLogPath(d, 'WebRole1', 'IISConfigurator')).toBe('C:\\Resources\\Directory\\deployment3(3).WebRole1\\IISConfigurator.log');
    expect(hostProcessLogPath(d, 'WebRole1', 'WaWebHost')).toBe('C:\\Resources\\Directory\\deployment3(3).WebRole1\\WaWebHost.log');
    expect(iisLogPath(d, 'WebRole1', at)).toBe('C:\\Resources\\Directory\\deployment3(3).WebRole1.DiagnosticStore\\LogFiles\\W3SVC1\\u_ex191104.log');
    // A full IIS role's second site logs under W3SVC2; there is no site 0.
    expect(iisLogPath(d, 'WebRole1', at, 2)).toBe('C:\\Resources\\Directory\\deployment3(3).WebRole1.DiagnosticStore\\LogFiles\\W3SVC2\\u_ex191104.log');
    expect(() => iisLogPath(d, 'WebRole1', at, 0)).toThrow(/IIS site ids start at 1/);
    expect(() => iisLogPath(d, 'WebRole1', at, 1.5)).toThrow(/IIS site ids start at 1/);
    expect(roleConfigPath(d, 'WebRole1', 2)).toBe('C:\\Config\\deployment3(3).WebRole1.2.xml');
    expect(roleModelPath).toBe('E:\\RoleModel.xml');
    expect(windowsAzureEventLogPath).toBe('D:\\Windows\\System32\\Winevt\\Logs\\Windows Azure.evtx.jsonl');
  });

  it('maps every one of them under the instance folder', () => {
    const all = [
      waAppAgentLogPath,
      appAgentRuntimeLogPath,
      roleModelPath,
      windowsAzureEventLogPath,
      waHostBootstrapperLogPath(d, 'WebRole1'),
      hostProcessLogPath(d, 'WebRole1', 'WaWebHost'),
      iisLogPath(d, 'WebRole1', at),
      roleConfigPath(d, 'WebRole1', 1),
    ];
    for (const vmPath of all) {
      const file = vmPathToFile(root, vmPath);
      expect(file.startsWith(root)).toBe(true);
      expect(fileToVmPath(root, file)).toBe(vmPath);
    }
  });

  it('keeps a hostile role name from turning into a path', () => {
    const vmPath = waHostBootstrapperLogPath('..', '..\\..\\Windows');
    expect(vmPath.startsWith('C:\\Resources\\Directory\\')).toBe(true);
    expect(vmPathToFile(root, vmPath).startsWith(join(root, 'C', 'Resources', 'Directory'))).toBe(true);
  });
});
