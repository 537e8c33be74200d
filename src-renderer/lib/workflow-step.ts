// Where an instance is on the seed's ten-step workflow (front end to Ready), read from its status and the
// details its current component reported.
import type { InstanceView } from '../../src-main/common/fabric-api';

export interface WorkflowStep {
  step: number;
  label: string;
}

export const workflowSteps: readonly string[] = [
  'Request reaches RDFE',
  'FFE picks the machine pool',
  'Fabric controller finds a host with free cores',
  'Host agent creates and starts the guest VM',
  'Guest agent configures the guest OS',
  'IISConfigurator clears old AppPools (full IIS)',
  'WaHostBootstrapper runs the startup tasks',
  'IISConfigurator sets up the AppPool and site (full IIS)',
  'Host process runs OnStart, then Run: Ready',
  'w3wp starts on the first request (full IIS)',
];

/** Steps only full IIS web roles go through (IISConfigurator and w3wp). */
export const fullIisSteps: ReadonlySet<number> = new Set([6, 8, 10]);

export function workflowStepOf(instance: InstanceView): WorkflowStep | null {
  const at = (step: number) => ({ step, label: workflowSteps[step - 1]! });
  switch (instance.status) {
    case 'RoleStateUnknown':
      return at(3);
    case 'CreatingVM':
    case 'StartingVM':
      return at(4);
    case 'CreatingRole':
      return at(5);
    case 'StartingRole':
      return /Startup task/.test(instance.stateDetails) ? at(7) : at(9);
    case 'BusyRole':
      return at(9);
    case 'ReadyRole':
      return instance.endpoints.some((e) => e.servedBy?.process === 'w3wp') ? at(10) : at(9);
    default:
      return null;
  }
}
