// An OnStart that never returns (teaching sample): it waits for a dependency that never answers.
export async function onStart() {
  console.log('OnStart: waiting for the configuration service...');
  await new Promise(() => {});
  return true;
}

export function run() {
  return new Promise(() => {});
}
