// Services the fabric can deploy without a package, written directly in the service model. Samples
// read from resources/samples/ (.csdef/.cscfg) join them once the package reader exists.
import type { SampleInfo } from '../common/fabric-api';
import type { ServiceModel } from '../common/service-model';

export interface BuiltinSample extends SampleInfo {
  model: ServiceModel;
}

export const builtinSamples: BuiltinSample[] = [
  {
    id: 'hello-worker',
    title: 'Hello worker',
    summary: 'A worker role with two Small instances and one simple startup task. Watch each instance walk CreatingVM to ReadyRole on its own host.',
    model: {
      name: 'HelloWorker',
      upgradeDomainCount: 5,
      roles: [
        {
          name: 'WorkerRole1',
          type: 'WorkerRole',
          vmSize: 'Small',
          instanceCount: 2,
          startupTasks: [{ commandLine: 'startup\\install.cmd', taskType: 'simple', executionContext: 'elevated' }],
          waRoleType: 'WorkerRole',
          enableNativeCodeExecution: true,
          endpoints: { input: [], internal: [], instanceInput: [] },
          settings: [],
          localResources: [],
          certificates: [],
          imports: [],
          runtime: { executionContext: 'limited', environment: [] },
          sites: [],
        },
      ],
      loadBalancerProbes: [],
      networkTrafficRules: [],
    },
  },
];
