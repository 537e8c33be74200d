// `fabric-lab validate`: the report a user reads and the exit status a script checks (0 valid, 1 invalid,
// 2 bad command line), through the exported functions and through the built out/main/cli.js.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../../src-main/serve/cli';
import { cspkgEntries, writeZip } from '../fixtures/packages/zip-builder';
import { corpus, noCorpus, reportMissingCorpus } from '../support/shared-corpus';

reportMissingCorpus('cli-validate.test.ts');

const repoRoot = resolve(import.meta.dirname, '../..');
const fixtures = join(repoRoot, 'tests/fixtures/packages');
const builtCli = join(repoRoot, 'out/main/cli.js');
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const temp: string[] = [];
afterAll(async () => Promise.all(temp.map((t) => rm(t, { recursive: true, force: true }))));

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await main(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const diagnosticLine = /^\S.*?:(\d+:\d+:)? (error|warning) \[[a-z-]+\.[a-z-]+\] .+$/;

describe('fabric-lab validate (in process)', () => {
  it('exits 0 and summarises a valid service', async () => {
    const r = await run('validate', join(fixtures, 'minimal.csdef'), join(fixtures, 'minimal.cscfg'));
    expect(r.code).toBe(0);
    expect(r.out).toBe('Valid: service "Minimal", 1 role (WorkerRole1 x2), 2 instances.');
  });

  it.skipIf(noCorpus)('exits 1 with one line per diagnostic and a summary, for a rejected real service', async () => {
    const csdef = join(corpus, 'dtPaTh__Dynatrace-Azure-CloudServices__ServiceDefinition.csdef');
    const cscfg = join(corpus, 'dtPaTh__Dynatrace-Azure-CloudServices__ServiceConfiguration.Cloud.cscfg');
    const r = await run('validate', csdef, cscfg);
    expect(r.code).toBe(1);
    const lines = r.out.split('\n');
    expect(lines.slice(0, -1).every((l) => diagnosticLine.test(l))).toBe(true);
    expect(lines).toContain(`${csdef}:3:12: error [csdef.role-name] Role name "Your WebRole" may hold only letters, digits, '.', '-' and '_' (no spaces or other characters).`);
    expect(lines.some((l) => l.startsWith(`${cscfg}:6:54: error [xml.not-well-formed]`))).toBe(true);
    expect(lines.at(-1)).toBe('Invalid: 2 errors in 2 files.');
  });

  it.skipIf(noCorpus)('exits 0 for a definition alone with warnings, and says what was not checked', async () => {
    const r = await run('validate', join(corpus, 'co3k__OpenPNE3__ServiceDefinition.csdef'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/warning \[csdef\.legacy-input-endpoints\]/);
    expect(r.out.split('\n').at(-1)).toMatch(/^Definition valid \(1 warning\); no \.cscfg was given/);
  });

  it('prints the report as JSON with --json', async () => {
    const r = await run('validate', '--json', join(fixtures, 'hello.csx'), join(fixtures, 'hello.cscfg'));
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as { valid: boolean; kind: string; errors: number; diagnostics: unknown[]; model: { name: string } };
    expect(report).toMatchObject({ valid: true, kind: 'csx', errors: 0, diagnostics: [], model: { name: 'Hello' } });

    const bad = await run('validate', join(fixtures, 'minimal.csdef'), join(fixtures, 'hello.cscfg'), '--json');
    expect(bad.code).toBe(1);
    const badReport = JSON.parse(bad.out) as { valid: boolean; diagnostics: { rule: string; line: number }[]; model: null };
    expect(badReport.valid).toBe(false);
    expect(badReport.model).toBeNull();
    expect(badReport.diagnostics.map((d) => [d.rule, d.line])).toEqual([['cscfg.service-name', 2]]);
  });

  it('validates a .cspkg and leaves no extracted files behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fabric-lab-cli-test-'));
    temp.push(dir);
    const pkg = join(dir, 'hello.cspkg');
    await writeZip(pkg, cspkgEntries(readFileSync(join(fixtures, 'hello.csx/ServiceDefinition.csdef'), 'utf8'), { WorkerRole1: { '\\approot\\a.js': '' } }));
    const r = await run('validate', pkg, join(fixtures, 'hello.cscfg'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Valid: service "Hello"/);
  });

  it.each([
    [['validate', join(fixtures, 'nope.csdef')], /package not found: .*nope\.csdef/],
    [['validate', join(fixtures, 'minimal.csdef'), join(fixtures, 'nope.cscfg')], /configuration not found/],
    [['validate', join(fixtures, 'minimal.csdef'), fixtures], /must be a \.cscfg file/],
    [['validate'], /missing required argument 'package'/],
    [['validate', '--strict', join(fixtures, 'minimal.csdef')], /unknown option '--strict'/],
    [['deploy', 'x'], /missing required argument 'package'/],
    [['launch', 'x'], /unknown command 'launch'/],
    [['run', 'x'], /missing required argument 'cscfg'/],
    [[], /Usage: fabric-lab/],
  ])('exits 2 when the command line is wrong: %j', async (args, message) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('prints the version and help, exiting 0', async () => {
    expect(await run('--version')).toMatchObject({ code: 0, out: `${version}\n` });
    const help = await run('--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/validate \[options\] <package> \[cscfg\]/);
    const verbHelp = await run('validate', '--help');
    expect(verbHelp.code).toBe(0);
    expect(verbHelp.out).toMatch(/--json/);
    expect(verbHelp.out).toMatch(/Exit status: 0 valid/);
  });
});

describe('fabric-lab as built (node out/main/cli.js)', () => {
  const cli = (...args: string[]) => {
    if (!existsSync(builtCli)) throw new Error(`${builtCli} is missing: run "npx electron-vite build" (npm test does) before these tests.`);
    return spawnSync(process.execPath, [builtCli, ...args], { encoding: 'utf8', cwd: tmpdir() });
  };

  it.skipIf(noCorpus)('exits 0, 1 and 2 as documented', () => {
    const valid = cli('validate', join(corpus, 'mooso__BlueCoffee__ServiceDefinition.csdef'), join(corpus, 'mooso__BlueCoffee__ServiceConfiguration.Cloud.cscfg'));
    expect(valid.status).toBe(0);
    expect(valid.stdout.trim()).toBe('Valid: service "CloudyBlueKafka", 3 roles (KafkaBroker x3, Zookeeper x1, TesterApp x1), 5 instances.');
    const invalid = cli('validate', join(corpus, 'cdrnet__lokad-cloud__Source__Lokad.Cloud.DeployConsole__ServiceDefinition.build.csdef'), join(corpus, 'cdrnet__lokad-cloud__Source__Lokad.Cloud.DeployConsole__ServiceConfiguration.cscfg'));
    expect(invalid.status).toBe(1);
    expect(invalid.stdout).toMatch(/ServiceConfiguration\.cscfg:12:\d+: error \[cscfg\.certificate-thumbprint\]/);
    const usage = cli('validate', 'no-such-file.csdef');
    expect(usage.status).toBe(2);
    expect(usage.stderr.trim()).toBe('fabric-lab validate: package not found: no-such-file.csdef');
  });

  it('prints the package.json version, whatever the working folder', () => {
    const r = cli('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });
});
