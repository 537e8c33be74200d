// What a startup task's command does when it cannot run on this OS. Windows commands (.cmd, .bat, .exe,
// .ps1) are emulated: they succeed after the task's emulated duration, unless the package's own batch file
// says otherwise with an `exit /b N` (or `exit N`) line, which the emulator honours as the exit code. A user's
// batch file that the package does not hold fails as it would on the VM ("not recognized", exit 1); programs
// that may come with Windows or a plugin (.exe, .ps1) are taken to be there.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StartupTask } from '../common/service-model';

export interface EmulatedCommand {
  exitCode: number;
  /** Why that exit code, for the bootstrapper's log and the instance's details. */
  note: string;
}

/** The first token of a command line, without quotes: the program or script it runs. */
export function commandProgram(commandLine: string): string {
  const trimmed = commandLine.trim();
  const quoted = /^"([^"]*)"/.exec(trimmed);
  return quoted ? quoted[1]! : trimmed.split(/\s+/)[0]!;
}

export function emulateCommand(task: StartupTask, roleDirectory: string | undefined): EmulatedCommand {
  const program = commandProgram(task.commandLine);
  if (!roleDirectory) return { exitCode: 0, note: `emulated ${program} (no package files)` };
  // RoleModel.xml's relativePath is relative to the role root, the folder that holds approot.
  const base = join(dirname(roleDirectory), ...(task.relativePath ?? 'approot').split('\\'));
  const file = join(base, ...program.split('\\'));
  if (!/\.(cmd|bat)$/i.test(program)) return { exitCode: 0, note: `emulated ${program}` };
  if (!existsSync(file) || !statSync(file).isFile()) {
    return task.module
      ? { exitCode: 0, note: `emulated ${program} (${task.module} plugin)` }
      : { exitCode: 1, note: `${program} is not in the package: '${program}' is not recognized as an internal or external command` };
  }
  const lines = readFileSync(file, 'utf8').split(/\r?\n/).map((l) => l.trim());
  let exitCode = 0;
  for (const line of lines) {
    const exit = /^exit(?:\s+\/b)?\s+(-?\d+)\s*$/i.exec(line);
    if (exit) {
      exitCode = Number(exit[1]);
      break; // a batch file stops at its first exit
    }
  }
  return { exitCode, note: `emulated ${program}: ${exitCode === 0 ? 'exits 0' : `its "exit /b ${exitCode}" line sets the exit code`}` };
}
