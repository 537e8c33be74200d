#!/usr/bin/env -S node --single-threaded-gc
// `fabric-lab`: the command line over the same package reader (and, with `run`, the same fabric) as the app.
// Exit status: 0 valid (warnings allowed), 1 the service has errors, 2 the command line itself is wrong.
// Verb logic lives in exported functions so tests call them directly as well as through the built file.
import { readFileSync, realpathSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import type { ValidationDiagnostic } from '../common/service-model';
import { readServicePackage, type PackageReadResult } from '../package/index';
import { exitInvalid, exitUsage, exitValid, processIo, type CliIo } from './cli-io';
import { addRemoteCommands } from './cli-remote';
import { addRunCommand } from './cli-run';
import { addTrafficCommand } from './cli-traffic';
import { addHostNodeCommand, addNatsConfigCommand } from './host-node-args';
import { closeOnSignals, startBrowserMode } from './browser-mode';
import { addServeCommand } from './serve-args';

export { exitInvalid, exitUsage, exitValid, type CliIo } from './cli-io';

/** package.json beside the build: out/main/cli.js -> ../../package.json (src-main/serve/cli.ts resolves the same). */
export function packageVersion(): string {
  try {
    const json = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return json.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function formatDiagnostic(d: ValidationDiagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
  return `${where}: ${d.severity} [${d.rule}] ${d.message}`;
}

/** The human report: one line per diagnostic, then a summary line. */
export function formatReport(result: PackageReadResult, hasConfiguration: boolean): string[] {
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = result.diagnostics.length - errors;
  const tail = warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : '';
  const lines = result.diagnostics.map(formatDiagnostic);
  if (errors > 0) {
    const files = new Set(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.file)).size;
    lines.push(`Invalid: ${errors} error${errors === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}${tail}.`);
  } else if (result.model) {
    const m = result.model;
    const instances = m.roles.reduce((n, r) => n + r.instanceCount, 0);
    const roles = m.roles.map((r) => `${r.name} x${r.instanceCount}`).join(', ');
    lines.push(`Valid: service "${m.name}", ${m.roles.length} role${m.roles.length === 1 ? '' : 's'} (${roles}), ${instances} instance${instances === 1 ? '' : 's'}${tail}.`);
  } else if (!hasConfiguration) {
    lines.push(`Definition valid${tail}; no .cscfg was given, so instance counts and setting values were not checked.`);
  }
  return lines;
}

export interface ValidateOptions {
  json?: boolean;
}

/** `fabric-lab validate <csx-folder | .cspkg | .csdef> [<.cscfg>]`; returns the exit status. */
export async function validateCommand(input: string, configuration: string | undefined, options: ValidateOptions, io: CliIo = processIo): Promise<number> {
  for (const [path, what] of [[input, 'package'], [configuration, 'configuration']] as const) {
    if (path === undefined) continue;
    const s = await stat(path).catch(() => undefined);
    if (!s) {
      io.err(`fabric-lab validate: ${what} not found: ${path}`);
      return exitUsage;
    }
    if (what === 'configuration' && !s.isFile()) {
      io.err(`fabric-lab validate: the configuration must be a .cscfg file: ${path}`);
      return exitUsage;
    }
  }
  // A .cspkg is extracted into a folder of our own and removed afterwards: validation leaves nothing behind.
  const scratch = await mkdtemp(join(tmpdir(), 'fabric-lab-validate-'));
  try {
    const result = await readServicePackage(input, { ...(configuration ? { configuration } : {}), extractTo: join(scratch, 'package') });
    const valid = !result.diagnostics.some((d) => d.severity === 'error');
    if (options.json) {
      const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
      io.out(JSON.stringify({ valid, kind: result.kind ?? null, errors, warnings: result.diagnostics.length - errors, diagnostics: result.diagnostics, model: result.model ?? null }, null, 2));
    } else {
      for (const line of formatReport(result, configuration !== undefined)) io.out(line);
    }
    return valid ? exitValid : exitInvalid;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The program; every verb sets `status` through its action. */
export function buildProgram(io: CliIo, setStatus: (code: number) => void): Command {
  const program = new Command('fabric-lab')
    .description('Fabric Lab: an emulated Azure-classic datacenter. Validate and run cloud services (.csdef/.cscfg/.cspkg/.csx).')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError('(run fabric-lab --help for usage)');

  program
    .command('validate')
    .description('check a service package and print every error and warning with its file, line and rule')
    .argument('<package>', 'a csx folder (cspack /copyOnly layout), a .cspkg, or a .csdef')
    .argument('[cscfg]', 'the service configuration; without it only the definition is checked')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExit status: 0 valid (warnings allowed), 1 the service has errors, 2 the command line is wrong.')
    .action(async (input: string, cscfg: string | undefined, opts: ValidateOptions) => {
      setStatus(await validateCommand(input, cscfg, opts, io));
    });

  addRunCommand(program, io, setStatus, { valid: exitValid, invalid: exitInvalid });
  addTrafficCommand(program, io, setStatus);
  addServeCommand(program, async (options) => {
    closeOnSignals(await startBrowserMode(options));
  });
  addHostNodeCommand(program, io, setStatus, { usage: exitUsage, failed: exitInvalid });
  addNatsConfigCommand(program, io, setStatus, { usage: exitUsage });
  // A running Fabric Lab (or anything that speaks the Service Management API), through its publish settings.
  addRemoteCommands(program, io, setStatus);

  return program;
}

/** Runs the command line; returns the exit status instead of exiting, so tests can call it. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  let status = exitValid;
  const program = buildProgram(io, (code) => (status = code));
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return exitUsage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return status;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return exitValid;
      return exitUsage;
    }
    io.err(`fabric-lab: ${(e as Error).message}`);
    return exitUsage;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === import.meta.url || realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
