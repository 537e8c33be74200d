// A role's host process as WaHostBootstrapper sees it: a real child process running the package's
// JavaScript entry point, with RoleEnvironment, status checks, recycles, crashes and hangs.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RoleEnvironmentData } from '../../src-main/common/role-host-protocol';
import { RoleHostProcess, type RoleHostEvents } from '../../src-main/host/role-host-process';
import { waitFor } from '../support/fabric-helpers';

const script = resolve(import.meta.dirname, '../../out/main/role-host.js');
if (!existsSync(script)) throw new Error(`${script} is missing: run "npm run build" first (npm test does).`);

const environment: RoleEnvironmentData = {
  deploymentId: 'deployment1(1)',
  roleName: 'WorkerRole1',
  instanceId: 'WorkerRole1_IN_0',
  updateDomain: 0,
  faultDomain: 1,
  isEmulated: true,
  settings: { Greeting: 'hello' },
  localResources: { Scratch: { rootPath: '/tmp/scratch', maximumSizeInMegabytes: 100 } },
  endpoints: { HttpIn: { protocol: 'http', address: '127.255.0.1', port: 8080 } },
  roles: [
    { name: 'Cache', instances: [{ id: 'Cache_IN_0', updateDomain: 0, faultDomain: 0, endpoints: { Peer: { protocol: 'tcp', address: '127.101.0.1', port: 7000 } } }] },
    { name: 'WorkerRole1', instances: [] },
  ],
};

const running: RoleHostProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.kill();
});

function role(source: string): { host: RoleHostProcess; seen: { onStart: boolean[]; ended: string[]; recycles: number; out: string[] } } {
  const dir = mkdtempSync(join(tmpdir(), 'fabric-lab-rolecode-'));
  writeFileSync(join(dir, 'role.mjs'), source);
  const seen = { onStart: [] as boolean[], ended: [] as string[], recycles: 0, out: [] as string[] };
  const events: RoleHostEvents = {
    onStartReturned: (ok) => seen.onStart.push(ok),
    ended: (reason, crashed) => seen.ended.push(`${crashed ? 'crashed' : 'recycled'}: ${reason}`),
    recycleRequested: () => seen.recycles++,
    output: (stream, line) => seen.out.push(`${stream}: ${line}`),
  };
  const host = new RoleHostProcess('WaWorkerHost', script, { cwd: dir, env: { PATH: process.env.PATH ?? '' } }, events);
  running.push(host);
  host.start(join(dir, 'role.mjs'), environment);
  return { host, seen };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the role host process', () => {
  it('runs OnStart then Run, gives role code its RoleEnvironment, and answers status checks', async () => {
    const { host, seen } = role(`
      let busy = false;
      export function onStart(env) {
        console.log('greeting=' + env.getConfigurationSettingValue('Greeting'), env.currentRoleInstance.id, env.currentRoleInstance.instanceEndpoints.HttpIn.ipEndpoint.port, env.isEmulated);
        env.on('statusCheck', (e) => { if (busy) e.setBusy(); });
        try { env.getConfigurationSettingValue('Nope'); } catch (e) { console.log(e.message); }
        return true;
      }
      export async function run(env) { busy = true; await new Promise(() => {}); }
    `);
    await waitFor('OnStart', async () => seen.onStart.length > 0);
    expect(seen.onStart).toEqual([true]);
    await waitFor('output', async () => seen.out.length >= 2);
    expect(seen.out[0]).toBe('stdout: greeting=hello WorkerRole1_IN_0 8080 true');
    expect(seen.out[1]).toContain('declares no setting "Nope"');
    expect(await host.statusCheck()).toBe(true);
    expect(seen.ended).toEqual([]);
  });

  it('lists the roles with their instances\' endpoints, raises a topology change (cancel: a recycle), and refuses a role it does not have', async () => {
    const { host, seen } = role(`
      const show = (env) => Object.values(env.roles).map((r) => r.name + '[' + r.instances.map((i) => i.id + '@' + i.instanceEndpoints.Peer.ipEndpoint.address + ':' + i.instanceEndpoints.Peer.ipEndpoint.port).join(' ') + ']').join(' ');
      export function onStart(env) {
        console.log('roles ' + show(env));
        try { env.getRole('Nope'); } catch (e) { console.log(e.message); }
        let cancelNext = false;
        env.on('changing', (e) => {
          console.log('changing ' + e.changes.map((c) => c.type + ':' + c.roleName).join(','));
          if (cancelNext) e.cancel();
          cancelNext = true;
        });
        env.on('changed', () => console.log('changed roles ' + show(env)));
        return true;
      }
      export function run() { return new Promise(() => {}); }
    `);
    await waitFor('OnStart', async () => seen.onStart.length > 0);
    expect(seen.out).toContain('stdout: roles Cache[Cache_IN_0@127.101.0.1:7000] WorkerRole1[]');
    expect(seen.out).toContain('stdout: RoleEnvironment: the deployment has no role "Nope" (its roles: Cache, WorkerRole1).');
    const two = [...environment.roles];
    two[0] = { name: 'Cache', instances: [...two[0]!.instances, { id: 'Cache_IN_1', updateDomain: 1, faultDomain: 1, endpoints: { Peer: { protocol: 'tcp', address: '127.102.0.1', port: 7000 } } }] };
    expect(await host.topologyChanging(two, ['Cache'])).toBe(false);
    // The answer comes by the IPC channel, the lines by stdout: two pipes, either may be read first.
    await waitFor('the Changing line', async () => seen.out.includes('stdout: changing topology:Cache'));
    await waitFor('the Changed line', async () => seen.out.includes('stdout: changed roles Cache[Cache_IN_0@127.101.0.1:7000 Cache_IN_1@127.102.0.1:7000] WorkerRole1[]'));
    // The second is cancelled: the role keeps its Roles (it recycles to take them, the bootstrapper's part).
    expect(await host.topologyChanging(environment.roles, ['Cache'])).toBe(true);
    expect(seen.out.filter((l) => l.startsWith('stdout: changed'))).toHaveLength(1);
  });

  it('reports a Run that throws as the process dying with the exception', async () => {
    const { seen } = role(`export function onStart() { return true; } export function run() { throw new Error('queue unreachable'); }`);
    await waitFor('ended', async () => seen.ended.length > 0);
    expect(seen.onStart).toEqual([true]);
    expect(seen.ended[0]).toMatch(/^crashed: WaWorkerHost exited with code 1: .*queue unreachable/);
  });

  it('recycles when Run returns, and when role code requests it', async () => {
    const returns = role(`export function run() { return 'done'; }`);
    await waitFor('ended', async () => returns.seen.ended.length > 0);
    // Returning from Run is a recycle the role asked for, not a crash (no unhandled exception logged).
    expect(returns.seen.ended[0]).toMatch(/^recycled: Run returned, so the role recycles/);

    const asks = role(`export function run(env) { env.requestRecycle(); return new Promise(() => {}); }`);
    await waitFor('recycle request', async () => asks.seen.recycles > 0);
  });

  it('stops when OnStart returns false or throws, and when the module cannot load', async () => {
    const no = role(`export function onStart() { return false; }`);
    await waitFor('ended', async () => no.seen.ended.length > 0);
    expect(no.seen.onStart).toEqual([false]);
    const throws = role(`export function onStart() { throw new TypeError('bad config'); }`);
    await waitFor('ended', async () => throws.seen.ended.length > 0);
    expect(throws.seen.ended[0]).toContain('OnStart threw TypeError: bad config');
    const broken = role(`export function onStart( {`);
    await waitFor('ended', async () => broken.seen.ended.length > 0);
    expect(broken.seen.ended[0]).toContain('load threw SyntaxError');
  });

  it('lets a hang in OnStart hang (nothing notices), and stops cleanly with Stopping and OnStop when asked', async () => {
    const hung = role(`export function onStart(env) {
      env.on('statusCheck', (e) => e.setBusy());
      console.log('waiting for a dependency');
      return new Promise(() => {});
    }`);
    await waitFor('OnStart under way', async () => hung.seen.out.includes('stdout: waiting for a dependency'));
    // The process is alive and answers (its StatusCheck handler says busy), yet OnStart never returned: a real
    // hang, which nothing in the host process reports.
    expect(await hung.host.statusCheck()).toBe(true);
    expect(hung.seen.onStart).toEqual([]);
    expect(hung.seen.ended).toEqual([]);

    const polite = role(`
      export function onStart(env) { env.on('stopping', () => console.log('stopping')); return true; }
      export function run() { return new Promise(() => {}); }
      export function onStop() { console.log('onStop'); }
    `);
    await waitFor('OnStart', async () => polite.seen.onStart.length > 0);
    polite.host.stop();
    await waitFor('OnStop ran', async () => polite.seen.out.includes('stdout: onStop'));
    expect(polite.seen.out.filter((l) => l.startsWith('stdout'))).toEqual(['stdout: stopping', 'stdout: onStop']);
    // The process really exits (its pid is gone), and a requested stop is not reported as a crash.
    const pid = polite.host.pid!;
    await waitFor('the host process exited', async () => !processAlive(pid));
    expect(await polite.host.statusCheck()).toBe(false);
    expect(polite.seen.ended).toEqual([]);
  });
});
