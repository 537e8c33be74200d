// The service model the fabric deploys: what a .csdef + .cscfg pair says once read and checked.
// The package reader (src-main/package/) produces it; the built-in samples are written in it directly.

export type RoleType = 'WorkerRole' | 'WebRole';
export type StartupTaskType = 'simple' | 'background' | 'foreground';

export interface StartupTask {
  commandLine: string;
  taskType: StartupTaskType;
  executionContext: 'limited' | 'elevated';
}

export interface RoleModel {
  name: string;
  type: RoleType;
  vmSize: VmSize;
  instanceCount: number;
  startupTasks: StartupTask[];
}

export interface ServiceModel {
  /** ServiceDefinition@name, which the configuration's serviceName must equal. */
  name: string;
  upgradeDomainCount: number;
  roles: RoleModel[];
}

/** Cores per VM size, as the fact sheet lists them (ExtraSmall shares a core but still takes one). */
export const vmSizeCores = {
  ExtraSmall: 1,
  Small: 1,
  Medium: 2,
  Large: 4,
  ExtraLarge: 8,
  A5: 2,
  A6: 4,
  A7: 8,
  A8: 8,
  A9: 16,
  A10: 8,
  A11: 16,
  Standard_A0: 1,
  Standard_A1: 1,
  Standard_A2: 2,
  Standard_A3: 4,
  Standard_A4: 8,
  Standard_D1: 1,
  Standard_D2: 2,
  Standard_D3: 4,
  Standard_D4: 8,
  Standard_D11: 2,
  Standard_D12: 4,
  Standard_D13: 8,
  Standard_D14: 16,
  Standard_D1_v2: 1,
  Standard_D2_v2: 2,
  Standard_D3_v2: 4,
  Standard_D4_v2: 8,
  Standard_D5_v2: 16,
  Standard_D11_v2: 2,
  Standard_D12_v2: 4,
  Standard_D13_v2: 8,
  Standard_D14_v2: 16,
} as const;
export type VmSize = keyof typeof vmSizeCores;
