// The role entry point of WorkerRole1, in JavaScript: what WorkerRole1.dll's RoleEntryPoint would be in .NET.
// Fabric Lab runs it in the role's own host process (WaWorkerHost).
let busy = false;

export function onStart(roleEnvironment) {
  const me = roleEnvironment.currentRoleInstance;
  console.log(`OnStart: ${me.id} of ${me.role.name}, upgrade domain ${me.updateDomain}, fault domain ${me.faultDomain}`);
  console.log(`Greeting setting: ${roleEnvironment.getConfigurationSettingValue('Greeting')}`);
  console.log(`Local storage Work at ${roleEnvironment.getLocalResource('Work').rootPath}`);
  // While busy, the instance leaves load-balancer rotation: the bootstrapper asks at every status check.
  roleEnvironment.on('statusCheck', (check) => {
    if (busy) check.setBusy();
  });
  roleEnvironment.on('stopping', () => console.log('Stopping: the instance has left the load balancer.'));
  return true;
}

export async function run() {
  for (let n = 1; ; n++) {
    console.log(`Working (${n})`);
    // Every fourth minute of real time the role does maintenance and says it is busy.
    busy = n % 24 >= 20;
    await new Promise((resolve) => setTimeout(resolve, 10_000));
  }
}

export function onStop() {
  console.log('OnStop: finishing the current work item.');
}
