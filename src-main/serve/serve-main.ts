// `npm run serve`: the fabric without Electron, its UI in any browser on this machine.
import { installLastResortHandlers } from '../fabric/last-resort';
import { closeOnSignals, startBrowserMode } from './browser-mode';
import { parseServeArgs, ServeArgsError, serveUsage, type ServeCommand } from './serve-args';

async function main(): Promise<void> {
  let command: ServeCommand;
  try {
    command = parseServeArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ServeArgsError)) throw error;
    console.error(`serve: ${error.message} (see --help)`);
    process.exit(2);
  }
  if (command.kind === 'help') {
    console.log(serveUsage);
    return;
  }

  const browserMode = await startBrowserMode(command.options);
  installLastResortHandlers((message) => browserMode.fabric.reportError('Process', message));
  closeOnSignals(browserMode);
}

main().catch((error: unknown) => {
  console.error(`serve: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
