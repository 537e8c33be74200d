// Where the command line's verbs write, and the exit statuses they share (fabric-lab validate, run, serve).
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const exitValid = 0;
export const exitInvalid = 1;
/** The command line is wrong: an unknown option, a bad value, a missing argument. */
export const exitUsage = 2;

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};
