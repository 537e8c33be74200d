// What a ProgramEntryPoint needs from the package, and local storage folders across a recycle.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { InstanceSpec } from '../../src-main/common/host-protocol';
import { localStoragePaths, prepareLocalStorage } from '../../src-main/host/local-storage';
import { missingProgramFile } from '../../src-main/host/program-entry-point';

describe('ProgramEntryPoint command lines', () => {
  const approot = mkdtempSync(join(tmpdir(), 'fabric-lab-pep-'));
  mkdirSync(join(approot, 'bin'));
  writeFileSync(join(approot, 'worker.mjs'), '');
  writeFileSync(join(approot, 'bin', 'run.cmd'), '');

  it('finds the scripts and batch files the package holds', () => {
    expect(missingProgramFile('node worker.mjs --fast', approot)).toBeNull();
    expect(missingProgramFile('worker.mjs', approot)).toBeNull();
    expect(missingProgramFile('bin\\run.cmd', approot)).toBeNull();
  });

  it('names the file a command line needs and the package lacks', () => {
    expect(missingProgramFile('node missing.js', approot)).toBe('missing.js');
    expect(missingProgramFile('start.sh', approot)).toBe('start.sh');
    expect(missingProgramFile('bin\\other.cmd', approot)).toBe('bin\\other.cmd');
    expect(missingProgramFile('node', approot)).toBe('a script for node to run');
  });

  it('leaves Windows programs to emulation: they may come with the OS', () => {
    expect(missingProgramFile('MyWorker.exe -run', approot)).toBeNull();
    expect(missingProgramFile('powershell.exe -File x.ps1', approot)).toBeNull();
  });
});

describe('local storage', () => {
  const spec = {
    instanceId: 'deployment1(1)/W_IN_0', instanceName: 'W_IN_0', deploymentId: 'deployment1(1)', roleName: 'W', roleType: 'WorkerRole', vmSize: 'Small',
    upgradeDomain: 0, faultDomain: 0, startupTasks: [],
    roleEnvironment: {
      settings: {},
      endpoints: {},
      localResources: {
        Clean: { maximumSizeInMegabytes: 10, cleanOnRoleRecycle: true },
        Keep: { maximumSizeInMegabytes: 10, cleanOnRoleRecycle: false },
        DiagnosticStore: { maximumSizeInMegabytes: 4096, cleanOnRoleRecycle: true },
      },
    },
  } satisfies InstanceSpec;

  it('creates each folder at its Azure path, then empties only the cleanOnRoleRecycle ones (never DiagnosticStore) on a recycle', () => {
    const root = mkdtempSync(join(tmpdir(), 'fabric-lab-storage-'));
    expect(prepareLocalStorage(root, spec, false)).toEqual({ created: ['Clean', 'Keep', 'DiagnosticStore'], emptied: [], kept: [] });
    const paths = localStoragePaths(root, spec);
    expect(paths.Clean).toBe(join(root, 'C', 'Resources', 'Directory', 'deployment1(1).W.Clean'));
    for (const path of Object.values(paths)) {
      mkdirSync(join(path, 'sub'));
      writeFileSync(join(path, 'sub', 'file.txt'), 'x');
      writeFileSync(join(path, 'top.txt'), 'x');
    }
    // A guest reboot is not a recycle: nothing is emptied.
    expect(prepareLocalStorage(root, spec, false)).toEqual({ created: [], emptied: [], kept: [] });
    expect(prepareLocalStorage(root, spec, true)).toEqual({ created: [], emptied: ['Clean'], kept: ['Keep'] });
    expect(readdirSync(paths.Clean!)).toEqual([]);
    expect(readdirSync(paths.Keep!).sort()).toEqual(['sub', 'top.txt']);
    expect(existsSync(join(paths.DiagnosticStore!, 'sub', 'file.txt'))).toBe(true);
  });
});
