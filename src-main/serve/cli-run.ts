// `fabric-lab run`: a headless fabric, one deployment, and each instance's status printed as it changes,
// like the old emulator's csrun. With --until-ready it exits 0 once every instance is ReadyRole and 1 as soon
// as one ends Failed*, or when the timeout passes.
import { InvalidArgumentError, type Command } from 'commander';
import { maxTimeScale, minTimeScale } from '../common/emulated-clock';
import { parsePhaseOverride, type PhaseTimings } from '../common/timings';
import type { InstanceView, StatusChangeRecord } from '../common/fabric-api';
import { defaultPools, Fabric } from '../fabric/fabric';
import { defaultHostCodeCacheDir } from '../fabric/host-code-cache';
import { installLastResortHandlers } from '../fabric/last-resort';
import type { CliIo } from './cli-io';
import type { PoolConfig } from '../fabric/pool-hosts';
import { maxHosts, maxPools, parsePoolSpec, poolSpecUsage } from './pool-spec';

export interface RunOptions {
  timeScale: number;
  untilReady?: boolean;
  timeout: number;
  json?: boolean;
  seed?: number;
  session?: string;
  phase?: Partial<PhaseTimings>;
  pool?: PoolConfig[];
  region?: string;
  emulated?: boolean;
}

const failed = new Set(['FailedStartingRole', 'FailedStartingVM']);

export function number(name: string, min: number, max: number, integer = false): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${value}".`);
    }
    return n;
  };
}

function collectPhase(text: string, previous: Partial<PhaseTimings>): Partial<PhaseTimings> {
  try {
    const [phase, ms] = parsePhaseOverride(text);
    return { ...previous, [phase]: ms };
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message}.`);
  }
}

function collectPool(text: string, previous: PoolConfig[]): PoolConfig[] {
  try {
    if (previous.length >= maxPools) throw new Error(`at most ${maxPools} pools`);
    const pools = [...previous, parsePoolSpec(text, previous.length)];
    const total = pools.reduce((sum, p) => sum + p.hosts + (p.spareHosts ?? 0), 0);
    if (total > maxHosts) throw new Error(`the pools hold ${total} hosts (spares included); at most ${maxHosts} in all`);
    return pools;
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message}.`);
  }
}

export function addRunCommand(program: Command, io: CliIo, setStatus: (code: number) => void, exits: { valid: number; invalid: number }): void {
  program
    .command('run')
    .description('start a headless fabric, deploy the service and print each instance status as it changes')
    .argument('<package>', 'a csx folder (cspack /copyOnly layout), a .cspkg, or a .csdef')
    .argument('<cscfg>', 'the service configuration')
    .option('--time-scale <n>', `emulated seconds per real second (${minTimeScale} to ${maxTimeScale})`, number('--time-scale', minTimeScale, maxTimeScale), 100)
    .option('--until-ready', 'exit 0 once every instance is ReadyRole, 1 if one ends FailedStartingRole or FailedStartingVM')
    .option('--timeout <seconds>', 'real seconds to wait with --until-ready', number('--timeout', 1, 86_400), 120)
    .option('--seed <n>', 'seed for the fabric jitter, to replay a run', number('--seed', 0, 4_294_967_295, true))
    .option('--phase <name=ms>', 'override one phase duration in emulated ms (repeatable), e.g. createVm=10000', collectPhase, {})
    .option('--pool <spec>', `a machine pool in a region (repeatable, one pool each): ${poolSpecUsage}`, collectPool, [])
    .option('--region <name>', 'deploy into the pools of this region (one of the --pool regions); any pool by default')
    .option('--emulated', 'act as the old local emulator: the instances\' configuration says emulated="true" (default: the cloud, "false")')
    .option('--session <dir>', "folder for the session's logs (default: a new folder in the system's temp folder)")
    .option('--json', 'print one JSON object per line')
    .addHelpText('after', '\nExit status: 0 ready (or stopped with Ctrl+C), 1 the service is invalid, failed or timed out, 2 the command line is wrong.')
    .action(async (input: string, cscfg: string, options: RunOptions) => {
      setStatus(await runCommand(input, cscfg, options, io, exits));
    });
}

export async function runCommand(input: string, cscfg: string, options: RunOptions, io: CliIo, exits: { valid: number; invalid: number }): Promise<number> {
  // A region no pool serves is a command-line mistake: refused (exit 2) before any host starts.
  const regions = [...new Set((options.pool?.length ? options.pool : defaultPools).map((p) => p.region))];
  if (options.region !== undefined && !regions.some((r) => r.toLowerCase() === options.region!.toLowerCase())) {
    throw new Error(`--region "${options.region}" is served by no pool; regions: ${regions.join(', ')}.`);
  }
  const fabric = await Fabric.start({
    hostWorkerUrl: new URL('./host-worker.cjs', import.meta.url),
    hostCodeCacheDir: defaultHostCodeCacheDir(),
    timeScale: options.timeScale,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.session ? { sessionDir: options.session } : {}),
    ...(options.phase ? { timings: options.phase } : {}),
    ...(options.pool?.length ? { pools: options.pool } : {}),
  });
  const removeLastResort = installLastResortHandlers((message) => fabric.reportError('Process', message));
  try {
    const pkg = await fabric.packages.openFromDisk(input, cscfg);
    if (!pkg.valid) {
      for (const d of pkg.diagnostics) io.err(`${d.file}${d.line ? `:${d.line}:${d.column}` : ''}: ${d.severity} [${d.rule}] ${d.message}`);
      io.err(`fabric-lab run: ${pkg.name} has errors; nothing was deployed.`);
      return exits.invalid;
    }
    const announced = new Set<string>();
    const outcome = new Promise<number>((resolve) => {
      // The run's last word is said once, and nothing is printed after it (the fabric goes on until it is closed).
      let concluded = false;
      const conclude = (message: string, code: number): void => {
        if (concluded) return;
        concluded = true;
        resolve(report(io, message, options.json, code));
      };
      const judge = (instances: InstanceView[]): void => {
        const bad = instances.find((i) => failed.has(i.status));
        if (bad) conclude(`${bad.name} is ${bad.status}: ${bad.stateDetails}`, exits.invalid);
        else if (instances.length > 0 && instances.every((i) => i.status === 'ReadyRole')) conclude(`All ${instances.length} instance(s) are ReadyRole.`, exits.valid);
      };
      fabric.onEvents((batch) => {
        if (concluded) return;
        for (const record of batch.records) if (record.kind === 'instance-status') print(io, record, options.json);
        // As csrun said "Role is running at http://127.0.0.1:81/": each input endpoint once it listens on the VIP.
        for (const event of batch.events) {
          if (event.type !== 'deployment') continue;
          for (const e of event.deployment.inputEndpoints) {
            const key = e.instanceName ? `${e.name}@${e.instanceName}` : e.name;
            if (e.port === null || announced.has(key)) continue;
            announced.add(key);
            const url = `${e.protocol === 'http' || e.protocol === 'https' ? `${e.protocol}://` : 'tcp://'}${e.vip}:${e.port}/`;
            if (options.json) io.out(JSON.stringify({ event: 'endpoint', role: e.roleName, endpoint: e.name, url, note: e.note }));
            else io.out(`${e.roleName}/${e.name}${e.instanceName ? ` (${e.instanceName})` : ''} is running at ${url}${e.note ? ` (${e.note})` : ''}`);
          }
        }
        if (!options.untilReady) return;
        fabric.getSnapshot().then(
          (snapshot) => judge(snapshot.instances),
          (error: unknown) => conclude(`Could not read the fabric's state: ${error instanceof Error ? error.message : String(error)}`, exits.invalid),
        );
      });
      if (options.untilReady) {
        setTimeout(() => conclude(`Timed out after ${options.timeout} s before every instance was ReadyRole.`, exits.invalid), options.timeout * 1000).unref();
      } else {
        const stop = () => resolve(exits.valid);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      }
    });
    const { deploymentId, requestId } = await fabric.deploy({ packageId: pkg.packageId, ...(options.region ? { region: options.region } : {}), ...(options.emulated ? { emulated: true } : {}) });
    const operation = (await fabric.getSnapshot()).operations.find((o) => o.requestId === requestId);
    if (operation?.status === 'Failed') return report(io, operation.error ?? 'The deployment failed.', options.json, exits.invalid);
    if (options.json) io.out(JSON.stringify({ event: 'started', deploymentId, requestId, service: pkg.name, session: fabric.sessionDir }));
    else io.out(`Started: ${deploymentId} (request ${requestId}), service ${pkg.name}, time scale ${options.timeScale}x; logs in ${fabric.sessionDir}.`);
    return await outcome;
  } finally {
    await fabric.close();
    removeLastResort();
  }
}

function print(io: CliIo, record: StatusChangeRecord, json: boolean | undefined): void {
  const instance = record.instanceId.slice(record.instanceId.indexOf('/') + 1);
  if (json) io.out(JSON.stringify({ event: 'status', at: new Date(record.at).toISOString(), instance, from: record.from, to: record.to, details: record.details }));
  else io.out(`${new Date(record.at).toISOString().slice(11, 19)} ${instance} ${record.from} -> ${record.to}${record.details ? `  ${record.details}` : ''}`);
}

function report(io: CliIo, message: string, json: boolean | undefined, code: number): number {
  if (json) io.out(JSON.stringify({ event: 'done', ok: code === 0, message }));
  else (code === 0 ? io.out : io.err)(message);
  return code;
}
