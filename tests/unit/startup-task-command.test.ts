import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StartupTask } from '../../src-main/common/service-model';
import type { InstanceSpec } from '../../src-main/common/host-protocol';
import { commandProgram, emulateCommand, roleInstanceValue, runnableCommand } from '../../src-main/host/startup-task-command';

const task = (commandLine: string, relativePath?: string): StartupTask => ({ commandLine, taskType: 'simple', executionContext: 'limited', ...(relativePath ? { relativePath } : {}) });

function roleWith(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'fabric-lab-role-'));
  for (const [path, text] of Object.entries(files)) {
    const full = join(root, ...path.split('/'));
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, text);
  }
  return join(root, 'approot');
}

describe('emulated startup task commands', () => {
  it('finds the program of a command line, quoted or not', () => {
    expect(commandProgram('startup\\install.cmd /quiet')).toBe('startup\\install.cmd');
    expect(commandProgram('"my tools\\setup.cmd" -x')).toBe('my tools\\setup.cmd');
  });

  it("honours a batch file's first exit /b N, relative to approot or the task's relativePath", () => {
    const approot = roleWith({
      'approot/startup/ok.cmd': '@echo off\r\necho fine\r\nexit /b 0\r\n',
      'approot/startup/fail.cmd': '@echo off\r\nexit /b 3\r\nexit /b 0\r\n',
      'approot/bin/web.cmd': 'EXIT 7\r\n',
    });
    expect(emulateCommand(task('startup\\ok.cmd'), approot).exitCode).toBe(0);
    expect(emulateCommand(task('startup\\fail.cmd'), approot)).toMatchObject({ exitCode: 3, note: expect.stringContaining('exit /b 3') });
    expect(emulateCommand(task('web.cmd', 'approot\\bin'), approot).exitCode).toBe(7);
  });

  it('emulates what it cannot run as success: executables, plugin tasks, and packages without files', () => {
    const approot = roleWith({ 'approot/readme.txt': 'x' });
    expect(emulateCommand(task('DiagnosticsAgent.exe /blockStartup', 'plugins\\Diagnostics'), approot)).toMatchObject({ exitCode: 0, note: 'emulated DiagnosticsAgent.exe' });
    expect(emulateCommand({ ...task('install.cmd', 'plugins\\RemoteForwarder'), module: 'RemoteForwarder' }, approot).exitCode).toBe(0);
    expect(emulateCommand(task('startup\\install.cmd'), undefined).exitCode).toBe(0);
  });

  it("fails a user's batch file that the package does not hold, as the VM would", () => {
    const approot = roleWith({ 'approot/readme.txt': 'x' });
    expect(emulateCommand(task('startup\\missing.cmd'), approot)).toMatchObject({ exitCode: 1, note: expect.stringContaining('not recognized') });
  });
});

describe('startup tasks that can run here', () => {
  const spec = {
    instanceId: 'd/W_IN_0', instanceName: 'W_IN_0', deploymentId: 'deployment7(7)', roleName: 'W', roleType: 'WorkerRole', vmSize: 'Small',
    upgradeDomain: 2, faultDomain: 1, startupTasks: [],
    roleEnvironment: { settings: { Greeting: 'hi' }, localResources: {}, endpoints: { Http: { protocol: 'http', port: 8080 } } },
  } as const satisfies InstanceSpec;

  it('resolves RoleInstanceValue xpaths as Azure does, and unknown ones to an empty string', () => {
    // The cloud by default; a deployment that acts as the local emulator answers true.
    expect(roleInstanceValue('/RoleEnvironment/Deployment/@emulated', spec)).toBe('false');
    expect(roleInstanceValue('/RoleEnvironment/Deployment/@emulated', { ...spec, emulated: true })).toBe('true');
    expect(roleInstanceValue('/RoleEnvironment/Deployment/@id', spec)).toBe('deployment7(7)');
    expect(roleInstanceValue('/RoleEnvironment/CurrentInstance/@id', spec)).toBe('W_IN_0');
    expect(roleInstanceValue('/RoleEnvironment/CurrentInstance/@updateDomain', spec)).toBe('2');
    expect(roleInstanceValue("/RoleEnvironment/CurrentInstance/ConfigurationSettings/ConfigurationSetting[@name='Greeting']/@value", spec)).toBe('hi');
    expect(roleInstanceValue("/RoleEnvironment/CurrentInstance/Endpoints/Endpoint[@name='Http']/@port", spec)).toBe('8080');
    expect(roleInstanceValue("/RoleEnvironment/CurrentInstance/ConfigurationSettings/ConfigurationSetting[@name='Nope']/@value", spec)).toBe('');
    expect(roleInstanceValue('/Not/An/XPath', spec)).toBe('');
  });

  it('runs node and shell scripts the package holds, and leaves Windows-only commands to emulation', () => {
    const approot = roleWith({ 'approot/setup.js': '', 'approot/tools/run.sh': '', 'approot/install.cmd': 'exit /b 0' });
    expect(runnableCommand(task('node setup.js --quiet'), approot)).toMatchObject({ file: process.execPath, args: ['setup.js', '--quiet'] });
    expect(runnableCommand(task('setup.js'), approot)).toMatchObject({ args: ['setup.js'] });
    expect(runnableCommand(task('tools\\run.sh'), approot)).toMatchObject({ file: '/bin/sh' });
    expect(runnableCommand(task('install.cmd'), approot)).toBeNull();
    expect(runnableCommand(task('node missing.js'), approot)).toBeNull();
    expect(runnableCommand(task('powershell -File x.ps1'), approot)).toBeNull();
    expect(runnableCommand(task('node setup.js'), undefined)).toBeNull();
  });
});
