// `fabric-lab run` as a user runs it: the built CLI, a real headless fabric, exit codes 0 / 1 / 2.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '../..');
const cli = resolve(repoRoot, 'out/main/cli.js');
if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first (npm test does).`);

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, 'run', ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
const sample = (id: string) => [`resources/samples/${id}`, `resources/samples/${id}/ServiceConfiguration.cscfg`];

describe('fabric-lab run', () => {
  it('prints each status change and exits 0 once every instance is ReadyRole, leaving its logs in --session', () => {
    const session = mkdtempSync(join(tmpdir(), 'fabric-lab-cli-session-'));
    const { status, stdout } = run(...sample('hello-worker'), '--time-scale', '1000', '--until-ready', '--seed', '9', '--session', session);
    expect(stdout).toContain(`logs in ${session}`);
    expect(readdirSync(session, { recursive: true }).some((f) => String(f).endsWith('WaAppAgent.log'))).toBe(true);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^Started: deployment1\(1\) \(request [0-9a-f-]{36}\), service HelloWorker, time scale 1000x; logs in .+\.$/m);
    expect(stdout).toMatch(/WorkerRole1_IN_0 CreatingRole -> StartingRole {2}Waiting for role to start\.\.\. Startup task 1 of 1 \(simple\)/);
    expect(stdout.match(/-> ReadyRole/g)).toHaveLength(2);
    expect(stdout.trim().split('\n').at(-1)).toBe('All 2 instance(s) are ReadyRole.');
  });

  it('deploys as the local emulator with --emulated: the instance configuration says emulated="true"', () => {
    const session = mkdtempSync(join(tmpdir(), 'fabric-lab-cli-emulated-'));
    const { status } = run(...sample('hello-worker'), '--time-scale', '1000', '--until-ready', '--emulated', '--session', session);
    expect(status).toBe(0);
    const config = readdirSync(session, { recursive: true }).map(String).find((f) => f.endsWith('.WorkerRole1.1.xml'));
    expect(config).toBeDefined();
    expect(readFileSync(join(session, config!), 'utf8')).toContain('emulated="true"');
  });

  it('prints one JSON object per line with --json, and exits 1 when an instance ends FailedStartingRole', () => {
    const { status, stdout } = run(...sample('failing-startup-task'), '--time-scale', '1000', '--until-ready', '--json');
    expect(status).toBe(1);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; to?: string; ok?: boolean; message?: string });
    expect(lines[0]?.event).toBe('started');
    expect(lines.some((l) => l.event === 'status' && l.to === 'FailedStartingRole')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ event: 'done', ok: false, message: expect.stringContaining('exited with code 1') });
  });

  it('runs role code from a package given by a path relative to the working folder, as from an absolute one', () => {
    // Role code runs with approot as its working folder: a relative package path once pointed inside itself there.
    const { status, stdout } = run(...sample('worker-with-code'), '--time-scale', '1000', '--until-ready', '--seed', '3');
    expect(stdout).not.toContain('Cannot find module');
    expect(stdout.trim().split('\n').at(-1)).toBe('All 2 instance(s) are ReadyRole.');
    expect(status).toBe(0);
  });

  it('exits 1 with every diagnostic when the service is invalid, deploying nothing', () => {
    const { status, stderr, stdout } = run(...sample('validation-errors'), '--until-ready');
    expect(status).toBe(1);
    expect(stderr).toMatch(/ServiceDefinition\.csdef:3:12: error \[csdef\.role-name\]/);
    expect(stderr).toContain('nothing was deployed');
    expect(stdout).not.toContain('Started:');
  });

  it('exits 2 for a wrong command line', () => {
    expect(run(...sample('hello-worker'), '--time-scale', '0').status).toBe(2);
    expect(run('only-one-argument').status).toBe(2);
    expect(run(...sample('hello-worker'), '--timeout', 'soon').status).toBe(2);
    expect(run(...sample('hello-worker'), '--phase', 'warpDrive=1').stderr).toContain('unknown phase "warpDrive"');
  });
});
