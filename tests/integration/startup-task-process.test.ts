// Startup tasks that can run on this OS run for real: a node script with the task's Environment (literal
// values and RoleInstanceValue xpaths), its output in WaHostBootstrapper.log, its exit code deciding the role.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fabric } from '../../src-main/fabric/fabric';
import { hostWorkerUrl } from '../support/built';
import { StatusHistory, waitFor } from '../support/fabric-helpers';

let fabric: Fabric;
let history: StatusHistory;
beforeAll(async () => {
  fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed: 71, batchIntervalMs: 10 });
  history = new StatusHistory(fabric);
});
afterAll(async () => fabric?.close());

const ns = 'http://schemas.microsoft.com/ServiceHosting/2008/10/';

/** A csx folder with one worker role whose simple task runs `node <script>`. */
function service(name: string, script: string): { csx: string; cscfg: string } {
  const root = mkdtempSync(join(tmpdir(), `fabric-lab-${name}-`));
  const csx = join(root, `${name}.csx`);
  mkdirSync(join(csx, 'roles/W/approot'), { recursive: true });
  writeFileSync(join(csx, 'roles/W/approot/task.js'), script);
  writeFileSync(
    join(csx, 'ServiceDefinition.csdef'),
    `<ServiceDefinition name="${name}" xmlns="${ns}ServiceDefinition"><WorkerRole name="W">
      <ConfigurationSettings><Setting name="Greeting"/></ConfigurationSettings>
      <Startup><Task commandLine="node task.js --check" taskType="simple"><Environment>
        <Variable name="EMULATED"><RoleInstanceValue xpath="/RoleEnvironment/Deployment/@emulated"/></Variable>
        <Variable name="GREETING"><RoleInstanceValue xpath="/RoleEnvironment/CurrentInstance/ConfigurationSettings/ConfigurationSetting[@name='Greeting']/@value"/></Variable>
        <Variable name="MODE" value="lab"/>
      </Environment></Task></Startup></WorkerRole></ServiceDefinition>`,
  );
  const cscfg = join(root, 'ServiceConfiguration.cscfg');
  writeFileSync(cscfg, `<ServiceConfiguration serviceName="${name}" xmlns="${ns}ServiceConfiguration"><Role name="W"><Instances count="1"/><ConfigurationSettings><Setting name="Greeting" value="hi there"/></ConfigurationSettings></Role></ServiceConfiguration>`);
  return { csx, cscfg };
}

async function bootstrapperLog(instanceId: string): Promise<string[]> {
  const log = (await fabric.listLogs({ instanceId })).find((f) => f.process === 'WaHostBootstrapper' && f.current);
  return log ? (await fabric.readLog({ file: log.file, fromLine: 0, count: Math.max(1, log.lines) })).lines : [];
}

describe('startup tasks as real processes', () => {
  it('runs a node task with its Environment resolved and goes on to Ready when it exits 0', async () => {
    const { csx, cscfg } = service('NodeTask', `console.log('env', process.env.EMULATED, process.env.GREETING, process.env.MODE, process.argv.slice(2).join(' '));`);
    const pkg = await fabric.packages.openFromDisk(csx, cscfg);
    expect(pkg.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const { deploymentId } = await fabric.deploy({ packageId: pkg.packageId });
    const id = `${deploymentId}/W_IN_0`;
    await history.reach(id, 'ReadyRole');
    await waitFor('task output in the log', async () => (await bootstrapperLog(id)).some((l) => l.includes('Startup task 1: env false hi there lab --check')));
  });

  it('fails the role with the real exit code when the task exits non-zero', async () => {
    const { csx, cscfg } = service('NodeTaskFails', `console.error('cannot install'); process.exit(3);`);
    const pkg = await fabric.packages.openFromDisk(csx, cscfg);
    const { deploymentId } = await fabric.deploy({ packageId: pkg.packageId });
    const id = `${deploymentId}/W_IN_0`;
    const restarting = await history.reach(id, 'RestartingRole');
    expect(restarting.details).toMatch(/"node task\.js --check" exited with code 3 \(ran .*node task\.js --check\)/);
    expect(history.firstInto(id, 'ReadyRole')).toBeUndefined();
    await waitFor('stderr in the log', async () => (await bootstrapperLog(id)).some((l) => l.includes('cannot install')));
  });
});
