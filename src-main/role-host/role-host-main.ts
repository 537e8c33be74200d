// The role's host process (WaWorkerHost, WaWebHost or WaIISHost), forked by WaHostBootstrapper. It loads the
// package's role entry point (a JavaScript module exporting onStart, run and onStop), runs it as Azure's host
// does (OnStart; then Run, the moment the instance is Ready; OnStop after Stopping), and answers the
// bootstrapper's status checks. An uncaught exception ends this process: no Stopping, no OnStop.
import { pathToFileURL } from 'node:url';
import type { FromRoleHost, ToRoleHost } from '../common/role-host-protocol';
import { RoleEnvironment } from './role-environment';

interface RoleEntryPoint {
  onStart?(env: RoleEnvironment): boolean | void | Promise<boolean | void>;
  run?(env: RoleEnvironment): unknown;
  onStop?(env: RoleEnvironment): unknown;
}

if (!process.send) throw new Error('role-host must be started by WaHostBootstrapper (an IPC channel is required)');
const send = (message: FromRoleHost) => process.send!(message);

let entry: RoleEntryPoint = {};
let environment: RoleEnvironment | null = null;
let stopping = false;

async function load(modulePath: string): Promise<RoleEntryPoint> {
  const module = (await import(pathToFileURL(modulePath).href)) as RoleEntryPoint & { default?: RoleEntryPoint };
  // A module may export the three functions, or an object (or class instance) with them as its default.
  return module.default && typeof module.default === 'object' ? module.default : module;
}

async function start(modulePath: string, data: ConstructorParameters<typeof RoleEnvironment>[0]): Promise<void> {
  environment = new RoleEnvironment(data, () => send({ type: 'recycle-requested' }));
  try {
    entry = await load(modulePath);
  } catch (error) {
    send({ type: 'error', phase: 'load', message: describe(error) });
    process.exit(1);
  }
  send({ type: 'loaded' });
  let result: boolean | void;
  try {
    result = await entry.onStart?.(environment);
  } catch (error) {
    send({ type: 'error', phase: 'OnStart', message: describe(error) });
    process.exit(1);
  }
  send({ type: 'on-start', result: result !== false });
  if (result === false) process.exit(0);
  // Run starts now; the bootstrapper marks the instance Ready at the same moment. A Run that returns recycles the role.
  await entry.run?.(environment);
  // Run returned: the role recycles, so this process ends (once the bootstrapper has the message).
  if (!stopping) process.send!({ type: 'run-returned' } satisfies FromRoleHost, () => process.exit(0));
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  environment?.raiseStopping();
  try {
    await entry.onStop?.(environment!);
  } catch (error) {
    send({ type: 'error', phase: 'OnStop', message: describe(error) });
  }
  send({ type: 'stopped' });
  process.exit(0);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

process.on('message', (message: ToRoleHost) => {
  switch (message.type) {
    case 'start':
      // A rejection here is role code failing inside Run: let it end the process like an unhandled exception.
      start(message.modulePath, message.environment).catch((error: unknown) => {
        console.error(`Unhandled exception in role code: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        process.exit(1);
      });
      break;
    case 'status-check':
      send({ type: 'status', id: message.id, busy: environment?.raiseStatusCheck() ?? false });
      break;
    case 'changing':
      send({ type: 'changing-answer', id: message.id, cancelled: environment?.raiseChanging(message.settings) ?? false });
      break;
    case 'topology':
      send({ type: 'changing-answer', id: message.id, cancelled: environment?.raiseTopologyChanging(message.roles, message.changedRoles) ?? false });
      break;
    case 'stop':
      void stop();
      break;
    case 'ping':
      lastPing = Date.now();
      break;
  }
});
// A terminated host worker (a killed host) cannot close our channel: its process lives on. Its pings stop.
let lastPing = Date.now();
setInterval(() => {
  if (Date.now() - lastPing > 5_000) process.exit(0);
}, 1_000).unref();
// The bootstrapper going away takes the role with it.
process.on('disconnect', () => process.exit(0));
