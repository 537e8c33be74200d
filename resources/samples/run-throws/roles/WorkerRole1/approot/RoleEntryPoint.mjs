// A Run that throws (teaching sample): an unhandled exception ends the host process, with no Stopping event
// and no OnStop.
export function onStart() {
  console.log('OnStart: connecting to the queue later, in Run.');
  return true;
}

export async function run() {
  console.log('Run: working...');
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  throw new Error('Cannot reach the queue "orders": connection refused');
}

export function onStop() {
  console.log('OnStop never runs after an unhandled exception.');
}
