// `npm start` (out/main/start.js, plain node): open Fabric Lab in Electron when its binary is here,
// else serve the same UI in browser mode. package.json's allowScripts keeps npm from running Electron's
// download, so the binary may be missing; we try to fetch it once before falling back.
import { spawn, spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { shellV8Flags } from './v8-flags';

export type ShellChoice =
  | { shell: 'electron'; binary: string }
  | { shell: 'browser'; /** The one line that tells the user why. */ message: string };

export interface ShellProbes {
  /** Path of Electron's binary, or null when it is not installed. */
  findElectron(): string | null;
  /** Try once to download the binary; a short reason when that failed. */
  fetchElectron(): { ok: true } | { ok: false; reason: string };
  env: Record<string, string | undefined>;
}

export function chooseShell({ findElectron, fetchElectron, env }: ShellProbes): ShellChoice {
  if (env.FABRIC_LAB_BROWSER === '1') {
    return { shell: 'browser', message: 'FABRIC_LAB_BROWSER=1: starting Fabric Lab in browser mode.' };
  }
  const found = findElectron();
  if (found) return { shell: 'electron', binary: found };
  const fetched = fetchElectron();
  const binary = fetched.ok ? findElectron() : null;
  if (binary) return { shell: 'electron', binary };
  const why = fetched.ok ? '' : ` (${fetched.reason})`;
  return {
    shell: 'browser',
    message: `Electron's binary is not installed and could not be downloaded${why}; starting Fabric Lab in browser mode instead.`,
  };
}

const requireHere = createRequire(import.meta.url);

function findElectron(): string | null {
  try {
    // The electron package's main export is the binary's path; it throws when the binary is missing.
    // A failed require is not cached, so asking again after a download sees the new binary.
    return requireHere('electron') as string;
  } catch {
    return null;
  }
}

function fetchElectron(): { ok: true } | { ok: false; reason: string } {
  let installJs: string;
  try {
    installJs = requireHere.resolve('electron/install.js');
  } catch {
    return { ok: false, reason: 'the electron package is not installed' };
  }
  // stderr is captured: offline, install.js prints a stack trace that would bury the one line we print.
  const run = spawnSync(process.execPath, [installJs], { stdio: ['ignore', 'inherit', 'pipe'], timeout: 60_000, encoding: 'utf8' });
  if (run.error) return { ok: false, reason: run.error.message };
  if (run.status !== 0) {
    const firstLine = run.stderr.split('\n').find((line) => line.trim() !== '')?.trim();
    return { ok: false, reason: firstLine ?? `install.js exited with ${run.status ?? run.signal}` };
  }
  return { ok: true };
}

/** `npm start -- <args>`: the app's own flags (--nats ... for host nodes), given to Electron or to browser mode alike. */
const userArgs = process.argv.slice(2);

/**
 * Electron's command line: the shells' V8 flags as --js-flags (its main process's V8 takes them only from its command
 * line; app.commandLine is too late for it), the app's folder, then the user's arguments.
 */
export function electronArgs(appRoot: string, args: string[]): string[] {
  return [`--js-flags=${shellV8Flags.join(' ')}`, appRoot, ...args];
}

async function runElectron(binary: string): Promise<never> {
  // out/main/start.js -> the folder holding package.json, whose "main" is the Electron entry.
  const appRoot = fileURLToPath(new URL('../..', import.meta.url));
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE; // set, it would make the binary a plain node
  const child = spawn(binary, electronArgs(appRoot, userArgs), { stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  const code = await new Promise<number>((resolve) => {
    child.on('error', (error) => {
      console.error(`Could not start Electron (${binary}): ${error.message}`);
      resolve(1);
    });
    child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
  });
  process.exit(code);
}

async function runBrowserMode(): Promise<void> {
  // Loaded only here, so the Electron path never starts a second fabric in this process.
  const { closeOnSignals, startBrowserMode } = await import('./browser-mode');
  const { parseServeArgs } = await import('./serve-args');
  const parsed = parseServeArgs(userArgs);
  if (parsed.kind === 'help') return console.log('npm start -- [the options of npm run serve]: see npm run serve -- --help');
  closeOnSignals(await startBrowserMode(parsed.options));
}

async function main(): Promise<void> {
  const choice = chooseShell({ findElectron, fetchElectron, env: process.env });
  if (choice.shell === 'electron') return runElectron(choice.binary);
  console.log(choice.message);
  await runBrowserMode();
}

// Run only as the entry (node out/main/start.js), not when a test imports chooseShell.
if (isEntry()) {
  main().catch((error: unknown) => {
    console.error(`Fabric Lab could not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}

function isEntry(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}
